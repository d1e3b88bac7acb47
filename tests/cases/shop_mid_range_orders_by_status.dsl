# Orders between 100 and 200 EUR (inclusive) by status.
from shop.order
where total between 100 and 200
group by status
aggregate orders = count(), avg_total = avg(total)
sort orders desc
