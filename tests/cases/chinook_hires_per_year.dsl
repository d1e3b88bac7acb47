# How many people were hired each year, and when the first one started?
from chinook.employee
group by year = hire_date by year
aggregate hires = count(), first_hire = min(hire_date), last_hire = max(hire_date)
sort year
