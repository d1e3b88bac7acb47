# Orders of the last 6 hours, newest first.
from shop.order
where created_at in last 6 hours
select id, buyer = customer.name, total, created_at
sort created_at desc
