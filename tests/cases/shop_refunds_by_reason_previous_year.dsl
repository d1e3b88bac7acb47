# Refunds issued last calendar year, by reason: count, total, largest and smallest.
from shop.refund
where created_at in previous year
group by reason
aggregate refunds = count(), amount = sum(amount), largest = max(amount), smallest = min(amount)
sort amount desc
