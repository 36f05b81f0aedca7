"""Fused aggregation (:func:`aggregate_all`) against the per-indicator path (:func:`aggregate`).

The per-indicator path is the reference here: the store's brute-force oracle test
(``test_store_oracle.py``) checks it against Python loops over the raw events. Random batches
have missing columns, nulls, NaN, negative, infinite and out-of-layout values, rejected rows
(with minutes far outside the accepted span) and random sets of indicators — more distinct
masks than one fused count holds, and two value fields — so every grouping is exercised.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.sources import aggregate as aggregate_module
from slokit.sources.aggregate import Batch, SliRows, aggregate, aggregate_all
from slokit.sources.bound import BoundSLI
from slokit.sources.events import timestamps
from slokit.spec.predicate import parse_predicate

WHERES = [None, "status < 500", "status >= 500", "route = '/a'", "route = '/a' AND status < 500", "ok = true"]


def ratio(key: str, total: str | None, good: str | None = None, bad: str | None = None) -> BoundSLI:
    def parsed(text: str | None) -> Any:
        return None if text is None else parse_predicate(text)

    return BoundSLI(key, key, 0, "s", "ratio", parsed(total), parsed(good), parsed(bad))


def threshold(key: str, where: str | None, value: str, op: str, limit: float) -> BoundSLI:
    total = None if where is None else parse_predicate(where)
    return BoundSLI(key, key, 0, "s", "threshold", total, value_field=value, op=op, threshold=limit)


@st.composite
def bounds_strategy(draw: st.DrawFn) -> list[BoundSLI]:
    found: list[BoundSLI] = []
    for i in range(draw(st.integers(min_value=1, max_value=7))):
        key = f"sli{i}"
        total = draw(st.sampled_from(WHERES))
        if draw(st.booleans()):
            narrowing = draw(st.sampled_from(WHERES[1:]))
            if draw(st.booleans()):
                found.append(ratio(key, total, good=narrowing))
            else:
                found.append(ratio(key, total, bad=narrowing))
        else:
            value = draw(st.sampled_from(["latency", "latency", "size"]))
            op = draw(st.sampled_from(["lt", "lte", "gt", "gte"]))
            limit = draw(st.sampled_from([0.0, 1.0, 250.0, 400.0, 1e7]))
            found.append(threshold(key, total, value, op, limit))
    return found


VALUES = [0.0, 1e-12, 5e-4, 0.5, 1.0, 3.7, 250.0, 400.0, 401.0, 9e5, 2e6, -1.0, math.nan, math.inf, None]


@st.composite
def batches(draw: st.DrawFn) -> tuple[pa.Table, np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    n = draw(st.integers(min_value=0, max_value=60))
    base = 28_000_000
    spread = draw(st.sampled_from([1, 5, 200]))
    minute = np.array([base + draw(st.integers(0, spread - 1)) for _ in range(n)], np.int64)
    accepted = np.array([draw(st.integers(0, 4)) > 0 for _ in range(n)], np.bool_)
    # Rejected events (late, future) may lie far outside the accepted minutes.
    far = draw(st.sampled_from([0, -100_000, 5_000]))
    minute[~accepted] += far
    columns: dict[str, pa.Array] = {}
    if draw(st.integers(0, 4)):
        status = [draw(st.sampled_from([200, 404, 500, 503, None])) for _ in range(n)]
        columns["status"] = pa.array(status, draw(st.sampled_from([pa.int16(), pa.int64(), pa.float64()])))
    if draw(st.integers(0, 4)):
        columns["route"] = pa.array(
            [draw(st.sampled_from(["/a", "/b", None])) for _ in range(n)], pa.string()
        )
    if draw(st.integers(0, 4)):
        columns["ok"] = pa.array([draw(st.sampled_from([True, False, None])) for _ in range(n)], pa.bool_())
    for name in ("latency", "size"):
        roll = draw(st.integers(0, 5))
        if roll == 0:
            continue  # the field is missing from the batch
        kind = pa.float64()
        if roll == 1:  # clean: lognormal-ish values inside the layout, no masks
            values: list[Any] = [draw(st.floats(0.01, 5000.0)) for _ in range(n)]
        elif roll == 2:  # integers (zero is the zero bucket), sometimes negative
            values = [draw(st.integers(-2, 3000)) for _ in range(n)]
            kind = pa.int32()
        else:
            values = [draw(st.sampled_from(VALUES)) for _ in range(n)]
        columns[name] = pa.array(values, kind)
    table = pa.table(columns) if columns else pa.table({"other": pa.array(range(n), pa.int64())})
    return table, minute, accepted


def rows_key(rows: SliRows) -> tuple[Any, ...]:
    cells = sorted(
        zip(rows.hist_minute.tolist(), rows.hist_bucket.tolist(), rows.hist_count.tolist(), strict=True)
    )
    return (
        rows.sli_key,
        rows.minute.tolist(),
        rows.valid.tolist(),
        rows.good.tolist(),
        cells,
        rows.invalid,
        rows.warnings,
    )


def check(
    table: pa.Table, minute: np.ndarray[Any, Any], accepted: np.ndarray[Any, Any], bounds: list[BoundSLI]
) -> None:
    expected = [rows_key(aggregate(Batch(table, minute, accepted), b)) for b in bounds]
    got = aggregate_all(Batch(table, minute, accepted), bounds)
    assert [r.sli_key for r in got] == [b.sli_key for b in bounds]
    for rows in got:
        assert rows.minute.dtype == rows.valid.dtype == rows.hist_count.dtype == np.int64
    assert [rows_key(r) for r in got] == expected


@settings(max_examples=300, deadline=None)
@given(batches(), bounds_strategy())
def test_fused_equals_per_indicator(batch: tuple[pa.Table, Any, Any], bounds: list[BoundSLI]) -> None:
    check(*batch, bounds)


@settings(max_examples=150, deadline=None)
@given(batches(), bounds_strategy(), st.sampled_from([1, 3, 8]))
def test_fused_in_small_chunks(batch: tuple[pa.Table, Any, Any], bounds: list[BoundSLI], chunk: int) -> None:
    # Many chunks per batch: narrow ones counted in place, wide ones (rejected rows at offset
    # 0, minutes out of order) set aside and counted at the end.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aggregate_module, "_CHUNK", chunk)
        check(*batch, bounds)


@settings(max_examples=60, deadline=None)
@given(batches(), bounds_strategy())
def test_fused_falls_back_when_cells_are_too_many(
    batch: tuple[pa.Table, Any, Any], bounds: list[BoundSLI]
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aggregate_module, "_DENSE_CELLS_LIMIT", 64)
        check(*batch, bounds)


def test_shared_masks_are_counted_in_one_pass() -> None:
    # The benchmark's pair: a ratio of status < 500 over all events and a latency threshold
    # over status < 500 need two masks (status < 500, and that with latency < 400): one group.
    table = pa.table(
        {
            "status": pa.array([200, 500, 200, 404, 200], pa.int16()),
            "latency": pa.array([100.0, 50.0, 900.0, 10.0, 399.0]),
        }
    )
    minute = np.array([10, 10, 11, 11, 11], np.int64)
    bounds = [
        ratio("avail", None, good="status < 500"),
        threshold("fast", "status < 500", "latency", "lt", 400.0),
    ]
    batch = Batch(table, minute, np.ones(5, np.bool_))
    groups: list[Any] = []
    real = aggregate_module._fused_rows

    def spy(b: Batch, group: Any) -> Any:
        groups.append(group)
        return real(b, group)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aggregate_module, "_fused_rows", spy)
        avail, fast = aggregate_all(batch, bounds)
    assert len(groups) == 1 and len(groups[0].features) == 2
    # Hand-worked: minute 10 has 2 events (1 good), minute 11 has 3 (3 good) for avail;
    # fast counts status < 500 only: minute 10 one event (100 ms, good), minute 11 three
    # (900 bad, 10 good, 399 good).
    assert (avail.minute.tolist(), avail.valid.tolist(), avail.good.tolist()) == ([10, 11], [2, 3], [1, 3])
    assert (fast.minute.tolist(), fast.valid.tolist(), fast.good.tolist()) == ([10, 11], [1, 3], [1, 2])
    assert int(fast.hist_count.sum()) == 4
    assert avail.hist_count.size == 0


def test_fused_on_a_large_time_ordered_batch() -> None:
    # The benchmark's shape at a smaller size: events in time order over a few hours, with a
    # few late ones out of order and some rejected rows far away.
    rng = np.random.default_rng(5)
    n = 150_000
    minute = 28_000_000 + np.arange(n) * 240 // n + rng.integers(-1, 2, n)
    minute[rng.integers(0, n, 50)] -= 100
    accepted = rng.random(n) > 0.001
    minute[~accepted] -= 50_000
    latency = rng.lognormal(4.5, 0.8, n)
    latency[rng.integers(0, n, 20)] = np.nan
    table = pa.table(
        {
            "status": pa.array(rng.choice([200, 404, 500], n), pa.int16()),
            "route": pa.array(rng.choice(["/a", "/b"], n)),
            "latency": pa.array(latency),
        }
    )
    bounds = [
        ratio("avail", None, good="status < 500"),
        threshold("fast", "status < 500", "latency", "lt", 400.0),
        threshold("slow", "route = '/a'", "latency", "gte", 1000.0),
        ratio("errors", "route = '/b'", bad="status >= 500"),
    ]
    check(table, minute, accepted, bounds)
    check(table, minute, np.ones(n, np.bool_), bounds)


def test_fused_with_the_readers_chunk_ranges() -> None:
    # Epoch seconds read by timestamps(): the batch counts with the chunk bounds the reader
    # found, over several chunks, some spread wide by out-of-order events; the same rows as
    # the per-indicator path, which finds its own.
    rng = np.random.default_rng(9)
    n = 3 * aggregate_module._CHUNK + 1234
    ts = 1_700_000_000 + np.arange(n) * 14_400 // n + rng.integers(-30, 30, n)
    ts[n - 100 : n - 60] -= 7_200  # (the last chunk only: the others are narrow)
    latency = rng.lognormal(4.5, 0.8, n)
    table = pa.table(
        {
            "ts": pa.array(ts, pa.int64()),
            "status": pa.array(rng.choice([200, 404, 500], n), pa.int16()),
            "latency": pa.array(latency),
        }
    )
    stamps = timestamps(table)
    assert stamps.chunk_ranges is not None and stamps.chunk_ranges[0] == aggregate_module._CHUNK
    minutes = stamps.minute
    step = aggregate_module._CHUNK
    assert stamps.chunk_ranges[1] == [
        (int(minutes[i : i + step].min()), int(minutes[i : i + step].max())) for i in range(0, n, step)
    ]
    accepted = np.ones(n, np.bool_)
    bounds = [
        ratio("avail", None, good="status < 500"),
        threshold("fast", "status < 500", "latency", "lt", 400.0),
    ]
    expected = [rows_key(aggregate(Batch(table, minutes, accepted), b)) for b in bounds]
    batch = Batch(
        table, minutes, accepted, minute_range=stamps.minute_range, chunk_ranges=stamps.chunk_ranges
    )
    assert [rows_key(r) for r in aggregate_all(batch, bounds)] == expected
