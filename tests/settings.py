"""Settings for djai's own test suite. ``DJAI_TEST_DB`` picks the backend:
sqlite (default), postgres or mariadb (servers on 127.0.0.1, as on CI)."""

import os

SECRET_KEY = "djai-tests-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "djai_dsl",
    "demo.shop",
    "demo.chinook",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

STATIC_URL = "/static/"

DB = os.environ.get("DJAI_TEST_DB", "sqlite")
# One test database per process, so parallel runs on one server do not collide.
TEST_DB_NAME = os.environ.get("DJAI_TEST_DB_NAME", f"test_djai_{os.getpid()}")
if DB == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "djai",
            "USER": os.environ.get("DJAI_PG_USER", "postgres"),
            "HOST": os.environ.get("DJAI_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("DJAI_PG_PORT", "5432"),
            "TEST": {"NAME": TEST_DB_NAME},
        }
    }
elif DB == "mariadb":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": "djai",
            "USER": os.environ.get("DJAI_MYSQL_USER", "root"),
            "PASSWORD": os.environ.get("DJAI_MYSQL_PASSWORD", ""),
            "HOST": os.environ.get("DJAI_MYSQL_HOST", "127.0.0.1"),
            "PORT": os.environ.get("DJAI_MYSQL_PORT", "3306"),
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {"NAME": TEST_DB_NAME, "CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
        }
    }
elif DB == "sqlite":
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
else:
    raise RuntimeError(f"DJAI_TEST_DB must be sqlite, postgres or mariadb, not {DB!r}")

DJAI = {"STATEMENT_TIMEOUT_MS": 5000}
