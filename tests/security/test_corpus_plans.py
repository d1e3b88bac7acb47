"""The attack corpus, JSON half: hostile plans as a client or an LLM would send them.

One :class:`Case` per attack. ``code`` is the stable error code the pipeline must raise;
``None`` marks a hostile *value* that must simply be a value (it runs, and SQL text in it
is never SQL), with ``rows`` the number of rows it must return. Every case runs through
JSON -> ``QueryPlan.model_validate`` -> ``compile_plan`` (which validates against the
manifest) -> read-only run, inside a check that the database is unchanged, and no error may
name a hidden field the input did not name itself. The DSL half is ``test_corpus_dsl.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from djai_dsl.errors import DjaiError
from djai_dsl.manifest import Manifest
from tests.security.conftest import (
    JsonText,
    error_text,
    hidden_names,
    mentions,
    names_hidden_everywhere,
    run_pipeline,
)

PLAN_INVALID = "plan_invalid"
TOO_COMPLEX = "plan_too_complex"
LIMIT = "limit_exceeded"
SYNTAX = "dsl_syntax_error"
TOO_LARGE = "input_too_large"


@dataclass(frozen=True)
class Case:
    id: str
    source: Any  # DSL text (str), JSON data (dict/list/...), or JsonText
    code: str | None
    rows: int | None = None  # for harmless cases: rows the query returns
    manifest: str = "superuser"  # which manifest: "superuser" or "order_clerk"
    category: str = ""

    def __str__(self) -> str:
        return self.id


# --------------------------------------------------------------------------- plan builders


def cmp(field: str, value: Any = "x", op: str = "=") -> dict[str, Any]:
    return {"kind": "compare", "field": field, "op": op, "value": value}


def plan(source: str, **parts: Any) -> dict[str, Any]:
    return {"source": source, **parts}


def count(name: str = "n", **extra: Any) -> dict[str, Any]:
    return {"kind": "aggregate", "name": name, "func": "count", **extra}


def nested_not(depth: int) -> dict[str, Any]:
    cond = cmp("total", 1, ">")
    for _ in range(depth):
        cond = {"kind": "not", "condition": cond}
    return cond


def chained_formulas(levels: int) -> list[dict[str, Any]]:
    """``f1 = f0 + f0, f2 = f1 + f1, ...``: the inlined expression doubles at each step."""
    items: list[dict[str, Any]] = [count("f0")]
    for i in range(1, levels + 1):
        ref = {"kind": "ref", "name": f"f{i - 1}"}
        items.append(
            {
                "kind": "formula",
                "name": f"f{i}",
                "expr": {"kind": "binop", "op": "+", "left": ref, "right": ref},
            }
        )
    return items


def deep_formula(depth: int) -> dict[str, Any]:
    expr: dict[str, Any] = {"kind": "ref", "name": "n"}
    for _ in range(depth):
        expr = {"kind": "binop", "op": "+", "left": expr, "right": {"kind": "number", "value": 1}}
    return {"kind": "formula", "name": "f", "expr": expr}


# --------------------------------------------------------------------------- hidden names

#: (source model, path to a field the manifest does not show, why it is hidden)
HIDDEN_PATHS = [
    ("auth.user", "password", "secret"),
    ("shop.supportticket", "assignee.password", "secret, one hop"),
    ("shop.customer", "tickets.assignee.password", "secret, through a to-many hop"),
    ("shop.customer", "api_token", "secret"),
    ("shop.order", "customer.api_token", "secret, one hop"),
    ("shop.customer", "email", "registry-hidden"),
    ("shop.order", "customer.email", "registry-hidden, one hop"),
    ("chinook.invoice", "customer.phone", "registry-hidden, one hop"),
    ("chinook.customer", "support_rep.birth_date", "registry-hidden date"),
]


def exists_on(path: str) -> dict[str, Any]:
    """``exists(head where tail = "x")`` for a dotted path; ``exists(path)`` for one name
    (a hidden field named as if it were a relation)."""
    if "." not in path:
        return {"kind": "exists", "relation": path}
    head, tail = path.split(".", 1)
    return {"kind": "exists", "relation": head, "condition": cmp(tail)}


def hidden_positions(source: str, path: str) -> dict[str, dict[str, Any]]:
    """The same hidden path in every place a plan can name a field."""
    return {
        "where-compare": plan(source, where=cmp(path)),
        "where-in": plan(source, where={"kind": "in", "field": path, "values": ["a", "b"]}),
        "where-contains": plan(
            source, where={"kind": "text", "field": path, "op": "contains", "value": "a"}
        ),
        "where-is-null": plan(source, where={"kind": "is_null", "field": path, "negated": True}),
        "where-between": plan(
            source, where={"kind": "between", "field": path, "low": "a", "high": "b"}
        ),
        "where-window": plan(
            source,
            where={
                "kind": "time_window",
                "field": path,
                "window": {"kind": "calendar", "period": "2024"},
            },
        ),
        "where-not-or": plan(
            source,
            where={
                "kind": "not",
                "condition": {
                    "kind": "or",
                    "conditions": [cmp(path), {"kind": "is_null", "field": path}],
                },
            },
        ),
        "select": plan(source, select=[{"field": path}]),
        "select-renamed": plan(source, select=[{"name": "harmless", "field": path}]),
        "group-by": plan(source, group_by=[{"field": path}], aggregates=[count()]),
        "sort": plan(source, sort=[{"key": path, "descending": True}]),
        "count-distinct": plan(source, aggregates=[count(field=path, distinct=True)]),
        "max": plan(
            source, aggregates=[{"kind": "aggregate", "name": "m", "func": "max", "field": path}]
        ),
        "aggregate-filter": plan(source, aggregates=[count(filter=cmp(path))]),
        "exists": plan(source, where=exists_on(path)),
    }


HIDDEN_CASES = [
    Case(f"hidden[{path}]-{position}", data, PLAN_INVALID, category="hidden field")
    for source, path, _why in HIDDEN_PATHS
    for position, data in hidden_positions(source, path).items()
]

EXISTS_HIDDEN_CASES = [
    Case(f"exists-hidden-{i}", data, PLAN_INVALID, category="hidden field")
    for i, data in enumerate(
        [
            plan(
                "shop.supportticket",
                where={"kind": "exists", "relation": "assignee", "condition": cmp("password")},
            ),
            plan(
                "shop.customer",
                where={
                    "kind": "exists",
                    "relation": "tickets",
                    "condition": cmp("assignee.password"),
                },
            ),
            plan(
                "shop.order",
                where={"kind": "exists", "relation": "customer", "condition": cmp("api_token")},
            ),
            plan(
                "shop.order",
                where={
                    "kind": "exists",
                    "relation": "customer",
                    "condition": {
                        "kind": "text",
                        "field": "email",
                        "op": "ends_with",
                        "value": "@example.com",
                    },
                },
            ),
            plan(
                "chinook.employee",
                where={
                    "kind": "exists",
                    "relation": "customers",
                    "condition": {"kind": "is_null", "field": "fax"},
                },
            ),
            plan(
                "shop.customer",
                where={
                    "kind": "exists",
                    "relation": "orders",
                    "condition": {
                        "kind": "exists",
                        "relation": "customer",
                        "condition": cmp("api_token"),
                    },
                },
            ),
            plan(
                "shop.customer",
                aggregates=[
                    count(
                        filter={
                            "kind": "exists",
                            "relation": "tickets",
                            "condition": cmp("assignee.password"),
                        }
                    )
                ],
                group_by=[{"field": "country"}],
            ),
            plan(
                "shop.customer",
                group_by=[{"field": "country"}],
                aggregates=[count()],
                having=cmp("email", 1, ">"),
            ),
            plan(
                "auth.user",
                group_by=[{"field": "is_staff"}],
                aggregates=[count()],
                having=cmp("password", 1, ">"),
            ),
            plan(
                "shop.customer",
                group_by=[{"field": "country"}],
                aggregates=[count()],
                sort=[{"key": "api_token"}],
            ),
        ]
    )
]

# --------------------------------------------------------------------------- names and lookups

#: Paths that smuggle ORM syntax (double underscores, lookups, transforms), private or
#: Python attribute names, or quoting into a field name.
BAD_PATHS = [
    "customer__password",
    "customer__api_token",
    "total__gt",
    "name__regex",
    "status__in",
    "created_at__year",
    "customer__name__iregex",
    "__class__",
    "__dict__",
    "_meta",
    "pk__in",
    "customer._meta",
    "customer.__class__",
    "objects",
    "customer_id",  # the FK column: not a manifest name
    "DoesNotExist",
    "total desc",
    "-total",
    "?",
    "total; DROP TABLE shop_order",
    "total -- comment",
    "total/**/",
    "name' OR '1'='1",
    'name") OR 1=1 --',
    "customer.name\n",
    " total",
    "tot\u0430l",  # Cyrillic a
    "t\u200botal",  # zero-width space
    "\uff54otal",  # fullwidth t
    "total\x00",
    "",
    "customer..name",
    "customer.",
    ".total",
]

BAD_PATH_CASES = [
    Case(f"bad-path[{i}:{path!r}]-{position}", data, PLAN_INVALID, category="name smuggling")
    for i, path in enumerate(BAD_PATHS)
    for position, data in {
        "where": plan("shop.order", where=cmp(path, 1)),
        "select": plan("shop.order", select=[{"field": path}]),
        "sort": plan("shop.order", sort=[{"key": path}]),
    }.items()
]

#: Output names (aliases) shaped like the SQL injections of Django's alias CVEs
#: (CVE-2022-28346 annotate/aggregate kwargs, CVE-2024-42005 values() keys).
BAD_ALIASES = [
    'x" FROM auth_user; --',
    "x'; DROP TABLE shop_order; --",
    "a b",
    "a;b",
    "a--b",
    "a/*b*/",
    "a\nb",
    "a\tb",
    "__class__",
    "_private",
    "a__b",
    "n\u0430me",
    "select",
    "x" * 65,
    "1abc",
    "",
]

ALIAS_CASES = [
    Case(f"alias[{i}:{alias!r}]-{position}", data, PLAN_INVALID, category="crafted alias")
    for i, alias in enumerate(BAD_ALIASES)
    for position, data in {
        "select": plan("shop.order", select=[{"name": alias, "field": "total"}]),
        "aggregate": plan("shop.order", aggregates=[count(alias)]),
        "group-key": plan(
            "shop.order", group_by=[{"name": alias, "field": "status"}], aggregates=[count()]
        ),
    }.items()
]

# --------------------------------------------------------------------------- CVE-shaped input

CVE_CASES = [
    Case(f"cve-{name}", data, PLAN_INVALID, category="CVE-shaped")
    for name, data in {
        # Q(**{"_connector": ...}) / Q(_negated=...) smuggling (CVE-2025-64459 shape)
        "connector-in-and": plan(
            "shop.order",
            where={
                "kind": "and",
                "conditions": [cmp("total", 1, ">"), cmp("total", 2, ">")],
                "_connector": "OR) OR 1=1 --",
            },
        ),
        "connector-in-compare": plan(
            "shop.order", where={**cmp("total", 1, ">"), "_connector": "OR"}
        ),
        "negated-in-compare": plan("shop.order", where={**cmp("total", 1, ">"), "_negated": True}),
        "connector-top-level": {**plan("shop.order"), "_connector": "OR"},
        "kwargs-condition": plan("shop.order", where={"customer__password__startswith": "a"}),
        "q-kind": plan("shop.order", where={"kind": "Q", "children": [["total__gt", 1]]}),
        "lookup-key": plan("shop.order", where={**cmp("total", 1, ">"), "lookup": "regex"}),
        "op-regex": plan("shop.customer", where=cmp("name", ".*", "regex")),
        "op-sql": plan("shop.order", where=cmp("total", 1, "> 0 OR 1=1 --")),
        "op-lookup": plan("shop.order", where=cmp("total", 1, "__gt")),
        "text-op-iregex": plan(
            "shop.customer", where={"kind": "text", "field": "name", "op": "iregex", "value": "a"}
        ),
        # JSONField key transforms (CVE-2019-14234, CVE-2024-42005 shapes)
        "json-key-quote": plan("shop.order", where=cmp("total') OR 1=1 --", 1)),
        "json-key-path": plan("shop.order", select=[{"field": "data__key') OR 1=1 --"}]),
        "json-key-arrow": plan("shop.order", select=[{"field": "data->>'key'"}]),
        # Trunc/Extract kind injection (CVE-2022-34265 shape)
        "bucket-injection": plan(
            "shop.order",
            group_by=[{"field": "created_at", "bucket": "month' || pg_sleep(5) --"}],
            aggregates=[count()],
        ),
        "bucket-unknown": plan(
            "shop.order",
            group_by=[{"field": "created_at", "bucket": "fortnight"}],
            aggregates=[count()],
        ),
        "window-unit-injection": plan(
            "shop.order",
            where={
                "kind": "time_window",
                "field": "created_at",
                "window": {"kind": "relative", "anchor": "last", "count": 1, "unit": "day'; --"},
            },
        ),
        "period-injection": plan(
            "shop.order",
            where={
                "kind": "time_window",
                "field": "created_at",
                "window": {"kind": "calendar", "period": "2024'; DROP TABLE shop_order; --"},
            },
        ),
        "anchor-unknown": plan(
            "shop.order",
            where={
                "kind": "time_window",
                "field": "created_at",
                "window": {"kind": "relative", "anchor": "since", "count": 1, "unit": "day"},
            },
        ),
        # order_by injection (CVE-2021-35042 shape)
        "sort-expression": plan("shop.order", sort=[{"key": "RAND()"}]),
        "sort-extra-key": plan(
            "shop.order", sort=[{"key": "total", "descending": True, "nulls": "first; --"}]
        ),
        "aggregate-func": plan(
            "shop.order",
            aggregates=[
                {"kind": "aggregate", "name": "n", "func": "string_agg", "field": "status"}
            ],
        ),
        "aggregate-raw": plan(
            "shop.order", aggregates=[{"kind": "raw", "name": "n", "sql": "SELECT 1"}]
        ),
        "formula-op": plan(
            "shop.order",
            aggregates=[
                count(),
                {
                    "kind": "formula",
                    "name": "f",
                    "expr": {
                        "kind": "binop",
                        "op": "||",
                        "left": {"kind": "ref", "name": "n"},
                        "right": {"kind": "number", "value": 1},
                    },
                },
            ],
        ),
        "formula-negative-number": plan(
            "shop.order",
            aggregates=[
                count(),
                {"kind": "formula", "name": "f", "expr": {"kind": "number", "value": -1}},
            ],
        ),
        "extra-plan-key-raw": {**plan("shop.order"), "raw_sql": "DELETE FROM shop_order"},
        "extra-plan-key-extra": {**plan("shop.order"), "extra": {"where": ["1=1"]}},
        "source-dunder": plan("shop.order__customer"),
        "source-three-parts": plan("auth.user.password"),
        "source-sql": plan("shop.order; DROP TABLE shop_order"),
        "source-quoted": plan('"shop_order"'),
        "source-table-name": plan("shop_order"),
        "plan-is-a-list": [plan("shop.order")],
        "plan-is-a-string": JsonText('"SELECT * FROM auth_user"'),
        "plan-not-json": JsonText("from shop.order"),
        "segment-injection": plan(
            "shop.order", where={"kind": "segment", "name": "paid' OR 1=1 --"}
        ),
        "measure-injection": plan(
            "shop.order", aggregates=[{"kind": "measure", "name": "r", "measure": "revenue; --"}]
        ),
    }.items()
]

# --------------------------------------------------------------------------- models out of reach

UNREACHABLE_MODEL_CASES = [
    Case(f"model-{source}", plan(source), PLAN_INVALID, category="model out of reach")
    for source in [
        "sessions.session",
        "admin.logentry",
        "contenttypes.contenttype",
        "djai_dsl.chat",
        "djai_dsl.querylog",
        "djai_dsl.message",
        "auth.user_groups",  # an auto-created through table
        "shop.nosuchmodel",
        "session",
        "logentry",
    ]
]

CLERK_CASES = [
    Case(
        f"clerk-{name}",
        data,
        PLAN_INVALID,
        manifest="order_clerk",
        category="relation to an unseen model",
    )
    for name, data in {
        "source-customer": plan("shop.customer"),
        "source-user": plan("auth.user"),
        "where-customer-field": plan("shop.order", where=cmp("customer.country", "DE")),
        "where-customer-id": plan("shop.order", where=cmp("customer", 1)),
        "select-customer": plan("shop.order", select=[{"field": "customer.name"}]),
        "select-customer-fk": plan("shop.order", select=[{"field": "customer"}]),
        "group-customer": plan(
            "shop.order", group_by=[{"field": "customer.country"}], aggregates=[count()]
        ),
        "sort-customer": plan("shop.order", sort=[{"key": "customer.name"}]),
        "exists-items": plan("shop.order", where={"kind": "exists", "relation": "items"}),
        "exists-customer": plan(
            "shop.order",
            where={"kind": "exists", "relation": "customer", "condition": cmp("tier", "business")},
        ),
        "to-many-filter": plan("shop.order", where=cmp("items.quantity", 2, ">")),
        "to-many-sum": plan(
            "shop.order",
            aggregates=[
                {"kind": "aggregate", "name": "s", "func": "sum", "field": "items.line_total"}
            ],
        ),
        "count-distinct-customer": plan(
            "shop.order", aggregates=[count(field="customer", distinct=True)]
        ),
        "measure-using-customer": plan(
            "shop.order",
            aggregates=[{"kind": "measure", "name": "u", "measure": "unique_customers"}],
        ),
        "aggregate-filter-customer": plan(
            "shop.order", aggregates=[count(filter=cmp("customer.tier", "business"))]
        ),
        "payments-is-null": plan("shop.order", where={"kind": "is_null", "field": "payments"}),
    }.items()
]

# --------------------------------------------------------------------------- limits

LIMIT_CASES = [
    Case(f"limit-{name}", data, code, category="limits")
    for name, data, code in [
        (
            "in-501-values",
            plan("shop.order", where={"kind": "in", "field": "total", "values": list(range(501))}),
            TOO_COMPLEX,
        ),
        (
            "in-10000-values",
            plan(
                "shop.order", where={"kind": "in", "field": "total", "values": list(range(10000))}
            ),
            TOO_COMPLEX,
        ),
        (
            "in-lists-over-500-together",
            plan(
                "shop.customer",
                where={
                    "kind": "or",
                    "conditions": [
                        {"kind": "in", "field": "name", "values": [f"n{i}" for i in range(300)]},
                        {"kind": "in", "field": "city", "values": [f"c{i}" for i in range(300)]},
                    ],
                },
            ),
            TOO_COMPLEX,
        ),
        (
            "in-lists-in-exists",
            plan(
                "shop.customer",
                where={
                    "kind": "exists",
                    "relation": "orders",
                    "condition": {
                        "kind": "and",
                        "conditions": [
                            {"kind": "in", "field": "total", "values": list(range(400))},
                            {"kind": "in", "field": "total", "values": list(range(400))},
                        ],
                    },
                },
            ),
            TOO_COMPLEX,
        ),
        ("nesting-9", plan("shop.order", where=nested_not(9)), TOO_COMPLEX),
        ("nesting-60", plan("shop.order", where=nested_not(60)), TOO_COMPLEX),
        ("nesting-3000", plan("shop.order", where=nested_not(3000)), PLAN_INVALID),
        (
            "exists-nesting",
            plan(
                "shop.order",
                where={
                    "kind": "exists",
                    "relation": "customer",
                    "condition": {
                        "kind": "exists",
                        "relation": "orders",
                        "condition": {
                            "kind": "exists",
                            "relation": "customer",
                            "condition": {
                                "kind": "exists",
                                "relation": "orders",
                                "condition": {
                                    "kind": "exists",
                                    "relation": "customer",
                                    "condition": {
                                        "kind": "exists",
                                        "relation": "orders",
                                        "condition": {
                                            "kind": "exists",
                                            "relation": "customer",
                                            "condition": {
                                                "kind": "exists",
                                                "relation": "orders",
                                                "condition": {
                                                    "kind": "exists",
                                                    "relation": "customer",
                                                },
                                            },
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            ),
            TOO_COMPLEX,
        ),
        (
            "51-conditions",
            plan(
                "shop.order",
                where={"kind": "and", "conditions": [cmp("total", i, ">") for i in range(51)]},
            ),
            TOO_COMPLEX,
        ),
        (
            "21-aggregates",
            plan("shop.order", aggregates=[count(f"n{i}") for i in range(21)]),
            TOO_COMPLEX,
        ),
        (
            "7-group-keys",
            plan(
                "shop.order",
                group_by=[{"name": f"k{i}", "field": "status"} for i in range(7)],
                aggregates=[count()],
            ),
            TOO_COMPLEX,
        ),
        (
            "51-columns",
            plan("shop.order", select=[{"name": f"c{i}", "field": "total"} for i in range(51)]),
            TOO_COMPLEX,
        ),
        (
            "5-relation-hops",
            plan(
                "shop.orderitem", select=[{"field": "order.customer.orders.customer.orders.total"}]
            ),
            TOO_COMPLEX,
        ),
        (
            "formula-60-deep",
            plan("shop.order", aggregates=[count(), deep_formula(60)]),
            TOO_COMPLEX,
        ),
        ("formula-doubling", plan("shop.order", aggregates=chained_formulas(19)), TOO_COMPLEX),
        ("limit-10001", plan("shop.order", limit=10001), LIMIT),
        ("limit-2-70", plan("shop.order", limit=2**70), LIMIT),
        ("offset-2-62-plus-1", plan("shop.order", offset=2**62 + 1), LIMIT),
        ("offset-2-70", plan("shop.order", offset=2**70), LIMIT),
        ("limit-zero", plan("shop.order", limit=0), PLAN_INVALID),
        ("limit-negative", plan("shop.order", limit=-1), PLAN_INVALID),
        ("offset-negative", plan("shop.order", offset=-5), PLAN_INVALID),
        ("limit-string", plan("shop.order", limit="10; DROP TABLE shop_order"), PLAN_INVALID),
        (
            "window-10001-days",
            plan(
                "shop.order",
                where={
                    "kind": "time_window",
                    "field": "created_at",
                    "window": {"kind": "relative", "anchor": "last", "count": 10001, "unit": "day"},
                },
            ),
            PLAN_INVALID,
        ),
        (
            "window-past-year-9999",
            plan(
                "shop.order",
                where={
                    "kind": "time_window",
                    "field": "created_at",
                    "window": {
                        "kind": "relative",
                        "anchor": "next",
                        "count": 10000,
                        "unit": "year",
                    },
                },
            ),
            PLAN_INVALID,
        ),
        (
            "period-year-1",
            plan(
                "shop.order",
                where={
                    "kind": "time_window",
                    "field": "created_at",
                    "window": {"kind": "calendar", "period": "0001"},
                },
            ),
            PLAN_INVALID,
        ),
        (
            "period-year-0",
            plan(
                "shop.order",
                where={
                    "kind": "time_window",
                    "field": "created_at",
                    "window": {"kind": "calendar", "period": "0000"},
                },
            ),
            PLAN_INVALID,
        ),
    ]
]

# --------------------------------------------------------------------------- values

VALUE_CASES = [
    Case(f"value-{name}", data, code, category="values")
    for name, data, code in [
        ("nan", plan("shop.order", where=cmp("total", float("nan"), ">")), PLAN_INVALID),
        ("infinity", plan("shop.order", where=cmp("total", float("inf"), "<")), PLAN_INVALID),
        (
            "minus-infinity",
            plan(
                "shop.order",
                where={"kind": "between", "field": "total", "low": float("-inf"), "high": 1},
            ),
            PLAN_INVALID,
        ),
        (
            "nan-in-list",
            plan("shop.order", where={"kind": "in", "field": "total", "values": [1, float("nan")]}),
            PLAN_INVALID,
        ),
        (
            "json-nan",
            JsonText(
                '{"source": "shop.order", "where": {"kind": "compare", "field": "total", "op": ">", "value": NaN}}'
            ),
            PLAN_INVALID,
        ),
        (
            "json-infinity",
            JsonText(
                '{"source": "shop.order", "where": {"kind": "compare", "field": "total", "op": ">", "value": Infinity}}'
            ),
            PLAN_INVALID,
        ),
        (
            "json-1e400",
            JsonText(
                '{"source": "shop.order", "where": {"kind": "compare", "field": "total", "op": ">", "value": 1e400}}'
            ),
            PLAN_INVALID,
        ),
        (
            "formula-nan",
            plan(
                "shop.order",
                aggregates=[
                    count(),
                    {
                        "kind": "formula",
                        "name": "f",
                        "expr": {"kind": "number", "value": float("nan")},
                    },
                ],
            ),
            PLAN_INVALID,
        ),
        ("integer-2-64", plan("shop.order", where=cmp("id", 2**64)), PLAN_INVALID),
        ("integer-minus-2-70", plan("shop.order", where=cmp("id", -(2**70), ">")), PLAN_INVALID),
        (
            "integer-float-1e300",
            plan("shop.orderitem", where=cmp("quantity", 1e300, "<")),
            PLAN_INVALID,
        ),
        ("relation-id-10-30", plan("shop.order", where=cmp("customer", 10**30)), PLAN_INVALID),
        (
            "relation-id-text",
            plan("shop.order", where=cmp("customer", "1; DROP TABLE shop_order")),
            PLAN_INVALID,
        ),
        (
            "relation-id-text-in-list",
            plan("shop.order", where={"kind": "in", "field": "customer", "values": ["a", 2]}),
            PLAN_INVALID,
        ),
        (
            "relation-id-text-to-many",
            plan("shop.order", where=cmp("items.product", "x")),
            PLAN_INVALID,
        ),
        ("relation-id-float", plan("shop.order", where=cmp("customer", 1.5)), PLAN_INVALID),
        ("relation-id-bool", plan("shop.order", where=cmp("customer", True)), PLAN_INVALID),
        ("bool-for-number", plan("shop.order", where=cmp("total", True)), PLAN_INVALID),
        ("text-for-number", plan("shop.order", where=cmp("total", "1 OR 1=1", ">")), PLAN_INVALID),
        ("number-for-boolean", plan("shop.customer", where=cmp("is_active", 1)), PLAN_INVALID),
        ("list-value", plan("shop.order", where=cmp("total", [1, 2])), PLAN_INVALID),
        ("dict-value", plan("shop.order", where=cmp("total", {"$gt": 1})), PLAN_INVALID),
        ("null-value", plan("shop.order", where=cmp("total", None)), PLAN_INVALID),
        (
            "date-out-of-range",
            plan("shop.order", where=cmp("created_at", "0001-01-01")),
            PLAN_INVALID,
        ),
        (
            "datetime-before-year-1-utc",
            plan("auth.user", where=cmp("last_login", "0001-01-01T00:30:00+14:00", ">")),
            PLAN_INVALID,
        ),
        (
            "datetime-after-year-9999-utc",
            plan("auth.user", where=cmp("last_login", "9999-12-31T23:59:59-14:00", "<")),
            PLAN_INVALID,
        ),
        (
            "between-out-of-range",
            plan(
                "shop.order",
                where={
                    "kind": "between",
                    "field": "created_at",
                    "low": "0001-01-01",
                    "high": "2024-01-01",
                },
            ),
            PLAN_INVALID,
        ),
        (
            "date-not-a-date",
            plan("shop.order", where=cmp("created_at", "2024-02-30")),
            PLAN_INVALID,
        ),
        (
            "date-sql",
            plan("shop.order", where=cmp("created_at", "2024-01-01' OR '1'='1", ">")),
            PLAN_INVALID,
        ),
        ("choice-sql", plan("shop.order", where=cmp("status", "paid' OR '1'='1")), PLAN_INVALID),
        ("nul-in-text", plan("shop.customer", where=cmp("name", "a\x00b")), PLAN_INVALID),
        (
            "nul-in-contains",
            plan(
                "shop.customer",
                where={"kind": "text", "field": "name", "op": "contains", "value": "\x00"},
            ),
            PLAN_INVALID,
        ),
        ("lone-surrogate", plan("shop.customer", where=cmp("name", "\ud800")), PLAN_INVALID),
        (
            "lone-surrogate-in-list",
            plan(
                "shop.customer",
                where={"kind": "in", "field": "city", "values": ["Berlin", "\udfff"]},
            ),
            PLAN_INVALID,
        ),
        (
            "lone-surrogate-json-escape",
            JsonText(
                '{"source": "shop.customer", "where": {"kind": "text", "field": "name", "op": "contains", "value": "\\ud800"}}'
            ),
            PLAN_INVALID,
        ),
        ("text-1001-chars", plan("shop.customer", where=cmp("name", "x" * 1001)), PLAN_INVALID),
        (
            "empty-contains",
            plan(
                "shop.customer",
                where={"kind": "text", "field": "name", "op": "contains", "value": ""},
            ),
            PLAN_INVALID,
        ),
        (
            "empty-in-list",
            plan("shop.order", where={"kind": "in", "field": "total", "values": []}),
            PLAN_INVALID,
        ),
    ]
]

# --------------------------------------------------------------------------- harmless values

# Text that would be SQL if it were ever spliced into a statement. As values they match
# nothing (no customer has such a name), and ``%``/``_`` are literal characters in a
# contains test, not wildcards.
SQL_LOOKING_VALUES = [
    "' OR '1'='1",
    '" OR "1"="1',
    "x'; DROP TABLE shop_customer; --",
    "Robert'); DROP TABLE shop_order;--",
    "x' UNION SELECT password FROM auth_user --",
    "1; COMMIT; DELETE FROM shop_order",
    "-- comment",
    "/* comment */",
    "*/ OR 1=1 /*",
    "\\'; SELECT 1; --",
    "%",
    "_",
    "%%",
    "\\",
    "${jndi:ldap://x}",
    "{{ 7*7 }}",
    "x\r\nDELETE FROM shop_order",
    "\u202e; DROP TABLE shop_order",
    "\U0001f600",
    "\u00fcn\u00efc\u00f8d\u00e9 \u0131 \u0130 \u00df",
    "x" * 1000,
]

HARMLESS_CASES = [
    Case(f"harmless[{i}]-{position}", data, None, rows=0, category="SQL-looking values")
    for i, value in enumerate(SQL_LOOKING_VALUES)
    for position, data in {
        "equals": plan("shop.customer", where=cmp("name", value)),
        "contains": plan(
            "shop.customer",
            where={"kind": "text", "field": "name", "op": "contains", "value": value},
        ),
    }.items()
] + [
    Case(
        "harmless-huge-decimal",
        plan("shop.order", where=cmp("total", 10**40, ">")),
        None,
        rows=0,
        category="values",
    ),
    Case(
        "harmless-tiny-float",
        plan("shop.order", where=cmp("total", -1e308, "<")),
        None,
        rows=0,
        category="values",
    ),
    Case("harmless-offset-2-62", plan("shop.order", offset=2**62), None, rows=0, category="limits"),
    Case(
        "harmless-in-500-values",
        plan(
            "shop.customer",
            where={"kind": "in", "field": "name", "values": [f"nobody {i}" for i in range(500)]},
        ),
        None,
        rows=0,
        category="limits",
    ),
    Case(
        "harmless-having-huge",
        plan(
            "shop.order",
            group_by=[{"field": "status"}],
            aggregates=[count()],
            having=cmp("n", 10**30, ">"),
        ),
        None,
        rows=0,
        category="values",
    ),
    Case(
        "harmless-relation-id-negative",
        plan("shop.order", where=cmp("customer", -1)),
        None,
        rows=0,
        category="values",
    ),
    Case(
        "harmless-formula-50-deep",
        plan("shop.order", aggregates=[count(), deep_formula(49)]),
        None,
        rows=1,
        category="limits",
    ),
]

JSON_CASES = (
    HIDDEN_CASES
    + EXISTS_HIDDEN_CASES
    + BAD_PATH_CASES
    + ALIAS_CASES
    + CVE_CASES
    + UNREACHABLE_MODEL_CASES
    + CLERK_CASES
    + LIMIT_CASES
    + VALUE_CASES
)

HARMLESS_JSON_CASES = HARMLESS_CASES


# --------------------------------------------------------------------------- the tests


def input_text(source: Any) -> str:
    """Every key and text of the input, joined; iterative, since some inputs nest
    thousands of levels deep."""
    if isinstance(source, str):
        return source
    parts: list[str] = []
    stack = [source]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            parts.extend(str(key) for key in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            parts.append(str(item))
    return "\n".join(parts)


def assert_names_nothing_hidden(error: DjaiError, source: Any, manifest: Manifest) -> None:
    """The error may repeat what the input said, but never a hidden name it did not say."""
    text, said = error_text(error), input_text(source)
    hidden = names_hidden_everywhere(manifest)
    for label in manifest.models:
        if mentions(said, label) or mentions(said, label.split(".")[1]):
            hidden |= hidden_names(manifest)[label] - set(manifest.models[label].names())
    leaked = sorted(name for name in hidden if mentions(text, name) and not mentions(said, name))
    assert not leaked, f"the error names hidden fields {leaked}: {text}"


def check_case(case: Case, manifest: Manifest, database_unchanged: Any) -> None:
    with database_unchanged():
        if case.code is None:
            result = run_pipeline(case.source, manifest)
            if case.rows is not None:
                assert result.row_count == case.rows
            return
        with pytest.raises(DjaiError) as info:
            run_pipeline(case.source, manifest)
    error = info.value
    assert error.code == case.code, f"expected {case.code}, got {error.code}: {error}"
    assert error.http_status < 500
    assert_names_nothing_hidden(error, case.source, manifest)


@pytest.fixture
def case_manifest(request: pytest.FixtureRequest) -> Any:
    def get(case: Case) -> Manifest:
        return request.getfixturevalue(f"{case.manifest}_manifest")

    return get


@pytest.mark.parametrize("case", JSON_CASES, ids=str)
def test_hostile_plan_is_refused(case: Case, case_manifest: Any, database_unchanged: Any) -> None:
    check_case(case, case_manifest(case), database_unchanged)


@pytest.mark.parametrize("case", HARMLESS_JSON_CASES, ids=str)
def test_hostile_value_is_only_a_value(
    case: Case, case_manifest: Any, database_unchanged: Any
) -> None:
    check_case(case, case_manifest(case), database_unchanged)


def test_the_corpus_is_big_enough() -> None:
    assert len({case.id for case in JSON_CASES + HARMLESS_JSON_CASES}) == len(
        JSON_CASES + HARMLESS_JSON_CASES
    )
    assert len(JSON_CASES) >= 150
