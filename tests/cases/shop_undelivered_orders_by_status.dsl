# Orders that are not delivered yet (and not cancelled), by status, older than the last 7 days.
from shop.order
where status != "delivered" and status != "cancelled" and created_at < 2026-06-08
group by status
aggregate orders = count(), oldest = min(created_at)
sort orders desc
