# Customers with at least one refunded order worth more than 100 EUR, per country.
from shop.customer
where exists(orders where status = "refunded" and total > 100)
group by country
aggregate customers = count()
sort customers desc, country
