"""The guard and the interpreter of the escape hatch on their own: properties over random
source text and random syntax trees (only typed ``code_*`` errors ever come out), the
import allowlist mode, the size limits, positions in errors, and the symbol table."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from djai_dsl.errors import CodeInvalid
from djai_dsl.escape import (
    ALLOWED_ATTRIBUTES,
    CONSTRUCTORS,
    EscapeSettings,
    compile_snippet,
    symbols_for,
)
from djai_dsl.escape.shape import CompiledSnippet
from djai_dsl.manifest import Manifest, build_manifest
from tests.conftest import NOW, TZ

pytestmark = pytest.mark.django_db

ON = EscapeSettings(enabled=True)
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def outcome(
    source: str, manifest: Manifest, hatch: EscapeSettings = ON
) -> CompiledSnippet | CodeInvalid:
    """What compiling ``source`` gives: a snippet or a typed refusal. Anything else
    propagates and fails the test."""
    try:
        return compile_snippet(source, manifest, tz=TZ, now=NOW, settings=hatch)
    except CodeInvalid as exc:
        assert exc.http_status == 422 and exc.code.startswith("code_")
        assert str(exc)  # renders
        return exc


def full_manifest() -> Manifest:
    return build_manifest()


# ---------------------------------------------------------------------------- random text

NAMES = [
    "Order",
    "shop_Customer",
    "Product",
    "OrderItem",
    "Q",
    "F",
    "Count",
    "Sum",
    "Avg",
    "Window",
    "Rank",
    "Subquery",
    "OuterRef",
    "Exists",
    "Value",
    "Case",
    "When",
    "now",
    "today",
    "timedelta",
    "date",
    "x",
    "result",
    "eval",
    "open",
    "__import__",
    "type",
    "os",
    "_",
    "__class__",
]
ATTRIBUTES = [
    *sorted(ALLOWED_ATTRIBUTES),
    "update",
    "delete",
    "raw",
    "query",
    "__class__",
    "_meta",
    "format",
    "model",
    "objects",
]
FIELDS = [
    "status",
    "total",
    "created_at",
    "customer",
    "customer__country",
    "items",
    "id",
    "pk",
    "api_token",
    "email",
    "total__gt",
    "created_at__year",
    "-total",
    "?",
    "orders__total",
    "nope",
]
TOKENS = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from([f".{a}" for a in ATTRIBUTES]),
    st.sampled_from([f'"{f}"' for f in FIELDS]),
    st.sampled_from(
        [
            f"{f}="
            for f in (
                "status",
                "total__gt",
                "n",
                "filter",
                "then",
                "default",
                "output_field",
                "distinct",
                "flat",
                "_x",
            )
        ]
    ),
    st.sampled_from(
        [
            *"()[]:,.=+-*/&|~%@^<>",
            "**",
            "\n",
            " ",
            "lambda",
            "for",
            "in",
            "import",
            "from",
            "not",
            "and",
            "1",
            "0",
            "10",
            "99999999999999999999",
            "1e400",
            "None",
            "True",
            "'a'",
            "f'{x}'",
            "b'x'",
        ]
    ),
)


@given(st.lists(TOKENS, max_size=40).map("".join))
@PROPERTY
def test_random_token_soup_gives_a_snippet_or_a_typed_error(source: str) -> None:
    outcome(source, full_manifest())


@given(st.text(max_size=200))
@PROPERTY
def test_random_text_gives_a_typed_error(source: str) -> None:
    outcome(source, full_manifest())


# ---------------------------------------------------------------------------- random trees


def _names() -> st.SearchStrategy[ast.expr]:
    return st.sampled_from(NAMES).map(lambda n: ast.Name(id=n, ctx=ast.Load()))


def _constants() -> st.SearchStrategy[ast.expr]:
    values = st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False),
        st.sampled_from(FIELDS),
        st.text(max_size=12),
        st.booleans(),
        st.none(),
        st.binary(max_size=4),
        st.just(1j),
        st.just(...),
    )
    return values.map(lambda v: ast.Constant(value=v))


_OPERATORS = [
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.BitAnd,
    ast.BitOr,
    ast.Pow,
    ast.Mod,
    ast.FloorDiv,
    ast.BitXor,
    ast.LShift,
    ast.MatMult,
]
_UNARY = [ast.USub, ast.UAdd, ast.Invert, ast.Not]


def _compound(children: st.SearchStrategy[ast.expr]) -> st.SearchStrategy[ast.expr]:
    keyword = st.builds(
        lambda name, value: ast.keyword(arg=name, value=value),
        st.sampled_from(
            [
                "status",
                "total__gt",
                "n",
                "filter",
                "then",
                "default",
                "output_field",
                "distinct",
                "flat",
                "expression",
                "partition_by",
                "order_by",
                None,
            ]
        ),
        children,
    )
    return st.one_of(
        st.builds(
            lambda value, attr: ast.Attribute(value=value, attr=attr, ctx=ast.Load()),
            children,
            st.sampled_from(ATTRIBUTES),
        ),
        st.builds(
            lambda func, args, kws: ast.Call(func=func, args=args, keywords=kws),
            children,
            st.lists(children, max_size=3),
            st.lists(keyword, max_size=2),
        ),
        st.builds(
            lambda left, op, right: ast.BinOp(left=left, op=op(), right=right),
            children,
            st.sampled_from(_OPERATORS),
            children,
        ),
        st.builds(lambda op, v: ast.UnaryOp(op=op(), operand=v), st.sampled_from(_UNARY), children),
        st.builds(
            lambda v, lo, hi: ast.Subscript(
                value=v, slice=ast.Slice(lower=lo, upper=hi), ctx=ast.Load()
            ),
            children,
            st.none() | children,
            st.none() | children,
        ),
        st.builds(
            lambda items: ast.List(elts=items, ctx=ast.Load()), st.lists(children, max_size=3)
        ),
        st.builds(
            lambda a, b: ast.Compare(left=a, ops=[ast.Gt()], comparators=[b]), children, children
        ),
        st.builds(lambda a, b: ast.BoolOp(op=ast.And(), values=[a, b]), children, children),
        st.builds(
            lambda body: ast.Lambda(
                args=ast.arguments(
                    posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]
                ),
                body=body,
            ),
            children,
        ),
        st.builds(
            lambda v: ast.JoinedStr(values=[ast.FormattedValue(value=v, conversion=-1)]), children
        ),
        st.builds(lambda v: ast.Starred(value=v, ctx=ast.Load()), children),
    )


EXPRESSIONS = st.recursive(_names() | _constants(), _compound, max_leaves=25)


def _statement(expr: ast.expr, kind: str) -> list[ast.stmt]:
    if kind == "assign":
        return [
            ast.Assign(targets=[ast.Name(id="x", ctx=ast.Store())], value=expr),
            ast.Expr(value=ast.Name(id="x", ctx=ast.Load())),
        ]
    if kind == "import":
        return [
            ast.ImportFrom(module="django.db.models", names=[ast.alias(name="Count")], level=0),
            ast.Expr(value=expr),
        ]
    return [ast.Expr(value=expr)]


@given(EXPRESSIONS, st.sampled_from(["expr", "assign", "import"]))
@PROPERTY
def test_random_syntax_trees_give_a_snippet_or_a_typed_error(expr: ast.expr, kind: str) -> None:
    module = ast.fix_missing_locations(ast.Module(body=_statement(expr, kind), type_ignores=[]))
    try:
        source = ast.unparse(module)
    except (ValueError, TypeError, AttributeError, RecursionError):
        return  # not every random tree has a text form
    allowlist = EscapeSettings(
        enabled=True, imports="allowlist", allowed_imports=("django.db.models",)
    )
    outcome(source, full_manifest(), allowlist)
    outcome(source, full_manifest())


# ---------------------------------------------------------------------------- imports


ALLOWLIST = EscapeSettings(
    enabled=True, imports="allowlist", allowed_imports=("django.db.models", "demo.shop.models")
)


@pytest.mark.parametrize(
    "source",
    [
        "from django.db.models import Count, Q\nOrder.objects.filter(Q(status='paid')).count()",
        "from demo.shop.models import Order\nOrder.objects.count()",
        "from django.db.models import Count as Count\nOrder.objects.count()",
    ],
)
def test_allowlist_mode_accepts_imports_of_preloaded_names(source: str, manifest: Manifest) -> None:
    assert isinstance(outcome(source, manifest, ALLOWLIST), CompiledSnippet)
    assert outcome(source, manifest).code == "code_forbidden_import"


@pytest.mark.parametrize(
    "source",
    [
        "import django\nOrder.objects.count()",
        "from django.db.models import Count as C\nOrder.objects.count()",
        "from django.db.models import Model\nOrder.objects.count()",
        "from django.db.models import *\nOrder.objects.count()",
        "from django.db import connection\nOrder.objects.count()",
        "from demo.shop.models import Customer\nOrder.objects.count()",  # not a preloaded name
        "from demo.chinook.models import Track\nOrder.objects.count()",  # module not listed
        "from .models import Order\nOrder.objects.count()",
        "from django.db.models import Order\nOrder.objects.count()",  # not its home
    ],
)
def test_allowlist_mode_refuses_everything_else(source: str, manifest: Manifest) -> None:
    assert outcome(source, manifest, ALLOWLIST).code == "code_forbidden_import"


# ---------------------------------------------------------------------------- limits, positions


def test_limits_come_from_the_settings(manifest: Manifest) -> None:
    source = 'Order.objects.filter(status="paid").order_by("-total")[:5]'
    assert isinstance(outcome(source, manifest), CompiledSnippet)
    for tight in (
        EscapeSettings(enabled=True, max_chars=20),
        EscapeSettings(enabled=True, max_nodes=10),
        EscapeSettings(enabled=True, max_depth=5),
        EscapeSettings(enabled=True, max_call_depth=1),
    ):
        assert outcome(source, manifest, tight).code == "code_too_large"


def test_errors_point_at_the_node_and_say_what_is_allowed(manifest: Manifest) -> None:
    error = outcome(
        'x = Order.objects.all()\ny = x.filter(status="paid")\ny.update(total=0)', manifest
    )
    assert (error.code, error.line, error.column) == ("code_forbidden_attribute", 3, 1)
    assert "only read" in error.message
    error = outcome('Order.objects.filter(\n    costumer__country="DE")', manifest)
    assert (error.code, error.line, error.column) == ("code_unknown_field", 2, 23)
    assert "customer" in error.hint
    error = outcome("[o for o in Order.objects.all()]", manifest)
    assert error.code == "code_forbidden_node" and "filter" in error.hint
    error = outcome("Order.objects.count() > 1", manifest)
    assert "total__gt" in error.hint


def test_the_guard_runs_nothing(manifest: Manifest, monkeypatch: pytest.MonkeyPatch) -> None:
    """eval and exec are never called while a snippet is checked or built, and compile only
    as ``ast.parse`` calls it: to build a syntax tree (``PyCF_ONLY_AST``), never bytecode."""
    import builtins

    called: list[str] = []
    for name in ("eval", "exec", "compile"):
        original = getattr(builtins, name)

        def spy(*args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
            flags = kwargs.get("flags", args[3] if len(args) > 3 else 0)
            if not (_name == "compile" and flags & ast.PyCF_ONLY_AST):
                called.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(builtins, name, spy)
    outcome(
        'Order.objects.filter(status="paid").values("customer__country").annotate(n=Count("id"))',
        manifest,
    )
    assert called == []


# ---------------------------------------------------------------------------- symbols


def test_models_are_named_by_class_and_shared_names_by_app(manifest: Manifest) -> None:
    symbols = symbols_for(manifest, now=NOW, tz=TZ)
    assert symbols.models["Order"].info.label == "shop.order"
    assert "Customer" not in symbols.models
    assert {"shop_Customer", "chinook_Customer"} <= set(symbols.models)
    assert symbols.values["today"] == NOW.astimezone(TZ).date()


def test_models_the_user_may_not_view_have_no_symbol(django_user_model: Any) -> None:
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("clerk", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="view_order", content_type__app_label="shop")
    )
    user = django_user_model.objects.get(pk=user.pk)
    symbols = symbols_for(build_manifest(user), now=NOW, tz=TZ)
    assert set(symbols.models) == {"Order"}


def test_every_constructor_has_a_usage_line() -> None:
    for name, constructor in CONSTRUCTORS.items():
        assert constructor.usage().startswith(f"{name}(")
