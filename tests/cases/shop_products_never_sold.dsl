# Active products that were never ordered.
from shop.product
where not exists(order_items) and is_active = true
select name, sku, category = category.name, price
sort price desc
