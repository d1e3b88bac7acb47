# Orders placed during the current hour and the one before it.
from shop.order
where created_at in this hour or created_at in previous hour
aggregate orders = count(), revenue = sum(total)
