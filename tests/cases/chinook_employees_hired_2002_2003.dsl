# Employees hired in 2002 and 2003.
from chinook.employee
where hire_date between 2002-01-01 and 2003-12-31
select first_name, last_name, title, hire_date
sort hire_date, last_name
