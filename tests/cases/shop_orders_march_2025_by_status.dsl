# Orders of March 2025 by status.
from shop.order
where created_at in 2025-03
group by status
aggregate orders = count(), revenue = sum(total)
sort status
