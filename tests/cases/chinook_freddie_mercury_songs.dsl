# Songs Freddie Mercury wrote or co-wrote (any case).
from chinook.track
where composer contains "mercury"
select name, composer, album = album.title
sort name
