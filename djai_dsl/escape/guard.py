"""The AST and import guard: source text -> a checked syntax tree, or a typed refusal.

This stage only reads the text. ``ast.parse`` builds the tree (parsing runs nothing), then
three passes refuse what the snippet language does not have, each with the node's line and
column and what to write instead:

1. size: characters, then (iteratively, so no input can exhaust Python's stack) the number
   of nodes, the nesting depth and the nesting of calls;
2. shape: every node's type must be on :data:`ALLOWED_NODES` (one expression, or
   assignments ending in one; calls, attribute access, names, constants, lists, slices,
   ``+ - * /`` and ``& | ~``), constants within range, calls without ``*``/``**``;
3. names: a name must be a preloaded symbol or assigned earlier; an attribute must be on
   :data:`ALLOWED_ATTRIBUTES` (read-only QuerySet methods, ``objects``, ``asc``/``desc``)
   and never starts with ``_``; an import passes only in ``allowlist`` mode, from a listed
   module, of names that are preloaded anyway (it then does nothing).

What passes is still only data: the interpreter (``interpreter.py``) walks it and decides,
per value, which of these calls means something. Nothing here or there calls ``eval``,
``exec`` or ``compile`` on the text.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass

from djai_dsl.errors import (
    CodeForbiddenAttribute,
    CodeForbiddenImport,
    CodeForbiddenName,
    CodeForbiddenNode,
    CodeInvalid,
    CodeTooLarge,
)
from djai_dsl.escape.policy import EscapeSettings
from djai_dsl.escape.symbols import Symbols

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_NODES",
    "MODEL_ATTRIBUTES",
    "QUERYSET_METHODS",
    "CheckedSnippet",
    "check_snippet",
]

#: Read-only QuerySet methods. The interpreter knows what each one may take.
QUERYSET_METHODS = frozenset(
    {
        "all",
        "filter",
        "exclude",
        "annotate",
        "alias",
        "values",
        "values_list",
        "order_by",
        "distinct",
        "reverse",
        "count",
        "exists",
        "aggregate",
        "first",
        "last",
    }
)
EXPRESSION_METHODS = frozenset({"asc", "desc"})
MODEL_ATTRIBUTES = frozenset({"objects"})
ALLOWED_ATTRIBUTES = QUERYSET_METHODS | EXPRESSION_METHODS | MODEL_ATTRIBUTES

ALLOWED_NODES: frozenset[type[ast.AST]] = frozenset(
    {
        ast.Module,
        ast.Expr,
        ast.Assign,
        ast.Import,
        ast.ImportFrom,
        ast.alias,
        ast.Call,
        ast.keyword,
        ast.Attribute,
        ast.Name,
        ast.Constant,
        ast.Subscript,
        ast.Slice,
        ast.List,
        ast.Tuple,
        ast.UnaryOp,
        ast.BinOp,
        ast.Load,
        ast.Store,
        ast.Add,
        ast.Sub,
        ast.Mult,
        ast.Div,
        ast.BitAnd,
        ast.BitOr,
        ast.USub,
        ast.UAdd,
        ast.Invert,
    }
)

#: The largest integer a snippet may write (a 64-bit column's range).
MAX_INT = 2**63 - 1

_QUERY_HINT = (
    "a snippet is one expression over the preloaded models, e.g. "
    'Order.objects.filter(status="paid").values("customer__country")'
    '.annotate(n=Count("id")).order_by("-n")[:10]'
)

#: Hints per refused node type: what to write instead.
_NODE_HINTS: dict[str, str] = {
    "Lambda": "no functions: write the expression itself",
    "FunctionDef": "no function definitions: " + _QUERY_HINT,
    "AsyncFunctionDef": "no function definitions: " + _QUERY_HINT,
    "ClassDef": "no class definitions: " + _QUERY_HINT,
    "ListComp": "no comprehensions: filter in the query (filter(...), __in=[...])",
    "SetComp": "no comprehensions: filter in the query",
    "DictComp": "no comprehensions: use values(...) or annotate(name=...)",
    "GeneratorExp": "no comprehensions: filter in the query",
    "JoinedStr": 'no f-strings: pass values as arguments, e.g. filter(name="x")',
    "FormattedValue": "no f-strings: pass values as arguments",
    "Compare": "no comparisons: use lookups, e.g. filter(total__gt=100)",
    "BoolOp": "no and/or: combine conditions with Q(...) & Q(...) and Q(...) | Q(...)",
    "IfExp": "no conditional expressions: use Case(When(..., then=...), default=...)",
    "NamedExpr": "no := assignments: write name = expression on its own line",
    "Starred": "no *args: write each argument",
    "Dict": "no dicts: pass keyword arguments, e.g. annotate(n=Count('id'))",
    "Set": "no sets: use a list, e.g. status__in=['paid', 'shipped']",
    "AugAssign": "write name = expression",
    "AnnAssign": "write name = expression, without a type annotation",
    "Await": "no await",
    "Yield": "no generators",
    "YieldFrom": "no generators",
    "Mod": "no % formatting or modulo: only + - * / on expressions",
    "Pow": "no ** power: write the number itself",
    "FloorDiv": "no //: use / on expressions",
    "LShift": "only + - * / and & | ~ are available",
    "RShift": "only + - * / and & | ~ are available",
    "BitXor": "only + - * / and & | ~ are available",
    "MatMult": "only + - * / and & | ~ are available",
    "Not": "no `not`: negate a condition with ~Q(...) or exclude(...)",
    "Del": "no del",
}
_STATEMENT_HINT = "no statements besides `name = expression` lines and the final expression"

#: Names people reach for that are deliberately absent, with why.
_ABSENT_NAMES = {
    "eval": "code is never evaluated",
    "exec": "code is never executed",
    "compile": "code is never compiled",
    "open": "snippets cannot reach files",
    "__import__": "nothing can be imported",
    "getattr": "attributes are written out and checked",
    "setattr": "snippets change nothing",
    "delattr": "snippets change nothing",
    "globals": "there are no globals",
    "locals": "there are no locals",
    "vars": "there are no namespaces",
    "dir": "there are no namespaces",
    "type": "snippets cannot reach types",
    "object": "snippets cannot reach types",
    "super": "snippets cannot reach types",
    "print": "the answer is the final expression",
    "input": "snippets cannot read input",
    "breakpoint": "there is no debugger",
    "help": "there is no help() here",
    "connection": "the database is reached only through QuerySets",
    "connections": "the database is reached only through QuerySets",
    "transaction": "djai runs every query read-only itself",
    "settings": "settings are not available",
    "os": "snippets cannot reach the system",
    "sys": "snippets cannot reach the system",
    "subprocess": "snippets cannot reach the system",
    "socket": "snippets cannot reach the network",
    "timezone": "use `now` and `today`",
}

#: Attributes people reach for that are deliberately absent, with why.
_WRITE_METHODS = frozenset(
    {
        "update",
        "delete",
        "create",
        "get_or_create",
        "update_or_create",
        "bulk_create",
        "bulk_update",
        "save",
        "add",
        "remove",
        "clear",
        "set",
        "select_for_update",
        "aupdate",
        "adelete",
        "acreate",
        "abulk_create",
        "abulk_update",
        "aget_or_create",
        "aupdate_or_create",
    }
)
_ATTRIBUTE_HINTS = {
    "raw": "no raw SQL: build the query with QuerySet methods",
    "extra": "no extra(): use annotate() with expressions",
    "query": "the query object is not available",
    "using": "djai chooses the database",
    "db_manager": "djai chooses the database",
    "get": "use filter(...)[:1] or first()",
    "select_related": "not needed: values('relation__field') follows relations",
    "prefetch_related": "not needed: values('relation__field') follows relations",
    "only": "use values('field', ...) to choose columns",
    "defer": "use values('field', ...) to choose columns",
    "iterator": "djai pages through the rows itself",
    "explain": "not available",
    "none": "filter(...) a condition instead",
    "union": "not available: combine conditions with Q(...) | Q(...)",
    "intersection": "not available: combine conditions with Q(...) & Q(...)",
    "difference": "not available: use exclude(...)",
    "format": "no string formatting: pass values as arguments",
    "model": "models are available by name",
}


@dataclass(frozen=True)
class CheckedSnippet:
    """A snippet that passed the guard: its tree, the statements to interpret (imports
    removed) and the node whose value is the answer."""

    source: str
    tree: ast.Module
    statements: tuple[ast.stmt, ...]

    def dump(self) -> str:
        """The tree without positions: equal for snippets that differ in layout only."""
        return ast.dump(self.tree, include_attributes=False)


def check_snippet(source: str, symbols: Symbols, settings: EscapeSettings) -> CheckedSnippet:
    """Parse and check ``source``. Raises a :class:`~djai_dsl.errors.CodeInvalid` subclass
    for the first problem found; nothing from the text is ever run."""
    if not isinstance(source, str):
        raise CodeInvalid("The code snippet must be text.")
    if len(source) > settings.max_chars:
        raise CodeTooLarge(
            f"The code snippet has {len(source)} characters; the limit is {settings.max_chars}.",
            hint="ask for less at once, or split the question",
        )
    if not source.strip():
        raise CodeInvalid("The code snippet is empty.", hint=_QUERY_HINT)
    tree = _parse(source)
    _check_size(tree, settings)
    _Checker(symbols, settings).check(tree)
    statements = tuple(s for s in tree.body if not isinstance(s, (ast.Import, ast.ImportFrom)))
    _check_structure(statements)
    return CheckedSnippet(source=source, tree=tree, statements=statements)


# --------------------------------------------------------------------------- parsing


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source, mode="exec")
    except SyntaxError as exc:
        line = exc.lineno or 1
        column = exc.offset or 1
        raise CodeInvalid(
            f"The code snippet is not valid Python: {exc.msg}.",
            line=line,
            column=column,
            hint=_QUERY_HINT,
        ) from None
    except ValueError as exc:  # NUL bytes and the like
        raise CodeInvalid(f"The code snippet cannot be read: {exc}.") from None
    except (RecursionError, MemoryError):
        raise CodeTooLarge("The code snippet is nested too deeply to read.") from None


def _position(node: ast.AST) -> dict[str, int]:
    line = getattr(node, "lineno", None)
    column = getattr(node, "col_offset", None)
    if line is None:
        return {}
    return {"line": line, "column": (column or 0) + 1}


# --------------------------------------------------------------------------- size


def _check_size(tree: ast.Module, settings: EscapeSettings) -> None:
    """Count nodes and measure nesting without recursion (a deep tree must be refused,
    not crash the checker)."""
    nodes = 0
    stack: list[tuple[ast.AST, int, int, ast.AST]] = [(tree, 0, 0, tree)]
    while stack:
        node, depth, calls, located = stack.pop()
        nodes += 1
        if hasattr(node, "lineno"):
            located = node
        if nodes > settings.max_nodes:
            raise CodeTooLarge(
                f"The code snippet has more than {settings.max_nodes} syntax nodes.",
                hint="ask for less at once",
                **_position(located),
            )
        if depth > settings.max_depth:
            raise CodeTooLarge(
                f"The code snippet is nested more than {settings.max_depth} levels deep.",
                hint="assign parts to names on their own lines",
                **_position(located),
            )
        if isinstance(node, ast.Call):
            calls += 1
            if calls > settings.max_call_depth:
                raise CodeTooLarge(
                    f"The code snippet nests more than {settings.max_call_depth} calls.",
                    hint="assign parts to names on their own lines",
                    **_position(located),
                )
        for child in ast.iter_child_nodes(node):
            stack.append((child, depth + 1, calls, located))


# --------------------------------------------------------------------------- structure


def _check_structure(statements: tuple[ast.stmt, ...]) -> None:
    if not statements:
        raise CodeInvalid("The code snippet has no expression to answer with.", hint=_QUERY_HINT)
    for statement in statements[:-1]:
        if isinstance(statement, ast.Expr):
            raise CodeInvalid(
                "Only the last line of a snippet is its answer; this line would be lost.",
                hint="assign it to a name (name = ...) or remove it",
                **_position(statement),
            )
    last = statements[-1]
    if isinstance(last, ast.Assign) and not _assigns_result(last):
        raise CodeInvalid(
            "The snippet must end in the expression that answers the question.",
            hint="end with the query itself (or `result = <query>`)",
            **_position(last),
        )


def _assigns_result(statement: ast.Assign) -> bool:
    target = statement.targets[0]
    return isinstance(target, ast.Name) and target.id == "result"


# --------------------------------------------------------------------------- checker


class _Checker:
    """One method per checked node type (``check_<NodeType>``); other allowed nodes only
    have their children checked."""

    def __init__(self, symbols: Symbols, settings: EscapeSettings) -> None:
        self.symbols = symbols
        self.settings = settings
        self.known = symbols.names()
        self.assigned: set[str] = set()

    def check(self, tree: ast.Module) -> None:
        for statement in tree.body:
            self.visit(statement)

    def visit(self, node: ast.AST) -> None:
        kind = type(node).__name__
        if type(node) not in ALLOWED_NODES:
            self._forbidden_node(node, kind)
        method = getattr(self, f"check_{kind}", None)
        if method is not None:
            method(node)
        else:
            self.visit_children(node)

    def visit_children(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            self.visit(child)

    def _forbidden_node(self, node: ast.AST, kind: str) -> None:
        if isinstance(node, ast.stmt):
            hint = _NODE_HINTS.get(kind, _STATEMENT_HINT)
        else:
            hint = _NODE_HINTS.get(kind, _QUERY_HINT)
        label = {"JoinedStr": "f-string", "Starred": "*args"}.get(kind, kind)
        raise CodeForbiddenNode(
            f"Snippets cannot use {label} syntax.", hint=hint, **_position(node)
        )

    # -- statements

    def check_Assign(self, node: ast.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            raise CodeForbiddenNode(
                "Assign to one plain name at a time.",
                hint="write name = expression",
                **_position(node),
            )
        self.visit(node.value)  # the value first: `x = x.filter()` needs an earlier x
        target = node.targets[0]
        name = target.id
        if name.startswith("_"):
            raise CodeForbiddenName(
                f"Names cannot start with an underscore: {name!r}.",
                hint="choose a plain name such as recent_orders",
                **_position(target),
            )
        if name in self.known:
            raise CodeForbiddenName(
                f"{name!r} is a preloaded name and cannot be assigned.",
                hint="choose another name",
                **_position(target),
            )
        self.assigned.add(name)

    def check_Import(self, node: ast.Import) -> None:
        self._imports_allowed(node)
        raise CodeForbiddenImport(
            "`import module` is not available in snippets.",
            hint=self._preloaded_hint(),
            **_position(node),
        )

    def check_ImportFrom(self, node: ast.ImportFrom) -> None:
        self._imports_allowed(node)
        module = node.module or ""
        if node.level or module not in self.settings.allowed_imports:
            raise CodeForbiddenImport(
                f"Importing from {'.' * node.level}{module} is not allowed.",
                hint="allowed modules: " + ", ".join(self.settings.allowed_imports),
                **_position(node),
            )
        for alias in node.names:
            if alias.asname is not None and alias.asname != alias.name:
                raise CodeForbiddenImport(
                    "Imports cannot rename (`as`).",
                    hint=f"use the preloaded name {alias.name}",
                    **_position(node),
                )
            if alias.name == "*" or module not in self.symbols.homes(alias.name):
                raise CodeForbiddenImport(
                    f"{alias.name} from {module} is not a preloaded name.",
                    hint=self._preloaded_hint(),
                    **_position(node),
                )

    def _imports_allowed(self, node: ast.AST) -> None:
        if self.settings.imports != "allowlist":
            raise CodeForbiddenImport(
                "Snippets cannot import anything.",
                hint=self._preloaded_hint(),
                **_position(node),
            )

    def _preloaded_hint(self) -> str:
        models = sorted(self.symbols.models)[:12]
        return (
            "models and expressions are already available by name, without imports: "
            + ", ".join([*models, "Q", "F", "Count", "Sum", "..."])
        )

    # -- expressions

    def check_Name(self, node: ast.Name) -> None:
        name = node.id
        if not isinstance(node.ctx, ast.Load):
            return  # assignment targets are checked by check_Assign
        if name in self.known or name in self.assigned:
            return
        if name.startswith("_"):
            raise CodeForbiddenName(
                f"Names starting with an underscore do not exist here: {name!r}.",
                hint=_QUERY_HINT,
                **_position(node),
            )
        why = _ABSENT_NAMES.get(name)
        if why is not None:
            raise CodeForbiddenName(
                f"{name!r} is not available in snippets: {why}.",
                hint=_QUERY_HINT,
                **_position(node),
            )
        close = difflib.get_close_matches(name, sorted(self.known | self.assigned), n=3)
        raise CodeForbiddenName(
            f"There is nothing called {name!r} here.",
            hint=("did you mean " + " or ".join(close) + "?") if close else self._preloaded_hint(),
            **_position(node),
        )

    def check_Attribute(self, node: ast.Attribute) -> None:
        self.visit(node.value)
        attr = node.attr
        if attr.startswith("_"):
            raise CodeForbiddenAttribute(
                f"Attributes starting with an underscore are not available: .{attr}.",
                hint="only read-only QuerySet methods: " + ", ".join(sorted(QUERYSET_METHODS)),
                **_position(node),
            )
        if attr in ALLOWED_ATTRIBUTES:
            return
        if attr in _WRITE_METHODS:
            message = f".{attr}() changes data; snippets only read."
            hint = "ask a question about the data instead"
        else:
            message = f".{attr} is not available in snippets."
            hint = _ATTRIBUTE_HINTS.get(
                attr, "available methods: " + ", ".join(sorted(ALLOWED_ATTRIBUTES))
            )
        raise CodeForbiddenAttribute(message, hint=hint, **_position(node))

    def check_Call(self, node: ast.Call) -> None:
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            raise CodeForbiddenNode(
                "Only preloaded names and methods can be called.",
                hint=_QUERY_HINT,
                **_position(node),
            )
        for keyword in node.keywords:
            if keyword.arg is None:
                raise CodeForbiddenNode(
                    "Snippets cannot use **kwargs.",
                    hint="write each keyword argument",
                    **_position(keyword.value),
                )
            if keyword.arg.startswith("_"):
                raise CodeForbiddenName(
                    f"Keyword arguments cannot start with an underscore: {keyword.arg}=.",
                    hint="choose a plain name",
                    **_position(keyword.value),
                )
        self.visit_children(node)

    def check_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if value is None or isinstance(value, (bool, str)):
            return
        if isinstance(value, int):
            if abs(value) > MAX_INT:
                raise CodeTooLarge(
                    "The number is beyond the 64-bit range.",
                    hint=f"numbers go up to {MAX_INT}",
                    **_position(node),
                )
            return
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise CodeTooLarge("The number is too large.", **_position(node))
            return
        kind = {bytes: "bytes", complex: "complex numbers"}.get(type(value), "this constant")
        raise CodeForbiddenNode(
            f"Snippets cannot use {kind}.",
            hint="use text, whole or decimal numbers, True/False or None",
            **_position(node),
        )

    def check_Subscript(self, node: ast.Subscript) -> None:
        self.visit(node.value)
        index = node.slice
        if isinstance(index, ast.Slice):
            if index.step is not None:
                raise CodeInvalid(
                    "Slices cannot have a step.", hint="write [start:stop]", **_position(node)
                )
            bounds = [b for b in (index.lower, index.upper) if b is not None]
        else:
            bounds = [index]
        for bound in bounds:
            if not _is_whole_number(bound):
                raise CodeInvalid(
                    "Only whole numbers written out can slice a query, e.g. [:10] or [10:20].",
                    hint="negative indexes are not supported",
                    **_position(bound),
                )
            self.visit(bound)


def _is_whole_number(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
        and node.value >= 0
    )
