# Net revenue per order per quarter: (paid total - refunded total) / orders.
from shop.order
where created_at in previous 4 quarters
group by quarter = created_at by quarter
aggregate orders = count(), paid_total = sum(total) filter (where segment paid), refunded_total = sum(refunds.amount), net_per_order = (paid_total - refunded_total) / orders, refund_share = refunded_total / (paid_total + refunded_total) * 100
sort quarter
