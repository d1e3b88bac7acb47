# Order lines with 3 units or more, largest line amount first.
from shop.orderitem
where quantity >= 3
select order = order.id, product = product.name, quantity, unit_price
sort line_total desc, order.id
limit 10
