# Music videos per media type, with total playing time.
from chinook.track
where segment video
group by media_type.name
aggregate videos = count(), length = measure(total_length)
sort videos desc
