# Which orders were placed on 1 June 2026 (Berlin time)?
from shop.order
where created_at in 2026-06-01
select id, buyer = customer.name, status, total, created_at
sort created_at
