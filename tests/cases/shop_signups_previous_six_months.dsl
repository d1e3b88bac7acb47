# Sign-ups per month over the previous six whole months, business accounts apart.
from shop.customer
where signed_up_at in previous 6 months
group by month = signed_up_at by month
aggregate signups = measure(customer_count), business = count() filter (where segment business)
sort month
