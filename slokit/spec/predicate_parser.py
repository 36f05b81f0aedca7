"""The parser of the predicate language (:mod:`slokit.spec.predicate`): lark, its grammar, plain-word errors.

Apart from the syntax tree so that lark is imported only when a predicate is parsed (about
15 ms of a command's start otherwise, e.g. ``slokit report --source prometheus``, which never
parses one).
"""

from __future__ import annotations

import math
import re
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from slokit.spec.predicate import (
    _INT64_MAX,
    _INT64_MIN,
    And,
    Between,
    Compare,
    Expr,
    Field,
    In,
    IsNull,
    Like,
    Literal,
    LiteralValue,
    Not,
    Or,
    PredicateError,
)


@cache
def _parser() -> Lark:
    grammar = resources.files("slokit.spec").joinpath("predicate.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="basic", maybe_placeholders=False)


def parse_expr(text: str) -> Expr:
    """The syntax tree of ``text`` (length and nesting already checked); PredicateError if it is wrong."""
    parser = _parser()
    try:
        tree = parser.parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    try:
        expr: Expr = _ToAst().transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, PredicateError):
            raise exc.orig_exc from None
        raise
    return expr


class _Located:
    """A field or literal with the position it was written at, for type-check messages."""

    __slots__ = ("node", "pos", "token")

    def __init__(self, node: Field | Literal | None, token: Token) -> None:
        self.node = node
        self.token = token
        self.pos = token.start_pos or 0


def _literal_of(loc: _Located, where: str) -> Literal:
    if loc.node is None:  # NULL written as a value
        raise PredicateError(
            f"NULL cannot be used {where}",
            loc.pos,
            "test for a missing value with 'field IS NULL' or 'field IS NOT NULL'",
        )
    assert isinstance(loc.node, Literal)
    return loc.node


_KIND_WORDS = {"string": "a string", "number": "a number", "bool": "a boolean"}
_KIND_PLURALS = {"string": "strings", "number": "numbers", "bool": "booleans"}


