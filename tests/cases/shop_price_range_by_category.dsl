# Catalogue price range per category for products between 10 and 500 EUR.
from shop.product
where price between 10 and 500
group by category.name
aggregate products = measure(product_count), avg_price = avg(price), cheapest = min(price), priciest = max(price)
sort category.name
