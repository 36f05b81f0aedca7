"""The spec loader's fast paths give the same answers as the plain definitions they replace.

* ``promql_shape_problem`` jumps between interesting characters with a regular expression; the
  oracle here walks the text one character at a time, as the definition reads.
* The YAML loader remembers tag resolution per scalar text within a stream; quoted and plain
  copies of the same text must still get their own types, in any order.
* The expanded-size check runs only for streams with aliases; alias streams are still checked.
* Loading a spec without ``where`` or mistakes imports neither the predicate module nor difflib.
"""

from __future__ import annotations

import json
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.spec.bindings import WINDOW_PLACEHOLDER, promql_shape_problem
from slokit.spec.yamlnodes import parse_documents

_CLOSE = {"(": ")", "[": "]", "{": "}"}
_NAME = {"(": "parenthesis", "[": "bracket", "{": "brace", ")": "parenthesis", "]": "bracket", "}": "brace"}


def _oracle(text: str) -> tuple[str, int] | None:
    """One character at a time: placeholder, strings (backslash escapes but in backticks), comments."""
    stack: list[tuple[str, int]] = []
    i = 0
    while i < len(text):
        if text[i : i + len(WINDOW_PLACEHOLDER)] == WINDOW_PLACEHOLDER:
            i += len(WINDOW_PLACEHOLDER)
            continue
        c = text[i]
        if c in "\"'`":
            j = i + 1
            closed = None
            while j < len(text):
                if text[j] == "\\" and c != "`":
                    j += 2
                    continue
                if text[j] == c:
                    closed = j
                    break
                j += 1
            if closed is None:
                return f"the string starting with {c} is not closed", i
            i = closed + 1
            continue
        if c == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
            i += 1
            continue
        if c in _CLOSE:
            stack.append((c, i))
        elif c in ")]}":
            if not stack:
                return f"this closing {_NAME[c]} '{c}' has no opening one", i
            opener, at = stack.pop()
            if _CLOSE[opener] != c:
                return f"'{c}' closes the {_NAME[opener]} '{opener}' opened at character {at + 1}", i
        i += 1
    if stack:
        opener, at = stack[-1]
        return f"the {_NAME[opener]} '{opener}' is never closed", at
    return None


_PIECES = st.sampled_from(
    ["(", ")", "[", "]", "{", "}", '"', "'", "`", "\\", "#", "\n", "a", "x ", "5m", WINDOW_PLACEHOLDER, "{{"]
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_shape_check_matches_the_character_walk(text: str) -> None:
    assert promql_shape_problem(text) == _oracle(text)


def test_shape_check_hand_worked_cases() -> None:
    q = "sum(increase(r{code!~\"5..\",j='a\\'b'}[{{window}}])) / sum(increase(r[{{window}}]))"
    assert promql_shape_problem(q) is None
    assert promql_shape_problem("sum(rate(x[5m])") == ("the parenthesis '(' is never closed", 3)
    assert promql_shape_problem('x{a="b}') == ('the string starting with " is not closed', 4)
    assert promql_shape_problem("x # (unclosed in a comment\n)") == (
        "this closing parenthesis ')' has no opening one",
        27,
    )
    assert promql_shape_problem("x{a=`\\`}") is None  # backticks do not escape
    assert promql_shape_problem("(]") == ("']' closes the parenthesis '(' opened at character 1", 1)


def _values(text: str) -> dict[str, object]:
    documents, problems = parse_documents(text, "f.yaml")
    assert problems == []
    out = documents[0].node.to_python()
    assert isinstance(out, dict)
    return out


def test_quoted_and_plain_copies_of_one_text_keep_their_types() -> None:
    text = 'a: 1\nb: "1"\nc: 1\nd: true\ne: "true"\nf: null\ng: "null"\nh: 1.5\ni: \'1.5\'\nj: ~\nk: 1\n'
    assert _values(text) == {
        "a": 1,
        "b": "1",
        "c": 1,
        "d": True,
        "e": "true",
        "f": None,
        "g": "null",
        "h": 1.5,
        "i": "1.5",
        "j": None,
        "k": 1,
    }
    # The same texts quoted first, then plain.
    assert _values('x: "2"\ny: 2\nz: "2"\n') == {"x": "2", "y": 2, "z": "2"}


def test_positions_survive_repeated_texts() -> None:
    documents, _ = parse_documents("a: 7\nb:\n  - 7\n  - '7'\n", "f.yaml")
    node = documents[0].node
    items = node.value["b"].value
    assert (node.value["a"].loc.line, node.value["a"].loc.column) == (1, 4)
    assert [(n.loc.line, n.loc.column, n.value) for n in items] == [(3, 5, 7), (4, 5, "7")]
    assert (node.key_locs["b"].line, node.key_locs["b"].column) == (2, 1)


def test_star_in_text_is_not_an_alias_and_aliases_still_expand() -> None:
    assert _values("q: 'rate(x{a=~\".*\"}[5m]) * 2'\n") == {"q": 'rate(x{a=~".*"}[5m]) * 2'}
    merged = _values("base: &b {x: 1, y: 2}\nuse: {<<: *b, y: 3}\nref: *b\n")
    assert merged == {"base": {"x": 1, "y": 2}, "use": {"x": 1, "y": 3}, "ref": {"x": 1, "y": 2}}


def test_alias_growth_is_still_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for k in range(1, 8):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]")
    documents, problems = parse_documents("\n".join(lines) + "\n", "bomb.yaml")
    assert documents == []
    assert [p.message for p in problems] == ["document expands to more than 1000000 values (aliases)"]


