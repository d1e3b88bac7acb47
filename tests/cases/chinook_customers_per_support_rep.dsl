# Per support agent: customers, their invoices and the revenue they bring.
from chinook.customer
group by rep = support_rep.last_name
aggregate customers = count(), invoices = count(invoices), revenue = sum(invoices.total), first_sale = min(invoices.invoice_date)
sort revenue desc
