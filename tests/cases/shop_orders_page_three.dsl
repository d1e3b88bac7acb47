# Third page (rows 21-30) of the most recent orders.
from shop.order
select id, status, total, created_at
sort created_at desc
limit 10
offset 20
