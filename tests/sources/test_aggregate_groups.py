"""Grouped aggregation (:func:`aggregate_all` with ``group_by``) against brute force.

Random events (dicts, as ``Store.ingest`` takes them) carry group fields of one random type
per batch — integers, floats (NaN, -0.0, 1e20), booleans, strings (``""`` among them),
nested records — with the field missing from some events, null in others, or absent from the
whole batch. The oracle walks the events in Python: each event's label texts by the rules
(``200``, also for ``200.0``; other floats as JSON writes them, ``true``, the string, ``""``
for missing or null), each event's validity and goodness for a few indicators, and the
histogram code of each value; per group it sums counts and cells. Independently, each
group's rows must equal what the indicator's own (ungrouped) path gives for that group's
events alone, and the groups must add up to the indicator's rows, which grouping must not
change.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.engine.histogram import bucket_codes
from slokit.sources import aggregate as aggregate_module
from slokit.sources.aggregate import (
    OVERFLOW_CODE,
    UNDERFLOW_CODE,
    Batch,
    SliRows,
    aggregate,
    aggregate_all,
    aggregate_groups,
    label_codes,
    merge_rows,
)
from slokit.sources.bound import BoundSLI, group_sli_key
from slokit.sources.events import to_table
from slokit.spec.predicate import parse_predicate

BASE = 28_000_000

POOLS: dict[str, list[Any]] = {
    "int": [200, 404, 500, -3, 2**40],
    "float": [0.5, 200.0, -0.0, 0.0, 1e20, math.nan, 1 / 3],
    "bool": [True, False],
    "str": ["/orders", "/menu", "", "200", 'ünïcode "q"'],
}


def oracle_label(value: Any) -> str:
    """The label rule, written out independently of the module's."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if math.isfinite(value) and value == math.floor(value) and abs(value) < 1e16:
            return str(int(value))  # a whole number by its value: 200.0 is the group 200
        return json.dumps(value)
    return str(value)


@st.composite
def events_strategy(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[int], list[bool], dict[str, str]]:
    """Events, their minutes and acceptance, and each group field's kind."""
    n = draw(st.integers(min_value=0, max_value=40))
    spread = draw(st.sampled_from([1, 3, 50]))
    kinds = {name: draw(st.sampled_from(sorted(POOLS))) for name in ("g1", "g2", "nest")}
    absent = {name for name in kinds if draw(st.integers(0, 6)) == 0}
    events: list[dict[str, Any]] = []
    for _ in range(n):
        event: dict[str, Any] = {}
        for name in ("g1", "g2"):
            roll = draw(st.integers(0, 9))
            if name in absent or roll == 0:
                continue  # the field is missing from this event
            event[name] = None if roll == 1 else draw(st.sampled_from(POOLS[kinds[name]]))
        if "nest" not in absent:
            roll = draw(st.integers(0, 9))
            if roll == 1:
                event["http"] = None
            elif roll == 2:
                event["http"] = {"other": 1}
            elif roll > 2:
                event["http"] = {"code": draw(st.sampled_from(POOLS[kinds["nest"]])), "other": 1}
        if draw(st.integers(0, 7)):
            event["status"] = draw(st.sampled_from([200, 404, 500, 503]))
        if draw(st.integers(0, 7)):
            event["latency"] = draw(st.sampled_from([0.0, 1e-6, 3.5, 250.0, 399.0, 401.0, 2e6, 9e6, -1.0]))
        events.append(event)
    minute = [BASE + draw(st.integers(0, spread - 1)) for _ in range(n)]
    accepted = [draw(st.integers(0, 5)) > 0 for _ in range(n)]
    minute = [m if ok else m - 9_000 for m, ok in zip(minute, accepted, strict=True)]
    return events, minute, accepted, kinds


GROUPINGS = [("g1",), ("g2", "g1"), ("http.code",), ("g1", "http.code", "g2"), ("missing",)]


def nested(event: dict[str, Any], name: str) -> Any:
    current: Any = event
    for part in name.split("."):
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


def oracle_state(kind: str, event: dict[str, Any]) -> tuple[bool, bool, float | None]:
    """(valid, good, histogram value) of an event for the three oracle indicators."""
    status = event.get("status")
    if kind == "avail":  # total: all; good: status < 500
        return status is not None, status is not None and status < 500, None
    if kind == "errors":  # total: status >= 0; bad: status >= 500
        return status is not None, status is not None and not status >= 500, None
    # latency: where status < 500, latency_ms < 400
    latency = event.get("latency")
    if latency is None or not latency >= 0:  # missing, NaN or negative: not a usable value
        return False, False, None
    valid = status is not None and status < 500
    return valid, valid and latency < 400, latency if valid else None


