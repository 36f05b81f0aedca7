"""The columnar predicate evaluator against a row-by-row oracle written separately below.

The oracle walks plain Python dicts one event at a time with SQL's three-valued logic spelled
out (True / False / None for unknown), Python's own comparison operators, and its own LIKE
matcher. It shares nothing with the evaluator except the parsed tree.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.sources.predicate_eval import EventBatch, evaluate, predicate_mask
from slokit.spec.predicate import (
    And,
    Between,
    Compare,
    CompareOp,
    Expr,
    Field,
    In,
    IsNull,
    Like,
    Literal,
    Not,
    Or,
    parse_predicate,
)

# --- the oracle ---

#: Declared type of each column of the generated batches; "h.code" lives in a struct column "h".
SCHEMA: dict[str, pa.DataType] = {
    "i": pa.int64(),
    "f": pa.float64(),
    "s": pa.string(),
    "b": pa.bool_(),
    "h": pa.struct([("code", pa.int64())]),
}
FIELD_KIND = {"i": "number", "f": "number", "s": "string", "b": "bool", "h.code": "number"}
_MISSING = object()


def field_value(event: dict[str, Any], name: str, present: set[str]) -> Any:
    """The event's value for a field, None when null or absent (or its column is absent)."""
    if name == "h.code":
        if "h" not in present:
            return None
        h = event.get("h")
        return None if h is None else h.get("code")
    if name not in present:
        return None
    return event.get(name)


def kind_of_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    return "number"


def like_matches(text: str, pattern: str) -> bool:
    """SQL LIKE by dynamic programming: % any run, _ one character, backslash escapes."""
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            tokens.append(("lit", pattern[i + 1]))
            i += 2
            continue
        tokens.append(("any" if char == "%" else "one" if char == "_" else "lit", char))
        i += 1
    # reachable[j]: the first k characters of text can match the first j tokens
    reachable = [False] * (len(tokens) + 1)
    reachable[0] = True
    for j, (kind, _) in enumerate(tokens):
        if kind == "any":
            reachable[j + 1] = reachable[j] or reachable[j + 1]
    for char in text:
        new = [False] * (len(tokens) + 1)
        for j, (kind, lit) in enumerate(tokens):
            if kind == "any":
                new[j + 1] = new[j + 1] or reachable[j + 1] or reachable[j] or new[j]
            elif kind == "one" or lit == char:
                new[j + 1] = new[j + 1] or reachable[j]
        reachable = new
    return reachable[len(tokens)]


def cmp(value: Any, op: str, lit: Any) -> bool:
    if op == "=":
        return bool(value == lit)
    if op == "!=":
        return bool(value != lit)
    if op == "<":
        return bool(value < lit)
    if op == "<=":
        return bool(value <= lit)
    if op == ">":
        return bool(value > lit)
    return bool(value >= lit)


def oracle(expr: Expr, event: dict[str, Any], present: set[str]) -> bool | None:
    if isinstance(expr, And):
        results = [oracle(e, event, present) for e in expr.operands]
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True
    if isinstance(expr, Or):
        results = [oracle(e, event, present) for e in expr.operands]
        if any(r is True for r in results):
            return True
        return None if any(r is None for r in results) else False
    if isinstance(expr, Not):
        inner = oracle(expr.operand, event, present)
        return None if inner is None else not inner
    name = expr.field.name
    value = field_value(event, name, present)
    if isinstance(expr, IsNull):
        return (value is not None) if expr.negated else (value is None)
    if value is None:
        return None
    kind = FIELD_KIND[name]
    if isinstance(expr, Like):
        if kind != "string":
            return None
        return like_matches(value, expr.pattern) != expr.negated
    if isinstance(expr, Compare):
        if kind != kind_of_literal(expr.value.value):
            return None
        return cmp(value, expr.op, expr.value.value)
    if isinstance(expr, Between):
        if kind != kind_of_literal(expr.low.value):
            return None
        inside = bool(expr.low.value <= value <= expr.high.value)
        return inside != expr.negated
    assert isinstance(expr, In)
    if kind != kind_of_literal(expr.values[0].value):
        return None
    found = any(value == v.value for v in expr.values)
    return found != expr.negated


