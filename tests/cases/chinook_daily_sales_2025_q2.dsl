# Busiest days in the second quarter of 2025.
from chinook.invoice
where invoice_date in 2025-Q2
group by day = invoice_date by day
aggregate invoices = count(), revenue = sum(total)
sort revenue desc, day
limit 10
