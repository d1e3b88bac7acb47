# Which customers have no city on file?
from shop.customer
where city is null
select name, country, signed_up_at
sort signed_up_at desc