def oracle_mask(expr: Expr, events: list[dict[str, Any]], present: set[str]) -> list[bool]:
    return [oracle(expr, e, present) is True for e in events]


def unknown_list(unknown: Any, count: int) -> list[bool]:
    return [False] * count if unknown is None else [bool(x) for x in unknown]


def to_table(events: list[dict[str, Any]], present: set[str]) -> pa.Table:
    columns = {}
    for name in sorted(present):
        columns[name] = pa.array([e.get(name) for e in events], SCHEMA[name])
    return pa.table(columns) if columns else pa.table({"_row": pa.array(range(len(events)), pa.int64())})


# --- generated events and predicates ---

ints = st.integers(min_value=-3, max_value=3)
floats = st.sampled_from([-1.5, 0.0, 0.5, 1.0, 2.0, 2.5, math.nan])
texts = st.text(alphabet="ab%_\\\n", max_size=3)
bools = st.booleans()
VALUES = {"i": ints, "f": floats, "s": texts, "b": bools}


@st.composite
def events_strategy(draw: st.DrawFn) -> tuple[list[dict[str, Any]], set[str]]:
    # Each column is usually present; sometimes absent from the whole batch.
    present = {name for name in sorted(SCHEMA) if draw(st.integers(min_value=0, max_value=5)) > 0}
    events = []
    for _ in range(draw(st.integers(min_value=0, max_value=30)) if draw(st.booleans()) else 12):
        event: dict[str, Any] = {}
        for name, values in VALUES.items():
            choice = draw(st.sampled_from(["value", "value", "null", "missing"]))
            if choice == "value":
                event[name] = draw(values)
            elif choice == "null":
                event[name] = None
        h = draw(st.sampled_from(["value", "null", "code-null"]))
        event["h"] = {"code": draw(ints)} if h == "value" else None if h == "null" else {"code": None}
        events.append(event)
    return events, present


def literal_values(kind: str) -> st.SearchStrategy[Any]:
    if kind == "number":
        return st.one_of(ints, st.sampled_from([-1.5, 0.0, 0.5, 2.0, 2.5]))
    if kind == "string":
        return texts
    return bools


FIELDS = ["i", "f", "s", "b", "h.code", "absent"]
FIELD_KIND["absent"] = "number"


@st.composite
def conditions(draw: st.DrawFn) -> Expr:
    fld = Field(draw(st.sampled_from(FIELDS)))
    # Mostly a value of the field's own type, so that conditions often match; sometimes not.
    kind = draw(st.sampled_from([FIELD_KIND[fld.name]] * 3 + ["number", "string", "bool"]))
    negated = draw(st.booleans())
    shape = draw(st.sampled_from(["compare", "in", "null", "like", "between"]))
    if shape == "compare":
        value = Literal(draw(literal_values(kind)))
        ops = ["=", "!="] if kind == "bool" else ["=", "!=", "<", "<=", ">", ">="]
        return Compare(fld, draw(st.sampled_from(ops)), value)
    if shape == "in":
        values = draw(st.lists(literal_values(kind), min_size=1, max_size=3))
        return In(fld, tuple(Literal(v) for v in values), negated)
    if shape == "null":
        return IsNull(fld, negated)
    if shape == "like":
        pattern = draw(texts)
        if (len(pattern) - len(pattern.rstrip("\\"))) % 2:
            pattern += "_"
        return Like(fld, pattern, negated)
    kind = "string" if kind == "bool" else kind
    low, high = sorted(draw(st.lists(literal_values(kind), min_size=2, max_size=2)))
    return Between(fld, Literal(low), Literal(high), negated)


trees = st.recursive(
    conditions(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: And(tuple(xs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs))),
        inner.map(Not),
    ),
    max_leaves=6,
)


