# Orders that had a failed payment attempt this week.
from shop.order
where exists(payments where status = "failed") and created_at in this week
select id, status, total, created_at
sort created_at desc
