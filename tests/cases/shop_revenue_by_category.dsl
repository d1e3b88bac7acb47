# Units and revenue per product category, from order lines of paid orders.
from shop.orderitem
where order.status in ("paid", "shipped", "delivered")
group by category = product.category.name
aggregate units = measure(units_sold), revenue = sum(line_total)
sort revenue desc
