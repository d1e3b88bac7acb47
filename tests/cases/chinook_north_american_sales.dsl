# US and Canadian invoices with a state on file, per state.
from chinook.invoice
where billing_country in ("USA", "Canada") and billing_state is not null
group by billing_country, billing_state
aggregate invoices = count(), revenue = sum(total)
having invoices > 5
sort revenue desc