ORACLE_BOUNDS = {
    "avail": BoundSLI("avail", "avail", 0, "s", "ratio", None, parse_predicate("status < 500")),
    "errors": BoundSLI(
        "errors",
        "errors",
        0,
        "s",
        "ratio",
        parse_predicate("status >= 0"),
        bad_where=parse_predicate("status >= 500"),
    ),
    "latency": BoundSLI(
        "latency",
        "latency",
        0,
        "s",
        "threshold",
        parse_predicate("status < 500"),
        value_field="latency",
        op="lt",
        threshold=400.0,
    ),
}


def cell_of(value: float) -> list[int]:
    """The stored histogram codes of one value: its bucket, plus the clamp counter if any."""
    codes, under, over = bucket_codes(np.array([value]))
    out = [int(codes[0])]
    if under is not None and under[0]:
        out.append(UNDERFLOW_CODE)
    if over is not None and over[0]:
        out.append(OVERFLOW_CODE)
    return out


def brute_force(
    kind: str,
    grouping: tuple[str, ...],
    events: list[dict[str, Any]],
    minute: list[int],
    accepted: list[bool],
) -> dict[tuple[str, ...], tuple[dict[int, list[int]], Counter[tuple[int, int]]]]:
    """Per label tuple: minute → [valid, good], and (minute, bucket) → count."""
    groups: dict[tuple[str, ...], tuple[dict[int, list[int]], Counter[tuple[int, int]]]] = {}
    for event, m, ok in zip(events, minute, accepted, strict=True):
        if not ok:
            continue
        valid, good, value = oracle_state(kind, event)
        if not valid:
            continue
        labels = tuple(oracle_label(nested(event, name)) for name in grouping)
        counts, cells = groups.setdefault(labels, (defaultdict(lambda: [0, 0]), Counter()))
        counts[m][0] += 1
        counts[m][1] += int(good)
        if value is not None:
            for code in cell_of(value):
                cells[(m, code)] += 1
    return groups


def as_found(rows: SliRows) -> tuple[dict[int, list[int]], Counter[tuple[int, int]]]:
    counts = {
        m: [v, g]
        for m, v, g in zip(rows.minute.tolist(), rows.valid.tolist(), rows.good.tolist(), strict=True)
    }
    cells: Counter[tuple[int, int]] = Counter()
    for m, b, c in zip(
        rows.hist_minute.tolist(), rows.hist_bucket.tolist(), rows.hist_count.tolist(), strict=True
    ):
        cells[(m, b)] += c
    return counts, cells


def rows_key(rows: SliRows) -> tuple[Any, ...]:
    cells = sorted(
        zip(rows.hist_minute.tolist(), rows.hist_bucket.tolist(), rows.hist_count.tolist(), strict=True)
    )
    return (rows.sli_key, rows.minute.tolist(), rows.valid.tolist(), rows.good.tolist(), cells)


