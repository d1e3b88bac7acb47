# Last month: orders, order lines, units and units per order.
from shop.order
where created_at in previous month
aggregate orders = count(), lines = count(items), units = sum(items.quantity), units_per_order = units / orders
