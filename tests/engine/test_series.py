"""Per-minute rows and window sums against brute force over the raw events."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.engine.histogram import LogHistogram, quantiles_of_rows
from slokit.engine.series import (
    MinuteCounts,
    correction_mask,
    minute_of,
    minute_of_ms,
    prefix_sums,
    range_sums,
    rows_between,
)

T0 = 1_700_000_040  # a whole minute (epoch seconds)
SPAN = 3000

# Timestamps near T0, often exactly on a minute boundary (the case the row rule is about).
timestamps = st.one_of(
    st.integers(min_value=T0 - SPAN, max_value=T0 + SPAN),
    st.integers(min_value=-SPAN // 60, max_value=SPAN // 60).map(lambda k: T0 + 60 * k),
)
events = st.lists(st.tuples(timestamps, st.booleans()), max_size=120)
minutes_near = st.integers(min_value=-SPAN // 60 - 2, max_value=SPAN // 60 + 2).map(lambda k: T0 // 60 + k)


def aggregate(evts: list[tuple[int, bool]], first: int, stop: int) -> MinuteCounts:
    """What ingest does: one row per event (duplicates, unsorted), densified."""
    ts = np.array([e[0] for e in evts], dtype=np.int64)
    good = np.array([int(e[1]) for e in evts], dtype=np.int64)
    order = np.random.default_rng(len(evts)).permutation(len(evts))
    return MinuteCounts.from_rows(minute_of(ts)[order], np.ones(len(evts))[order], good[order], first, stop)


def brute(
    evts: list[tuple[int, bool]], start: int, end: int, excluded: Sequence[tuple[int, int]] = ()
) -> tuple[int, int]:
    valid = good = 0
    for ts, ok in evts:
        if start < ts <= end and not any(cs < ts <= ce for cs, ce in excluded):
            valid += 1
            good += ok
    return valid, good


def test_minute_rows_are_open_at_start_closed_at_end() -> None:
    assert minute_of([0, 1, 59, 60, 61, 120]).tolist() == [-1, 0, 0, 0, 1, 1]
    assert minute_of(np.array([60.0, 60.5, 119.999])).tolist() == [0, 1, 1]
    assert minute_of_ms([60_000, 60_001, 120_000]).tolist() == [0, 1, 1]
    first, stop = rows_between(600, 1200)
    assert (int(first), int(stop)) == (10, 20)  # rows ending at 660 .. 1200


def test_float_and_integer_timestamps_agree() -> None:
    ts = np.arange(T0 - 200, T0 + 200, dtype=np.int64)
    np.testing.assert_array_equal(minute_of(ts), minute_of(ts.astype(np.float64)))
    np.testing.assert_array_equal(minute_of(ts), minute_of_ms(ts * 1000))


@settings(max_examples=120, deadline=None)
@given(
    events, st.lists(st.tuples(minutes_near, st.integers(min_value=0, max_value=120)), min_size=1, max_size=8)
)
def test_rolling_window_sums_equal_raw_event_windows(
    evts: list[tuple[int, bool]], windows: list[tuple[int, int]]
) -> None:
    first, stop = (T0 - SPAN) // 60 - 1, (T0 + SPAN) // 60 + 1
    cum = aggregate(evts, first, stop).cumulative()
    ends = np.array([w[0] for w in windows])
    widths = np.array([w[1] for w in windows])
    valid, good = cum.rolling(ends, widths)
    for i, (end, width) in enumerate(windows):
        assert (int(valid[i]), int(good[i])) == brute(evts, 60 * (end - width), 60 * end)


@settings(max_examples=60, deadline=None)
@given(events)
def test_every_window_at_every_instant_at_once(evts: list[tuple[int, bool]]) -> None:
    first, stop = (T0 - SPAN) // 60 - 1, (T0 + SPAN) // 60 + 1
    cum = aggregate(evts, first, stop).cumulative()
    ends = np.arange(first, stop + 3, 7)
    widths = np.array([0, 1, 5, 30, 60])
    valid, good = cum.rolling(ends[None, :], widths[:, None])
    assert valid.shape == (widths.size, ends.size)
    for i, w in enumerate(widths):
        for j, e in enumerate(ends):
            assert (valid[i, j], good[i, j]) == brute(evts, 60 * (e - w), 60 * e)


@settings(max_examples=80, deadline=None)
@given(
    events,
    st.lists(st.tuples(minutes_near, st.integers(min_value=0, max_value=30)), max_size=3),
    minutes_near,
    st.integers(min_value=1, max_value=100),
)
def test_corrections_remove_events_from_good_and_valid(
    evts: list[tuple[int, bool]], corr: list[tuple[int, int]], end: int, width: int
) -> None:
    first, stop = (T0 - SPAN) // 60 - 1, (T0 + SPAN) // 60 + 1
    counts = aggregate(evts, first, stop)
    intervals = [(60 * s, 60 * (s + n)) for s, n in corr]
    mask = correction_mask(first, len(counts), np.array(intervals, dtype=np.int64).reshape(-1, 2))
    valid, good = counts.excluding(mask).cumulative().rolling(end, width)
    assert (int(valid), int(good)) == brute(evts, 60 * (end - width), 60 * end, intervals)


def test_calendar_bounds_through_rows_between() -> None:
    evts = [(T0 - 60, True), (T0, False), (T0 + 1, True), (T0 + 3600, True), (T0 + 3601, False)]
    first, stop = T0 // 60 - 10, T0 // 60 + 100
    cum = aggregate(evts, first, stop).cumulative()
    a, b = rows_between(np.array([T0 - 60, T0]), np.array([T0 + 3600, T0 + 3660]))
    valid, good = cum.between(a, b)
    assert valid.tolist() == [3, 3]  # (T0-60, T0+3600]: T0, T0+1, T0+3600 / (T0, T0+3660]: 3 after T0
    assert good.tolist() == [2, 2]


def test_from_rows_sums_duplicates_drops_outside_and_checks_rows() -> None:
    counts = MinuteCounts.from_rows([5, 3, 5, 99, -4], [2, 1, 3, 7, 1], [1, 1, 3, 7, 0], 3, 7)
    assert counts.valid.tolist() == [1, 0, 5, 0]
    assert counts.good.tolist() == [1, 0, 4, 0]
    assert counts.bad.tolist() == [0, 0, 1, 0]
    with pytest.raises(ValueError):
        MinuteCounts.from_rows([1], [1], [2], 0, 5)  # good > valid
    with pytest.raises(ValueError):
        MinuteCounts.from_rows([1, 2], [1], [1], 0, 5)


def test_range_sums_work_on_histogram_matrices() -> None:
    rows = np.arange(24, dtype=np.int64).reshape(6, 4)  # 6 minutes x 4 buckets
    prefix = prefix_sums(rows)
    sums = range_sums(prefix, 100, np.array([100, 102, 90]), np.array([103, 106, 101]))
    np.testing.assert_array_equal(sums[0], rows[0:3].sum(axis=0))
    np.testing.assert_array_equal(sums[1], rows[2:6].sum(axis=0))
    np.testing.assert_array_equal(sums[2], rows[0:1].sum(axis=0))  # rows before 100 count zero


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1799), st.floats(0.01, 5000)), min_size=1, max_size=150),
    st.lists(st.tuples(st.integers(0, 32), st.integers(1, 30)), min_size=1, max_size=4),
)
def test_window_percentiles_from_minute_histograms(
    evts: list[tuple[int, float]], windows: list[tuple[int, int]]
) -> None:
    """p50/p95 over (t − W, t] from summed per-minute histograms, against sorting the raw values."""
    rows = minute_of(np.array([ts for ts, _ in evts], dtype=np.int64))
    per_minute: list[list[float]] = [[] for _ in range(31)]  # rows -1 .. 29
    for (_, v), r in zip(evts, rows, strict=True):
        per_minute[int(r) + 1].append(v)
    matrix = np.stack([LogHistogram.from_values(vals).counts for vals in per_minute])
    prefix = prefix_sums(matrix)
    ends = np.array([w[0] for w in windows])
    widths = np.array([w[1] for w in windows])
    got = quantiles_of_rows(range_sums(prefix, -1, ends - widths, ends), [0.5, 0.95])
    for i, (end, width) in enumerate(windows):
        inside = sorted(v for ts, v in evts if 60 * (end - width) < ts <= 60 * end)
        if not inside:
            assert np.isnan(got[i]).all()
            continue
        for j, q in enumerate((0.5, 0.95)):
            exact = inside[max(1, -(-len(inside) * int(q * 100) // 100)) - 1]
            assert abs(got[i, j] / exact - 1) <= 0.01 * (1 + 1e-9)
