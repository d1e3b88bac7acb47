# Open ticket backlog by priority, with the oldest open ticket.
from shop.supportticket
where segment unresolved
group by priority
aggregate tickets = measure(ticket_count), oldest = min(created_at), newest = max(created_at)
sort tickets desc, priority
