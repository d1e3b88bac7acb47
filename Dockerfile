# The djai demo (shop + Chinook) as an image. docker-compose.yml runs it with PostgreSQL;
# docs/docker.md explains both. This is a demo image: Django's development server, DEBUG on,
# a fixed superuser. It is not a template for deploying a host project.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The package first, so that editing the demo does not reinstall dependencies. psycopg's
# binary wheel needs no system libraries; tzdata gives zoneinfo every time zone.
COPY pyproject.toml README.md LICENSE ./
COPY djai_dsl ./djai_dsl
RUN pip install ".[postgres]" tzdata

COPY demo ./demo
COPY docker/entrypoint.sh /usr/local/bin/djai-demo-entrypoint

RUN useradd --create-home --uid 1000 djai && chown -R djai /app/demo
USER djai
WORKDIR /app/demo

EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=5s --start-period=300s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/admin/login/', timeout=4)"]
ENTRYPOINT ["djai-demo-entrypoint"]
CMD ["python", "manage.py", "runserver", "0.0.0.0:8000", "--noreload"]
