# Orders of this month that had a failed payment attempt.
from shop.order
where exists(payments where status = "failed") and created_at in this month
select id, status, total, created_at
sort created_at desc
