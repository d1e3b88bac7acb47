# Customers who ordered but never opened a support ticket, per tier.
from shop.customer
where exists(orders) and not exists(tickets)
group by tier
aggregate customers = count()
sort tier
