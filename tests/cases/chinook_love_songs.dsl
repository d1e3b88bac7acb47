# Track titles starting with 'Love' and live recordings ending with '(Live)'.
from chinook.track
where name starts with "love" or name ends with "(live)"
group by genre.name
aggregate tracks = count()
sort tracks desc, genre.name
