"""Is a result the gold answer? Execution accuracy with the usual allowances.

A predicted table matches the gold when each gold column can be paired with its own
predicted column (names are ignored: ``n`` and ``customers`` are the same count) so that
the rows agree:

- **extra columns** in the prediction are allowed (a listing that shows every field still
  answers "list the customers' names"); missing gold columns are not;
- **row order** matters only when the gold is ordered (the question sorts or asks for a
  top-N); rows that tie on the gold's sort columns may come in any order;
- **ties at a limit**: when the gold's last rows tie with rows cut off by its limit
  (``tied_beyond_limit``), the prediction may show any of the tied rows there;
- **numbers** compare with a relative and an absolute tolerance, and numeric text
  (decimals arrive as strings) compares as a number; ``True`` is not ``1``;
- **time buckets**: a date-time at midnight compares as its date, so a month bucket
  (``2026-05-01T00:00:00+00:00`` from a plan) equals the date a SQL gold writes for it
  (``2026-05-01``).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

NUMERIC_TEXT = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")
MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
#: Beyond this many column pairings the search keeps only type-compatible candidates.
MAX_PAIRINGS = 20_000
#: Multisets up to this size fall back to pairwise matching when sorted matching fails
#: (values within tolerance may sort differently).
PAIRWISE_LIMIT = 400


@dataclass(frozen=True)
class Tolerance:
    """Numbers within either bound are equal. Half a cent absolute covers averages rounded
    differently; the relative bound is small so that a sum of millions still has to be
    right to the cent."""

    relative: float = 1e-9
    absolute: float = 0.005


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Any]]


@dataclass
class GoldAnswer:
    table: Table
    ordered: bool = False
    # Indexes of the gold columns that define the order; rows equal on them are a tie.
    sort_columns: list[int] = field(default_factory=list)
    # Rows after the gold's limit that tie with its last row on the sort columns.
    tied_beyond_limit: list[list[Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Comparison:
    ok: bool
    reason: str = ""


def compare(gold: GoldAnswer, predicted: Table, tolerance: Tolerance | None = None) -> Comparison:
    """Whether ``predicted`` answers like ``gold`` (see the module docstring)."""
    tol = tolerance or Tolerance()
    gold_rows = [[_norm(v) for v in row] for row in gold.table.rows]
    pred_rows = [[_norm(v) for v in row] for row in predicted.rows]
    ties = [[_norm(v) for v in row] for row in gold.tied_beyond_limit]
    if len(gold_rows) != len(pred_rows):
        return Comparison(False, f"{len(pred_rows)} rows instead of {len(gold_rows)}")
    if not gold_rows:
        return Comparison(True)
    n_gold, n_pred = len(gold.table.columns), len(predicted.columns)
    if n_pred < n_gold:
        return Comparison(False, f"{n_pred} columns, the answer needs {n_gold}")

    candidates = _candidates(gold_rows, pred_rows, n_gold, n_pred, tol, exact=not ties)
    for j, cands in enumerate(candidates):
        if not cands:
            return Comparison(False, f"no column holds the values of {gold.table.columns[j]!r}")
    for pairing in _pairings(candidates):
        projected = [[row[k] for k in pairing] for row in pred_rows]
        if gold.ordered:
            if _ordered_match(gold_rows, projected, gold.sort_columns, ties, tol):
                return Comparison(True)
        elif _same_multiset(gold_rows, projected, tol):
            return Comparison(True)
    if gold.ordered:
        return Comparison(False, "rows differ or come in a different order")
    return Comparison(False, "rows differ")


# --------------------------------------------------------------------------- values


def _norm(value: Any) -> Any:
    """Numbers (and numeric text) as float, booleans tagged so True != 1, midnight as its
    date, the rest as is."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else str(value)
    if isinstance(value, str) and NUMERIC_TEXT.match(value):
        try:
            return float(Decimal(value))
        except (InvalidOperation, OverflowError):  # pragma: no cover - the regex vets it
            return value
    if isinstance(value, str) and (midnight := MIDNIGHT.match(value)):
        return midnight.group(1)
    if isinstance(value, list):
        return tuple(_norm(v) for v in value)
    return value


