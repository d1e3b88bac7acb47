# Data check: orders stamped in the next 2 weeks (should be none).
from shop.order
where created_at in next 2 weeks
aggregate orders = count()
