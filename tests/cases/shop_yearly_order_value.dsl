# Per year: orders, revenue and average order value (revenue / orders).
from shop.order
group by year = created_at by year
aggregate orders = count(), revenue = sum(total), aov = revenue / orders
sort year
