# Orders per day over the last 14 days, today included.
from shop.order
where created_at in last 14 days
group by day = created_at by day
aggregate orders = count(), cancelled = count() filter (where segment cancelled)
sort day desc
