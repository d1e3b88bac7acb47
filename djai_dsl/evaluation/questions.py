"""Benchmark question sets: YAML files of questions with hand-written gold answers.

A set names the apps its questions are about, the clock (``now``) and time zone every
answer is computed at, and a list of questions. Each question expects one of:

- ``answer`` (the default): ``gold`` is a DSL text whose rows are the expected result;
  ``accept`` lists further DSL texts for other defensible readings;
- ``clarification``: ``options`` lists the readings a clarifying question must offer, each
  as strings of which one must appear in an offered option;
- ``out_of_scope``: a refusal, and nothing may run;
- ``help``: a help reply (GENERAL_HELP).

``history`` holds earlier questions of the same chat; they are asked first and not scored.
The format is described at the top of ``benchmarks/questions/demo.yaml``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from djai_dsl.errors import BadRequest

Expect = Literal["answer", "clarification", "out_of_scope", "help"]
EXPECTATIONS: tuple[Expect, ...] = ("answer", "clarification", "out_of_scope", "help")


@dataclass(frozen=True)
class Question:
    id: str
    category: str
    question: str
    expect: Expect = "answer"
    gold: tuple[str, ...] = ()  # DSL texts: the first is the gold, the others also accepted
    ordered: bool | None = None  # None: the gold's own sort decides
    history: tuple[str, ...] = ()
    options: tuple[tuple[str, ...], ...] = ()  # readings a clarification must cover


@dataclass
class QuestionSet:
    name: str
    path: Path
    questions: list[Question]
    apps: tuple[str, ...] = ()
    now: dt.datetime | None = None
    timezone: ZoneInfo | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def categories(self) -> list[str]:
        """Categories in the order they first appear in the file."""
        return list(dict.fromkeys(q.category for q in self.questions))


def load_question_set(path: str | Path) -> QuestionSet:
    """Read and check a question set; raises :class:`BadRequest` naming the bad item."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - pyyaml comes with the test extra
        raise BadRequest(
            "reading question sets needs PyYAML", hint="pip install 'djai[test]' or pyyaml"
        ) from None
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise BadRequest(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise BadRequest(f"{path}: expected a mapping with a 'questions' list")
    questions = [_question(item, i, path) for i, item in enumerate(data["questions"])]
    ids = [q.id for q in questions]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise BadRequest(f"{path}: duplicate question ids: {', '.join(duplicates)}")
    return QuestionSet(
        name=str(data.get("name") or path.stem),
        path=path,
        questions=questions,
        apps=tuple(str(a) for a in data.get("apps") or ()),
        now=_now(data.get("now"), path),
        timezone=_zone(data.get("timezone"), path),
        description=str(data.get("description") or ""),
    )


def _question(item: Any, index: int, path: Path) -> Question:
    where = f"{path}: question #{index + 1}"
    if not isinstance(item, dict):
        raise BadRequest(f"{where} is not a mapping")
    unknown = set(item) - {
        "id", "category", "question", "expect", "gold", "accept", "ordered", "history", "options"
    }  # fmt: skip
    if unknown:
        raise BadRequest(f"{where}: unknown keys {sorted(unknown)}")
    qid = str(item.get("id") or f"q{index + 1}")
    where = f"{path}: {qid}"
    text = item.get("question")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest(f"{where}: 'question' must be a non-empty text")
    expect = item.get("expect", "answer")
    if expect not in EXPECTATIONS:
        raise BadRequest(f"{where}: 'expect' must be one of {', '.join(EXPECTATIONS)}")
    gold = tuple(str(g) for g in [item.get("gold"), *(item.get("accept") or [])] if g)
    if expect == "answer" and not gold:
        raise BadRequest(f"{where}: an answerable question needs a 'gold' DSL text")
    if expect != "answer" and gold:
        raise BadRequest(f"{where}: only answerable questions have a gold answer")
    options = tuple(tuple(str(s) for s in _as_list(o)) for o in item.get("options") or ())
    if expect == "clarification" and len(options) < 2:
        raise BadRequest(f"{where}: a clarification item lists at least two readings")
    return Question(
        id=qid,
        category=str(item.get("category") or "uncategorised"),
        question=text.strip(),
        expect=expect,
        gold=gold,
        ordered=item.get("ordered"),
        history=tuple(str(h) for h in item.get("history") or ()),
        options=options,
    )


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _now(value: Any, path: Path) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise BadRequest(f"{path}: 'now' must be an ISO date-time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def _zone(value: Any, path: Path) -> ZoneInfo | None:
    if value is None:
        return None
    try:
        return ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(f"{path}: unknown time zone {value!r}") from None
