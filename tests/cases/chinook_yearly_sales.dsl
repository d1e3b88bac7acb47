# Revenue, invoices and average invoice per year.
from chinook.invoice
group by year = invoice_date by year
aggregate revenue = sum(total), invoices = count(), average = avg(total)
sort year
