# Per country: customers, their orders, tickets, revenue and the average order line (no join
# inflation).
from shop.customer
group by country
aggregate customers = count(), orders = count(orders), tickets = count(tickets), revenue = sum(orders.total), avg_line = avg(orders.items.line_total)
sort revenue desc
limit 8
