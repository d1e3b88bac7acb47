# How many tracks sell at each price, and how big are their files on average (MB)?
from chinook.track
group by unit_price
aggregate tracks = count(), avg_bytes = avg(bytes), avg_mb = avg_bytes / 1048576, largest = max(bytes)
sort unit_price
