# Which five countries brought the most paid revenue in the last 30 days?
from shop.order
where segment paid and created_at in last 30 days
group by customer.country
aggregate revenue = sum(total), orders = count()
sort revenue desc
limit 5
