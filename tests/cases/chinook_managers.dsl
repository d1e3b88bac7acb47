# Who manages other employees, and who looks after customers?
from chinook.employee
where exists(reports) or exists(customers)
select first_name, last_name, title, manager = reports_to.last_name
sort last_name
