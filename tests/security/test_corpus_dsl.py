"""The attack corpus, DSL half: hostile query text as an analyst (or a model) could type it.

Same contract as ``test_corpus_plans.py``: each case ends in its typed error, or runs with
its hostile text as a plain value; the database checksum is unchanged either way, and no
error names a hidden field the text did not name. Text reaches the database only as
parameters: SQL comments, quotes and semicolons inside DSL strings are values.
"""

from __future__ import annotations

from typing import Any

import pytest

from djai_dsl.errors import DjaiError, DslSyntaxError, InputTooLarge
from djai_dsl.grammar import parse
from tests.security.test_corpus_plans import (
    LIMIT,
    PLAN_INVALID,
    SQL_LOOKING_VALUES,
    SYNTAX,
    TOO_COMPLEX,
    TOO_LARGE,
    Case,
    check_case,
)


def dsl_string(value: str) -> str:
    """``value`` as a DSL text literal (JSON string syntax, which the grammar reads)."""
    import json

    return json.dumps(value, ensure_ascii=False)


HIDDEN_TEXT = {
    "password-where": 'from auth.user where password = "x"',
    "password-starts-with": 'from auth.user where password starts with "pbkdf2"',
    "password-select": "from auth.user select password",
    "password-select-alias": "from auth.user select harmless = password",
    "password-sort": "from auth.user sort password desc",
    "password-group": "from auth.user group by password aggregate n = count()",
    "password-count-distinct": "from auth.user aggregate n = count(distinct password)",
    "password-filter": 'from auth.user aggregate n = count() filter (where password contains "a")',
    "assignee-password": "from shop.supportticket where assignee.password is not null",
    "assignee-password-exists": 'from shop.customer where exists(tickets where assignee.password = "x")',
    "assignee-password-min": "from shop.supportticket aggregate m = min(assignee.password)",
    "api-token-where": 'from shop.customer where api_token starts with "tok_"',
    "api-token-between": 'from shop.customer where api_token between "a" and "u"',
    "api-token-one-hop": 'from shop.order where customer.api_token in ("a", "b")',
    "api-token-sort": "from shop.order sort customer.api_token",
    "api-token-quoted": 'from shop.customer where `api_token` = "x"',
    "email-where": 'from shop.customer where email ends with "@example.com"',
    "email-group": "from shop.order group by customer.email aggregate n = count()",
    "email-exists": 'from shop.order where exists(customer where email contains "@")',
    "chinook-phone": "from chinook.customer where phone is null",
    "chinook-address-one-hop": "from chinook.invoice select customer.address",
    "chinook-birth-date-window": "from chinook.employee where birth_date in 1970",
    "chinook-birth-date-bucket": "from chinook.employee group by birth_date by year aggregate n = count()",
    "having-hidden-name": "from auth.user group by is_staff aggregate n = count() having password > 1",
    "sort-hidden-grouped": "from shop.customer group by country aggregate n = count() sort email",
}

SMUGGLING_TEXT = {
    # ORM lookups and dunders in paths: the lexer reads them as a path, the plan refuses
    "dunder-path": 'from shop.order where customer__password = "x"',
    "lookup-gt": "from shop.order where total__gt = 1",
    "lookup-regex": 'from shop.customer where name__regex = ".*"',
    "lookup-in-select": "from shop.order select customer__email",
    "lookup-in-sort": "from shop.order sort total__abs",
    "dunder-in-backticks": 'from shop.order where `customer__api_token` = "x"',
    "dunder-source": "from shop.order__customer",
    "fk-column": "from shop.order select customer_id",
    "objects": "from shop.order select objects",
    "alias-dunder": "from shop.order select a__b = total",
    "alias-keyword": "from shop.order aggregate select = count()",
    "alias-65-chars": f"from shop.order aggregate {'n' * 65} = count()",
}

