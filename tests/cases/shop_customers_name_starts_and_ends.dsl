# Customers called Anna, and companies whose name ends with 'Solutions'.
from shop.customer
where name starts with "anna" or name ends with "solutions"
select name, tier, country
sort name
