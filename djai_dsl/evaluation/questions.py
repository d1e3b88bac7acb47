"""Benchmark question sets: YAML files of questions with hand-written gold answers.

A set names the apps its questions are about, the clock (``now``) and time zone every
answer is computed at, and a list of questions. Each question expects one of:

- ``answer`` (the default): ``gold`` is a DSL text whose rows are the expected result, or
  ``gold_sql`` a read-only SQL query (one text, or one per backend: ``default``, ``sqlite``,
  ``postgres``, ``mariadb``, ``mysql``) with an explicit ``ordered`` flag, the ``sort_keys``
  an ordered gold sorts on and an optional ``limit`` (ties beyond it are accepted);
  ``accept`` / ``accept_sql`` list further golds for other defensible readings;
- ``clarification``: ``options`` lists the readings a clarifying question must offer, each
  as strings of which one must appear in an offered option;
- ``out_of_scope``: a refusal, and nothing may run; ``names`` lists what the refusal must
  name (strings of which one must appear in what it says);
- ``help``: a help reply (GENERAL_HELP).

``expect`` may also be a list: the first is the expectation the metrics count, and any of
them is correct (``[out_of_scope, answer]``: refuse, or answer with the gold rows).

``history`` holds earlier questions of the same chat; they are asked first and not scored.
``dataset`` names an entry of the set's ``datasets`` (dataset -> apps): the item is asked by
a user who may view exactly those apps (default: the set's ``apps``). The format is
described in ``docs/evaluation.md``.
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


#: Keys of a per-backend ``gold_sql`` mapping; ``default`` serves the backends not named.
SQL_BACKENDS = ("default", "sqlite", "postgres", "mariadb", "mysql")


@dataclass(frozen=True)
class SqlGold:
    """One SQL query, with a variant per backend where the SQL differs."""

    variants: tuple[tuple[str, str], ...]  # (backend key, SQL text)

    def for_backend(self, backend: str) -> str | None:
        texts = dict(self.variants)
        return texts.get(backend) or texts.get("default")


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
    gold_sql: tuple[SqlGold, ...] = ()  # the gold, then further accepted readings
    sort_keys: tuple[str, ...] = ()  # columns an ordered SQL gold sorts on (no tie-breakers)
    limit: int | None = None  # rows of an ordered SQL gold kept; ties beyond it accepted
    also_expect: tuple[Expect, ...] = ()  # other outcomes that are also right
    names: tuple[tuple[str, ...], ...] = ()  # what a refusal or clarification must name
    dataset: str = ""
    apps: tuple[str, ...] | None = None  # who asks: None means the set's apps
    note: str = ""

    @property
    def expectations(self) -> tuple[Expect, ...]:
        return (self.expect, *self.also_expect)


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
    datasets: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def has_sql_gold(self) -> bool:
        return any(q.gold_sql for q in self.questions)

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
    datasets = _datasets(data.get("datasets"), path)
    questions = [_question(item, i, path, datasets) for i, item in enumerate(data["questions"])]
    ids = [q.id for q in questions]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise BadRequest(f"{path}: duplicate question ids: {', '.join(duplicates)}")
    now = _now(data.get("now"), path)
    if now is None and any(q.gold_sql for q in questions):
        raise BadRequest(
            f"{path}: a set with SQL golds needs a fixed 'now' (its dates are written for it)"
        )
    return QuestionSet(
        name=str(data.get("name") or path.stem),
        path=path,
        questions=questions,
        apps=tuple(str(a) for a in data.get("apps") or ()),
        now=now,
        timezone=_zone(data.get("timezone"), path),
        description=str(data.get("description") or ""),
        datasets=datasets,
    )


def _datasets(value: Any, path: Path) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
        raise BadRequest(f"{path}: 'datasets' maps a dataset name to a list of apps")
    return {str(name): tuple(str(a) for a in apps) for name, apps in value.items()}


ITEM_KEYS = frozenset(
    {
        "id", "category", "question", "expect", "gold", "accept", "ordered", "history",
        "options", "gold_sql", "accept_sql", "sort_keys", "limit", "names", "dataset", "note",
    }
)  # fmt: skip


def _question(item: Any, index: int, path: Path, datasets: dict[str, tuple[str, ...]]) -> Question:
    where = f"{path}: question #{index + 1}"
    if not isinstance(item, dict):
        raise BadRequest(f"{where} is not a mapping")
    unknown = set(item) - ITEM_KEYS
    if unknown:
        raise BadRequest(f"{where}: unknown keys {sorted(unknown)}")
    qid = str(item.get("id") or f"q{index + 1}")
    where = f"{path}: {qid}"
    text = item.get("question")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest(f"{where}: 'question' must be a non-empty text")
    expectations = _expectations(item.get("expect", "answer"), where)
    gold = tuple(str(g) for g in [item.get("gold"), *(item.get("accept") or [])] if g)
    gold_sql = tuple(
        _sql_gold(g, where) for g in [item.get("gold_sql"), *(item.get("accept_sql") or [])] if g
    )
    if item.get("accept_sql") and not item.get("gold_sql"):
        raise BadRequest(f"{where}: 'accept_sql' needs a 'gold_sql'")
    if "answer" in expectations and not (gold or gold_sql):
        raise BadRequest(f"{where}: an answerable question needs a 'gold' DSL text or 'gold_sql'")
    if "answer" not in expectations and (gold or gold_sql):
        raise BadRequest(f"{where}: only answerable questions have a gold answer")
    options = tuple(tuple(str(s) for s in _as_list(o)) for o in item.get("options") or ())
    if expectations[0] == "clarification" and len(options) < 2:
        raise BadRequest(f"{where}: a clarification item lists at least two readings")
    ordered, sort_keys, limit = _order(item, where, sql=bool(gold_sql))
    dataset = str(item.get("dataset") or "")
    if dataset and datasets and dataset not in datasets:
        raise BadRequest(f"{where}: unknown dataset {dataset!r} (see the set's 'datasets')")
    return Question(
        id=qid,
        category=str(item.get("category") or "uncategorised"),
        question=text.strip(),
        expect=expectations[0],
        gold=gold,
        ordered=ordered,
        history=tuple(str(h) for h in item.get("history") or ()),
        options=options,
        gold_sql=gold_sql,
        sort_keys=sort_keys,
        limit=limit,
        also_expect=expectations[1:],
        names=tuple(tuple(str(s) for s in _as_list(n)) for n in item.get("names") or ()),
        dataset=dataset,
        apps=datasets.get(dataset),
        note=str(item.get("note") or ""),
    )


def _expectations(value: Any, where: str) -> tuple[Expect, ...]:
    values = tuple(_as_list(value))
    if not values or any(v not in EXPECTATIONS for v in values) or len(set(values)) < len(values):
        raise BadRequest(f"{where}: 'expect' must be one of {', '.join(EXPECTATIONS)} (or a list)")
    return values


def _sql_gold(value: Any, where: str) -> SqlGold:
    """A SQL text, or a mapping of backend -> SQL text."""
    texts = value if isinstance(value, dict) else {"default": value}
    unknown = set(texts) - set(SQL_BACKENDS)
    if unknown:
        raise BadRequest(
            f"{where}: unknown SQL backends {sorted(unknown)} (use {', '.join(SQL_BACKENDS)})"
        )
    if not texts or not all(isinstance(t, str) and t.strip() for t in texts.values()):
        raise BadRequest(f"{where}: 'gold_sql' must be a SQL text or a mapping of them")
    return SqlGold(tuple((str(k), str(t).strip()) for k, t in texts.items()))


def _order(
    item: dict[str, Any], where: str, *, sql: bool
) -> tuple[bool | None, tuple[str, ...], int | None]:
    """``ordered``, ``sort_keys`` and ``limit``. A DSL gold knows its own order; a SQL gold
    says it: whether order matters, the columns it sorts on (so that rows tied on them may
    come in any order), and how many rows the question asks for."""
    ordered = item.get("ordered")
    if ordered is not None and not isinstance(ordered, bool):
        raise BadRequest(f"{where}: 'ordered' is true or false")
    sort_keys = tuple(str(k) for k in _as_list(item.get("sort_keys") or []))
    limit = item.get("limit")
    if not sql:
        if sort_keys or limit is not None:
            raise BadRequest(f"{where}: 'sort_keys' and 'limit' belong to a 'gold_sql'")
        return ordered, (), None
    if ordered is None:
        raise BadRequest(f"{where}: a 'gold_sql' item says whether order matters ('ordered')")
    if ordered and not sort_keys:
        raise BadRequest(
            f"{where}: an ordered SQL gold names its 'sort_keys' (the columns its ORDER BY "
            "sorts on, tie-breakers left out)"
        )
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise BadRequest(f"{where}: 'limit' is a positive whole number")
    if limit is not None and not ordered:
        raise BadRequest(f"{where}: a 'limit' keeps the first rows of an ordered gold")
    return ordered, sort_keys, limit


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
