# Top 10 billing countries by revenue, with invoices and paying customers.
from chinook.invoice
group by billing_country
aggregate revenue = measure(revenue), invoices = measure(invoice_count), customers = measure(paying_customers), per_customer = revenue / customers
sort revenue desc
limit 10
