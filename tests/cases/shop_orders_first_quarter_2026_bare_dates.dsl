# Orders placed from 1 January to 31 March 2026, both days included.
from shop.order
where created_at between 2026-01-01 and 2026-03-31
group by shipping_country
aggregate orders = count()
sort orders desc, shipping_country
limit 5
