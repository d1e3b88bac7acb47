# Which genres bring the most money? (invoice lines joined to tracks and genres)
from chinook.invoiceline
group by genre = track.genre.name
aggregate revenue = sum(unit_price), units = measure(units_sold)
sort revenue desc
limit 10
