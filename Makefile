# Developer and CI entry points. Everything runs from the project's own virtualenv (.venv),
# which `make venv` creates and refreshes whenever pyproject.toml changes.
#
#   make test            whole suite on SQLite, under coverage
#   make test-postgres   same on PostgreSQL (127.0.0.1:5432, user postgres)
#   make test-mariadb    same on MariaDB (127.0.0.1:3306, root, no password)
#   make test-all        the three above
#   make lint            ruff check + ruff format --check
#   make demo            migrate, seed and start the demo on http://127.0.0.1:8000/admin/
#   make fuzz            schemathesis against the API's OpenAPI document, ~10,000 requests,
#                        printing how many answered with a 5xx
#   make bench           compiler/executor speed and API overhead per message
#   make eval            offline planner on the benchmark question sets (temporary demo DB)
#   make release-check   build sdist + wheel, twine check, inspect their contents
#   make clean-host      install the wheel into fresh venvs (Django 4.2 and 6) and use it
#                        from a new `django-admin startproject` project (nox, see noxfile.py)
#
# Extra pytest arguments: make test PYTEST_ARGS="-k executor -x"; TEST_WORKERS=0 for one process

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Rewritten after every successful install, so it is newer than pyproject.toml until the
# next change to it.
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

# Login for the demo's superuser "admin"; override with DJAI_DEMO_PASSWORD=... make demo.
DJAI_DEMO_PASSWORD ?= admin
export DJAI_DEMO_PASSWORD

.PHONY: venv test test-postgres test-mariadb test-all lint demo bench fuzz eval release-check clean-host

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# pytest's exit code 5 ("no tests collected") fails these targets like any other non-zero.
# Tests run in parallel (pytest-xdist, one worker per core; each worker has its own test
# database) under coverage (pytest-cov combines the workers' data; fail_under is in
# pyproject.toml). TEST_WORKERS=0 runs in one process, e.g. to debug.
TEST_WORKERS ?= auto
define run_suite
	DJAI_TEST_DB=$(1) $(BIN)/python -m pytest -n $(TEST_WORKERS) --cov --cov-report=term-missing:skip-covered $(PYTEST_ARGS)
endef

test: venv
	$(call run_suite,sqlite)

test-postgres: venv
	$(call run_suite,postgres)

test-mariadb: venv
	$(call run_suite,mariadb)

test-all: test test-postgres test-mariadb

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# seed_demo and load_chinook are the demo apps' management commands.
demo: venv
	cd demo && ../$(BIN)/python manage.py migrate
	cd demo && ../$(BIN)/python manage.py seed_demo
	cd demo && ../$(BIN)/python manage.py load_chinook
	cd demo && ../$(BIN)/python manage.py shell -c "$$DEMO_SUPERUSER_PY"
	@echo "djai demo: http://127.0.0.1:8000/admin/  user: admin  password: $$DJAI_DEMO_PASSWORD"
	cd demo && ../$(BIN)/python manage.py runserver 127.0.0.1:8000

fuzz: venv
	DJAI_FUZZ_EXAMPLES=800 DJAI_FUZZ_COUNT_ONLY=1 $(BIN)/python -m pytest tests/security/test_api_fuzz.py -q -s -p no:randomly

bench: venv
	$(BIN)/python benchmarks/compile.py
	$(BIN)/python benchmarks/api_overhead.py

eval: venv
	$(BIN)/python benchmarks/eval_sets.py --planner offline

release-check: venv
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*
	$(BIN)/python scripts/check_dist.py dist

# Builds dist/ itself (nox session "build"), then one session per end of the Django range.
clean-host: venv
	$(BIN)/nox --no-color -s build clean_host

# Creates the superuser, or resets its password so that the printed one is always right.
define DEMO_SUPERUSER_PY
import os
from django.contrib.auth import get_user_model
user, _ = get_user_model().objects.get_or_create(username="admin", defaults={"email": "admin@example.com"})
user.is_staff = user.is_superuser = True
user.set_password(os.environ["DJAI_DEMO_PASSWORD"])
user.save()
endef
export DEMO_SUPERUSER_PY
