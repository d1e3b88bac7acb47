# Tickets nobody handles, or urgent ones still open.
from shop.supportticket
where segment unassigned or segment urgent and status != "closed"
select id, subject, priority, status, customer = customer.name
sort created_at desc
limit 25
