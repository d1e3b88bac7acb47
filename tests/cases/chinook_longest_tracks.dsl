# The ten longest tracks (over ten minutes), with their album.
from chinook.track
where segment long
select name, album = album.title, milliseconds
sort milliseconds desc
limit 10
