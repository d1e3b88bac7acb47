# Support agents with a customer who bought in 2025 (nested exists).
from chinook.employee
where exists(customers where exists(invoices where invoice_date in 2025))
select first_name, last_name, city
sort last_name
