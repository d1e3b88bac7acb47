# Revenue over the last 12 months (this month included).
from chinook.invoice
where invoice_date in last 12 months
aggregate revenue = sum(total), invoices = count()