SYNTAX_TEXT = {
    "private-name": "from shop.order select _meta",
    "class-attribute": "from shop.order select total.__class__",
    "semicolon-statement": "from shop.order; DROP TABLE shop_order",
    "semicolon-in-where": "from shop.order where total > 1; DELETE FROM shop_order",
    "sql-line-comment": "from shop.order -- where total > 1",
    "sql-block-comment": "from shop.order /* comment */ where total > 1",
    "single-quotes": "from shop.order where status = 'paid'",
    "sql-injection-quote": 'from shop.customer where name = "x" OR 1=1 --"',
    "union": "from shop.order where total > 1 union select password from auth.user",
    "subselect": "from shop.order where total > (select 1)",
    "star": "from shop.order select *",
    "count-star": "from shop.order aggregate n = count(*)",
    "function-call": "from shop.order select lower(status)",
    "raw-keyword": 'from shop.order where raw("1=1")',
    "backtick-injection": "from shop.order where `total` or 1=1 = 1",
    "dollar-quote": "from shop.order where status = $$paid$$",
    "cyrillic-a-in-field": 'from shop.order where st\u0430tus = "paid"',
    "cyrillic-o-in-model": "from shop.\u043erder",
    "greek-omicron": "from sh\u03bfp.order",
    "fullwidth-letter": "from shop.order select \uff54otal",
    "zero-width-space": "from shop.order where\u200b total > 1",
    "zero-width-joiner-in-name": "from shop.order select to\u200dtal",
    "rtl-override": 'from shop.order where status = "paid"\u202e',
    "no-break-space": "from\u00a0shop.order",
    "ideographic-space": "from\u3000shop.order",
    "nul-byte": "from shop.order\x00 where total > 1",
    "nul-in-string": 'from shop.customer where name = "a\x00b"',
    "control-character-in-string": 'from shop.customer where name = "a\x07b"',
    "newline-in-string": 'from shop.customer where name = "a\nb"',
    "unterminated-string": 'from shop.customer where name = "abc',
    "bad-escape": 'from shop.customer where name = "\\x41"',
    "hash-is-a-comment": "from shop.order where # total > 1",
    "only-a-comment": "# from shop.order",
    "empty": "",
    "whitespace": " \n\t ",
    "bucket-injection": "from shop.order group by created_at by month' aggregate n = count()",
    "window-unit-unknown": "from shop.order where created_at in last 3 fortnights",
    "two-from": "from shop.order from auth.user",
    "clause-order": "from shop.order limit 5 where total > 1",
    "limit-negative": "from shop.order limit -1",
    "limit-expression": "from shop.order limit 1+1",
    "number-with-sql": "from shop.order where total > 1e5; --",
    "emoji-name": "from shop.order select \U0001f600",
}

INVALID_VALUE_TEXT = {
    "escaped-nul": 'from shop.customer where name = "\\u0000"',
    "escaped-lone-surrogate": 'from shop.customer where name = "\\ud800"',
    "escaped-lone-low-surrogate": 'from shop.customer where name contains "\\udc00"',
    "number-overflows-float": "from shop.order where total > 1e400",
    "number-101-digits": f"from shop.order where total > {'9' * 101}",
    "integer-2-64": f"from shop.order where id = {2**64}",
    "relation-id-text": 'from shop.order where customer = "1 OR 1=1"',
    "date-before-year-1-in-utc": "from shop.order where created_at = 0001-01-01",
    "datetime-after-year-9999-in-utc": "from auth.user where last_login > 9999-12-31T23:59:59-14:00",
    "period-year-1": "from shop.order where created_at in 0001",
    "impossible-date": "from shop.order where created_at > 2024-02-30",
    "choice-with-sql": "from shop.order where status = \"paid' OR '1'='1\"",
    "text-1001-chars": f'from shop.customer where name = "{"x" * 1001}"',
    "window-10001": "from shop.order where created_at in last 10001 days",
    "this-2-months": "from shop.order where created_at in this 2 months",
    "keyword-as-alias": "from shop.order select where = total",
}


def deep(text: str, depth: int) -> str:
    return "(" * depth + text + ")" * depth


LIMIT_TEXT = [
    ("nesting-51-parentheses", f"from shop.order where {deep('total > 1', 51)}", TOO_COMPLEX),
    ("nesting-9-nots", "from shop.order where " + "not " * 9 + "total > 1", TOO_COMPLEX),
    ("nesting-500-nots", "from shop.order where " + "not " * 500 + "total > 1", TOO_COMPLEX),
    ("nesting-formula", "from shop.order aggregate n = count(), f = " + deep("n", 60), TOO_COMPLEX),
    (
        "51-conditions",
        "from shop.order where " + " and ".join(f"total > {i}" for i in range(51)),
        TOO_COMPLEX,
    ),
    (
        "in-501",
        "from shop.order where total in (" + ", ".join(str(i) for i in range(501)) + ")",
        TOO_COMPLEX,
    ),
    (
        "in-2-lists-of-300",
        "from shop.customer where name in ("
        + ", ".join(f'"n{i}"' for i in range(300))
        + ") or city in ("
        + ", ".join(f'"c{i}"' for i in range(300))
        + ")",
        TOO_COMPLEX,
    ),
    (
        "relation-hops",
        "from shop.orderitem select order.customer.orders.customer.orders.total",
        TOO_COMPLEX,
    ),
    (
        "21-aggregates",
        "from shop.order aggregate " + ", ".join(f"n{i} = count()" for i in range(21)),
        TOO_COMPLEX,
    ),
    (
        "7-group-keys",
        "from shop.order group by "
        + ", ".join(f"k{i} = status" for i in range(7))
        + " aggregate n = count()",
        TOO_COMPLEX,
    ),
    (
        "formula-doubling",
        "from shop.order aggregate f0 = count(), "
        + ", ".join(f"f{i} = f{i - 1} + f{i - 1}" for i in range(1, 12)),
        TOO_COMPLEX,
    ),
    ("limit-10001", "from shop.order limit 10001", LIMIT),
    ("limit-huge", f"from shop.order limit {10**30}", LIMIT),
    ("offset-huge", f"from shop.order offset {2**63}", LIMIT),
    ("text-10001-chars", "from shop.order # " + "x" * 10_000, TOO_LARGE),
    ("text-1-mb", 'from shop.order where status = "' + "x" * 1_000_000 + '"', TOO_LARGE),
    ("text-1-mb-of-nesting", "from shop.order where " + deep("total > 1", 500_000), TOO_LARGE),
]

