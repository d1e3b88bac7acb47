# Which artists have the most tracks in the catalogue?
from chinook.track
group by artist = album.artist.name
aggregate tracks = measure(track_count)
sort tracks desc, artist
limit 10
