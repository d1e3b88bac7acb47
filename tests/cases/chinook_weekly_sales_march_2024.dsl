# Sales per week (weeks start on Monday) in March 2024.
from chinook.invoice
where invoice_date in 2024-03
group by week = invoice_date by week
aggregate invoices = count(), revenue = sum(total)
sort week