def prepared(
    events: list[dict[str, Any]], minute: list[int], accepted: list[bool]
) -> tuple[pa.Table, np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    table = to_table(events) if events else pa.table({"x": pa.array([], pa.int64())})
    return table, np.array(minute, np.int64), np.array(accepted, np.bool_)


def grouped(bound: BoundSLI, grouping: tuple[str, ...]) -> BoundSLI:
    return replace(bound, group_by=grouping)


@settings(max_examples=250, deadline=None)
@given(
    events_strategy(),
    st.sampled_from(GROUPINGS),
    st.lists(st.sampled_from(sorted(ORACLE_BOUNDS)), min_size=1, max_size=3),
)
def test_groups_equal_brute_force(
    sample: tuple[list[dict[str, Any]], list[int], list[bool], dict[str, str]],
    grouping: tuple[str, ...],
    kinds: list[str],
) -> None:
    events, minute, accepted, _ = sample
    table, minutes, accepted_mask = prepared(events, minute, accepted)
    bounds = [grouped(replace(ORACLE_BOUNDS[k], sli_key=f"{k}{i}"), grouping) for i, k in enumerate(kinds)]
    got = aggregate_all(Batch(table, minutes, accepted_mask), bounds)
    at = 0
    for bound, kind in zip(bounds, kinds, strict=True):
        parent = got[at]
        assert parent.sli_key == bound.sli_key and parent.parent is None
        expected = brute_force(kind, grouping, events, minute, accepted)
        groups = got[at + 1 : at + 1 + len(expected)]
        at += 1 + len(expected)
        assert [tuple(g.labels.values()) for g in groups] == sorted(expected)
        for rows in groups:
            labels = tuple(rows.labels.values())
            assert list(rows.labels) == list(grouping)
            assert rows.parent == bound.sli_key
            assert rows.sli_key == group_sli_key(bound.sli_key, dict(zip(grouping, labels, strict=True)))
            assert rows.invalid == {} and rows.warnings == []
            counts, cells = as_found(rows)
            want_counts, want_cells = expected[labels]
            assert counts == dict(want_counts)
            assert cells == want_cells
            assert rows.minute.tolist() == sorted(rows.minute.tolist())
            for array in (
                rows.minute,
                rows.valid,
                rows.good,
                rows.hist_minute,
                rows.hist_bucket,
                rows.hist_count,
            ):
                assert array.dtype == np.int64
    assert at == len(got)


@st.composite
def table_strategy(draw: st.DrawFn) -> tuple[pa.Table, np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """A typed table: group columns of one Arrow type each (dictionary columns too)."""
    n = draw(st.integers(min_value=1, max_value=50))
    minute = np.array([BASE + draw(st.integers(0, 30)) for _ in range(n)], np.int64)
    accepted = np.array([draw(st.integers(0, 5)) > 0 for _ in range(n)], np.bool_)
    columns: dict[str, Any] = {}
    for name in ("a", "b"):
        kind = draw(st.sampled_from(["int16", "float32", "bool", "str", "dict"]))
        pools: dict[str, list[Any]] = {
            "int16": [1, 2, -7, None],
            "float32": [0.1, 2.0, None],
            "bool": [True, False, None],
            "str": ["x", "", "y", None],
            "dict": ["p", "q", "", None],
        }
        pool = pools[kind]
        values = [draw(st.sampled_from(pool)) for _ in range(n)]
        arrow_type = {"int16": pa.int16(), "float32": pa.float32(), "bool": pa.bool_()}.get(kind, pa.string())
        array = pa.array(values, arrow_type)
        if kind == "dict":
            array = array.dictionary_encode()
        cut = draw(st.integers(0, n))  # several chunks, as a concatenated table has
        columns[name] = pa.chunked_array([array[:cut], array[cut:]])
    columns["status"] = pa.array([draw(st.sampled_from([200, 500, None])) for _ in range(n)], pa.int64())
    columns["latency"] = pa.array(
        [draw(st.sampled_from([1.0, 500.0, math.nan, 0.0, None, 2e9])) for _ in range(n)], pa.float64()
    )
    return pa.table(columns), minute, accepted


@settings(max_examples=200, deadline=None)
@given(
    table_strategy(),
    st.sampled_from([("a",), ("b", "a"), ("a", "nothing")]),
    st.sampled_from([64, 2_000, 1 << 23]),
)
def test_each_group_is_the_indicator_over_its_own_events(
    sample: tuple[pa.Table, np.ndarray[Any, Any], np.ndarray[Any, Any]], grouping: tuple[str, ...], limit: int
) -> None:
    # The definition itself: a group's rows are the ungrouped path's rows of the indicator
    # over that group's events alone (same column types: the table is filtered, not rebuilt).
    # A low limit of dense cells sends the counts through the sorting path, a middling one
    # through renumbering the groups present first.
    table, minute, accepted = sample
    texts = {
        name: [oracle_label(v) for v in table.column(name).to_pylist()]
        if name in table.column_names
        else None
        for name in grouping
    }
    labels_of = [
        tuple("" if texts[name] is None else texts[name][i] for name in grouping)  # type: ignore[index]
        for i in range(table.num_rows)
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aggregate_module, "_DENSE_CELLS_LIMIT", limit)
        for bound in ORACLE_BOUNDS.values():
            bound = grouped(bound, grouping)
            groups = aggregate_groups(Batch(table, minute, accepted), bound)
            found = {tuple(g.labels.values()): g for g in groups}
            for labels in set(labels_of):
                rows_idx = [i for i, lab in enumerate(labels_of) if lab == labels]
                take = np.array(rows_idx, np.int64)
                alone = aggregate(
                    Batch(table.take(take), minute[take], accepted[take]), replace(bound, group_by=())
                )
                if alone.minute.size == 0:
                    assert labels not in found  # no valid event: no group
                    continue
                assert rows_key(found.pop(labels))[1:] == rows_key(alone)[1:]
            assert found == {}


@settings(max_examples=150, deadline=None)
@given(events_strategy(), st.sampled_from(GROUPINGS))
def test_groups_add_up_to_the_unchanged_indicator(
    sample: tuple[list[dict[str, Any]], list[int], list[bool], dict[str, str]], grouping: tuple[str, ...]
) -> None:
    events, minute, accepted, _ = sample
    table, minutes, accepted_mask = prepared(events, minute, accepted)
    plain = list(ORACLE_BOUNDS.values())
    before = aggregate_all(Batch(table, minutes, accepted_mask), plain)
    after = aggregate_all(Batch(table, minutes, accepted_mask), [grouped(b, grouping) for b in plain])
    parents = [r for r in after if r.parent is None]
    assert [(rows_key(r), r.invalid, r.warnings) for r in parents] == [
        (rows_key(r), r.invalid, r.warnings) for r in before
    ]
    for parent in parents:
        members = [r for r in after if r.parent == parent.sli_key]
        total = merge_rows(parent.sli_key, members)
        assert rows_key(total) == rows_key(parent)


def test_hand_worked_groups() -> None:
    # Five events over three minutes; latency < 400 where status < 500, grouped by route.
    events = [
        {"route": "/a", "status": 200, "latency": 50.0},
        {"route": "/a", "status": 200, "latency": 450.0},
        {"route": "/b", "status": 500, "latency": 10.0},  # not valid (status)
        {"status": 200, "latency": 20.0},  # no route: label ""
        {"route": "/b", "status": 404, "latency": 99.0},
    ]
    table = to_table(events)
    minute = np.array([10, 11, 11, 11, 12], np.int64)
    bound = replace(ORACLE_BOUNDS["latency"], group_by=("route",))
    rows = aggregate_all(Batch(table, minute, np.ones(5, np.bool_)), [bound])
    summary = [(r.sli_key, r.minute.tolist(), r.valid.tolist(), r.good.tolist()) for r in rows]
    assert summary == [
        ("latency", [10, 11, 12], [1, 2, 1], [1, 1, 1]),
        ('latency{route=""}', [11], [1], [1]),
        ('latency{route="/a"}', [10, 11], [1, 1], [1, 0]),
        ('latency{route="/b"}', [12], [1], [1]),
    ]
    assert [int(r.hist_count.sum()) for r in rows] == [4, 1, 2, 1]


def test_labels_of_each_type() -> None:
    # One distinct text per code; null and "" are one label; numbers by value (2.0 is 2).
    cases: list[tuple[pa.Array, list[str]]] = [
        (pa.array([200, None, 200, -1], pa.int32()), ["200", "", "200", "-1"]),
        (pa.array([0.5, 2.0, None, 1e20], pa.float64()), ["0.5", "2", "", "1e+20"]),
        (pa.array([True, None, False]), ["true", "", "false"]),
        (pa.array(["", None, "x"]), ["", "", "x"]),
        (pa.array(["a", None, "a"]).dictionary_encode(), ["a", "", "a"]),
        (pa.array([[1, 2], None, [1, 2]]), ["[1, 2]", "", "[1, 2]"]),
        # Integers of a narrow range are coded by value; of a wide one, by dictionary.
        (
            pa.array([2**64 - 1, None, 2**64 - 3], pa.uint64()),
            ["1.8446744073709552e+19", "", "1.8446744073709552e+19"],  # beyond 2**53: floats
        ),
        (pa.array([-128, 127, None, -128], pa.int8()), ["-128", "127", "", "-128"]),
        (pa.array([-(2**40), 7, None, 2**40], pa.int64()), [str(-(2**40)), "7", "", str(2**40)]),
        (pa.chunked_array([pa.array([5, 7], pa.int16()), pa.array([None], pa.int16())]), ["5", "7", ""]),
    ]
    for column, want in cases:
        codes, texts = label_codes(column, len(column))
        assert [texts[c] for c in codes.tolist()] == want
        assert len(texts) == len(set(texts))
    codes, texts = label_codes(None, 3)
    assert [texts[c] for c in codes.tolist()] == ["", "", ""]


def test_many_fields_are_renumbered_before_the_codes_overflow() -> None:
    # Four fields of 2,000 distinct values each: their product (1.6e13) passes the limit of
    # a combined code, so the codes are renumbered on the way; the labels must survive it.
    rng = np.random.default_rng(3)
    n = 4_000
    fields = {f"f{i}": rng.integers(0, 2_000, n) for i in range(4)}
    table = pa.table({name: pa.array(values) for name, values in fields.items()})
    bound = BoundSLI("k", "k", 0, "s", "ratio", None, group_by=tuple(fields))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aggregate_module, "_MAX_GROUP_CODE", 1 << 20)
        groups = aggregate_groups(Batch(table, np.full(n, BASE, np.int64), np.ones(n, np.bool_)), bound)
    expected = Counter(tuple(str(fields[name][i]) for name in fields) for i in range(n))
    assert {tuple(g.labels.values()): int(g.valid.sum()) for g in groups} == dict(expected)
