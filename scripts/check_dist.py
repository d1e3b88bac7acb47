"""Inspect the built sdist and wheel before a release: ``python scripts/check_dist.py dist/``.

The wheel must hold every file of the ``djai_dsl`` source tree (so package data such as the
grammar, migrations, templates and static files cannot be left behind by a build-config
change) and nothing else: no tests, demo, benchmarks, snapshots or caches. Its version is
the one in ``djai_dsl/__init__.py`` (the only place it is written) and CHANGELOG.md has a
section for it. The sdist must be able to rebuild and test the package.

Exits non-zero with one line per problem; ``make release-check`` and ``nox -s build`` run it.
"""

from __future__ import annotations

import re
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "djai_dsl"

#: Files the wheel must have whatever else changes (globs relative to the package).
REQUIRED_IN_WHEEL = ["grammar/djai.lark", "migrations/__init__.py", "migrations/0001_initial.py"]
#: Top-level folders that belong to the repository, never to the installed package.
NOT_IN_WHEEL = ["tests", "demo", "benchmarks", "snapshots", "docs", "scripts"]
#: What a source distribution needs to rebuild and test the package.
REQUIRED_IN_SDIST = [
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    f"{PACKAGE}/grammar/djai.lark",
    f"{PACKAGE}/__init__.py",
    "tests/conftest.py",
    "tests/settings.py",
]
#: Never shipped in any distribution.
JUNK = re.compile(
    r"(^|/)(__pycache__|\.venv|\.git|\.nox|\.coverage|\.hypothesis)(/|$)|\.pyc$|\.sqlite3$"
)
#: Data files of the demo the sdist may carry (the tests load the Chinook sample).
JUNK_ALLOWED = {"demo/chinook/data/chinook.sqlite3"}


def source_version() -> str:
    text = (ROOT / PACKAGE / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise SystemExit(f"no __version__ in {PACKAGE}/__init__.py")
    return match.group(1)


def package_files() -> set[str]:
    """Every file of the package source tree, as wheel paths."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / PACKAGE).rglob("*")
        if path.is_file() and not JUNK.search(path.relative_to(ROOT).as_posix())
    }


def check_wheel(wheel: Path, version: str) -> list[str]:
    problems: list[str] = []
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = f"djai-{version}.dist-info"
        metadata_name = f"{dist_info}/METADATA"
        if metadata_name not in names:
            return [f"{wheel.name}: no {metadata_name} (is the version {version}?)"]
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()

    for name in sorted(names):
        top = name.split("/", 1)[0]
        if top not in (PACKAGE, dist_info):
            problems.append(f"{wheel.name}: unexpected top-level entry {name}")
        if top in NOT_IN_WHEEL:
            problems.append(f"{wheel.name}: {top}/ must not be in the wheel ({name})")
        if JUNK.search(name):
            problems.append(f"{wheel.name}: junk file {name}")
    for required in REQUIRED_IN_WHEEL:
        if f"{PACKAGE}/{required}" not in names:
            problems.append(f"{wheel.name}: missing {PACKAGE}/{required}")
    for missing in sorted(package_files() - names):
        problems.append(f"{wheel.name}: {missing} is in the source tree but not in the wheel")
    for folder in ("templates", "static"):
        if (ROOT / PACKAGE / folder).is_dir() and not any(
            n.startswith(f"{PACKAGE}/{folder}/") for n in names
        ):
            problems.append(f"{wheel.name}: {PACKAGE}/{folder}/ is missing")

    if metadata["Version"] != version:
        problems.append(f"{wheel.name}: version {metadata['Version']}, source says {version}")
    requires = " ".join(metadata.get_all("Requires-Dist") or [])
    if not re.search(r"\bdjango\b", requires, re.IGNORECASE):
        problems.append(f"{wheel.name}: Django is not a requirement")
    if "djai = djai_dsl.testing.plugin" not in entry_points:
        problems.append(f"{wheel.name}: the pytest11 entry point is missing")
    if not any(n.startswith(f"{dist_info}/licenses/LICENSE") for n in names):
        problems.append(f"{wheel.name}: no LICENSE in {dist_info}/licenses/")
    return problems


def check_sdist(sdist: Path, version: str) -> list[str]:
    problems: list[str] = []
    prefix = f"djai-{version}/"
    with tarfile.open(sdist) as archive:
        names = {m.name for m in archive.getmembers() if m.isfile()}
    for name in sorted(names):
        if not name.startswith(prefix):
            problems.append(f"{sdist.name}: {name} is outside {prefix}")
            continue
        relative = name[len(prefix) :]
        if JUNK.search(relative) and relative not in JUNK_ALLOWED:
            problems.append(f"{sdist.name}: junk file {relative}")
    for required in REQUIRED_IN_SDIST:
        if prefix + required not in names:
            problems.append(f"{sdist.name}: missing {required}")
    return problems


def check_changelog(version: str) -> list[str]:
    changelog = ROOT / "CHANGELOG.md"
    if not changelog.is_file():
        return ["CHANGELOG.md is missing"]
    if not re.search(rf"^## \[?{re.escape(version)}\]?", changelog.read_text(), re.MULTILINE):
        return [f"CHANGELOG.md has no '## {version}' section"]
    return []


def main(argv: list[str]) -> int:
    dist = Path(argv[1] if len(argv) > 1 else ROOT / "dist")
    version = source_version()
    wheels = sorted(dist.glob("djai-*.whl"))
    sdists = sorted(dist.glob("djai-*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        print(f"expected one wheel and one sdist in {dist}, found {wheels + sdists}")
        return 1
    problems = check_wheel(wheels[0], version) + check_sdist(sdists[0], version)
    problems += check_changelog(version)
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"{wheels[0].name} and {sdists[0].name}: contents ok (version {version})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
