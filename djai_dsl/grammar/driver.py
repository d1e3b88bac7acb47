"""A lean LALR driver over lark's own tables: the parser's fast path.

lark compiles ``djai.lark`` into an LALR parse table and one lexer per parser state (the
contextual lexer). ``Lark.parse`` then spends most of its time on bookkeeping a query does
not need on the way to a plan: a Token with seven position fields per token, line counting,
a generator, a Tree with meta per rule, then a second pass with a Transformer that wraps
every call. :class:`LalrDriver` runs the very same table and the very same per-state
regular expressions in one loop and calls the rule callbacks during the reductions, so no
tree is built and no positions are kept.

It takes no decision of its own: the tables, the terminal order, which tokens are dropped
and which rules are inlined all come from the ``Lark`` object, and the child filtering is
lark's own (``ParseTreeBuilder``). Whenever the input is not a plain success (a syntax
error, or more counted nodes than allowed) it raises :class:`Declined` and the caller runs
lark's full parser, which reports the error with positions; exceptions raised by the rule
callbacks propagate unchanged.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Collection
from functools import partial
from types import SimpleNamespace
from typing import Any

from lark import Lark, Token, Tree
from lark.lexer import ContextualLexer
from lark.parse_tree_builder import ParseTreeBuilder
from lark.parsers.lalr_analysis import Shift

__all__ = ["Declined", "FastToken", "LalrDriver"]

_END = "$END"


class Declined(Exception):
    """The fast path does not handle this input; parse it with lark instead."""


class FastToken(str):
    """A token on the fast path: its text, and its terminal name as ``type`` (what rule
    callbacks read from a lark Token). It has no position: errors take lark's path."""

    __slots__ = ("type",)
    type: str
    line = None
    column = None


class LalrDriver:
    """Parses with a ``Lark`` object's LALR tables (``parser="lalr"``, contextual lexer).

    ``rules`` provides one method per rule name, called as ``method(None, children)``: the
    ``None`` stands for lark's meta, which the fast path does not compute. Rules whose name
    is in ``counted`` are counted as they build a node; past ``limit`` the parse declines.
    """

    def __init__(
        self, lark: Lark, rules: object, *, counted: Collection[str] = (), limit: int = 0
    ) -> None:
        options = lark.options
        if options.parser != "lalr" or options.postlex is not None:
            raise ValueError("LalrDriver needs an LALR parser without a postlexer")
        lexer = lark.parser.lexer
        if not isinstance(lexer, ContextualLexer):
            raise ValueError("LalrDriver needs lark's contextual lexer")
        parse_table = lark.parser.parser.parser.parse_table
        self._starts: dict[str, int] = dict(parse_table.start_states)
        self._end_states: dict[str, int] = dict(parse_table.end_states)
        self._limit = limit

        terminal_methods = sorted(t.name for t in lark.terminals if hasattr(rules, t.name))
        if terminal_methods:  # a Transformer would call them on tokens; the driver does not
            raise ValueError(f"methods named after terminals are not supported: {terminal_methods}")
        callbacks = _rule_callbacks(lark, rules)
        rule_index: dict[Any, int] = {}
        self._rules: list[tuple[int, str, Callable[[list[Any]], Any] | None, int]] = []
        for rule in lark.rules:
            rule_index[rule] = len(self._rules)
            name = rule.alias or rule.options.template_source or rule.origin.name
            counts = int(name in counted and _may_build_node(rule))
            callback = None if _is_inlined_unit(rule) else callbacks[rule]
            origin = _name(rule.origin.name)
            self._rules.append((len(rule.expansion), origin, callback, counts))

        # One dict per state: a terminal or rule name -> the next state (shift / goto), or
        # ~index of the rule to reduce by.
        self._table: list[dict[str, int]] = [{} for _ in range(len(parse_table.states))]
        for state, actions in parse_table.states.items():
            row = self._table[state]
            for symbol, (action, arg) in actions.items():
                row[_name(symbol)] = arg if action is Shift else ~rule_index[arg]

        self._ignore = frozenset(_name(name) for name in lark.lexer_conf.ignore)
        # Terminals some rule keeps as a child; the others are never looked at.
        self._kept = frozenset(
            _name(symbol.name)
            for rule in lark.rules
            for symbol in rule.expansion
            if symbol.is_term and (rule.options.keep_all_tokens or not symbol.filter_out)
        )
        self._state_lexers(lark, lexer, len(self._table))

    def _state_lexers(self, lark: Lark, lexer: ContextualLexer, states: int) -> None:
        """Each state's ``match`` function: lark's scanner pattern for that state's lexer,
        the same terminals in the same order, so the same alternative wins."""
        flags = lark.lexer_conf.g_regex_flags
        self._lexers: list[Callable[..., re.Match[str] | None]] = [None] * states  # type: ignore[list-item]
        self._lexer_callbacks: list[dict[str, Any] | None] | None = None
        built: dict[int, tuple[Callable[..., re.Match[str] | None], dict[str, Any] | None]] = {}
        for state, basic in lexer.lexers.items():
            if id(basic) not in built:
                terminals = basic.scanner.terminals  # builds the scanner and basic.callback
                pattern = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
                callbacks = dict(basic.callback) or None
                if callbacks and self._ignore & set(callbacks):
                    raise ValueError("lexer callbacks on ignored terminals are not supported")
                built[id(basic)] = (re.compile(pattern, flags).match, callbacks)
            self._lexers[state], callbacks = built[id(basic)]
            if callbacks:
                if self._lexer_callbacks is None:
                    self._lexer_callbacks = [None] * states
                self._lexer_callbacks[state] = callbacks

    def parse(self, text: str, start: str) -> Any:
        """The value the ``start`` rule's callback returns, or :class:`Declined`."""
        state = self._starts[start]
        end_state = self._end_states[start]
        table, lexers, rules = self._table, self._lexers, self._rules
        ignore, kept, limit = self._ignore, self._kept, self._limit
        lexer_callbacks = self._lexer_callbacks
        states = [state]
        values: list[Any] = []
        pos, end, counted = 0, len(text), 0
        while True:
            # The next token, read with the lexer of the current state.
            while True:
                if pos >= end:
                    kind, token = _END, None
                    break
                found = lexers[state](text, pos)
                if found is None:
                    raise Declined
                kind = found.lastgroup
                pos = found.end()
                if kind in ignore:
                    continue
                if lexer_callbacks is not None and kind in (lexer_callbacks[state] or ()):
                    lark_token = Token(kind, found.group(), found.start())
                    kind = lexer_callbacks[state][kind](lark_token).type
                if kind in kept:
                    token = FastToken(found.group())
                    token.type = kind
                else:
                    token = None
                break
            # Reduce as long as the table says so, then shift the token.
            row = table[state]
            while True:
                action = row.get(kind)
                if action is None:
                    raise Declined
                if action >= 0:
                    states.append(action)
                    values.append(token)
                    state = action
                    break
                size, origin, callback, counts = rules[~action]
                if callback is None:  # a unit rule lark inlines: the value stays as it is
                    state = table[states[-2]][origin]
                    states[-1] = state
                else:
                    if counts:
                        counted += 1
                        if counted > limit:
                            raise Declined
                    if size:
                        children = values[-size:]
                        del values[-size:]
                        del states[-size:]
                    else:
                        children = []
                    state = table[states[-1]][origin]
                    states.append(state)
                    values.append(callback(children))
                if kind is _END and state == end_state:
                    return values[-1]
                row = table[state]


