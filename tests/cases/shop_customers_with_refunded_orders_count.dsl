# How many customers have a refunded order? (a to-many filter counts each customer once)
from shop.customer
where orders.status = "refunded"
aggregate customers = count()