def random_events(seed: int, count: int) -> list[dict[str, Any]]:
    """Events with every field sometimes missing, sometimes null, values from small pools."""
    rng = random.Random(seed)
    pools: dict[str, list[Any]] = {
        "i": list(range(-3, 4)),
        "f": [-1.5, 0.0, 0.5, 1.0, 2.0, 2.5, math.nan],
        "s": ["", "a", "ab", "b", "a%", "a_b", "a\\b", "ba", "\n", "%"],
        "b": [True, False],
    }
    events = []
    for _ in range(count):
        event: dict[str, Any] = {}
        for name, pool in pools.items():
            roll = rng.random()
            if roll < 0.7:
                event[name] = rng.choice(pool)
            elif roll < 0.85:
                event[name] = None
        roll = rng.random()
        event["h"] = (
            {"code": rng.choice(pools["i"])} if roll < 0.7 else None if roll < 0.85 else {"code": None}
        )
        events.append(event)
    return events


LITERALS: list[Any] = [-3, -1, 0, 2, 3, -1.5, 0.5, 2.0, 2.5, "", "a", "ab", "b", True, False]
PATTERNS = ["", "%", "a%", "%b", "a_b", "_", "a\\%", "a\\\\b", "\\_%", "%\n%", "b"]
IN_LISTS: list[list[Any]] = [
    [0],
    [-3, 2, 3],
    [0.5, 2],
    [2.5, -1.5],
    ["a", "ab"],
    ["", "\n"],
    [True],
    [False, True],
]
BOUNDS: list[tuple[Any, Any]] = [(-1, 2), (0.5, 2.5), (-3, -3), (0, 0.5), ("a", "b"), ("", "a"), ("ab", "ab")]


def every_condition() -> list[Expr]:
    """Every condition shape on every field with a spread of values, matching types or not."""
    found: list[Expr] = []
    for name in FIELDS:
        fld = Field(name)
        for negated in (False, True):
            found.append(IsNull(fld, negated))
            found.extend(Like(fld, pattern, negated) for pattern in PATTERNS)
            found.extend(In(fld, tuple(Literal(v) for v in values), negated) for values in IN_LISTS)
            found.extend(Between(fld, Literal(low), Literal(high), negated) for low, high in BOUNDS)
        for value in LITERALS:
            ops: list[CompareOp] = (
                ["=", "!="] if isinstance(value, bool) else ["=", "!=", "<", "<=", ">", ">="]
            )
            found.extend(Compare(fld, op, Literal(value)) for op in ops)
    return found


@pytest.mark.parametrize("absent", [set(), {"s", "h"}, {"i", "f", "b"}])
def test_every_condition_matches_oracle(absent: set[str]) -> None:
    events = random_events(seed=len(absent), count=300)
    present = set(SCHEMA) - absent
    batch = EventBatch(to_table(events, present))
    for condition in every_condition():
        for tree in (condition, Not(condition)):
            predicate = parse_predicate(str(tree))
            assert predicate.expr == tree
            result = evaluate(predicate, batch)
            assert result.mask.tolist() == oracle_mask(tree, events, present), str(tree)
            assert unknown_list(result.unknown, len(events)) == [
                oracle(tree, e, present) is None for e in events
            ], str(tree)


@settings(max_examples=200, deadline=None)
@given(trees, events_strategy())
def test_matches_row_by_row_oracle(tree: Expr, generated: tuple[list[dict[str, Any]], set[str]]) -> None:
    events, present = generated
    # Round-trip through the text form, as a loaded spec would give it.
    predicate = parse_predicate(str(tree))
    result = evaluate(predicate, to_table(events, present))
    assert result.mask.dtype == np.bool_
    assert result.mask.tolist() == oracle_mask(tree, events, present)
    assert result.count == sum(oracle_mask(tree, events, present))
    assert unknown_list(result.unknown, len(events)) == [oracle(tree, e, present) is None for e in events]


@settings(max_examples=100, deadline=None)
@given(events_strategy(), st.text(alphabet="ab%_\\", max_size=4))
def test_like_matches_oracle_matcher(generated: tuple[list[dict[str, Any]], set[str]], pattern: str) -> None:
    if (len(pattern) - len(pattern.rstrip("\\"))) % 2:
        pattern += "%"
    events, _ = generated
    texts_ = [e["s"] for e in events if isinstance(e.get("s"), str)]
    tree = Like(Field("s"), pattern)
    mask = predicate_mask(tree, {"s": pa.array(texts_, pa.string())})
    assert mask.tolist() == [like_matches(t, pattern) for t in texts_]


