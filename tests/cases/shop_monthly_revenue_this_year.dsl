# Paid revenue and order count per month this year, with the average paid order.
from shop.order
where created_at in this year
group by month = created_at by month
aggregate revenue = measure(revenue), orders = measure(order_count), aov = measure(average_order_value)
sort month
