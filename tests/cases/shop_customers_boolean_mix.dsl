# Consumers in Germany or France whose account is active, or inactive accounts anywhere.
from shop.customer
where (country = "DE" or country = "FR") and not (tier = "business" or is_active = false) or is_active = false
group by country
aggregate customers = count()
sort customers desc, country
