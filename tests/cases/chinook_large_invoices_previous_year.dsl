# Large invoices (10 USD or more) of the previous year.
from chinook.invoice
where segment large and invoice_date in previous year
select id, customer = customer.last_name, billing_country, total, invoice_date
sort total desc, invoice_date
limit 15
