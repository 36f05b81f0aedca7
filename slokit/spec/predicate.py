"""The predicate language of ``type: slokit`` bindings: which events of a stream count.

A predicate is a SQL-style boolean expression over event fields, for example
``route = '/orders' AND status < 500``. It is parsed and type-checked when the spec loads, so a
typo is a load error that names its position, never a crash at ingest time. The result is a
small immutable syntax tree that the event store evaluates (``slokit.sources.predicate_eval``)
and that renders back to a canonical text (``str(predicate)``), which parses to the same tree.

Semantics (SQL's): a comparison with a field that is missing or null is *unknown*, ``NOT`` of
unknown is unknown, and an event is counted only when the whole predicate is true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral

CompareOp = TypingLiteral["=", "!=", "<", "<=", ">", ">="]
LiteralValue = str | int | float | bool

#: Words that cannot be used as bare field names (write them in "double quotes").
KEYWORDS = frozenset({"and", "or", "not", "in", "is", "null", "like", "between", "true", "false"})
_BARE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
#: Parentheses/NOT deeper than this are refused: no real predicate needs it, and recursion
#: through the tree (rendering, evaluation) stays far from Python's limit.
MAX_DEPTH = 64
MAX_LENGTH = 10_000


class PredicateError(ValueError):
    """A predicate that does not parse or does not type-check.

    ``offset`` is the 0-based character position in the predicate text where the problem is;
    ``hint`` says what is allowed there. Spec loading turns this into a Diagnostic.
    """

    def __init__(self, message: str, offset: int, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.hint = hint

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"at character {self.offset + 1}: {self.message}{hint}"


# --- the syntax tree ---


@dataclass(frozen=True, slots=True)
class Field:
    """An event field; dots name nested fields (``http.status``)."""

    name: str

    def __str__(self) -> str:
        return render_field_name(self.name)


@dataclass(frozen=True, slots=True, eq=False)
class Literal:
    """A constant: string, integer, float or boolean. ``1``, ``1.0`` and ``true`` are all different."""

    value: LiteralValue

    @property
    def kind(self) -> TypingLiteral["string", "number", "bool"]:
        if isinstance(self.value, bool):
            return "bool"
        if isinstance(self.value, str):
            return "string"
        return "number"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Literal):
            return NotImplemented
        return type(self.value) is type(other.value) and self.value == other.value

    def __hash__(self) -> int:
        return hash((type(self.value).__name__, self.value))

    def __str__(self) -> str:
        value = self.value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return "'" + value.replace("'", "''") + "'"
        if isinstance(value, float):
            return repr(value)
        return str(value)


@dataclass(frozen=True, slots=True)
class Compare:
    field: Field
    op: CompareOp
    value: Literal

    def __str__(self) -> str:
        return f"{self.field} {self.op} {self.value}"


@dataclass(frozen=True, slots=True)
class In:
    field: Field
    values: tuple[Literal, ...]
    negated: bool = False

    def __str__(self) -> str:
        items = ", ".join(str(v) for v in self.values)
        return f"{self.field} {'NOT IN' if self.negated else 'IN'} ({items})"


@dataclass(frozen=True, slots=True)
class IsNull:
    """True when the field is missing or null (``negated``: present and not null)."""

    field: Field
    negated: bool = False

    def __str__(self) -> str:
        return f"{self.field} IS {'NOT NULL' if self.negated else 'NULL'}"


@dataclass(frozen=True, slots=True)
class Like:
    """SQL LIKE: ``%`` any run of characters, ``_`` one character, backslash escapes either."""

    field: Field
    pattern: str
    negated: bool = False

    def __str__(self) -> str:
        return f"{self.field} {'NOT LIKE' if self.negated else 'LIKE'} {Literal(self.pattern)}"


@dataclass(frozen=True, slots=True)
class Between:
    """``low <= field <= high``, both bounds inclusive as in SQL."""

    field: Field
    low: Literal
    high: Literal
    negated: bool = False

    def __str__(self) -> str:
        word = "NOT BETWEEN" if self.negated else "BETWEEN"
        return f"{self.field} {word} {self.low} AND {self.high}"


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Expr, ...]

    def __str__(self) -> str:
        return " AND ".join(_wrap(op, (And, Or)) for op in self.operands)


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Expr, ...]

    def __str__(self) -> str:
        return " OR ".join(_wrap(op, (Or,)) for op in self.operands)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr

    def __str__(self) -> str:
        return "NOT " + _wrap(self.operand, (And, Or))


Condition = Compare | In | IsNull | Like | Between
Expr = Compare | In | IsNull | Like | Between | And | Or | Not


def _wrap(expr: Expr, needs_parens: tuple[type, ...]) -> str:
    """Parenthesise where precedence (NOT > AND > OR) or the tree's shape needs it."""
    text = str(expr)
    return f"({text})" if isinstance(expr, needs_parens) else text


def render_field_name(name: str) -> str:
    """A field name as the predicate language writes it: bare when it can be, else "quoted"."""
    if _BARE_NAME.fullmatch(name) and not any(part.lower() in KEYWORDS for part in name.split(".")):
        return name
    return '"' + name.replace('"', '""') + '"'


def iter_conditions(expr: Expr) -> list[Condition]:
    """Every leaf condition of a tree, left to right."""
    if isinstance(expr, And | Or):
        return [c for op in expr.operands for c in iter_conditions(op)]
    if isinstance(expr, Not):
        return iter_conditions(expr.operand)
    return [expr]


@dataclass(frozen=True)
class Predicate:
    """A parsed predicate. Equal predicates have equal trees, whatever their original spelling."""

    text: str = field(compare=False)
    expr: Expr
    fields: frozenset[str] = field(compare=False, default=frozenset())

    @classmethod
    def from_expr(cls, expr: Expr, text: str | None = None) -> Predicate:
        names = frozenset(c.field.name for c in iter_conditions(expr))
        return cls(text if text is not None else str(expr), expr, names)

    def __str__(self) -> str:
        return str(self.expr)


# --- parsing ---


def parse_predicate(text: str) -> Predicate:
    """Parse and type-check ``text``; raise :class:`PredicateError` naming the offending position.

    The parser (lark and its grammar) lives in :mod:`slokit.spec.predicate_parser`, imported on
    the first predicate: a spec without ``where`` clauses, and every command that only reads the
    syntax tree, never pays for importing lark.
    """
    if not isinstance(text, str):
        raise PredicateError(f"a predicate must be text, not {type(text).__name__}", 0)
    if not text.strip():
        raise PredicateError(
            "the predicate is empty", 0, "write a condition such as status < 500, or leave 'where' out"
        )
    if len(text) > MAX_LENGTH:
        raise PredicateError(f"the predicate is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    _check_depth(text)
    from slokit.spec.predicate_parser import parse_expr

    return Predicate.from_expr(parse_expr(text), text)


def _check_depth(text: str) -> None:
    """Refuse absurd nesting (parentheses plus runs of NOT) before the parser recurses into it."""
    depth = 0
    not_run = 0
    tokens = r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\(|\)|[A-Za-z_][A-Za-z0-9_.]*|[^\s()]"
    for match in re.finditer(tokens, text):
        token = match.group(0)
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif token.lower() == "not":
            not_run += 1
        else:
            not_run = 0
        if depth + not_run > MAX_DEPTH:
            raise PredicateError(
                f"the predicate is nested more than {MAX_DEPTH} levels deep",
                match.start(),
                "simplify the expression",
            )