@v_args(inline=True)
class _ToAst(Transformer[Token, Expr]):
    """Builds the syntax tree from lark's parse tree and checks literal types on the way."""

    def start(self, expr: Expr) -> Expr:
        return expr

    def group(self, _lpar: Token, expr: Expr, _rpar: Token) -> Expr:
        return expr

    def or_(self, *items: Any) -> Expr:
        return Or(tuple(i for i in items if not isinstance(i, Token)))

    def and_(self, *items: Any) -> Expr:
        return And(tuple(i for i in items if not isinstance(i, Token)))

    def not_(self, _not: Token, expr: Expr) -> Expr:
        return Not(expr)

    def field(self, token: Token) -> _Located:
        text = str(token)
        if token.type == "QUOTED_NAME":
            text = text[1:-1].replace('""', '"')
            if not text:
                raise PredicateError("a field name cannot be empty", token.start_pos or 0)
        return _Located(Field(text), token)

    def literal(self, token: Token) -> _Located:
        text = str(token)
        pos = token.start_pos or 0
        value: LiteralValue
        if token.type == "NULL":
            return _Located(None, token)
        if token.type == "STRING":
            value = text[1:-1].replace("''", "'")
        elif token.type == "TRUE":
            value = True
        elif token.type == "FALSE":
            value = False
        elif any(c in text for c in ".eE"):
            value = float(text)
            if not math.isfinite(value):
                raise PredicateError(f"the number {text} is too large", pos, "numbers must be finite")
        else:
            value = int(text)
            if not _INT64_MIN <= value <= _INT64_MAX:
                raise PredicateError(
                    f"the integer {text} does not fit in 64 bits", pos, "write it as a float, e.g. 1e20"
                )
        return _Located(Literal(value), token)

    def compare(self, fld: _Located, op: Token, lit: _Located) -> Expr:
        value = _literal_of(lit, "in a comparison")
        op_text = "!=" if str(op) == "<>" else str(op)
        if value.kind == "bool" and op_text not in ("=", "!="):
            raise PredicateError(
                f"a boolean cannot be compared with {op_text}",
                op.start_pos or 0,
                "use = or != with true and false",
            )
        assert isinstance(fld.node, Field)
        return Compare(fld.node, op_text, value)  # type: ignore[arg-type]

    def _in(self, items: tuple[Any, ...], negated: bool) -> Expr:
        fld = items[0]
        assert isinstance(fld.node, Field)
        located = [i for i in items[1:] if isinstance(i, _Located)]
        values = tuple(_literal_of(v, "in an IN list") for v in located)
        first = values[0]
        for loc, value in zip(located, values, strict=True):
            if value.kind != first.kind:
                raise PredicateError(
                    f"an IN list mixes {_KIND_PLURALS[first.kind]} and {_KIND_PLURALS[value.kind]}",
                    loc.pos,
                    "all values of an IN list must have one type",
                )
        return In(fld.node, values, negated)

    def in_(self, *items: Any) -> Expr:
        return self._in(items, negated=False)

    def not_in(self, *items: Any) -> Expr:
        return self._in(items, negated=True)

    def is_null(self, fld: _Located, _is: Token, _null: Token) -> Expr:
        assert isinstance(fld.node, Field)
        return IsNull(fld.node)

    def is_not_null(self, fld: _Located, _is: Token, _not: Token, _null: Token) -> Expr:
        assert isinstance(fld.node, Field)
        return IsNull(fld.node, negated=True)

    def _like(self, fld: _Located, pattern: _Located, negated: bool) -> Expr:
        value = _literal_of(pattern, "as a LIKE pattern")
        if not isinstance(value.value, str) or isinstance(value.value, bool):
            raise PredicateError(
                f"LIKE needs a string pattern, not {_KIND_WORDS[value.kind]}",
                pattern.pos,
                "write the pattern in single quotes, e.g. route LIKE '/orders/%'",
            )
        if _ends_in_escape(value.value):
            raise PredicateError(
                "a LIKE pattern cannot end with a lone backslash (it escapes the next character)",
                pattern.pos,
                "write \\\\ for a literal backslash",
            )
        assert isinstance(fld.node, Field)
        return Like(fld.node, value.value, negated)

    def like(self, fld: _Located, _like: Token, pattern: _Located) -> Expr:
        return self._like(fld, pattern, negated=False)

    def not_like(self, fld: _Located, _not: Token, _like: Token, pattern: _Located) -> Expr:
        return self._like(fld, pattern, negated=True)

    def _between(self, fld: _Located, low_loc: _Located, high_loc: _Located, negated: bool) -> Expr:
        low = _literal_of(low_loc, "as a BETWEEN bound")
        high = _literal_of(high_loc, "as a BETWEEN bound")
        if low.kind == "bool" or high.kind == "bool":
            bad = low_loc if low.kind == "bool" else high_loc
            raise PredicateError("BETWEEN needs numbers or strings, not booleans", bad.pos)
        if low.kind != high.kind:
            raise PredicateError(
                f"BETWEEN bounds must have one type, not {_KIND_WORDS[low.kind]} and "
                f"{_KIND_WORDS[high.kind]}",
                high_loc.pos,
            )
        if low.value > high.value:  # type: ignore[operator]
            raise PredicateError(
                f"BETWEEN {low} AND {high} can never be true: the lower bound comes first",
                low_loc.pos,
                f"write BETWEEN {high} AND {low}",
            )
        assert isinstance(fld.node, Field)
        return Between(fld.node, low, high, negated)

    def between(self, fld: _Located, _b: Token, low: _Located, _and: Token, high: _Located) -> Expr:
        return self._between(fld, low, high, negated=False)

    def not_between(
        self, fld: _Located, _n: Token, _b: Token, low: _Located, _and: Token, high: _Located
    ) -> Expr:
        return self._between(fld, low, high, negated=True)


