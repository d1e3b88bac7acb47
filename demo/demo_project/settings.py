"""Settings of the djai demo project.

The database is the SQLite file ``demo/db.sqlite3`` unless ``DATABASE_URL`` names another
one, e.g. ``postgres://postgres@127.0.0.1:5432/djai_demo`` (parsed here with the standard
library, so the demo needs no extra dependency). Everything else is a plain Django project.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

DEMO_DIR = Path(__file__).resolve().parent.parent

# A fixed key is fine for a local demo; set DJANGO_SECRET_KEY anywhere else.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "djai-demo-insecure-key-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")

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
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo.demo_project.urls"
WSGI_APPLICATION = "demo.demo_project.wsgi.application"

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

_BACKENDS = {
    "postgres": ("django.db.backends.postgresql", 5432),
    "postgresql": ("django.db.backends.postgresql", 5432),
    "mysql": ("django.db.backends.mysql", 3306),
    "mariadb": ("django.db.backends.mysql", 3306),
}


def database_from_url(url: str) -> dict[str, object]:
    """Turn ``scheme://user:password@host:port/name?option=value`` into a DATABASES entry.

    Supports postgres(ql):// and mysql:// / mariadb://; query parameters become OPTIONS
    (e.g. ``?sslmode=require``). Anything else is a configuration error, reported at start-up
    rather than as a confusing driver error later.
    """
    parts = urlsplit(url)
    if parts.scheme not in _BACKENDS:
        raise ImproperlyConfigured(
            f"DATABASE_URL scheme {parts.scheme!r} is not supported; "
            "use postgres://user@host:port/name (or mysql://, or unset it for SQLite)."
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("DATABASE_URL must name a database: .../<name>")
    engine, default_port = _BACKENDS[parts.scheme]
    config: dict[str, object] = {
        "ENGINE": engine,
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or default_port),
    }
    options = dict(parse_qsl(parts.query))
    if engine == "django.db.backends.mysql":
        options.setdefault("charset", "utf8mb4")
    if options:
        config["OPTIONS"] = options
    return config


if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DEMO_DIR / "db.sqlite3"}
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")

STATIC_URL = "static/"

# djai reads everything from this one dict; see djai_dsl/conf.py for the defaults.
DJAI: dict[str, object] = {}