# --- hand-worked cases ---


def test_oracle_like_matcher_hand_cases() -> None:
    assert like_matches("/orders/12", "/orders/%")
    assert not like_matches("/order", "/orders%")
    assert like_matches("a_c", "a\\_c") and not like_matches("abc", "a\\_c")
    assert like_matches("100%", "100\\%") and not like_matches("1000", "100\\%")
    assert like_matches("", "%") and not like_matches("", "_")
    assert like_matches("a\\", "a\\\\")


def test_worked_example() -> None:
    events = {
        "route": ["/orders", "/orders", "/health", None, "/orders/7"],
        "status": [200, 503, 200, 200, None],
        "latency_ms": [120.5, 80.0, 3.0, 999.0, 410.0],
    }
    assert predicate_mask(parse_predicate("route = '/orders' AND status < 500"), events).tolist() == [
        True,
        False,
        False,
        False,
        False,
    ]
    # NOT of unknown stays unknown: the event with no route is not counted either way.
    assert predicate_mask(parse_predicate("NOT route = '/health'"), events).tolist() == [
        True,
        True,
        False,
        False,
        True,
    ]
    # false OR unknown is unknown; true OR unknown is true.
    assert predicate_mask(parse_predicate("status >= 500 OR route LIKE '/orders/%'"), events).tolist() == [
        False,
        True,
        False,
        False,
        True,
    ]
    # An int column against a float bound, and a float column against an int bound.
    assert predicate_mask(parse_predicate("status < 200.5"), events).tolist() == [
        True,
        False,
        True,
        True,
        False,
    ]
    assert predicate_mask(parse_predicate("latency_ms BETWEEN 80 AND 410"), events).tolist() == [
        True,
        True,
        False,
        False,
        True,
    ]
    assert predicate_mask(parse_predicate("status IN (200, 503.0)"), events).tolist() == [
        True,
        True,
        True,
        True,
        False,
    ]
    assert predicate_mask(parse_predicate("status NOT IN (200)"), events).tolist() == [
        False,
        True,
        False,
        False,
        False,
    ]
    result = evaluate(parse_predicate("route IS NULL OR status IS NULL"), events)
    assert result.mask.tolist() == [False, False, False, True, True]
    assert dict(result.missing) == {"route": 1, "status": 1}


def test_missing_column_is_all_null() -> None:
    events = {"status": np.array([200, 500])}
    assert predicate_mask(parse_predicate("region = 'eu'"), events).tolist() == [False, False]
    assert predicate_mask(parse_predicate("NOT region = 'eu'"), events).tolist() == [False, False]
    assert predicate_mask(parse_predicate("region IS NULL"), events).tolist() == [True, True]
    assert predicate_mask(parse_predicate("region IS NOT NULL"), events).tolist() == [False, False]
    result = evaluate(parse_predicate("region = 'eu' OR status = 500"), events)
    assert result.mask.tolist() == [False, True]
    assert dict(result.missing) == {"region": 2, "status": 0}
    assert result.mismatches == ()


def test_type_mismatch_is_reported_once_not_raised() -> None:
    events = {"status": pa.array(["200", "500", None]), "ok": [True, False, True]}
    result = evaluate(parse_predicate("status = 200 OR status > 100 OR ok = 1 OR status IN (1, 2)"), events)
    assert result.mask.tolist() == [False, False, False]
    described = {(m.field, m.column_type, m.expected, m.rows) for m in result.mismatches}
    assert described == {("status", "string", "a number", 2), ("ok", "bool", "a number", 3)}
    assert "field 'status' holds string values" in result.mismatches[0].describe()
    result = evaluate(parse_predicate("NOT ok LIKE 't%'"), events)
    assert result.mask.tolist() == [False, False, False]
    assert [(m.field, m.expected) for m in result.mismatches] == [("ok", "text (LIKE)")]


def test_mixed_python_values_are_a_mismatch() -> None:
    events = {"code": [200, "oops", None]}
    result = evaluate(parse_predicate("code = 200"), events)
    assert result.mask.tolist() == [False, False, False]
    assert [(m.field, m.column_type, m.rows) for m in result.mismatches] == [("code", "mixed-type", 2)]
    assert predicate_mask(parse_predicate("code IS NULL"), events).tolist() == [False, False, True]


def test_numeric_column_types_and_nan() -> None:
    events = {
        "u8": np.array([0, 200, 255], dtype=np.uint8),
        "i32": np.array([-5, 0, 7], dtype=np.int32),
        "f32": np.array([0.5, np.nan, -1.0], dtype=np.float32),
    }
    assert predicate_mask(parse_predicate("u8 > -1"), events).tolist() == [True, True, True]
    assert predicate_mask(parse_predicate("u8 >= 200.5"), events).tolist() == [False, False, True]
    assert predicate_mask(parse_predicate("i32 IN (-5, 7)"), events).tolist() == [True, False, True]
    assert predicate_mask(parse_predicate("f32 < 1"), events).tolist() == [True, False, True]
    # NaN is a value, not null: it equals nothing and differs from everything.
    assert predicate_mask(parse_predicate("f32 != 0.5"), events).tolist() == [False, True, True]
    assert predicate_mask(parse_predicate("f32 IS NULL"), events).tolist() == [False, False, False]


def test_nested_fields() -> None:
    table = pa.table(
        {
            "http": pa.array(
                [{"status": 200}, {"status": 503}, None, {"status": None}],
                pa.struct([("status", pa.int64())]),
            ),
            "k8s.pod": pa.array(["a", "b", "c", None]),
        }
    )
    assert predicate_mask(parse_predicate("http.status < 500"), table).tolist() == [True, False, False, False]
    assert predicate_mask(parse_predicate("http.status IS NULL"), table).tolist() == [
        False,
        False,
        True,
        True,
    ]
    assert predicate_mask(parse_predicate("k8s.pod IN ('a', 'c')"), table).tolist() == [
        True,
        False,
        True,
        False,
    ]
    assert predicate_mask(parse_predicate("http.nothing = 1"), table).tolist() == [False] * 4
    # The same from plain Python dicts, as a JSON batch gives them.
    events = {"http": [{"status": 200}, {"status": 503}, None, {}]}
    assert predicate_mask(parse_predicate("http.status < 500"), events).tolist() == [
        True,
        False,
        False,
        False,
    ]
    assert predicate_mask(parse_predicate("http.status IS NULL"), events).tolist() == [
        False,
        False,
        True,
        True,
    ]


def test_chunked_and_dictionary_columns() -> None:
    table = pa.Table.from_batches(
        [
            pa.record_batch({"route": pa.array(["/a", "/b"]).dictionary_encode(), "n": pa.array([1, 2])}),
            pa.record_batch({"route": pa.array(["/b", None]).dictionary_encode(), "n": pa.array([3, None])}),
        ]
    )
    assert table.column("route").num_chunks == 2
    mask = predicate_mask(parse_predicate("route = '/b' AND n >= 2"), table)
    assert mask.tolist() == [False, True, True, False]


def test_none_predicate_matches_everything_and_empty_batches() -> None:
    assert predicate_mask(None, {"a": [1, 2, 3]}).tolist() == [True, True, True]
    assert predicate_mask(parse_predicate("a = 1"), {"a": np.array([], dtype=np.int64)}).tolist() == []
    assert predicate_mask(parse_predicate("a IS NULL"), EventBatch({}, num_rows=2)).tolist() == [True, True]
    empty = pa.table({"a": pa.chunked_array([], pa.int64())})
    assert predicate_mask(parse_predicate("a = 1"), empty).tolist() == []


def test_batch_shape_errors_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        EventBatch({"a": [1], "b": [1, 2]})
    with pytest.raises(ValueError, match="num_rows"):
        EventBatch({})