DSL_CASES = (
    [
        Case(f"dsl-hidden-{name}", text, PLAN_INVALID, category="hidden field")
        for name, text in HIDDEN_TEXT.items()
    ]
    + [
        Case(f"dsl-smuggling-{name}", text, PLAN_INVALID, category="name smuggling")
        for name, text in SMUGGLING_TEXT.items()
    ]
    + [
        Case(f"dsl-syntax-{name}", text, SYNTAX, category="hostile text")
        for name, text in SYNTAX_TEXT.items()
    ]
    + [
        Case(f"dsl-value-{name}", text, PLAN_INVALID, category="values")
        for name, text in INVALID_VALUE_TEXT.items()
    ]
    + [Case(f"dsl-limit-{name}", text, code, category="limits") for name, text, code in LIMIT_TEXT]
    + [
        Case(
            f"dsl-clerk-{name}",
            text,
            PLAN_INVALID,
            manifest="order_clerk",
            category="relation to an unseen model",
        )
        for name, text in {
            "customer-country": 'from shop.order where customer.country = "DE"',
            "items-sum": "from shop.order aggregate s = sum(items.line_total)",
            "exists-payments": "from shop.order where exists(payments)",
            "source-customer": "from shop.customer",
            "measure-unique-customers": "from shop.order aggregate u = measure(unique_customers)",
        }.items()
    ]
)

HARMLESS_DSL_CASES = [
    Case(f"dsl-harmless[{i}]-{position}", text, None, rows=0, category="SQL-looking values")
    for i, value in enumerate(SQL_LOOKING_VALUES)
    for position, text in {
        "equals": f"from shop.customer where name = {dsl_string(value)}",
        "ends-with": f"from shop.customer where city ends with {dsl_string(value)}",
    }.items()
] + [
    Case(
        "dsl-harmless-hash-in-string",
        'from shop.customer where name = "# not a comment"',
        None,
        rows=0,
    ),
    Case(
        "dsl-harmless-keyword-in-string",
        'from shop.customer where name = "from auth.user select password"',
        None,
        rows=0,
    ),
    Case(
        "dsl-harmless-escaped-quote",
        'from shop.customer where name = "x\\" OR \\"1\\"=\\"1"',
        None,
        rows=0,
    ),
    Case(
        "dsl-harmless-comment-line",
        '# DROP TABLE shop_order;\nfrom shop.customer where name = "nobody"',
        None,
        rows=0,
    ),
    Case(
        "dsl-harmless-percent-is-literal",
        'from shop.customer where name contains "%"',
        None,
        rows=0,
    ),
    Case(
        "dsl-harmless-underscore-is-literal",
        'from shop.customer where name starts with "_"',
        None,
        rows=0,
    ),
]


@pytest.mark.parametrize("case", DSL_CASES, ids=str)
def test_hostile_text_is_refused(
    case: Case, request: pytest.FixtureRequest, database_unchanged: Any
) -> None:
    check_case(case, request.getfixturevalue(f"{case.manifest}_manifest"), database_unchanged)


@pytest.mark.parametrize("case", HARMLESS_DSL_CASES, ids=str)
def test_hostile_text_in_strings_is_only_a_value(
    case: Case, request: pytest.FixtureRequest, database_unchanged: Any
) -> None:
    check_case(case, request.getfixturevalue(f"{case.manifest}_manifest"), database_unchanged)


@pytest.mark.parametrize("text", [b"from shop.order", None, 42, ["from shop.order"]])
def test_text_that_is_not_a_string_is_a_syntax_error(text: Any) -> None:
    with pytest.raises(DslSyntaxError):
        parse(text)


def test_the_length_limit_is_checked_before_parsing(settings: Any) -> None:
    """A megabyte of nesting is refused by its length alone, fast, without recursion."""
    import time

    began = time.perf_counter()
    with pytest.raises(InputTooLarge):
        parse("from shop.order where " + "(" * 1_000_000)
    assert time.perf_counter() - began < 0.5
    settings.DJAI = {"MAX_DSL_LENGTH": 50}
    with pytest.raises(InputTooLarge):
        parse("from shop.order where status = " + '"' + "x" * 50 + '"')


def test_every_error_is_a_djai_error() -> None:
    for case in DSL_CASES:
        if case.code in (SYNTAX, TOO_LARGE):
            with pytest.raises(DjaiError):
                parse(case.source)


def test_the_corpus_is_big_enough() -> None:
    ids = [case.id for case in DSL_CASES + HARMLESS_DSL_CASES]
    assert len(set(ids)) == len(ids)
    assert len(DSL_CASES) >= 100
