# Revenue per top-level category in 2025 (sub-categories rolled up to their parent).
from shop.orderitem
where order.created_at in 2025 and product.category.parent is not null
group by department = product.category.parent.name
aggregate revenue = measure(item_revenue), lines = count()
sort revenue desc
