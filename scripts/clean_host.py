"""Use the installed djai the way a new host project would, and fail loudly if anything breaks.

Run by ``nox -s clean_host`` inside a fresh virtualenv that holds only the built wheel and
one Django version, from an empty temporary folder (the argument), so that nothing of the
djai checkout is importable. It:

1. checks that ``djai_dsl`` comes from site-packages and that its data files are there;
2. runs ``django-admin startproject host`` and writes one small app, ``library`` (authors
   and books, with a ``djai.py`` registration: description, synonyms, a segment, a measure,
   a hidden field and a secret-looking one), then adds ``djai_dsl`` and ``library`` to
   INSTALLED_APPS and, when the wheel has the chat API, its ``path()`` to the URLs;
3. ``makemigrations`` (and checks that djai's own migrations match its models on this
   Django), ``migrate``, ``check`` including the database checks, and seeds a few rows;
4. ``manage.py djai manifest``, ``query`` and ``explain`` and compares the answers with
   numbers computed here from the seed data;
5. when the wheel has them: a question through ``manage.py djai ask`` and through the API
   with Django's test client, both on the offline planner; the admin chat page renders and
   ``collectstatic`` finds djai's static files.

Parts 2 to 5 follow what docs/quickstart.md tells a host project to do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

# ----------------------------------------------------------------------------- the host app

MODELS = """
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)
    country = models.CharField(max_length=2)
    # Looks secret: djai must never expose it, whatever the registry says.
    api_token = models.CharField(max_length=40, blank=True)

    def __str__(self):
        return self.name


class Book(models.Model):
    GENRES = [("novel", "Novel"), ("poetry", "Poetry"), ("essay", "Essay")]

    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    genre = models.CharField(max_length=20, choices=GENRES)
    published = models.DateField()
    price = models.DecimalField(max_digits=8, decimal_places=2)
    pages = models.PositiveIntegerField()
    internal_note = models.TextField(blank=True)

    def __str__(self):
        return self.title
"""

REGISTRY = """
from djai_dsl import register

from library.models import Author, Book

register(Author, description="A writer of books in the catalogue.", synonyms=["writers"])
register(
    Book,
    description="A book in the catalogue.",
    synonyms=["titles", "volumes"],
    default_time_field="published",
    hidden=["internal_note"],
    fields={"price": "List price in EUR"},
    segments={"long": "pages >= 300"},
    measures={"catalogue_value": "sum(price)"},
)
"""

#: (name, country), then (title, author index, genre, published, price, pages)
AUTHORS = [("Ada Lindqvist", "SE"), ("Bruno Costa", "PT"), ("Chloé Martin", "FR")]
BOOKS = [
    ("Winter Harbour", 0, "novel", "2023-11-02", "24.90", 412),
    ("Salt Lines", 0, "poetry", "2024-02-14", "14.50", 96),
    ("The Long Table", 1, "novel", "2024-05-30", "29.00", 530),
    ("Small Hours", 1, "essay", "2024-08-09", "18.00", 210),
    ("Atlas of Rain", 2, "novel", "2024-10-21", "26.40", 344),
    ("Notes on Light", 2, "essay", "2025-01-15", "21.10", 188),
]

SEED = f"""
from decimal import Decimal
import datetime as dt
from library.models import Author, Book

authors = [Author.objects.create(name=n, country=c, api_token="tok-" + c) for n, c in {AUTHORS!r}]
for title, author, genre, published, price, pages in {BOOKS!r}:
    Book.objects.create(
        title=title, author=authors[author], genre=genre,
        published=dt.date.fromisoformat(published), price=Decimal(price), pages=pages,
        internal_note="not for djai",
    )
print(Author.objects.count(), "authors,", Book.objects.count(), "books")

# The analyst who asks: staff, may use the assistant, may view the library's models only.
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

analyst = get_user_model().objects.create_user("analyst", password="unused", is_staff=True)
analyst.user_permissions.add(
    Permission.objects.get(content_type__app_label="djai_dsl", codename="use_assistant"),
    *Permission.objects.filter(content_type__app_label="library", codename__startswith="view_"),
)
"""

SETTINGS_TAIL = """

# --- added by djai's clean-host check, as docs/quickstart.md says
INSTALLED_APPS += ["djai_dsl", "library"]
DJAI = {"PLANNER": "offline", "DATABASE_ALIAS": "default", "STATEMENT_TIMEOUT_MS": 5000}
STATIC_ROOT = BASE_DIR / "staticfiles"
"""

URLS_TAIL = """

# --- added by djai's clean-host check, as docs/quickstart.md says
from django.urls import include  # noqa: E402

