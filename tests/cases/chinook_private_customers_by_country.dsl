# Private customers (no company) per country.
from chinook.customer
where company is null
group by country
aggregate customers = count()
sort customers desc, country
limit 10
