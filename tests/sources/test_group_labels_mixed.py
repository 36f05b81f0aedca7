"""Group labels must not depend on the rest of the batch an event arrives in.

Events whose group fields mix integers, floats, text, booleans, nulls and absent fields are
split into batches at random points and ingested (``Store.ingest``, and the server's request
path: JSON decoding, timestamp checks, then the store). The oracle labels each event from its
Python value alone, by the rule written out in docs/bindings.md, and counts valid and good
events per group; the store's groups and per-group counts must equal it for every split.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.server.ingest import accept, decode, event_type
from slokit.sources.bound import group_sli_key
from slokit.sources.store import Store
from slokit.spec.loader import load
from slokit.spec.model import Spec

FIRST = 1_705_708_800
NOW = FIRST + 86_400
KEY = "mixed/0"

SPEC_TEXT = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: mixed}
spec:
  service: shop
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
  indicator:
    metadata: {name: mixed}
    spec:
      ratioMetric:
        counter: false
        good: {metricSource: {type: slokit, spec: {stream: api, where: "status < 500"}}}
        total: {metricSource: {type: slokit, spec: {stream: api, groupBy: [g, http.code]}}}
"""

#: Values a group field takes; each batch mixes them freely.
VALUES: list[Any] = [
    200,
    -3,
    0,
    2**40,
    2**53 + 1,  # beyond a float's integers: read as the float 2**53
    200.0,
    -0.0,
    0.5,
    1 / 3,
    2.5e-7,
    1e16,
    -1.5e300,
    "/a",
    "",
    "200",
    "200.0",
    " 200",
    "nan",
    "true",
    'ünï "q"',
    True,
    False,
    None,
    [1, 2.0],
    ["a", True],
    [],
    {"k": 1},  # a record: no label of its own (its field would be g.k)
]
MISSING = object()  # the field is absent from the event
NOT_A_RECORD = object()  # for http.code: http is text, not a record
#: Values JSON can carry (no NaN), for the request path.
JSON_VALUES = [*VALUES, MISSING]


def oracle_label(value: Any) -> str:
    """The documented rule, from the Python value alone (independent of the store's code)."""
    if value is MISSING or value is None or isinstance(value, dict):
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # JSON, with the numbers in it labelled as numbers are
        inner = (
            json.dumps(v, ensure_ascii=False) if isinstance(v, str | bool) else oracle_label(v) for v in value
        )
        return "[" + ", ".join(inner) + "]"
    if isinstance(value, int) and abs(value) <= 2**53:
        return str(value)
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if number == math.floor(number) and abs(number) < 1e16:
        return str(int(number))
    return repr(number)


def make_event(ts: int, g: Any, code: Any, status: int) -> dict[str, Any]:
    event: dict[str, Any] = {"ts": ts, "status": status}
    if g is not MISSING:
        event["g"] = g
    if code is NOT_A_RECORD:
        event["http"] = "plain"  # http.code is then missing from this event
    elif code is not MISSING:
        event["http"] = {"code": code}
    return event


