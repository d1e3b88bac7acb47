"""The documentation's DSL examples are real: every ```` ```djai ```` block in docs/*.md and
the top-level Markdown files parses, validates and compiles against the demo manifest and
runs on the seeded test database.

- ```` ```djai title="<case>" ```` blocks (the examples scripts/docs_examples.py copies from
  the corpus) must also equal ``tests/cases/<case>.dsl``;
- ```` ```djai refused="<error code>" ```` blocks show what djai refuses (LIMITATIONS.md):
  they must fail with exactly that error code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from djai_dsl.compiler import compile_plan
from djai_dsl.errors import DjaiError
from djai_dsl.executor import ReadOnlyExecutor
from djai_dsl.grammar import format_plan, parse
from djai_dsl.validation import validate_plan
from tests.test_corpus import CASES_DIR, case_text

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = sorted([*ROOT.glob("*.md"), *(ROOT / "docs").glob("*.md")])
BLOCK = re.compile(r"^```djai(?P<attrs>[^\n]*)\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
ATTR = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class Example:
    document: Path
    line: int
    text: str
    title: str | None
    refused: str | None

    @property
    def id(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def examples() -> list[Example]:
    found = []
    for document in DOCUMENTS:
        source = document.read_text(encoding="utf-8")
        for match in BLOCK.finditer(source):
            attrs = dict(ATTR.findall(match.group("attrs")))
            found.append(
                Example(
                    document=document,
                    line=source.count("\n", 0, match.start()) + 1,
                    text=match.group("body").strip(),
                    title=attrs.get("title"),
                    refused=attrs.get("refused"),
                )
            )
    return found


EXAMPLES = examples()
RUNNABLE = [e for e in EXAMPLES if e.refused is None]
REFUSED = [e for e in EXAMPLES if e.refused is not None]


def test_the_reference_has_generated_examples() -> None:
    dsl_examples = [e for e in EXAMPLES if e.document.name == "dsl.md" and e.title]
    assert len(dsl_examples) >= 30, "run scripts/docs_examples.py"


@pytest.mark.parametrize("example", RUNNABLE, ids=lambda e: e.id)
def test_example_runs(example: Example, manifest, tz, now) -> None:
    plan = parse(example.text, manifest=manifest)
    compiled = compile_plan(plan, manifest, tz=tz, now=now)
    result = ReadOnlyExecutor().run(compiled, tz=tz, page_size=5)
    assert [c.key for c in result.columns] == [c.key for c in compiled.columns]
    if example.title is not None:
        case = CASES_DIR / f"{example.title}.dsl"
        assert case.is_file(), f"{example.id}: no case {case.name}; run scripts/docs_examples.py"
        assert example.text == case_text(case), (
            f"{example.id} differs from {case.name}; run scripts/docs_examples.py"
        )
        assert format_plan(plan) == example.text


@pytest.mark.parametrize("example", REFUSED, ids=lambda e: e.id)
def test_refused_example_is_refused(example: Example, manifest) -> None:
    with pytest.raises(DjaiError) as caught:
        validate_plan(parse(example.text, manifest=manifest), manifest)
    assert caught.value.code == example.refused, f"{example.id}: {caught.value}"
