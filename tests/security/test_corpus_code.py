"""The attack corpus of the escape hatch: hostile ORM snippets as a model or an analyst might
send them.

One :class:`Case` per attack, with the stable error code the snippet must be refused with.
Every case runs through ``djai_dsl.escape.run_snippet`` (guard -> interpreter against the
manifest -> read-only executor) inside a check that the database is byte-for-byte unchanged,
and no error may name a hidden field the snippet did not name itself. The categories follow
the issue: files, processes, network, imports, dunder walks, builtins, format strings and
decorators, writes through every QuerySet method, ``.query`` mutation, connections and
settings, denial of service, hidden fields and models out of reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from djai_dsl.errors import DjaiError
from djai_dsl.escape import EscapeSettings, run_snippet
from djai_dsl.manifest import Manifest
from tests.conftest import NOW, TZ
from tests.security.conftest import error_text, hidden_names, mentions, names_hidden_everywhere

NODE = "code_forbidden_node"
NAME = "code_forbidden_name"
ATTR = "code_forbidden_attribute"
IMPORT = "code_forbidden_import"
LARGE = "code_too_large"
INVALID = "code_invalid"
FIELD = "code_unknown_field"
LIMIT = "limit_exceeded"


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    code: str
    manifest: str = "superuser"  # or "order_clerk": may view orders only
    category: str = ""

    def __str__(self) -> str:
        return self.id


def cases(
    category: str, code: str, *items: tuple[str, str], manifest: str = "superuser"
) -> list[Case]:
    return [Case(f"{category}-{name}", source, code, manifest, category) for name, source in items]


def nested(template: str, depth: int, inner: str) -> str:
    text = inner
    for _ in range(depth):
        text = template.format(text)
    return text


ORDERS = "Order.objects"
CUSTOMERS = "shop_Customer.objects"

CODE_CASES: list[Case] = [
    # ---------------------------------------------------------------- files, processes, network
    *cases(
        "system",
        NAME,
        ("open-read", 'open("/etc/passwd").read()'),
        ("open-write", 'open("/tmp/djai-pwned", "w")'),
        ("dunder-import", '__import__("os").system("id")'),
        ("os-system", 'os.system("id")'),
        ("sys-modules", 'sys.modules["os"]'),
        ("subprocess", 'subprocess.run(["id"])'),
        ("socket", 'socket.socket().connect(("127.0.0.1", 5432))'),
        ("exec", 'exec("import os")'),
        ("eval", 'eval("1 + 1")'),
        ("compile", 'compile("1", "<x>", "eval")'),
        ("globals", "globals()"),
        ("locals", 'locals()["x"]'),
        ("vars", "vars(Order)"),
        ("getattr", 'getattr(Order, "objects")'),
        ("setattr", 'setattr(Order, "objects", None)'),
        ("delattr", 'delattr(Order, "objects")'),
        ("type", "type(Order)"),
        ("type-3", 'type("X", (), {})'),
        ("object", "object.__subclasses__()"),
        ("builtins-attribute", '__builtins__.eval("1")'),
        ("breakpoint", "breakpoint()"),
        ("print", "print(Order.objects.count())"),
        ("input", "input()"),
        ("help", "help(Order)"),
        ("dir", "dir(Order)"),
        ("super", "super()"),
        ("unknown-name", "Orders.objects.count()"),
        ("timezone-now", "Order.objects.filter(created_at__gte=timezone.now())"),
        ("underscore-name", "_secret"),
        ("dunder-name", "__name__"),
        ("dunder-file", "__file__"),
        ("dunder-loader", "__loader__"),
        ("spec", "__spec__"),
    ),
    # ---------------------------------------------------------------- imports
    *cases(
        "import",
        IMPORT,
        ("os", "import os\nOrder.objects.count()"),
        ("subprocess", "import subprocess\nsubprocess.run(['id'])"),
        ("from-os", "from os import system\nOrder.objects.count()"),
        ("from-subprocess", "from subprocess import Popen\nOrder.objects.count()"),
        ("socket", "import socket\nOrder.objects.count()"),
        ("urllib", "from urllib.request import urlopen\nOrder.objects.count()"),
        ("app-models", "from demo.shop.models import Order\nOrder.objects.count()"),
        ("django-models", "from django.db.models import Count\nOrder.objects.count()"),
        ("django-db", "from django.db import connection\nOrder.objects.count()"),
        ("settings", "from django.conf import settings\nOrder.objects.count()"),
        ("star", "from django.db.models import *\nOrder.objects.count()"),
        ("relative", "from . import models\nOrder.objects.count()"),
        ("importlib", "import importlib\nOrder.objects.count()"),
        ("builtins", "import builtins\nOrder.objects.count()"),
        ("only-import", "import os"),
    ),
    # ---------------------------------------------------------------- dunder walks
    *cases(
        "dunder",
        ATTR,
        ("tuple-mro", "().__class__.__mro__[1].__subclasses__()"),
        ("string-base", '"".__class__.__base__'),
        ("model-class", "Order.__class__"),
        ("meta", "Order._meta.db_table"),
        ("meta-fields", "Order._meta.get_fields()"),
        ("manager-class", "Order.objects.__class__"),
        ("manager-db", "Order.objects._db"),
        ("queryset-query", "Order.objects.all()._query"),
        ("init-globals", "Q.__init__.__globals__"),
        ("f-dict", 'F("total").__dict__'),
        ("count-class", 'Count("id").__class__.__init__'),
        ("default-manager", "Order._default_manager.all()"),
        ("base-manager", "Order._base_manager.all()"),
        ("doc", "Order.__doc__"),
        ("reduce", "Order.objects.all().__reduce__()"),
        ("getattribute", 'Order.objects.__getattribute__("raw")'),
        ("model-attr", "Order.objects.model"),
        ("query", "Order.objects.all().query"),
        ("query-sql", "Order.objects.all().query.sql_with_params()"),
        (
            "query-add-extra",
            'Order.objects.all().query.add_extra({"x": "1"}, None, None, None, None, None)',
        ),
        ("db", "Order.objects.db"),
        ("resolve", 'F("total").resolve_expression()'),
        ("as-sql", 'Count("id").as_sql(None, None)'),
        ("field-attr", "Order.objects.all()[0].customer"),
        ("int-real", "Order.objects.count().real"),
    ),
    Case("dunder-lambda-code", "(lambda: 0).__code__", NODE, category="dunder"),
    Case("dunder-builtins-subscript", '__builtins__["eval"]("1")', NODE, category="dunder"),
    Case("dunder-objects-on-query", "Order.objects.objects", INVALID, category="dunder"),
    # ---------------------------------------------------------------- format strings, decorators
    *cases(
        "format",
        NODE,
        ("f-string", 'f"{Order.objects.all()}"'),
        ("f-string-literal", 'f"{1}"'),
        ("percent", '"%s" % Order'),
        ("decorator", "@property\ndef f():\n    return 1\nOrder.objects.count()"),
        ("def", "def f():\n    return Order.objects.count()\nf()"),
        ("class", "class X:\n    pass\nOrder.objects.count()"),
        ("lambda", "(lambda: Order.objects.count())()"),
        ("async-def", "async def f():\n    pass\nOrder.objects.count()"),
    ),
    *cases(
        "format",
        ATTR,
        ("str-format", '"{0.__class__}".format(Order)'),
        ("format-attribute", '"{}".format'),
        ("join", '",".join(["a"])'),
        ("format-map", '"{x}".format_map({})'),
    ),
    # ---------------------------------------------------------------- writes, every method
    *cases(
        "write",
        ATTR,
        ("update", f'{ORDERS}.filter(status="paid").update(total=0)'),
        ("update-all", f"{ORDERS}.update(total=0)"),
        ("delete", f"{ORDERS}.all().delete()"),
        ("delete-filtered", f"{ORDERS}.filter(pk=1).delete()"),
        ("create", f'{ORDERS}.create(status="paid", total=1)'),
        ("get-or-create", f"{ORDERS}.get_or_create(pk=1)"),
        ("update-or-create", f"{ORDERS}.update_or_create(pk=1, defaults={{}})"),
        ("bulk-create", f"{ORDERS}.bulk_create([])"),
        ("bulk-update", f'{ORDERS}.bulk_update([], ["total"])'),
        ("save", f"{ORDERS}.first().save()"),
        ("instance-delete", f"{ORDERS}.first().delete()"),
        ("select-for-update", f"{ORDERS}.select_for_update().count()"),
        ("aupdate", f"{ORDERS}.aupdate(total=0)"),
        ("adelete", f"{ORDERS}.adelete()"),
        ("acreate", f"{ORDERS}.acreate(total=0)"),
        ("m2m-add", f"{CUSTOMERS}.first().orders.add(1)"),
        ("m2m-remove", f"{CUSTOMERS}.first().orders.remove(1)"),
        ("m2m-clear", f"{CUSTOMERS}.first().orders.clear()"),
        ("m2m-set", f"{CUSTOMERS}.first().orders.set([])"),
        ("raw", f'{ORDERS}.raw("DELETE FROM shop_order")'),
        ("raw-select", f'{ORDERS}.raw("SELECT * FROM auth_user")'),
        ("extra", f'{ORDERS}.extra(where=["1=1; DROP TABLE shop_order"])'),
        ("extra-select", f'{ORDERS}.extra(select={{"x": "pg_sleep(10)"}})'),
        ("using", f'{ORDERS}.using("default").count()'),
        ("db-manager", 'Order.objects.db_manager("default").count()'),
        ("iterator", f"{ORDERS}.iterator()"),
        ("explain", f"{ORDERS}.explain(analyze=True)"),
        ("get", f"{ORDERS}.get(pk=1)"),
        ("none", f"{ORDERS}.none()"),
        ("union", f"{ORDERS}.union({ORDERS})"),
        ("select-related", f'{ORDERS}.select_related("customer")'),
        ("prefetch-related", f'{ORDERS}.prefetch_related("items")'),
        ("only", f'{ORDERS}.only("id")'),
        ("defer", f'{ORDERS}.defer("total")'),
        ("dates", f'{ORDERS}.dates("created_at", "month")'),
        ("in-bulk", f"{ORDERS}.in_bulk([1])"),
        ("latest", f'{ORDERS}.latest("created_at")'),
        ("contains", f"{ORDERS}.contains(None)"),
        ("refresh", f"{ORDERS}.first().refresh_from_db()"),
    ),
    # ---------------------------------------------------------------- query mutation
    *cases(
        "query-mutation",
        NODE,
        ("assign-where", f"{ORDERS}.all().query.where = None"),
        ("assign-query", f"qs = {ORDERS}.all()\nqs.query = None\nqs"),
        ("assign-attribute", "Order.objects = None\nOrder.objects.count()"),
        ("assign-subscript", f"qs = {ORDERS}.all()\nqs[0] = 1\nqs"),
        ("tuple-target", "x, y = 1, 2\nOrder.objects.count()"),
        ("chained-assign", "x = y = 1\nOrder.objects.count()"),
        ("augmented", "x = 1\nx += 1\nOrder.objects.count()"),
        ("annotated", "x: int = 1\nOrder.objects.count()"),
        ("del", "x = 1\ndel x\nOrder.objects.count()"),
        ("global", "global x\nOrder.objects.count()"),
    ),
    # ---------------------------------------------------------------- connections, settings
    *cases(
        "connection",
        NAME,
        ("cursor", 'connection.cursor().execute("DELETE FROM shop_order")'),
        ("connections", 'connections["default"].cursor()'),
        ("settings", "settings.SECRET_KEY"),
        ("databases", "settings.DATABASES"),
        ("transaction", "transaction.atomic()"),
        ("shadow-model", "Order = 1\nOrder"),
        ("shadow-constructor", "Q = F\nQ('total')"),
        ("underscore-assign", "_x = Order.objects.all()\n_x"),
        ("underscore-keyword", f"{ORDERS}.filter(_connector='OR')"),
    ),
    # ---------------------------------------------------------------- statements and syntax
    *cases(
        "syntax",
        NODE,
        ("for", "for o in Order.objects.all():\n    pass"),
        ("while", "while True:\n    pass"),
        ("if", "if 1:\n    Order.objects.count()"),
        ("with", 'with open("x") as f:\n    pass'),
        ("try", "try:\n    Order.objects.count()\nexcept Exception:\n    pass"),
        ("raise", "raise SystemExit"),
        ("assert", "assert False"),
        ("list-comprehension", "[o for o in Order.objects.all()]"),
        ("set-comprehension", "{o for o in Order.objects.all()}"),
        ("dict-comprehension", "{o: 1 for o in Order.objects.all()}"),
        ("generator", "Order.objects.filter(id__in=(o.id for o in Order.objects.all()))"),
        ("return", "return Order.objects.count()"),
        ("yield", "yield Order.objects.count()"),
        ("await", "await Order.objects.count()"),
        ("dict", '{"a": 1}'),
        ("set", "{1, 2}"),
        ("walrus", "(x := Order.objects.count())"),
        ("if-expression", "Order.objects.count() if True else 0"),
        ("compare", "Order.objects.count() > 1"),
        ("and", 'Order.objects.filter(Q(status="paid") and Q(total__gt=1))'),
        ("or", 'Order.objects.filter(Q(status="paid") or Q(total__gt=1))'),
        ("not", 'Order.objects.filter(not Q(status="paid"))'),
        ("starred", "Order.objects.filter(*[Q()])"),
        ("double-starred", 'Order.objects.filter(**{"status": "paid"})'),
        ("bytes", 'Order.objects.filter(status=b"paid")'),
        ("complex", "Order.objects.filter(total=1j)"),
        ("ellipsis", "Order.objects.filter(total=...)"),
        ("floor-division", "Order.objects.annotate(x=F('total') // 2)"),
        ("modulo", "Order.objects.annotate(x=F('total') % 2)"),
        ("xor", "Order.objects.filter(Q(status='paid') ^ Q(total=1))"),
        ("shift", "Order.objects.annotate(x=F('total') << 2)"),
        ("matmul", "Order.objects.annotate(x=F('total') @ F('total'))"),
        ("call-result", "Order.objects.count()()"),
    ),
    *cases(
        "syntax",
        INVALID,
        ("unbalanced", 'Order.objects.filter(status="paid"'),
        ("null-byte", "Order.objects.count()\x00"),
        ("empty", ""),
        ("blank", "   \n\n"),
        ("comment-only", "# nothing here"),
        ("two-answers", "Order.objects.count()\nOrder.objects.count()"),
        ("ends-in-assignment", "x = Order.objects.count()"),
        ("slice-step", "Order.objects.all()[::2]"),
        ("negative-index", "Order.objects.all()[-1]"),
        ("name-index", "x = 1\nOrder.objects.all()[x]"),
        ("text-index", 'Order.objects.all()["a"]'),
        ("sliced-twice", "Order.objects.all()[1:20][3:4]"),
        ("slice-power", "Order.objects.all()[:10**9]"),
        ("lookup-as-field", 'Order.objects.values("total__gte")'),
        ("count-after-first", "Order.objects.first().count()"),
        (
            "subquery-of-whole-rows",
            'Order.objects.annotate(c=Subquery(shop_Customer.objects.filter(pk=OuterRef("customer"))[:1]))',
        ),
        ("filter-after-slice", "Order.objects.all()[:5].filter(total__gt=1)"),
        ("parentheses", "(" * 300 + "1" + ")" * 300),
        ("model-not-query", "Order"),
        ("expression-not-query", 'Count("id")'),
        ("number-not-query", "1"),
        ("uncalled-method", 'Order.objects.filter(status="paid").values'),
        ("model-method", "Order.filter(total=1)"),
        ("constructor-not-called", "Count"),
        ("outer-ref-at-top", 'Order.objects.filter(customer=OuterRef("pk"))'),
        ("outer-ref-of-outer-ref", 'Order.objects.filter(customer=OuterRef(OuterRef("pk")))'),
        ("random-order", 'Order.objects.order_by("?")'),
        ("text-times-number", '"a" * 1000000000'),
        ("list-times-number", "[1] * 1000000000"),
        ("value-of-repeated-text", 'Order.objects.annotate(x=Value("a" * 1000000000))'),
        ("bad-decimal-value", 'Order.objects.filter(total__gt="abc")'),
        ("bad-date-value", 'Order.objects.filter(created_at__gte="not a date")'),
        ("bad-id-value", 'Order.objects.filter(id="x")'),
        ("annotation-over-field", 'Order.objects.annotate(total=Count("id"))'),
        ("empty-aggregate", "Order.objects.aggregate()"),
        ("aggregate-of-field", 'Order.objects.aggregate(n=F("total"))'),
        ("values-expression", 'Order.objects.values(F("total"))'),
        ("distinct-on", 'Order.objects.distinct("status")'),
        ("or-with-text", 'Order.objects.filter(Q(status="paid") | "x")'),
        ("annotate-literal", "Order.objects.annotate(x=1)"),
        ("annotate-query", "Order.objects.annotate(x=Order.objects.all())"),
        (
            "compare-with-result",
            'Order.objects.filter(total=Order.objects.aggregate(a=Avg("total")))',
        ),
        ("extract-epoch", 'Order.objects.annotate(x=Extract("created_at", "epoch"))'),
        ("trunc-decade", 'Order.objects.annotate(x=Trunc("created_at", "decade"))'),
        ("flat-two-fields", 'Order.objects.values_list("id", "total", flat=True)'),
        ("window-of-function", 'Order.objects.annotate(x=Window(expression=Lower("status")))'),
        ("month-13", "Order.objects.filter(created_at__gte=datetime(2024, 13, 1))"),
        ("decimal-nan", 'Order.objects.filter(total=Decimal("NaN"))'),
        (
            "huge-timedelta",
            "Order.objects.filter(created_at__gte=now - timedelta(days=999999999999))",
        ),
        ("date-plus-number", "Order.objects.filter(created_at__gte=now + 1)"),
        ("date-minus-text", 'Order.objects.filter(created_at__gte=today - "x")'),
        ("division-by-zero", "Order.objects.filter(total__gt=1 / 0)"),
        ("first-then-attribute", "Order.objects.first().count()"),
        ("union-operator", "Order.objects.all() | Order.objects.all()"),
        ("unknown-keyword", 'Count("id", tablespace="x")'),
        ("asc-nulls-false", 'Order.objects.order_by(F("total").asc(nulls_last=False))'),
    ),
    # ---------------------------------------------------------------- denial of service
    *cases(
        "dos",
        NODE,
        ("power-tower", "10**10**10"),
        ("repeated-text-power", '"a" * 10**9'),
        ("power-in-filter", "Order.objects.filter(total__gt=F('total') ** 2)"),
    ),
    *cases(
        "dos",
        LARGE,
        ("huge-int", "Order.objects.filter(total__gt=99999999999999999999999)"),
        ("huge-negative-int", "Order.objects.filter(total__gt=-99999999999999999999999)"),
        ("huge-float", "Order.objects.filter(total__gt=1e400)"),
        ("long-text", 'Order.objects.filter(status="' + "a" * 5000 + '")'),
        ("nested-q", "Order.objects.filter(" + nested("Q({})", 40, "Q(status='paid')") + ")"),
        ("nested-negation", "Order.objects.filter(total__gt=" + "-" * 120 + "1)"),
        ("nested-lists", "Order.objects.filter(id__in=" + "[" * 60 + "1" + "]" * 60 + ")"),
        ("method-chain", "Order.objects" + ".filter(total__gt=1)" * 30),
        ("many-nodes", "Order.objects.filter(id__in=[" + "1," * 700 + "])"),
        ("in-list-over-limit", "Order.objects.filter(id__in=[" + "1," * 520 + "]).count()"),
        (
            "cross-join",
            "Order.objects.filter(customer__orders__customer__orders__customer__orders__total__gt=0)",
        ),
        (
            "cross-join-values",
            'shop_Customer.objects.values("orders__items__product__order_items__order__status")',
        ),
        (
            "nested-subqueries",
            nested("Order.objects.filter(Exists({}))", 14, "Order.objects.all()"),
        ),
    ),
    *cases(
        "dos",
        FIELD,
        ("regex", 'shop_Customer.objects.filter(name__regex="(a+)+$").count()'),
        ("iregex", 'shop_Customer.objects.filter(name__iregex="(a|aa)+$").count()'),
        ("search", 'shop_Customer.objects.filter(name__search="x").count()'),
        ("trigram", 'shop_Customer.objects.filter(name__trigram_similar="x").count()'),
    ),
    Case("dos-limit-beyond-cap", "Order.objects.all()[:1000000000]", LIMIT, category="dos"),
    # ---------------------------------------------------------------- hidden fields, models
    *cases(
        "hidden",
        FIELD,
        ("secret-values", f'{CUSTOMERS}.values("api_token")'),
        ("hidden-values", f'{CUSTOMERS}.values("email")'),
        ("secret-filter", f'{CUSTOMERS}.filter(api_token__startswith="a").count()'),
        ("hidden-filter", f'{CUSTOMERS}.filter(email__contains="@").count()'),
        ("secret-f", f'{CUSTOMERS}.annotate(t=F("api_token")).values("t")'),
        ("secret-order", f'{CUSTOMERS}.order_by("api_token")'),
        ("secret-across", f'{ORDERS}.values("customer__api_token")'),
        ("hidden-across", f'{ORDERS}.filter(customer__email__icontains="x").count()'),
        ("secret-aggregate", f'{ORDERS}.aggregate(m=Max("customer__api_token"))'),
        ("secret-function", f'{CUSTOMERS}.annotate(n=Length("api_token")).values("n")'),
        (
            "secret-subquery",
            f'{ORDERS}.annotate(t=Subquery({CUSTOMERS}.filter(pk=OuterRef("customer"))'
            '.values("api_token")[:1])).values("t")',
        ),
        (
            "secret-outer-ref",
            f'{CUSTOMERS}.filter(Exists({ORDERS}.filter(customer=OuterRef("pk"), '
            'status=OuterRef("api_token"))))',
        ),
        ("secret-q", f'{CUSTOMERS}.filter(Q(api_token="x") | Q(name="y")).count()'),
        (
            "secret-case",
            f'{CUSTOMERS}.annotate(x=Case(When(api_token="x", then=Value(1)))).values("x")',
        ),
        (
            "secret-when-then",
            f'{CUSTOMERS}.annotate(x=Case(When(name="x", then="api_token"))).values("x")',
        ),
        ("secret-coalesce", f'{CUSTOMERS}.annotate(x=Coalesce("city", "api_token")).values("x")'),
        (
            "secret-window",
            f'{CUSTOMERS}.annotate(r=Window(expression=Rank(), order_by="api_token")).values("r")',
        ),
        ("password", 'User.objects.values("password")'),
        ("password-filter", 'User.objects.filter(password__startswith="pbkdf2").count()'),
        ("attname", f'{CUSTOMERS}.values("api_token_id")'),
        ("unknown", f"{ORDERS}.filter(nonexistent=1)"),
    ),
    *cases(
        "model",
        NAME,
        ("sessions", "Session.objects.all()"),
        ("djai-chat", "Chat.objects.all()"),
        ("djai-log", "QueryLog.objects.count()"),
        ("admin-log", "LogEntry.objects.count()"),
        ("content-types", "ContentType.objects.all()"),
        ("model-class-path", 'apps.get_model("auth", "User")'),
    ),
    *cases(
        "clerk",
        NAME,
        ("customers", f"{CUSTOMERS}.count()"),
        ("customer-plain", "Customer.objects.count()"),
        (
            "payments-subquery",
            'Order.objects.filter(Exists(Payment.objects.filter(order=OuterRef("pk"))))',
        ),
        ("users", "User.objects.count()"),
        manifest="order_clerk",
    ),
    *cases(
        "clerk",
        FIELD,
        ("customer-name", 'Order.objects.values("customer__name")'),
        ("customer-filter", 'Order.objects.filter(customer__country="DE").count()'),
        ("items-count", 'Order.objects.annotate(n=Count("items")).values("n")'),
        ("customer-id", 'Order.objects.values("customer_id")'),
        ("customer-relation", 'Order.objects.values("customer")'),
        ("customer-f", 'Order.objects.annotate(c=F("customer__country")).values("c")'),
        ("payments-exists", "Order.objects.filter(payments__amount__gt=0).count()"),
        manifest="order_clerk",
    ),
]


@pytest.fixture
def case_manifest(superuser_manifest: Manifest, order_clerk_manifest: Manifest) -> Any:
    manifests = {"superuser": superuser_manifest, "order_clerk": order_clerk_manifest}
    return lambda case: manifests[case.manifest]


def run(source: str, manifest: Manifest) -> DjaiError | None:
    try:
        run_snippet(source, manifest, tz=TZ, now=NOW, settings=EscapeSettings(enabled=True))
    except DjaiError as exc:
        return exc
    return None


@pytest.mark.parametrize("case", CODE_CASES, ids=str)
def test_hostile_snippet_is_refused(
    case: Case, case_manifest: Any, database_unchanged: Any
) -> None:
    manifest = case_manifest(case)
    with database_unchanged():
        error = run(case.source, manifest)
    assert error is not None, f"{case.id} ran"
    assert error.code == case.code, f"{case.id}: {error.code}: {error}"
    assert error.http_status in (404, 422) or case.code == LIMIT
    assert_names_nothing_hidden(error, case.source, manifest)


def assert_names_nothing_hidden(error: DjaiError, source: str, manifest: Manifest) -> None:
    """The error may repeat what the snippet said, but never a hidden name it did not say
    (path segments count as said: ``api_token__startswith`` says ``api_token``)."""
    text, said = error_text(error), source.replace("__", " ")
    hidden = names_hidden_everywhere(manifest)
    for label, info in manifest.models.items():
        if mentions(said, info.model.__name__) or mentions(said, label.split(".")[1]):
            hidden |= hidden_names(manifest)[label] - set(info.names())
    leaked = sorted(name for name in hidden if mentions(text, name) and not mentions(said, name))
    assert not leaked, f"the error names hidden fields {leaked}: {text}"


def test_the_corpus_is_big_and_unique() -> None:
    ids = [case.id for case in CODE_CASES]
    assert len(ids) == len(set(ids))
    assert len(CODE_CASES) >= 150
    assert {case.category for case in CODE_CASES} >= {
        "system",
        "import",
        "dunder",
        "format",
        "write",
        "query-mutation",
        "connection",
        "dos",
        "hidden",
        "model",
        "clerk",
    }
