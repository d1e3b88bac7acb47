# How many customers do we have in Germany, France and the Netherlands, per tier?
from shop.customer
where country in ("DE", "FR", "NL")
group by country, tier
aggregate customers = count()
sort country, tier