def oracle(events: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Group key → (valid, good) counted from the events."""
    valid: Counter[str] = Counter()
    good: Counter[str] = Counter()
    for e in events:
        code = e["http"]["code"] if isinstance(e.get("http"), dict) else None
        key = group_sli_key(KEY, {"g": oracle_label(e.get("g")), "http.code": oracle_label(code)})
        valid[key] += 1
        good[key] += e["status"] < 500
    return {k: (valid[k], good[k]) for k in valid}


def stored(store: Store) -> dict[str, tuple[int, int]]:
    groups = store.groups(KEY)
    for member, labels in groups.items():
        assert group_sli_key(KEY, labels) == member
    keys = sorted(groups)
    valid, good = store.window_counts([(k, FIRST // 60 - 5, NOW // 60 + 5) for k in keys])
    return {k: (int(v), int(g)) for k, v, g in zip(keys, valid, good, strict=True)}


@st.composite
def batches(draw: st.DrawFn, values: list[Any]) -> tuple[list[dict[str, Any]], list[int]]:
    """Events with mixed group values, and the points where they are split into batches."""
    n = draw(st.integers(1, 30))
    pool = st.sampled_from(values)
    codes = st.sampled_from([*values, NOT_A_RECORD])
    events = [
        make_event(FIRST + 60 * i, draw(pool), draw(codes), draw(st.sampled_from([200, 503])))
        for i in range(n)
    ]
    cuts = sorted(set(draw(st.lists(st.integers(1, n), max_size=4))))
    return events, cuts


def pieces(events: list[dict[str, Any]], cuts: list[int]) -> list[list[dict[str, Any]]]:
    bounds = [0, *cuts, len(events)]
    return [events[a:b] for a, b in itertools.pairwise(bounds) if b > a]


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Spec:
    path = tmp_path_factory.mktemp("spec") / "slos.yaml"
    path.write_text(SPEC_TEXT)
    return load(path)


def holds(value: Any, kind: type) -> bool:
    return isinstance(value, kind) or (
        isinstance(value, list | dict)
        and any(holds(v, kind) for v in (value.values() if isinstance(value, dict) else value))
    )


#: Arrow still reads ``true`` as 1.0 in a column that holds floats, on every path (see
#: test_a_boolean_among_floats_is_text): the examples mix booleans with integers and text, or
#: floats with integers and text.
WITHOUT_FLOATS = [v for v in JSON_VALUES if not holds(v, float)]
WITHOUT_BOOLS = [v for v in JSON_VALUES if not holds(v, bool)]


@settings(max_examples=40, deadline=None)
@given(data=st.one_of(batches(WITHOUT_FLOATS), batches([*WITHOUT_BOOLS, math.nan])))
def test_store_groups_do_not_depend_on_the_batch(
    spec: Spec, data: tuple[list[dict[str, Any]], list[int]]
) -> None:
    events, cuts = data
    with Store.open(":memory:", lateness_seconds=None, clock=lambda: NOW) as store:
        for part in pieces(events, cuts):
            result = store.ingest("api", part, spec=spec)
            assert result.accepted == len(part)
        assert stored(store) == oracle(events)


@settings(max_examples=40, deadline=None)
@given(
    data=st.one_of(batches(WITHOUT_FLOATS), batches(WITHOUT_BOOLS)),
    late=st.sets(st.integers(0, 29), max_size=3),
)
def test_request_path_groups_do_not_depend_on_the_batch(
    spec: Spec,
    data: tuple[list[dict[str, Any]], list[int]],
    late: set[int],
) -> None:
    """Through the server's decoding (typed columns learned from earlier requests, the general
    path for mixed ones) and its timestamp check, which drops rejected rows from the table."""
    events, cuts = data
    late = {i for i in late if i < len(events)}
    for i in late:  # rejected (no usable timestamp): the request path filters the row out
        events[i]["ts"] = "not a time"
    kind = event_type(spec, "api")
    with Store.open(":memory:", lateness_seconds=None, clock=lambda: NOW) as store:
        for part in pieces(events, cuts):
            decoded = decode(json.dumps(part).encode(), False, kind, 10_000)
            table, rejected, _ = accept(decoded, NOW, None, None)
            assert sorted(i for i, _ in rejected) == [
                i for i, e in enumerate(part) if e["ts"] == "not a time"
            ]
            if table.num_rows:
                result = store.ingest("api", table, spec=spec)
                assert result.accepted == table.num_rows
        assert stored(store) == oracle([e for i, e in enumerate(events) if i not in late])


@pytest.mark.parametrize(
    ("values", "labels"),
    [
        ([200, "/a"], ["200", "/a"]),
        ([200, 0.5], ["200", "0.5"]),
        ([200.0, "x"], ["200", "x"]),
        ([True, "/a"], ["true", "/a"]),
        ([True, 7], ["true", "7"]),
        (["2e2", 3, " 7"], ["2e2", "3", " 7"]),
        ([[1, 2.0], "x", None], ["[1, 2]", "x", ""]),
    ],
)
def test_one_batch_worked_examples(spec: Spec, values: list[Any], labels: list[str]) -> None:
    """Hand-worked: each value's label, whatever it is mixed with, at the top and nested."""
    for top in (True, False):
        events = [
            make_event(FIRST + 60 * i, v if top else MISSING, MISSING if top else v, 200)
            for i, v in enumerate(values)
        ]
        with Store.open(":memory:", lateness_seconds=None, clock=lambda: NOW) as store:
            store.ingest("api", events, spec=spec)
            got = sorted(found["g" if top else "http.code"] for found in store.groups(KEY).values())
        assert got == sorted(labels)


@pytest.mark.parametrize("path", ["store", "request"])
@pytest.mark.parametrize("values", [[0.5, True], [{"code": 0.5}, {"code": False}]])
def test_a_boolean_among_floats_is_text(spec: Spec, path: str, values: list[Any]) -> None:
    nested = isinstance(values[0], dict)
    events = [
        make_event(FIRST + 60 * i, MISSING if nested else v, v["code"] if nested else MISSING, 200)
        for i, v in enumerate(values)
    ]
    with Store.open(":memory:", lateness_seconds=None, clock=lambda: NOW) as store:
        if path == "store":
            store.ingest("api", events, spec=spec)
        else:
            decoded = decode(json.dumps(events).encode(), False, event_type(spec, "api"), 10_000)
            store.ingest("api", accept(decoded, NOW, None, None)[0], spec=spec)
        assert stored(store) == oracle(events)