urlpatterns += [path("ai-assistant/", include("djai_dsl.api.urls"))]
"""

NOW = "2025-06-15T12:00:00+00:00"

# ----------------------------------------------------------------------------- running


class HostCheckFailed(Exception):
    pass


def step(title: str) -> None:
    print(f"\n--- {title}", flush=True)


def run(*args: str, cwd: Path) -> str:
    """Run a command in the host project; its output is echoed, failure stops the check."""
    started = time.monotonic()
    shown = " ".join(a if len(a) < 100 and "\n" not in a else "<code>" for a in args)
    print(f"$ {shown}", flush=True)
    proc = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, env=host_env(), check=False
    )
    print(textwrap.indent(abridged(proc.stdout + proc.stderr), "  "))
    print(f"  [{time.monotonic() - started:.1f}s, exit {proc.returncode}]", flush=True)
    if proc.returncode != 0:
        raise HostCheckFailed(f"{shown} exited {proc.returncode}")
    return proc.stdout


def abridged(output: str, head: int = 12, tail: int = 18) -> str:
    """The output without its middle when long: the start says what ran, the end (a
    traceback's last lines) what went wrong."""
    lines = output.rstrip().splitlines()
    if not lines:
        return "(no output)"
    if len(lines) > head + tail:
        lines = [*lines[:head], f"... ({len(lines) - head - tail} lines)", *lines[-tail:]]
    return "\n".join(lines)


def host_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUTF8"] = "1"
    return env


def manage(project: Path, *args: str) -> str:
    return run(sys.executable, "manage.py", *args, cwd=project)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise HostCheckFailed(message)


# ----------------------------------------------------------------------------- the steps


def check_installation(workdir: Path) -> dict[str, bool]:
    """djai_dsl is the installed wheel, with its data files; which optional parts it has."""
    import django

    import djai_dsl

    package = Path(djai_dsl.__file__).resolve().parent
    print(
        f"Python {sys.version.split()[0]}, Django {django.get_version()}, djai {djai_dsl.__version__}"
    )
    print(f"djai_dsl imported from {package}")
    expect("site-packages" in package.parts, f"djai_dsl is not the installed wheel: {package}")
    expect(not str(package).startswith(str(workdir)), "djai_dsl imported from the work folder")
    expect((package / "grammar" / "djai.lark").is_file(), "the wheel lacks grammar/djai.lark")
    expect((package / "migrations" / "__init__.py").is_file(), "the wheel lacks migrations/")
    from djai_dsl.management.subcommands import SUBCOMMANDS

    features = {
        "api": (package / "api" / "urls.py").is_file(),
        "ask": "ask" in SUBCOMMANDS,
        "static": (package / "static").is_dir(),
    }
    print("optional parts:", ", ".join(f"{k}={'yes' if v else 'no'}" for k, v in features.items()))
    return features


def create_project(workdir: Path, features: dict[str, bool]) -> Path:
    django_admin = Path(sys.executable).with_name("django-admin")
    run(str(django_admin), "startproject", "host", cwd=workdir)
    project = workdir / "host"
    with (project / "host" / "settings.py").open("a", encoding="utf-8") as settings:
        settings.write(SETTINGS_TAIL)
    if features["api"]:
        with (project / "host" / "urls.py").open("a", encoding="utf-8") as urls:
            urls.write(URLS_TAIL)
    app = project / "library"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "models.py").write_text(MODELS.lstrip(), encoding="utf-8")
    (app / "djai.py").write_text(REGISTRY.lstrip(), encoding="utf-8")
    return project


def migrate_and_seed(project: Path, features: dict[str, bool]) -> None:
    manage(project, "makemigrations", "library")
    # The package's migrations must describe its models on this Django version too.
    manage(project, "makemigrations", "djai_dsl", "--check", "--dry-run")
    manage(project, "migrate", "--no-input")
    manage(project, "check", "--database", "default", "--fail-level", "WARNING")
    if features["static"]:
        manage(project, "collectstatic", "--no-input")
        collected = project / "staticfiles" / "djai_dsl"
        expect(collected.is_dir() and any(collected.rglob("*.js")), "djai's static files")
    manage(project, "shell", "-c", SEED)


def check_manifest(project: Path) -> None:
    text = manage(project, "djai", "manifest", "--app", "library")
    expect("library.book" in text and "library.author" in text, "manifest lacks the models")
    data = json.loads(manage(project, "djai", "manifest", "--json", "--app", "library"))
    dumped = json.dumps(data)
    expect("api_token" not in dumped, "the secret-looking field api_token is in the manifest")
    expect("internal_note" not in dumped, "the hidden field internal_note is in the manifest")
    expect("catalogue_value" in dumped and "long" in dumped, "segment/measure missing")


