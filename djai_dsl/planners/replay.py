"""The replay planner: recorded LLM answers, served again without a model (CI, demos).

A replay file (``DJAI["REPLAY_FILE"]``, ``.json`` or ``.yaml``) holds entries keyed by the
question and the previous plan, each with the answer the model gave::

    version: 1
    entries:
      - question: orders by country last month
        previous_plan: null
        answer:
          kind: plan
          plan: |
            from shop.order
            where created_at in previous 1 month
            group by customer.country
            aggregate orders = count()
          confidence: 0.9
      - question: and by month?
        previous_plan: |
          from shop.order
          ...

``answer`` is an :class:`~djai_dsl.planners.answer.LLMAnswer` body; each plan in it is either
a QueryPlan JSON object or DSL text, so hand-written files stay readable. Questions match
ignoring case and spacing; previous plans match on their canonical DSL text.

A recorded answer goes through the same validation and conversion as a live one, against
the manifest of the user asking now: a recording cannot reach a model or field the user may
not see. With ``DJAI["LLM"]["RECORD"]`` on, the LLM planner appends its answers here
(:func:`record_answer`), replacing an older answer to the same question.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from djai_dsl.conf import get_config
from djai_dsl.errors import ConfigurationError, DjaiError, ErrorDetail, LLMBadOutput, ReplayMiss
from djai_dsl.grammar import format_plan, parse
from djai_dsl.manifest.types import Manifest
from djai_dsl.plan import QueryPlan
from djai_dsl.planners.answer import LLMAnswer, dump_answer, to_result
from djai_dsl.planners.base import PlannerContext, PlannerResult
from djai_dsl.validation import validation_context

__all__ = ["ReplayEntry", "ReplayPlanner", "ReplayStore", "question_key", "record_answer"]

FORMAT_VERSION = 1

_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def question_key(question: str) -> str:
    """Questions match ignoring case and runs of whitespace."""
    return " ".join(question.split()).casefold()


def plan_key(plan: QueryPlan | str | None) -> str | None:
    """A previous plan as canonical DSL text (or None). Text is parsed and printed again so a
    hand-written plan matches however it is spaced; text that does not parse is compared as
    written, minus surrounding whitespace."""
    if plan is None:
        return None
    if isinstance(plan, QueryPlan):
        return format_plan(plan)
    text = plan.strip()
    if not text:
        return None
    try:
        return format_plan(parse(text))
    except DjaiError:
        return text


@dataclass(frozen=True)
class ReplayEntry:
    question: str
    previous_plan: str | None  # canonical DSL
    answer: dict[str, Any]  # the LLMAnswer body, plans as JSON objects or DSL text
    retry_count: int = 0

    @property
    def key(self) -> tuple[str, str | None]:
        return question_key(self.question), self.previous_plan

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "question": self.question,
            "previous_plan": self.previous_plan,
            "answer": self.answer,
        }
        if self.retry_count:
            data["retry_count"] = self.retry_count
        return data


class ReplayStore:
    """One replay file: load (cached until the file changes), look up, record."""

    _cache: dict[Path, tuple[tuple[int, int], dict[tuple[str, str | None], ReplayEntry]]] = {}

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() not in {".json", ".yaml", ".yml"}:
            raise ConfigurationError(
                f"replay file {self.path} must end in .json, .yaml or .yml",
                hint="set DJAI['REPLAY_FILE']",
            )

    # -- reading

    def entries(self) -> dict[tuple[str, str | None], ReplayEntry]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(self.path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        entries = {e.key: e for e in self._read()}
        self._cache[self.path] = (stamp, entries)
        return entries

    def lookup(self, question: str, previous_plan: QueryPlan | None) -> ReplayEntry | None:
        return self.entries().get((question_key(question), plan_key(previous_plan)))

    def _read(self) -> list[ReplayEntry]:
        try:
            text = self.path.read_text(encoding="utf-8")
            data = self._load(text)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"replay file {self.path} cannot be read: {exc}") from None
        raw_entries = data.get("entries", []) if isinstance(data, dict) else data
        if data is None:
            raw_entries = []
        if not isinstance(raw_entries, list):
            raise ConfigurationError(f"replay file {self.path}: 'entries' must be a list")
        return [self._entry(i, raw) for i, raw in enumerate(raw_entries)]

    def _entry(self, index: int, raw: Any) -> ReplayEntry:
        where = f"replay file {self.path}, entry {index}"
        if not isinstance(raw, dict) or not isinstance(raw.get("question"), str):
            raise ConfigurationError(f"{where}: needs a 'question' text and an 'answer'")
        if not isinstance(raw.get("answer"), dict):
            raise ConfigurationError(f"{where}: 'answer' must be a mapping")
        previous = raw.get("previous_plan")
        if previous is not None and not isinstance(previous, str):
            previous = _plan_from_data(previous, where)
        return ReplayEntry(
            question=raw["question"],
            previous_plan=plan_key(previous),
            answer=raw["answer"],
            retry_count=int(raw.get("retry_count") or 0),
        )

    def _load(self, text: str) -> Any:
        if self.path.suffix.lower() == ".json":
            return json.loads(text) if text.strip() else None
        yaml = _yaml()
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(str(exc)) from None

    # -- writing

    def record(self, entry: ReplayEntry) -> None:
        """Add ``entry``, replacing one with the same key; the file is rewritten atomically
        so a reader never sees half of it."""
        with _lock_for(self.path):
            entries = dict(self.entries())
            entries[entry.key] = entry
            data = {"version": FORMAT_VERSION, "entries": [e.as_data() for e in entries.values()]}
            self._write(data)

    def _write(self, data: dict[str, Any]) -> None:
        if self.path.suffix.lower() == ".json":
            text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        else:
            text = _yaml_dump(data)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".replay-", dir=self.path.parent)
        except OSError as exc:
            raise ConfigurationError(f"replay file {self.path} cannot be written: {exc}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, self.path)
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise ConfigurationError(
                    f"replay file {self.path} cannot be written: {exc}"
                ) from None
            raise


class ReplayPlanner:
    """Serves recorded answers; see the module docstring for the file format."""

    name = "replay"

    def __init__(self, path: str | os.PathLike[str] | None = None, fallback: str | None = None):
        config = get_config()
        path = path or config["REPLAY_FILE"]
        if not path:
            raise ConfigurationError(
                "the replay planner needs a file", hint="set DJAI['REPLAY_FILE']"
            )
        self.store = ReplayStore(path)
        self.fallback = config["REPLAY_FALLBACK"] if fallback is None else fallback

    def plan(self, question: str, context: PlannerContext, manifest: Manifest) -> PlannerResult:
        entry = self.store.lookup(question, context.previous_plan)
        if entry is None:
            if self.fallback:
                from djai_dsl.planners.select import get_planner

                return get_planner(self.fallback).plan(question, context, manifest)
            raise ReplayMiss(
                f"There is no recorded answer for {question!r}"
                + (" after this previous plan." if context.previous_plan else "."),
                hint=f"record one in {self.store.path}, or set DJAI['REPLAY_FALLBACK']",
            )
        answer = load_answer(entry.answer, manifest, where=f"{self.store.path}: {entry.question!r}")
        return to_result(answer, manifest, retry_count=entry.retry_count, latency_ms=0.0)


def load_answer(data: dict[str, Any], manifest: Manifest, *, where: str = "") -> LLMAnswer:
    """A recorded answer body, validated against ``manifest`` as a live one would be. Plans
    given as DSL text are parsed first."""
    try:
        body = _plans_from_text(data, manifest)
        return LLMAnswer.model_validate({"answer": body}, context=validation_context(manifest))
    except ValidationError as exc:
        details = [
            ErrorDetail(err["msg"], path=".".join(str(p) for p in err["loc"]))
            for err in exc.errors(include_url=False)[:10]
        ]
        raise LLMBadOutput(
            "The recorded answer does not fit this user's schema.",
            hint=where,
            details=details,
        ) from None


def record_answer(
    question: str,
    previous_plan: QueryPlan | None,
    answer: LLMAnswer,
    *,
    retry_count: int = 0,
    path: str | os.PathLike[str] | None = None,
) -> None:
    """Record a live answer into ``DJAI["REPLAY_FILE"]`` (the LLM planner calls this when
    ``DJAI["LLM"]["RECORD"]`` is on). Plans are written as DSL text when it reads back to
    the identical plan, which keeps recordings reviewable."""
    target = path or get_config()["REPLAY_FILE"]
    if not target:
        raise ConfigurationError(
            "DJAI['LLM']['RECORD'] is on but there is no file to record to",
            hint="set DJAI['REPLAY_FILE']",
        )
    body = _plans_as_text(dump_answer(answer)["answer"], answer)
    entry = ReplayEntry(
        question=" ".join(question.split()),
        previous_plan=plan_key(previous_plan),
        answer=body,
        retry_count=retry_count,
    )
    ReplayStore(target).record(entry)


# --------------------------------------------------------------------------- helpers


def _plans_from_text(body: dict[str, Any], manifest: Manifest) -> dict[str, Any]:
    body = dict(body)
    if isinstance(body.get("plan"), str):
        body["plan"] = _parse_dsl(body["plan"], manifest)
    if isinstance(body.get("options"), list):
        options = []
        for option in body["options"]:
            if isinstance(option, dict) and isinstance(option.get("plan"), str):
                option = {**option, "plan": _parse_dsl(option["plan"], manifest)}
            options.append(option)
        body["options"] = options
    return body


def _parse_dsl(text: str, manifest: Manifest) -> dict[str, Any]:
    try:
        plan = parse(text, manifest=manifest)
    except DjaiError as exc:
        raise LLMBadOutput(f"A recorded plan does not parse: {exc}") from None
    return plan.model_dump(mode="json")


def _plans_as_text(body: dict[str, Any], answer: LLMAnswer) -> dict[str, Any]:
    plans = iter(answer.plans())
    if body.get("kind") == "plan":
        body["plan"] = _as_text(next(plans), body["plan"])
    elif body.get("kind") == "clarify":
        for option in body["options"]:
            if "plan" in option:
                option["plan"] = _as_text(next(plans), option["plan"])
    return body


def _as_text(plan: QueryPlan, as_json: dict[str, Any]) -> str | dict[str, Any]:
    text = format_plan(plan)
    try:
        same = parse(text) == plan
    except DjaiError:
        same = False
    return text + "\n" if same else as_json


def _plan_from_data(data: Any, where: str) -> QueryPlan:
    try:
        return QueryPlan.model_validate(data)
    except ValidationError as exc:
        raise ConfigurationError(f"{where}: 'previous_plan' is not a plan: {exc}") from None


def _lock_for(path: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(path.resolve(), threading.Lock())


def _yaml() -> Any:
    try:
        import yaml
    except ImportError:
        raise ConfigurationError(
            "YAML replay files need PyYAML", hint="pip install pyyaml, or use a .json file"
        ) from None
    return yaml


def _yaml_dump(data: dict[str, Any]) -> str:
    """YAML with multi-line texts (plans) as literal blocks, so recordings read like DSL."""
    _yaml()  # a clear error when PyYAML is missing
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: Any, value: str) -> Any:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
