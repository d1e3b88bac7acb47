# Business customers whose name contains 'studio' (any case).
from shop.customer
where name contains "studio" and segment business
select name, country, city
sort name
