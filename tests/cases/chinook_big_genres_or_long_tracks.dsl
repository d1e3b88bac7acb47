# Genres with at least 100 tracks or an average length above 6 minutes.
from chinook.track
group by genre.name
aggregate tracks = count(), avg_ms = avg(milliseconds), avg_minutes = avg_ms / 60000
having tracks >= 100 or avg_ms > 360000
sort tracks desc