def test_event_batch_converts_each_column_once() -> None:
    batch = EventBatch({"s": ["x", "y"]})
    first = batch.column("s")[0]
    evaluate(parse_predicate("s = 'x' OR s LIKE 'y%'"), batch)
    assert batch.column("s")[0] is first


def test_escaped_ordinary_character_is_that_character() -> None:
    # Found by hypothesis: pyarrow handed '\a' to RE2, which reads it as the bell character.
    texts_ = ["abc", "xbc", "\x07bc", "a", "%a"]
    for pattern in ("\\a%", "\\%a", "%\\a", "\\\\%"):
        mask = predicate_mask(Like(Field("s"), pattern), {"s": pa.array(texts_, pa.string())})
        assert mask.tolist() == [like_matches(t, pattern) for t in texts_], pattern
    assert [like_matches(t, "\\a%") for t in texts_] == [True, False, False, True, False]


# --- the numeric fast path (numpy, no Arrow round trip) against the same oracle ---

#: Column dtypes the fast path reads, with values reaching past the small types' ranges.
NUMERIC_TYPES = {
    "n8": pa.int8(),
    "n16": pa.int16(),
    "n32": pa.int32(),
    "n64": pa.int64(),
    "u8": pa.uint8(),
    "u32": pa.uint32(),
    "x32": pa.float32(),
    "x64": pa.float64(),
}
#: Integers a literal may be: in range, at and just past each small type's limits, up to 2**40
#: (integer columns hold them exactly; the oracle compares with Python's exact arithmetic).
EDGE_INTS = [-(2**40), -(2**31) - 1, -129, -128, -1, 0, 1, 127, 128, 255, 256, 2**31, 2**32, 2**40]
EDGE_FLOATS = [-0.5, 0.1, 0.5, 127.5, 255.0, 1e10, math.inf, -math.inf]


def numeric_values(kind: pa.DataType) -> st.SearchStrategy[Any]:
    info = np.iinfo(kind.to_pandas_dtype()) if pa.types.is_integer(kind) else None
    if info is not None:
        return st.one_of(
            ints.filter(lambda v: v >= info.min),  # often equal to a literal
            st.sampled_from([v for v in EDGE_INTS if info.min <= v <= info.max]),
            st.integers(min_value=max(int(info.min), -(2**40)), max_value=min(int(info.max), 2**40)),
        )
    values = st.sampled_from([*EDGE_FLOATS, 0.0, -3.0, 3.0, math.nan, 2.0**24 + 1])
    if kind == pa.float32():
        values = values.map(lambda v: float(np.float32(v)))  # what the column holds
    return values


