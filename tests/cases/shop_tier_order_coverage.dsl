# Per tier: customers, and how many of them ordered in the last 30 days.
from shop.customer
group by tier
aggregate customers = count(), recent_buyers = count() filter (where exists(orders where created_at in last 30 days))
sort tier