def _ends_in_escape(pattern: str) -> bool:
    """True when the pattern's last backslash has nothing left to escape."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            if i + 1 == len(pattern):
                return True
            i += 2
        else:
            i += 1
    return False


# --- syntax errors in plain words ---

_VALUE = "a value ('text', a number, true or false)"
_FIELD = "a field name"
_CONDITION_OPS = "a comparison (=, !=, <, <=, >, >=), IN, NOT IN, LIKE, BETWEEN or IS [NOT] NULL"
_TERMINAL_WORDS: dict[str, str] = {
    "NAME": _FIELD,
    "QUOTED_NAME": _FIELD,
    "STRING": _VALUE,
    "NUMBER": _VALUE,
    "TRUE": _VALUE,
    "FALSE": _VALUE,
    "NULL": "NULL",
    "CMP_OP": "a comparison operator (=, !=, <, <=, >, >=)",
    "AND": "AND",
    "OR": "OR",
    "NOT": "NOT",
    "IN": "IN",
    "IS": "IS",
    "LIKE": "LIKE",
    "BETWEEN": "BETWEEN",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "$END": "the end of the predicate",
}


def _describe_expected(expected: set[str], after_field: bool) -> str:
    if after_field and {"CMP_OP", "IN", "LIKE", "BETWEEN", "IS"} <= expected:
        return _CONDITION_OPS
    words: list[str] = []
    for name in sorted(
        expected, key=lambda n: list(_TERMINAL_WORDS).index(n) if n in _TERMINAL_WORDS else 99
    ):
        if name == "NULL" and "STRING" in expected:
            continue  # NULL is only accepted to explain that it is not a value
        word = _TERMINAL_WORDS.get(name, name.lower())
        if word not in words:
            words.append(word)
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "the end of the predicate"
    return f"'{token}'"


def _previous_token(text: str, offset: int) -> Token | None:
    previous: Token | None = None
    try:
        for token in _parser().lex(text[:offset]):
            previous = token
    except UnexpectedInput:
        return None
    return previous


def _syntax_error(text: str, exc: UnexpectedInput) -> PredicateError:
    if isinstance(exc, UnexpectedCharacters):
        return _bad_character(text, exc.pos_in_stream or 0)
    assert isinstance(exc, UnexpectedToken)
    token: Token = exc.token
    offset = len(text) if token.type == "$END" else (token.start_pos or 0)
    previous = _previous_token(text, offset)
    after_field = previous is not None and previous.type in ("NAME", "QUOTED_NAME")
    # ``accepts`` is what the parser would take after pending reductions; ``expected`` over-reports.
    expected = set(exc.accepts or exc.expected)
    found = _describe_token(token)
    message = f"expected {_describe_expected(expected, after_field)}, found {found}"
    hint = ""
    if re.search(r"\bselect\b", text[: offset + len(str(token))], re.IGNORECASE):
        message = "subqueries are not supported"
        hint = "a predicate only compares this event's fields with constant values"
    elif token.type == "LPAR" and after_field:
        message = f"function calls such as {previous}(...) are not supported"
        hint = "compare the field itself, e.g. route LIKE '/orders/%'"
    elif token.type == "QUOTED_NAME" and "STRING" in expected:
        hint = "double quotes name a field; write text values in single quotes, e.g. route = '/orders'"
    elif token.type == "CMP_OP" and previous is not None and previous.type == "CMP_OP":
        hint = "use a single '=' for equality" if str(token) == "=" else "write one comparison operator"
    elif token.type in ("STRING", "NUMBER", "TRUE", "FALSE") and ("NAME" in expected):
        hint = "write the field first, then the operator and the value, e.g. status < 500"
    elif after_field and token.type in ("AND", "OR", "RPAR", "$END"):
        hint = f"a field alone is not a condition; write e.g. {previous} = true or {previous} IS NOT NULL"
    elif token.type == "$END" and "RPAR" in expected:
        hint = "a '(' is not closed"
    elif token.type == "RPAR" and previous is not None and previous.type == "LPAR":
        hint = "an IN list needs at least one value" if _is_in_list(text, previous) else "'()' is empty"
    elif token.type == "RPAR" and "RPAR" not in expected and "$END" not in expected:
        hint = "a ')' closes nothing, or a condition is missing before it"
    elif token.type == "RPAR":
        hint = "this ')' has no matching '('"
    return PredicateError(message, offset, hint)


def _is_in_list(text: str, lpar: Token) -> bool:
    before = _previous_token(text, lpar.start_pos or 0)
    return before is not None and before.type == "IN"


def _bad_character(text: str, offset: int) -> PredicateError:
    char = text[offset]
    if re.search(r"\bselect\b", text[:offset], re.IGNORECASE):
        return PredicateError(
            "subqueries are not supported",
            offset,
            "a predicate only compares this event's fields with constant values",
        )
    rest = text[offset : offset + 2]
    if char == "'":
        return PredicateError("a string is not closed", offset, "add the closing single quote")
    if char == '"':
        return PredicateError("a quoted field name is not closed", offset, "add the closing double quote")
    if char == ";":
        return PredicateError(
            "';' is not allowed: a predicate is a single expression",
            offset,
            "combine conditions with AND / OR",
        )
    if rest in ("&&", "||"):
        word = "AND" if rest == "&&" else "OR"
        return PredicateError(f"'{rest}' is not part of the language", offset, f"write {word}")
    if char == "!":
        return PredicateError("'!' is not part of the language", offset, "write NOT, or != for 'not equal'")
    if rest == "--" or rest == "/*":
        return PredicateError("comments are not allowed in a predicate", offset)
    if char == "`":
        return PredicateError(
            "backticks are not allowed", offset, 'quote field names with "double quotes", text with single'
        )
    return PredicateError(
        f"unexpected character {char!r}",
        offset,
        "allowed: field names, 'text', numbers, true/false, = != <> < <= > >=, AND OR NOT, "
        "IN, LIKE, BETWEEN, IS NULL and parentheses",
    )
