"""The predicate language: what parses to which tree, what is refused and where, and round-trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.spec.predicate import (
    And,
    Between,
    Compare,
    Expr,
    Field,
    In,
    IsNull,
    Like,
    Literal,
    Not,
    Or,
    Predicate,
    PredicateError,
    parse_predicate,
    render_field_name,
)

F = Field
L = Literal


def expr(text: str) -> Expr:
    return parse_predicate(text).expr


# --- accepted syntax, each against the tree written by hand ---


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("status < 500", Compare(F("status"), "<", L(500))),
        ("status<=500", Compare(F("status"), "<=", L(500))),
        ("status >= -1", Compare(F("status"), ">=", L(-1))),
        ("status > 1.5e3", Compare(F("status"), ">", L(1500.0))),
        ("x = .5", Compare(F("x"), "=", L(0.5))),
        ("x = 2.", Compare(F("x"), "=", L(2.0))),
        ("x = -3E-2", Compare(F("x"), "=", L(-0.03))),
        ("route = '/orders'", Compare(F("route"), "=", L("/orders"))),
        ("name = 'O''Brien'", Compare(F("name"), "=", L("O'Brien"))),
        ("name = ''", Compare(F("name"), "=", L(""))),
        ("a <> 'x'", Compare(F("a"), "!=", L("x"))),
        ("a != 'x'", Compare(F("a"), "!=", L("x"))),
        ("cached = TRUE", Compare(F("cached"), "=", L(True))),
        ("cached != false", Compare(F("cached"), "!=", L(False))),
        ("http.status = 200", Compare(F("http.status"), "=", L(200))),
        ("\"user agent\" = 'curl'", Compare(F("user agent"), "=", L("curl"))),
        ('"a""b" = 1', Compare(F('a"b'), "=", L(1))),
        ('"and" = 1', Compare(F("and"), "=", L(1))),
        ("android = 1", Compare(F("android"), "=", L(1))),
        ("notes = 'x'", Compare(F("notes"), "=", L("x"))),
        ("order_id = 1", Compare(F("order_id"), "=", L(1))),
        ("code IN (200, 201, 204)", In(F("code"), (L(200), L(201), L(204)))),
        ("code in (1, 2.5)", In(F("code"), (L(1), L(2.5)))),
        ("code NOT IN ('a')", In(F("code"), (L("a"),), negated=True)),
        ("x IS NULL", IsNull(F("x"))),
        ("x is not null", IsNull(F("x"), negated=True)),
        ("route LIKE '/orders/%'", Like(F("route"), "/orders/%")),
        ("route not like '_x'", Like(F("route"), "_x", negated=True)),
        ("route LIKE '100\\%\\\\'", Like(F("route"), "100\\%\\\\")),
        ("ms BETWEEN 1 AND 2.5", Between(F("ms"), L(1), L(2.5))),
        ("ms NOT BETWEEN 'a' AND 'b'", Between(F("ms"), L("a"), L("b"), negated=True)),
        ("NOT a = 1", Not(Compare(F("a"), "=", L(1)))),
        ("not not a = 1", Not(Not(Compare(F("a"), "=", L(1))))),
    ],
)
def test_accepted_syntax(text: str, tree: Expr) -> None:
    assert expr(text) == tree


A1 = Compare(F("a"), "=", L(1))
B2 = Compare(F("b"), "=", L(2))
C3 = Compare(F("c"), "=", L(3))


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        # NOT binds tighter than AND, AND tighter than OR (SQL precedence).
        ("a = 1 OR b = 2 AND c = 3", Or((A1, And((B2, C3))))),
        ("a = 1 AND b = 2 OR c = 3", Or((And((A1, B2)), C3))),
        ("NOT a = 1 AND b = 2", And((Not(A1), B2))),
        ("NOT (a = 1 AND b = 2)", Not(And((A1, B2)))),
        ("(a = 1 OR b = 2) AND c = 3", And((Or((A1, B2)), C3))),
        ("a = 1 AND b = 2 AND c = 3", And((A1, B2, C3))),
        # Parentheses keep the tree's shape (no silent flattening), so rendering can keep it too.
        ("a = 1 AND (b = 2 AND c = 3)", And((A1, And((B2, C3))))),
        ("((a = 1))", A1),
        # BETWEEN's AND belongs to BETWEEN.
        ("x BETWEEN 1 AND 2 AND a = 1", And((Between(F("x"), L(1), L(2)), A1))),
    ],
)
def test_precedence_and_grouping(text: str, tree: Expr) -> None:
    assert expr(text) == tree


def test_fields_lists_every_field_once() -> None:
    p = parse_predicate("a = 1 AND (b IS NULL OR a.b LIKE 'x') AND NOT c IN (1) AND a < 3")
    assert p.fields == frozenset({"a", "b", "a.b", "c"})


def test_equal_predicates_compare_by_tree_not_spelling() -> None:
    assert parse_predicate("a<>1 and b=true") == parse_predicate("a != 1 AND b = TRUE")
    assert parse_predicate("a = 1") != parse_predicate("a = 1.0")
    assert parse_predicate("a = 1") != parse_predicate("a = true")
    assert parse_predicate("a = 1").text == "a = 1"


def test_canonical_text() -> None:
    p = parse_predicate("  route='/a' and   not(status>=500 or cached=TRUE) and x <> 'it''s' ")
    assert str(p) == "route = '/a' AND NOT (status >= 500 OR cached = true) AND x != 'it''s'"
    assert (
        str(parse_predicate('"and" = 1 AND "a b" = 2 AND a.b = 3')) == '"and" = 1 AND "a b" = 2 AND a.b = 3'
    )


# --- refused input: where and why ---


@pytest.mark.parametrize(
    ("text", "offset", "message", "hint"),
    [
        ("", 0, "empty", ""),
        ("status", 6, "expected a comparison", "a field alone is not a condition"),
        ("status = ", 9, "expected a value", ""),
        ("status = 1 AND", 14, "expected a field name", ""),
        ("a = 1 b = 2", 6, "expected AND, OR or the end of the predicate, found 'b'", ""),
        ("(a = 1", 6, "expected ')'", "not closed"),
        ("a = 1)", 5, "found ')'", "no matching '('"),
        ("lower(route) = 'x'", 5, "function calls such as lower(...) are not supported", ""),
        ("x IN (SELECT y FROM t)", 6, "subqueries are not supported", ""),
        ("SELECT * FROM t", 7, "subqueries are not supported", ""),
        ("a = 1; DROP TABLE t", 5, "';' is not allowed", "AND / OR"),
        ('a = "x"', 4, "expected a value", "single quotes"),
        ("a == 1", 3, "expected a value", "single '='"),
        ("500 > status", 0, "expected a field name", "field first"),
        ("a && b", 2, "'&&'", "AND"),
        ("a = 1 || b = 2", 6, "'||'", "OR"),
        ("!a", 0, "'!'", "NOT"),
        ("a = 'open", 4, "string is not closed", ""),
        ('"open = 1', 0, "quoted field name is not closed", ""),
        ('"" = 1', 0, "field name cannot be empty", ""),
        ("a = NULL", 4, "NULL cannot be used in a comparison", "IS NULL"),
        ("a IN (1, NULL)", 9, "NULL cannot be used in an IN list", ""),
        ("a IN ()", 6, "expected a value", "at least one value"),
        ("a IN (1, 'x')", 9, "mixes numbers and strings", ""),
        ("a IN (true, 1)", 12, "mixes booleans and numbers", ""),
        ("a LIKE 5", 7, "LIKE needs a string pattern, not a number", ""),
        ("a NOT LIKE true", 11, "LIKE needs a string pattern, not a boolean", ""),
        ("a LIKE 'x\\'", 7, "cannot end with a lone backslash", "literal backslash"),
        ("a BETWEEN 5 AND 1", 10, "can never be true", "BETWEEN 1 AND 5"),
        ("a BETWEEN 1 AND 'x'", 16, "one type", ""),
        ("a BETWEEN true AND false", 10, "not booleans", ""),
        ("a BETWEEN 1 2", 12, "expected AND", ""),
        ("a > true", 2, "boolean cannot be compared with >", "= or !="),
        ("a = 99999999999999999999", 4, "does not fit in 64 bits", ""),
        ("a = 1e999", 4, "too large", ""),
        ("a IS 5", 5, "expected NULL or NOT", ""),
        ("NOT", 3, "expected a field name", ""),
        ("a = `x`", 4, "backticks", ""),
        ("a = 1 -- note", 6, "comments", ""),
        ("(" * 65 + "a = 1" + ")" * 65, 64, "nested more than 64", ""),
        ("NOT " * 65 + "a = 1", 256, "nested more than 64", ""),
    ],
)
def test_refused_with_position_and_plain_words(text: str, offset: int, message: str, hint: str) -> None:
    with pytest.raises(PredicateError) as info:
        parse_predicate(text)
    err = info.value
    assert err.offset == offset, str(err)
    assert message in err.message
    assert hint in err.hint
    assert isinstance(err, ValueError)


def test_error_text_names_no_lark_terminals() -> None:
    for text in ["a", "a =", "a IN (1", "(a = 1 OR", "a = 1 AND AND b = 2", "a BETWEEN 1", "= 1", ","]:
        with pytest.raises(PredicateError) as info:
            parse_predicate(text)
        rendered = str(info.value)
        for lark_name in ("CMP_OP", "NAME", "STRING", "LPAR", "RPAR", "$END", "QUOTED_NAME", "COMMA"):
            assert lark_name not in rendered, rendered


def test_str_of_error_is_one_based() -> None:
    with pytest.raises(PredicateError) as info:
        parse_predicate("a = ")
    assert str(info.value).startswith("at character 5:")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"ab =<>!'\"()_.,-1e%;", " AND ", " OR ", "NOT ", " IN ", " IS ", "NULL", " LIKE "]),
        max_size=20,
    ).map("".join)
)
def test_any_text_parses_or_raises_predicate_error(text: str) -> None:
    try:
        p = parse_predicate(text)
    except PredicateError as err:
        assert 0 <= err.offset <= len(text)
        return
    assert parse_predicate(str(p)) == p


# --- round trip over generated trees ---

field_names = st.one_of(
    st.sampled_from(["status", "route", "http.status", "a_b", "and", "Not", "x.in", "in.x"]),
    st.text(min_size=1, max_size=8),
)
numbers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)
strings = st.text(max_size=8)


def literals_of(kind: str) -> st.SearchStrategy[Literal]:
    if kind == "number":
        return numbers.map(Literal)
    if kind == "string":
        return strings.map(Literal)
    return st.booleans().map(Literal)


@st.composite
def conditions(draw: st.DrawFn) -> Expr:
    fld = Field(draw(field_names))
    shape = draw(st.sampled_from(["compare", "in", "null", "like", "between"]))
    negated = draw(st.booleans())
    if shape == "compare":
        value = draw(st.one_of(numbers, strings, st.booleans()).map(Literal))
        ops = ["=", "!="] if value.kind == "bool" else ["=", "!=", "<", "<=", ">", ">="]
        return Compare(fld, draw(st.sampled_from(ops)), value)
    if shape == "in":
        kind = draw(st.sampled_from(["number", "string", "bool"]))
        return In(fld, tuple(draw(st.lists(literals_of(kind), min_size=1, max_size=4))), negated)
    if shape == "null":
        return IsNull(fld, negated)
    if shape == "like":
        pattern = draw(strings)
        if _ends_in_lone_backslash(pattern):
            pattern += "%"
        return Like(fld, pattern, negated)
    kind = draw(st.sampled_from(["number", "string"]))
    low, high = sorted(draw(st.lists(literals_of(kind), min_size=2, max_size=2)), key=lambda x: x.value)
    return Between(fld, low, high, negated)


def _ends_in_lone_backslash(pattern: str) -> bool:
    trailing = len(pattern) - len(pattern.rstrip("\\"))
    return trailing % 2 == 1


trees = st.recursive(
    conditions(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: And(tuple(xs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs))),
        inner.map(Not),
    ),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(trees)
def test_rendering_parses_back_to_the_same_tree(tree: Expr) -> None:
    original = Predicate.from_expr(tree)
    parsed = parse_predicate(str(original))
    assert parsed == original
    assert parsed.expr == tree
    assert parsed.fields == original.fields
    assert str(parsed) == str(original)


@given(field_names)
def test_field_names_render_so_they_read_back(name: str) -> None:
    rendered = render_field_name(name)
    assert parse_predicate(f"{rendered} IS NULL").expr == IsNull(Field(name))
