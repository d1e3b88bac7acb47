# Countries with at least 20 orders and either revenue above 10,000 EUR or more than 100 orders.
from shop.order
group by customer.country
aggregate orders = count(), revenue = sum(total)
having orders >= 20 and (revenue > 10000 or orders > 100)
sort revenue desc
