# Tracks on the 'grunge' playlist (text equality ignores case), with their artist.
from chinook.track
where exists(playlists where name = "grunge")
select name, artist = album.artist.name, milliseconds
sort artist, name
