# Sales per month in 2024.
from chinook.invoice
where invoice_date in 2024
group by month = invoice_date by month
aggregate invoices = count(), revenue = sum(total)
sort month
