# How many orders, and how much money, in the first quarter of 2024?
from shop.order
where created_at in 2024-Q1
aggregate orders = count(), revenue = sum(total), largest = max(total), smallest = min(total)
