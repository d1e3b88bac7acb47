# Customers who got a refund for damaged goods on an order of the last 12 months (nested exists).
from shop.customer
where exists(orders where created_at in last 12 months and exists(refunds where reason = "damaged"))
select name, country
sort name