@st.composite
def numeric_tree(draw: st.DrawFn, names: list[str]) -> Expr:
    def leaf(d: st.DrawFn) -> Expr:
        fld = Field(d(st.sampled_from([*names, "s", "absent"])))
        literal = st.one_of(st.sampled_from(EDGE_INTS), st.sampled_from(EDGE_FLOATS[:-2]), ints)
        shape = d(st.sampled_from(["compare", "compare", "between", "in", "null", "like"]))
        if shape == "compare":
            ops: list[CompareOp] = ["=", "!=", "<", "<=", ">", ">="]
            return Compare(fld, d(st.sampled_from(ops)), Literal(d(literal)))
        if shape == "between":
            low, high = sorted(d(st.lists(literal, min_size=2, max_size=2)))
            return Between(fld, Literal(low), Literal(high), d(st.booleans()))
        if shape == "in":
            values = d(st.lists(literal, min_size=1, max_size=3))
            return In(fld, tuple(Literal(v) for v in values), d(st.booleans()))
        if shape == "null":
            return IsNull(fld, d(st.booleans()))
        return Like(fld, d(st.sampled_from(["a%", "%"])), d(st.booleans()))

    tree: Expr = leaf(draw)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        other = leaf(draw)
        shapes: list[Expr] = [And((tree, other)), Or((other, tree)), Not(tree)]
        tree = draw(st.sampled_from(shapes))
    return tree


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_numeric_fast_path_matches_oracle(data: st.DataObject) -> None:
    names = data.draw(st.lists(st.sampled_from(sorted(NUMERIC_TYPES)), min_size=1, max_size=2, unique=True))
    rows = data.draw(st.integers(min_value=0, max_value=25))
    with_nulls = data.draw(st.booleans())
    events: list[dict[str, Any]] = []
    for _ in range(rows):
        event: dict[str, Any] = {"s": data.draw(st.sampled_from(["a", "b", None]))}
        for name in names:
            null = with_nulls and data.draw(st.integers(min_value=0, max_value=3)) == 0
            event[name] = None if null else data.draw(numeric_values(NUMERIC_TYPES[name]))
        events.append(event)
    chunks = data.draw(st.integers(min_value=1, max_value=2))
    split = rows // 2 if chunks == 2 else rows
    columns = {
        name: pa.chunked_array(
            [
                pa.array([e[name] for e in part], NUMERIC_TYPES[name])
                for part in ((events[:split], events[split:]) if chunks == 2 else (events,))
            ],
            NUMERIC_TYPES[name],
        )
        for name in names
    }
    columns["s"] = pa.chunked_array([pa.array([e["s"] for e in events], pa.string())])
    tree = data.draw(numeric_tree(names))
    present = {*names, "s"}
    for name in NUMERIC_TYPES:
        FIELD_KIND.setdefault(name, "number")
    result = evaluate(parse_predicate(str(tree)), pa.table(columns))
    assert result.mask.dtype == np.bool_
    assert result.mask.tolist() == oracle_mask(tree, events, present), str(tree)
    assert unknown_list(result.unknown, rows) == [oracle(tree, e, present) is None for e in events], str(tree)


def test_numeric_fast_path_hand_cases() -> None:
    # Beyond Arrow: a float32 column with an integer literal float32 cannot hold, and an int64
    # column holding integers beyond 2**53 against a float literal (Arrow refused both casts).
    events = {
        "f": pa.array([16777216.0, 16777218.0, None], pa.float32()),
        "big": pa.array([2**53, 2**53 + 2, 5], pa.int64()),
        "small": pa.array([-128, 0, 127], pa.int8()),
    }
    assert predicate_mask(parse_predicate("f < 16777217"), events).tolist() == [True, False, False]
    assert predicate_mask(parse_predicate("big > 1.5"), events).tolist() == [True, True, True]
    assert predicate_mask(parse_predicate("big IN (1.5, 5)"), events).tolist() == [False, False, True]
    assert predicate_mask(parse_predicate("big NOT IN (9007199254740994)"), events).tolist() == [
        True,
        False,
        True,
    ]
    # Integers with integers exactly: 2**53 + 1 is no float64, and is none of these values.
    assert predicate_mask(parse_predicate("big IN (9007199254740993)"), events).tolist() == [False] * 3
    assert predicate_mask(parse_predicate("small IN (127, 1000)"), events).tolist() == [False, False, True]
    result = evaluate(parse_predicate("f NOT IN (16777216, 0.5)"), events)
    assert result.mask.tolist() == [False, True, False]
    assert unknown_list(result.unknown, 3) == [False, False, True]
    assert predicate_mask(parse_predicate("small < 1000 AND small > -1000"), events).tolist() == [True] * 3
    assert predicate_mask(parse_predicate("small NOT BETWEEN -127 AND 126"), events).tolist() == [
        True,
        False,
        True,
    ]
    # Unknown stays unknown through NOT; AND with false is false, OR with true is true.
    result = evaluate(parse_predicate("NOT f > 0"), events)
    assert result.mask.tolist() == [False, False, False]
    assert unknown_list(result.unknown, 3) == [False, False, True]
    result = evaluate(parse_predicate("f > 0 OR small = 127"), events)
    assert result.mask.tolist() == [True, True, True]
    assert unknown_list(result.unknown, 3) == [False, False, False]
    result = evaluate(parse_predicate("f > 0 AND small = 0"), events)
    assert result.mask.tolist() == [False, True, False]
    assert unknown_list(result.unknown, 3) == [False, False, False]