_RUN = """
import json, sys
from slokit.spec.loader import load
spec = load(sys.argv[1])
print(json.dumps([sorted(spec.slos), "slokit.spec.predicate" in sys.modules, "difflib" in sys.modules]))
"""


def test_prometheus_spec_loads_without_the_predicate_module(prometheus_slo_yaml: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _RUN, prometheus_slo_yaml], capture_output=True, text=True, check=True
    )
    slos, predicate_loaded, difflib_loaded = json.loads(out.stdout)
    assert len(slos) == 1
    assert predicate_loaded is False
    assert difflib_loaded is False  # only hints for mistakes use it


_FRAGMENTS = st.sampled_from(
    [
        "a: 1\n",
        "a: 2\n",
        "b: '1'\n",
        "c: [1, {d: x}]\n",
        "e: &x {f: 1}\n",
        "g: *x\n",
        "h: *nope\n",
        "<<: *x\n",
        "---\n",
        "- 1\n",
        "k: !custom 3\n",
        "m: [\n",
        "n: {o: " + "[" * 63 + "1" + "]" * 63 + "}\n",
        "p: " + "[" * 64 + "1" + "]" * 64 + "\n",
        "u: " + "[" * 63 + "1" + "]" * 63 + "\n",
        "q: 2001-01-01\n",
        'r: "a*b"\n',
        "  s: 1\n",
        "~\n",
        "t: 1.5e3\n",
        "",
    ]
)


def _plain(d: object) -> object:
    """Diagnostics and documents as comparable plain data (nodes compare by identity)."""
    if isinstance(d, tuple):
        documents, problems = d
        return (
            [(doc.index, doc.file, doc.node.to_python(), _locs(doc.node)) for doc in documents],
            [(p.message, str(p.location), p.hint) for p in problems],
        )
    raise TypeError(d)


def _locs(node: object) -> list[str]:
    from slokit.spec.yamlnodes import Node

    assert isinstance(node, Node)
    out = [f"{node.kind}@{node.loc}"]
    if node.kind == "map":
        for key, child in node.value.items():
            out.append(f"{key}@{node.key_locs[key]}")
            out.extend(_locs(child))
    elif node.kind == "seq":
        for child in node.value:
            out.extend(_locs(child))
    return out


@settings(max_examples=1500, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=8).map("".join))
def test_one_pass_reading_reports_what_the_two_pass_reading_reports(text: str) -> None:
    """The careful two-pass reading (depth over the whole stream first) is the oracle."""
    from unittest import mock

    from slokit.spec import yamlnodes

    fast = parse_documents(text, "f.yaml")
    with mock.patch.object(yamlnodes, "_parse_in_one_pass", return_value=None):
        careful = parse_documents(text, "f.yaml")
    assert _plain(fast) == _plain(careful)


def test_errors_after_good_documents_are_reported_as_before() -> None:
    deep = "[" * 70 + "]" * 70
    documents, problems = parse_documents(f"a: 1\na: 2\n---\nb: {deep}\n", "f.yaml")
    assert documents == []
    assert [(p.message, str(p.location)) for p in problems] == [
        # the mapping is level 1: the 64th bracket is level 65
        ("values nested more than 64 levels deep", "f.yaml:4:67")
    ]
    documents, problems = parse_documents("a: 1\na: 2\n---\nb: [\n", "f.yaml")
    assert documents == []
    assert len(problems) == 1 and problems[0].message.startswith("YAML syntax error")
