# Sales per quarter in 2023, with the average invoice.
from chinook.invoice
where invoice_date in 2023
group by quarter = invoice_date by quarter
aggregate revenue = sum(total), average = measure(average_invoice)
sort quarter