def _name(name: str) -> str:
    """A symbol name as a plain, interned str: lark's grammar names are Tokens, whose
    ``__eq__`` is Python code that every dict lookup would run."""
    return sys.intern(str(name))


def _rule_callbacks(lark: Lark, rules: object) -> dict[Any, Callable[[list[Any]], Any]]:
    """lark's own reduction callbacks (token filtering, ``_rule`` splicing, ``?rule``
    inlining) around ``rules``' methods; rules without a method build a Tree, as with a
    Transformer."""
    names = {rule.alias or rule.options.template_source or rule.origin.name for rule in lark.rules}
    methods = {
        name: partial(getattr(rules, name), None)
        for name in names
        if not name.startswith("_") and callable(getattr(rules, name, None))
    }
    builder = ParseTreeBuilder(
        lark.rules,
        lark.options.tree_class or Tree,
        propagate_positions=False,
        ambiguous=False,
        maybe_placeholders=lark.options.maybe_placeholders,
    )
    return builder.create_callback(SimpleNamespace(**methods))


def _kept_symbols(rule: Any) -> list[Any]:
    keep_all = rule.options.keep_all_tokens
    return [s for s in rule.expansion if keep_all or not (s.is_term and s.filter_out)]


def _spliced(symbol: Any) -> bool:
    return not symbol.is_term and symbol.name.startswith("_")


def _is_inlined_unit(rule: Any) -> bool:
    """``?a: b`` with one kept child: lark returns that child unchanged."""
    kept = _kept_symbols(rule)
    return (
        rule.options.expand1
        and not rule.alias
        and len(rule.expansion) == 1
        and len(kept) == 1
        and not _spliced(kept[0])
        and not rule.options.empty_indices
    )


def _may_build_node(rule: Any) -> bool:
    """Whether reducing by ``rule`` may build a node rather than inline its only child.
    When a spliced ``_rule`` makes the child count unknown, assume it may."""
    if rule.alias or not rule.options.expand1:
        return True
    kept = _kept_symbols(rule)
    return any(_spliced(s) for s in kept) or len(kept) != 1
