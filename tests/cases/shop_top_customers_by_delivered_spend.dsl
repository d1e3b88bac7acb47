# The ten customers who spent most on delivered orders.
from shop.customer
group by id, name
aggregate spend = sum(orders.total) filter (where orders.status = "delivered"), orders = count(orders), last_order = max(orders.created_at)
sort spend desc
limit 10
