# Playlists with the most tracks.
from chinook.playlist
group by id, name
aggregate tracks = count(playlist_tracks)
sort tracks desc, id
limit 5
