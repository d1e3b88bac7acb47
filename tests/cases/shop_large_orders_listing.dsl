# The 20 largest orders of the last 90 days, with the buyer's name.
from shop.order
where total >= 500 and created_at in last 90 days
select id, buyer = customer.name, country = customer.country, total, created_at
sort total desc
limit 20
