# Payment attempts per method: failures and failure rate in percent, money collected.
from shop.payment
group by method
aggregate attempts = count(), failed = count() filter (where segment failed), failure_rate = failed * 100 / attempts, collected = measure(collected)
sort failure_rate desc
