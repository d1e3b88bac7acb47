"""Release plumbing: the version is written in one place, CHANGELOG.md has its section, and
``scripts/check_dist.py`` (run by ``make release-check`` and ``nox -s build``) catches a
wheel that lacks package data or carries repository folders. The real build is checked
by ``make clean-host`` in CI; here the inspector runs on small archives made on the spot."""

from __future__ import annotations

import importlib.util
import io
import re
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

import djai_dsl

ROOT = Path(__file__).resolve().parent.parent


def load_check_dist() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_dist", ROOT / "scripts" / "check_dist.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_dist = load_check_dist()
VERSION = djai_dsl.__version__
DIST_INFO = f"djai-{VERSION}.dist-info"


def make_wheel(path: Path, names: set[str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(names):
            archive.writestr(name, "")
        archive.writestr(
            f"{DIST_INFO}/METADATA",
            f"Metadata-Version: 2.4\nName: djai\nVersion: {VERSION}\nRequires-Dist: Django>=4.2\n",
        )
        archive.writestr(
            f"{DIST_INFO}/entry_points.txt", "[pytest11]\ndjai = djai_dsl.testing.plugin\n"
        )
        archive.writestr(f"{DIST_INFO}/licenses/LICENSE", "MIT")
    return path


def test_version_is_written_once() -> None:
    # (tomllib is Python 3.11+; the suite also runs on 3.10)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert not re.search(r"^version\s*=", pyproject, re.MULTILINE)
    assert 'dynamic = ["version"]' in pyproject
    assert '[tool.hatch.version]\npath = "djai_dsl/__init__.py"' in pyproject
    assert check_dist.source_version() == VERSION


def test_changelog_has_the_version() -> None:
    assert check_dist.check_changelog(VERSION) == []
    assert check_dist.check_changelog("99.0.0") == ["CHANGELOG.md has no '## 99.0.0' section"]


def test_complete_wheel_passes(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "djai.whl", check_dist.package_files())
    assert check_dist.check_wheel(wheel, VERSION) == []


def test_wheel_without_package_data_or_with_repository_folders_fails(tmp_path: Path) -> None:
    names = check_dist.package_files() - {"djai_dsl/grammar/djai.lark"}
    names |= {"tests/test_x.py", "demo/settings.py", "djai_dsl/__pycache__/x.cpython-312.pyc"}
    problems = check_dist.check_wheel(make_wheel(tmp_path / "djai.whl", names), VERSION)
    text = "\n".join(problems)
    assert "missing djai_dsl/grammar/djai.lark" in text
    assert "tests/ must not be in the wheel" in text
    assert "demo/ must not be in the wheel" in text
    assert "junk file djai_dsl/__pycache__" in text


def test_wheel_of_another_version_fails(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "djai.whl", check_dist.package_files())
    assert check_dist.check_wheel(wheel, "9.9.9") != []


@pytest.mark.parametrize("missing", ["tests/conftest.py", "LICENSE"])
def test_sdist_must_rebuild_and_test(tmp_path: Path, missing: str) -> None:
    sdist = tmp_path / "djai.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        for name in check_dist.REQUIRED_IN_SDIST:
            if name == missing:
                continue
            info = tarfile.TarInfo(f"djai-{VERSION}/{name}")
            archive.addfile(info, io.BytesIO(b""))
    assert check_dist.check_sdist(sdist, VERSION) == [f"djai.tar.gz: missing {missing}"]
