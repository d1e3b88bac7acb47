# Distinct buyers per shipping country this quarter, and orders per buyer.
from shop.order
where created_at in this quarter
group by shipping_country
aggregate buyers = count(distinct customer), orders = count(), orders_per_buyer = orders / buyers
sort buyers desc, shipping_country
limit 10
