# How many orders are in each status?
from shop.order
group by status
aggregate orders = count()
sort orders desc
