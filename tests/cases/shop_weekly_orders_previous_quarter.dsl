# Orders per ISO week (Monday start) in the previous quarter; the quarter crosses the switch to
# summer time.
from shop.order
where created_at in previous quarter
group by week = created_at by week
aggregate orders = count(), revenue = sum(total)
sort week
