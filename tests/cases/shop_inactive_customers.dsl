# Inactive accounts per country.
from shop.customer
where is_active = false
group by country
aggregate customers = count()
sort customers desc, country
