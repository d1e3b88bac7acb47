# Small orders: under 20 EUR, or at most 25 EUR and cancelled.
from shop.order
where total < 20 or total <= 25 and status = "cancelled"
aggregate orders = count(), revenue = sum(total)
