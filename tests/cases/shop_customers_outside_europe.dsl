# Customers outside Europe, by country.
from shop.customer
where country not in ("DE", "FR", "GB", "ES", "IT", "NL", "PL", "SE")
group by country
aggregate customers = measure(customer_count)
sort customers desc, country
