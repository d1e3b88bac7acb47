# Tracks with no composer on file, per genre.
from chinook.track
where composer is null
group by genre.name
aggregate tracks = count()
sort tracks desc, genre.name
limit 10
