# Revenue per support agent (via the customer) and year, 2024 on.
from chinook.invoice
where invoice_date >= 2024-01-01
group by agent = customer.support_rep.last_name, year = invoice_date by year
aggregate revenue = sum(total)
sort agent, year
