# Revenue per quarter in 2025.
from shop.order
where created_at in 2025 and segment paid
group by quarter = created_at by quarter
aggregate revenue = sum(total), orders = count()
sort quarter
