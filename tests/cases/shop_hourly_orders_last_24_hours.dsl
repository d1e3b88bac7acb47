# Orders per hour over the last 24 hours.
from shop.order
where created_at in last 24 hours
group by hour = created_at by hour
aggregate orders = count()
sort hour