def check_query(project: Path) -> None:
    dsl = (
        "from library.book where segment long group by author.country "
        "aggregate books = count(), pages = sum(pages), value = measure(catalogue_value) "
        "sort author.country"
    )
    data = json.loads(manage(project, "djai", "query", dsl, "--json", "--now", NOW))
    expected: dict[str, list[Any]] = {}
    for _title, author, _genre, _published, price, pages in BOOKS:
        if pages >= 300:
            country = AUTHORS[author][1]
            books, total_pages, value = expected.get(country, [0, 0, Decimal(0)])
            expected[country] = [books + 1, total_pages + pages, value + Decimal(price)]
    rows = data["result"]["rows"]
    got = {row[0]: [row[1], row[2], Decimal(str(row[3]))] for row in rows}
    expect(got == expected, f"query rows {rows} differ from the seed data's {expected}")
    expect([row[0] for row in rows] == sorted(expected), "rows are not sorted by country")

    # A calendar period and a time bucket: zoneinfo and truncation on this Django/Python.
    dsl = (
        "from library.book where published in 2024 "
        "group by published by quarter aggregate n = count()"
    )
    data = json.loads(
        manage(project, "djai", "query", dsl, "--json", "--now", NOW, "--tz", "Europe/Lisbon")
    )
    quarters: dict[str, int] = {}
    for _title, _author, _genre, published, _price, _pages in BOOKS:
        if published.startswith("2024"):
            month = int(published[5:7])
            start = f"2024-{(month - 1) // 3 * 3 + 1:02d}-01"
            quarters[start] = quarters.get(start, 0) + 1
    got_quarters = {row[0]: row[1] for row in data["result"]["rows"]}
    expect(got_quarters == quarters, f"quarters {got_quarters} differ from {quarters}")

    # A secret-looking field cannot be named.
    proc = subprocess.run(
        [sys.executable, "manage.py", "djai", "query", "from library.author select api_token"],
        cwd=project,
        capture_output=True,
        text=True,
        env=host_env(),
        check=False,
    )
    print(textwrap.indent((proc.stdout + proc.stderr).strip(), "  "))
    expect(proc.returncode != 0, "selecting a secret-looking field did not fail")
    expect("plan_invalid" in proc.stderr, "the refusal is not a plan_invalid error")


def check_explain(project: Path) -> None:
    text = manage(
        project,
        "djai",
        "explain",
        "from library.book where published in last 12 months aggregate n = count()",
        "--now",
        NOW,
    )
    expect("from library.book" in text, "explain does not print the canonical DSL")
    expect("SELECT" in text.upper(), "explain does not print SQL")


def check_ask(project: Path) -> None:
    output = manage(project, "djai", "ask", "how many books are there?", "--user", "analyst")
    expect(str(len(BOOKS)) in output, f"`djai ask` did not answer {len(BOOKS)}")


API_CHECK = """
import json

from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse

setup_test_environment()  # lets the test client's host name through ALLOWED_HOSTS
client = Client()
client.force_login(get_user_model().objects.get(username="analyst"))
created = client.post(reverse("djai:chats"), data={}, content_type="application/json")
assert created.status_code == 201, (created.status_code, created.content[:500])
response = client.post(
    reverse("djai:message", args=[created.json()["id"]]),
    data={"content": "how many books are there?", "client_context": {"timezone": "Europe/Lisbon"}},
    content_type="application/json",
)
body = response.json()
print(response.status_code, json.dumps(body, indent=1)[:1500])
assert response.status_code == 200, response.status_code
assert body["type"] == "answer", body["type"]
assert body["data"]["result"]["rows"] == [[EXPECTED]], body["data"]["result"]
print("API answered through the offline planner")
page = client.get(reverse("djai:assistant"))
assert page.status_code == 200, page.status_code
print("the admin chat page renders")
"""


def check_api(project: Path) -> None:
    manage(project, "shell", "-c", API_CHECK.replace("EXPECTED", str(len(BOOKS))))


def main() -> int:
    workdir = Path(sys.argv[1]).resolve()
    started = time.monotonic()
    try:
        step("installation")
        features = check_installation(workdir)
        step("startproject + app")
        project = create_project(workdir, features)
        step("migrate, check, seed")
        migrate_and_seed(project, features)
        step("djai manifest")
        check_manifest(project)
        step("djai query")
        check_query(project)
        step("djai explain")
        check_explain(project)
        if features["ask"]:
            step("djai ask (offline planner)")
            check_ask(project)
        if features["api"]:
            step("API with the test client (offline planner)")
            check_api(project)
    except HostCheckFailed as exc:
        print(f"\nCLEAN HOST FAILED: {exc}", file=sys.stderr)
        return 1
    skipped = [name for name, present in features.items() if not present]
    note = f" (not in this wheel, skipped: {', '.join(skipped)})" if skipped else ""
    print(f"\nclean host passed in {time.monotonic() - started:.0f}s{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
