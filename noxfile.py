"""Packaging checks that need fresh environments: ``nox`` runs them, ``.ci/run`` calls
``make clean-host``.

- ``build``: the sdist and the wheel (the wheel is built *from* the sdist, so a file missing
  from the sdist breaks it), ``twine check``, and ``scripts/check_dist.py`` on both.
- ``clean_host``: for the oldest and the newest supported Django, a new virtualenv on the
  matching Python, the built wheel installed with that Django and nothing from this
  checkout, then ``scripts/clean_host.py`` creates a project with ``django-admin
  startproject`` and uses djai the way a host project would.
- ``tests``: djai's own suite against one Django version (the GitHub workflow's matrix runs
  the same thing without nox).

Interpreters: pyenv's when it has the version (this machine's pyenv shims only answer for
the global version, so nox could not find ``python3.10`` through them), else ``X.Y``, which
nox finds on PATH (GitHub's setup-python).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
DIST = ROOT / "dist"

nox.options.sessions = ["build", "clean_host"]
nox.options.error_on_missing_interpreters = True
# Never fetch an interpreter from the network: the sessions say which ones they need.
nox.options.download_python = "never"


def interpreter(version: str) -> str:
    """The path of pyenv's newest ``version`` interpreter, or ``version`` for nox to find."""
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = sorted(
        versions.glob(f"{version}.*/bin/python"),
        key=lambda p: [int(part) for part in p.parent.parent.name.split(".") if part.isdigit()],
    )
    return str(candidates[-1]) if candidates else version


#: (Python, Django requirement, id): the ends of the supported range.
HOSTS = [
    ("3.10", "Django>=4.2,<4.3", "django-4.2"),
    ("3.12", "Django>=6,<7", "django-6"),
]


@nox.session
def build(session: nox.Session) -> None:
    """Build the sdist and the wheel into dist/ and check them."""
    session.install("build", "twine")
    shutil.rmtree(DIST, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", str(DIST), str(ROOT))
    session.run("twine", "check", "--strict", *map(str, sorted(DIST.iterdir())))
    session.run("python", str(ROOT / "scripts" / "check_dist.py"), str(DIST))


@nox.session(requires=["build"])
@nox.parametrize(
    ("python", "django"),
    [nox.param(interpreter(py), django, id=name) for py, django, name in HOSTS],
)
def clean_host(session: nox.Session, django: str) -> None:
    """Install the built wheel with ``django`` into a fresh virtualenv and use it from a
    project made by ``django-admin startproject``."""
    wheels = sorted(DIST.glob("djai-*.whl"))
    if len(wheels) != 1:
        session.error(f"expected one wheel in {DIST}, found {[w.name for w in wheels]}")
    session.install(str(wheels[0]), django)
    workdir = Path(session.create_tmp()).resolve() / "clean-host"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    # Run from the temporary folder so that nothing of this checkout is importable.
    with session.chdir(workdir):
        session.run("python", str(ROOT / "scripts" / "clean_host.py"), str(workdir))


@nox.session
@nox.parametrize(
    ("python", "django"),
    [nox.param(interpreter(py), django, id=name) for py, django, name in HOSTS],
)
def tests(session: nox.Session, django: str) -> None:
    """djai's own test suite (SQLite) against ``django``. The corpus' SQL snapshots are
    recorded with Django 5.2 and other versions print the same queries differently, so
    that comparison is left out (``.github/workflows/ci.yml`` does the same)."""
    session.install("-e", f"{ROOT}[test]", django)
    session.run("pytest", "-q", "--deselect", "tests/test_corpus.py::test_case[", *session.posargs)
