# Tickets per support agent over the last 3 months (this month included), and how many are closed.
from shop.supportticket
where assignee is not null and created_at in last 3 months
group by agent = assignee.username
aggregate tickets = count(), closed = count() filter (where closed_at is not null)
sort tickets desc, agent
