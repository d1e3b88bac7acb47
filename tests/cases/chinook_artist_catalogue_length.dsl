# Artists with the longest catalogue: albums, tracks and hours of music.
from chinook.album
group by artist = artist.name
aggregate albums = count(), tracks = count(tracks), length_ms = sum(tracks.milliseconds), hours = length_ms / 3600000
sort length_ms desc
limit 10
