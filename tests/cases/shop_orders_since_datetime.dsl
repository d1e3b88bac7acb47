# Orders placed since 14 June 2026, 08:00 (Berlin), newest first.
from shop.order
where created_at >= 2026-06-14T08:00:00 and created_at < 2026-06-15
select id, status, total, created_at
sort created_at desc
