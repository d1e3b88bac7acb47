"""The import direction of ARCHITECTURE.md, enforced.

Two checks. The cycle check reads every ``import`` in ``djai_dsl`` with :mod:`ast`, lazy
imports inside functions included (a lazy import hides a cycle, it does not remove it), and
counts ``from package import name`` as an import of the package's ``__init__`` too, since
that is what Python runs. The layer check is import-linter's layers contract from
``pyproject.toml`` ([tool.importlinter]): each stage imports only the stages below it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "djai_dsl"


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Module -> modules of the same package it imports (``if TYPE_CHECKING:`` excluded)."""
    pkg = package_dir.name
    modules: dict[str, Path] = {}
    for path in package_dir.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path

    def resolve(current: str, is_package: bool, level: int, module: str | None) -> str:
        base = current.split(".") if is_package else current.split(".")[:-1]
        if level > 1:
            base = base[: len(base) - (level - 1)]
        return ".".join([*base, *([module] if module else [])])

    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        skipped = {
            id(inner)
            for node in ast.walk(tree)
            if _is_type_checking_block(node)
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = (
                    resolve(name, path.name == "__init__.py", node.level, node.module)
                    if node.level
                    else node.module or ""
                )
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target not in (name, pkg) and target.split(".")[0] == pkg:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected sets of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph) + 100))
    try:
        for module in sorted(graph):
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    return found


def test_djai_dsl_has_no_import_cycle() -> None:
    found = cycles(import_graph(PACKAGE))
    assert found == [], "import cycles in djai_dsl:\n" + "\n".join(", ".join(c) for c in found)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {
                "pkg/__init__.py": "",
                "pkg/a.py": "from pkg import b\n",
                "pkg/b.py": "import pkg.a\n",
            },
            [["pkg.a", "pkg.b"]],
            id="top-level",
        ),
        pytest.param(
            {
                "pkg/__init__.py": "",
                "pkg/a.py": "def f():\n    from pkg.b import g\n",
                "pkg/b.py": "from .a import f\n",
            },
            [["pkg.a", "pkg.b"]],
            id="lazy-and-relative",
        ),
        pytest.param(
            {
                "pkg/__init__.py": "from pkg.sub.a import x\n",
                "pkg/sub/__init__.py": "from pkg.sub.a import x\n",
                "pkg/sub/a.py": "from pkg.sub import helpers\n",
                "pkg/sub/helpers.py": "",
            },
            [["pkg.sub", "pkg.sub.a"]],
            id="through-the-package-init",
        ),
        pytest.param(
            {
                "pkg/__init__.py": "",
                "pkg/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n",
                "pkg/b.py": "from pkg.a import A\n",
            },
            [],
            id="type-checking-only",
        ),
    ],
)
def test_the_cycle_check_finds_cycles(tmp_path: Path, files, expected) -> None:
    assert cycles(import_graph(_write(tmp_path, files))) == expected


def test_the_layer_contract_holds(capsys) -> None:
    status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    assert status == 0, capsys.readouterr().out


def test_the_layer_check_catches_an_upward_import(tmp_path: Path, capsys) -> None:
    """The same tool with the grammar put below the plan must fail (the parser builds
    plans), so a passing run above means something."""
    config = tmp_path / "upside_down.toml"
    config.write_text(
        "[tool.importlinter]\n"
        'root_package = "djai_dsl"\n'
        "exclude_type_checking_imports = true\n"
        "[[tool.importlinter.contracts]]\n"
        'name = "upside down"\n'
        'type = "layers"\n'
        'layers = ["djai_dsl.plan", "djai_dsl.grammar"]\n'
    )
    assert lint_imports(config_filename=str(config), no_cache=True, no_logo=True) != 0
    assert "djai_dsl.grammar" in capsys.readouterr().out
