# Customers not in Berlin, including those without a city (NULL-safe negation, case-insensitive
# text).
from shop.customer
where not city = "berlin"
aggregate customers = count(), without_city = count() filter (where city is null)