def _equal(a: Any, b: Any, tol: Tolerance) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=tol.relative, abs_tol=tol.absolute)
    return type(a) is type(b) and a == b


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, float):
        # Rounded so that values within tolerance usually land next to each other.
        return (1, float(f"{value:.6g}"))
    return (2, repr(value))


def _row_key(row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(_sort_key(v) for v in row)


def _rows_equal(a: Sequence[Any], b: Sequence[Any], tol: Tolerance) -> bool:
    return len(a) == len(b) and all(_equal(x, y, tol) for x, y in zip(a, b, strict=True))


def _same_multiset(gold: list[list[Any]], pred: list[list[Any]], tol: Tolerance) -> bool:
    if len(gold) != len(pred):
        return False
    g = sorted(gold, key=_row_key)
    p = sorted(pred, key=_row_key)
    if all(_rows_equal(a, b, tol) for a, b in zip(g, p, strict=True)):
        return True
    if len(gold) > PAIRWISE_LIMIT:
        return False
    return _sub_multiset(pred, gold, tol)


def _sub_multiset(part: list[list[Any]], pool: list[list[Any]], tol: Tolerance) -> bool:
    """Every row of ``part`` can be taken from ``pool`` (each pool row used once)."""
    left = list(pool)
    for row in part:
        for i, candidate in enumerate(left):
            if _rows_equal(row, candidate, tol):
                del left[i]
                break
        else:
            return False
    return True


# --------------------------------------------------------------------------- columns


def _column_values(rows: list[list[Any]], index: int) -> list[list[Any]]:
    return [[row[index]] for row in rows]


def _candidates(
    gold: list[list[Any]],
    pred: list[list[Any]],
    n_gold: int,
    n_pred: int,
    tol: Tolerance,
    *,
    exact: bool,
) -> list[list[int]]:
    """For each gold column, the predicted columns that may stand for it. Without ties
    at a limit the column's values must be the same multiset; with ties only the rows
    before the last tie run are certain, so a looser type check is used."""
    out = []
    for j in range(n_gold):
        gold_col = _column_values(gold, j)
        if exact:
            cands = [
                k for k in range(n_pred) if _same_multiset(gold_col, _column_values(pred, k), tol)
            ]
        else:
            kind = _kind(gold_col)
            cands = [k for k in range(n_pred) if _kind(_column_values(pred, k)) in (kind, None)]
        out.append(cands)
    return out


def _kind(column: list[list[Any]]) -> str | None:
    for (value,) in column:
        if value is not None:
            return "number" if isinstance(value, float) else type(value).__name__
    return None


def _pairings(candidates: list[list[int]]) -> itertools.chain[tuple[int, ...]]:
    """Injective choices of one predicted column per gold column, most likely first
    (a column's own position is tried before the others)."""
    total = math.prod(len(c) for c in candidates)
    if total > MAX_PAIRINGS:  # keep the search bounded: the first few candidates each
        candidates = [c[:4] for c in candidates]
    product = itertools.product(*candidates)
    return itertools.chain(p for p in product if len(set(p)) == len(p))


# --------------------------------------------------------------------------- order


def _ordered_match(
    gold: list[list[Any]],
    pred: list[list[Any]],
    sort_columns: list[int],
    ties: list[list[Any]],
    tol: Tolerance,
) -> bool:
    """Rows in gold order, where runs of rows equal on the sort columns may be permuted and
    the last run may be filled from rows that tie with it beyond the limit."""
    runs = _runs(gold, sort_columns, tol)
    start = 0
    for i, run in enumerate(runs):
        chunk = pred[start : start + len(run)]
        start += len(run)
        last = i == len(runs) - 1
        if last and ties:
            if not _sub_multiset(chunk, run + ties, tol):
                return False
        elif not _same_multiset(run, chunk, tol):
            return False
    return True


def _runs(rows: list[list[Any]], sort_columns: list[int], tol: Tolerance) -> list[list[list[Any]]]:
    if not sort_columns:
        return [[row] for row in rows]
    runs: list[list[list[Any]]] = []
    for row in rows:
        key = [row[i] for i in sort_columns]
        if runs and _rows_equal([runs[-1][0][i] for i in sort_columns], key, tol):
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs
