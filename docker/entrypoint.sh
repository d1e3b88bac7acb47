#!/bin/sh
# Prepare the demo database, then run the container's command (the server by default).
# Every step is idempotent: restarting the container keeps the data (seed_demo and
# load_chinook do nothing when their data is there) and resets the admin password.
set -eu

python manage.py migrate --no-input
python manage.py seed_demo --scale "${DJAI_DEMO_SCALE:-1.0}"
python manage.py load_chinook
python manage.py shell -c "
import os
from django.contrib.auth import get_user_model
user, _ = get_user_model().objects.get_or_create(username='admin', defaults={'email': 'admin@example.com'})
user.is_staff = user.is_superuser = True
user.set_password(os.environ.get('DJAI_DEMO_PASSWORD', 'admin'))
user.save()
"
echo "djai demo: http://127.0.0.1:${DJAI_DEMO_PORT:-8000}/admin/  user: admin  password: ${DJAI_DEMO_PASSWORD:-admin}"

exec "$@"
