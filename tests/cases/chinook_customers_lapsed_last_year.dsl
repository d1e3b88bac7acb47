# Customers who bought before but not in the previous year.
from chinook.customer
where exists(invoices) and not exists(invoices where invoice_date in previous year)
select first_name, last_name, country
sort last_name, first_name
