# Active customers who never ordered.
from shop.customer
where not exists(orders) and segment active
select name, country, signed_up_at
sort signed_up_at desc