def test_like_ending_in_an_escaped_backslash() -> None:
    # pyarrow's match_like misses these (found by the oracle test above): a text ending in a
    # backslash, with anything or one character before it.
    texts = ["\\", "a\\", "\\a", "ab", "a\\\\"]
    column = {"s": pa.array(texts, pa.string())}
    for pattern, want in (
        ("%\\\\", [True, True, False, False, True]),
        ("_\\\\", [False, True, False, False, False]),
        ("a%\\\\", [False, True, False, False, True]),
        ("\\\\%", [True, False, True, False, False]),
    ):
        assert predicate_mask(Like(Field("s"), pattern), column).tolist() == want
        assert [like_matches(t, pattern) for t in texts] == want


# --- text conditions on distinct values (dictionary columns, encoded text columns) ---


def variants(events: list[dict[str, Any]], present: set[str], cut: int) -> list[tuple[str, EventBatch]]:
    """The same events as a plain table, with "s" stored as a dictionary (in two chunks with
    their own dictionaries), and plain but marked for encoding."""
    plain = to_table(events, present)
    found = [("plain", EventBatch(plain))]
    if "s" in present:
        s = plain.column("s").combine_chunks()
        chunks = [s[:cut].dictionary_encode(), s[cut:].dictionary_encode()]
        dictionary = plain.set_column(plain.column_names.index("s"), "s", pa.chunked_array(chunks))
        found.append(("dictionary", EventBatch(dictionary)))
    marked = EventBatch(plain)
    marked.encode(["s", "i", "absent"])  # only text columns take it up
    found.append(("marked", marked))
    return found


def same_evaluation(tree: Expr, events: list[dict[str, Any]], present: set[str], cut: int) -> None:
    predicate = parse_predicate(str(tree))
    want_mask = oracle_mask(tree, events, present)
    want_unknown = [oracle(tree, e, present) is None for e in events]
    reference = None
    for name, batch in variants(events, present, cut):
        result = evaluate(predicate, batch)
        assert result.mask.tolist() == want_mask, (name, str(tree))
        assert unknown_list(result.unknown, len(events)) == want_unknown, (name, str(tree))
        summary = (dict(result.missing), result.mismatches)
        reference = summary if reference is None else reference
        assert summary == reference, (name, str(tree))


def test_every_condition_on_distinct_text_values() -> None:
    events = random_events(seed=11, count=200)
    for condition in every_condition():
        for tree in (condition, Not(condition), And((condition, IsNull(Field("i"), True)))):
            same_evaluation(tree, events, set(SCHEMA), cut=70)


@settings(max_examples=200, deadline=None)
@given(trees, events_strategy(), st.integers(min_value=0, max_value=30))
def test_distinct_text_values_match_oracle(
    tree: Expr, generated: tuple[list[dict[str, Any]], set[str]], cut: int
) -> None:
    events, present = generated
    same_evaluation(tree, events, present, cut)


def test_dictionary_column_is_not_decoded() -> None:
    # The point of the path: a dictionary column's text conditions never decode it.
    routes = pa.array(["/orders", "/menu", None, "/orders"]).dictionary_encode()
    batch = EventBatch(pa.table({"route": routes}))
    result = evaluate(parse_predicate("route = '/orders' OR route LIKE '/m%'"), batch)
    assert result.mask.tolist() == [True, True, False, True]
    assert unknown_list(result.unknown, 4) == [False, False, True, False]
    assert result.missing == {"route": 1}
    assert "route" not in batch._columns  # column() (which decodes) was never asked


@pytest.mark.parametrize("text", ["route = 'x'", "route IN ('x', 'y')", "route LIKE 'x%'", "route IS NULL"])
def test_text_condition_on_a_column_of_nulls(text: str) -> None:
    # A text column whose every value is null has an empty dictionary.
    column = pa.array([None, None], pa.string())
    for batch in (EventBatch({"route": column.dictionary_encode()}), EventBatch({"route": column})):
        batch.encode(["route"])
        result = evaluate(parse_predicate(text), batch)
        null_test = text.endswith("IS NULL")
        assert result.mask.tolist() == [null_test, null_test]
        assert unknown_list(result.unknown, 2) == [not null_test, not null_test]
