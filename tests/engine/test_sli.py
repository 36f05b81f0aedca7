"""SLIs (Occurrences, Timeslices, RatioTimeslices, composite) against brute force over raw events."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.engine.histogram import LogHistogram, quantiles_of_rows
from slokit.engine.series import MinuteCounts, minute_of, prefix_sums, rolling_rows
from slokit.engine.sli import (
    SliceSeries,
    compare,
    composite,
    occurrences,
    slice_good_by_ratio,
    slice_good_by_statistic,
    slice_range,
    slice_sums,
)

T0 = 1_700_000_400  # a whole multiple of 10 minutes (epoch seconds)
SPAN = 3600
FIRST, STOP = (T0 - SPAN) // 60, (T0 + SPAN) // 60

timestamps = st.one_of(
    st.integers(min_value=T0 - SPAN + 1, max_value=T0 + SPAN),
    st.integers(min_value=-SPAN // 60 + 1, max_value=SPAN // 60).map(lambda k: T0 + 60 * k),
)
events = st.lists(st.tuples(timestamps, st.booleans()), max_size=150)
instants = st.integers(min_value=FIRST - 5, max_value=STOP + 5)


def aggregate(evts: list[tuple[int, bool]]) -> MinuteCounts:
    ts = np.array([e[0] for e in evts], dtype=np.int64)
    good = np.array([int(e[1]) for e in evts], dtype=np.int64)
    return MinuteCounts.from_rows(minute_of(ts), np.ones(len(evts), dtype=np.int64), good, FIRST, STOP)


def brute_slices(
    evts: list[tuple[int, bool]], start: int, end: int, length_min: int, slice_target: float
) -> tuple[int, int, int, float]:
    """(good slices, slices with data, slices without data, sum of ratios) fully inside (start, end]."""
    size = 60 * length_min
    good = with_data = without = 0
    ratio_sum = 0.0
    for k in range(-(-start // size), end // size):  # slices (k·size, (k+1)·size] inside the window
        inside = [ok for ts, ok in evts if k * size < ts <= (k + 1) * size]
        if not inside:
            without += 1
            continue
        with_data += 1
        ratio = sum(inside) / len(inside)
        ratio_sum += ratio
        good += ratio >= slice_target
    return good, with_data, without, ratio_sum


def test_occurrences_no_data_is_nan_never_zero_or_one() -> None:
    sli = occurrences(np.array([0, 3, 0]), np.array([0, 4, 5]))
    assert math.isnan(sli[0])
    assert sli[1] == 0.75 and sli[2] == 0.0


@settings(max_examples=100, deadline=None)
@given(
    events,
    st.lists(st.tuples(instants, st.integers(min_value=0, max_value=90)), min_size=1, max_size=5),
    st.sampled_from([1, 2, 5, 10]),
    st.sampled_from([0.5, 0.75, 0.9, 1.0]),
)
def test_timeslices_and_ratio_timeslices_equal_brute_force(
    evts: list[tuple[int, bool]], windows: list[tuple[int, int]], length: int, slice_target: float
) -> None:
    series = SliceSeries.from_minutes(aggregate(evts), length, slice_target=slice_target)
    ends = np.array([w[0] for w in windows])
    widths = np.array([w[1] for w in windows])
    got = series.between(*rolling_rows(ends, widths))
    for i, (end, width) in enumerate(windows):
        good, with_data, without, ratio_sum = brute_slices(
            evts, 60 * (end - width), 60 * end, length, slice_target
        )
        assert (got.good[i], got.with_data[i], got.without_data[i]) == (good, with_data, without)
        assert got.bad[i] == with_data - good
        if with_data:
            assert got.timeslices()[i] == good / with_data
            assert got.ratio_timeslices()[i] == pytest.approx(ratio_sum / with_data, rel=1e-12)
        else:
            assert math.isnan(got.timeslices()[i]) and math.isnan(got.ratio_timeslices()[i])


def test_slices_are_epoch_aligned_and_only_whole_ones_count() -> None:
    assert slice_range(7, 20, 5) == (2, 5)  # rows 7..26 hold slices 10-14, 15-19, 20-24
    counts = MinuteCounts(0, np.array([1, 1, 1, 1, 1, 1], dtype=np.int64), np.array([1, 1, 0, 1, 1, 1]))
    series = SliceSeries.from_minutes(counts, 2, slice_target=1.0)
    assert series.good.tolist() == [True, False, True]
    got = series.between(np.array([0, 1, 0]), np.array([6, 6, 5]))
    assert got.with_data.tolist() == [3, 2, 2]  # a cut slice at either end is left out
    assert got.good.tolist() == [2, 1, 1]


def test_slice_ratio_equal_to_target_is_good() -> None:
    assert slice_good_by_ratio([20, 20, 0], [19, 18, 0], 0.95).tolist() == [True, False, False]


def test_compare_operators() -> None:
    values = np.array([1.0, 2.0, 3.0, math.nan])
    assert compare(values, "lt", 2.0).tolist() == [True, False, False, False]
    assert compare(values, "lte", 2.0).tolist() == [True, True, False, False]
    assert compare(values, "gt", 2.0).tolist() == [False, False, True, False]
    assert compare(values, "gte", 2.0).tolist() == [False, True, True, False]
    with pytest.raises(ValueError):
        compare(values, "eq", 2.0)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from([5.0, 20.0, 100.0, 250.0, 399.0, 400.0, 401.0, 900.0]), min_size=1, max_size=60),
    st.sampled_from([0.5, 0.9, 0.95, 0.99]),
    st.sampled_from(["lt", "lte"]),
)
def test_percentile_below_threshold_is_the_fraction_meeting_it(
    values: list[float], q: float, op: str
) -> None:
    """The documented equivalence: p_q op x  <=>  (count meeting x) / n >= q, for lt and lte."""
    ordered = sorted(values)
    exact = ordered[max(1, math.ceil(Fraction(str(q)) * len(values))) - 1]
    holds = exact < 400.0 if op == "lt" else exact <= 400.0
    meeting = sum(1 for v in values if (v < 400.0 if op == "lt" else v <= 400.0))
    assert holds == bool(slice_good_by_ratio([len(values)], [meeting], q)[0])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 19), st.sampled_from([10.0, 50.0, 120.0, 600.0, 2000.0])),
        min_size=1,
        max_size=120,
    ),
    st.sampled_from([2, 4, 5]),
)
def test_per_slice_percentile_from_histograms(rows: list[tuple[int, float]], length: int) -> None:
    """p90 of each slice < 300 ms, via per-minute histograms merged per slice, against sorting."""
    first = 1000
    per_minute = [[v for m, v in rows if m == i] for i in range(20)]
    matrix = np.stack([LogHistogram.from_values(vals).counts for vals in per_minute])
    k0, sums = slice_sums(prefix_sums(matrix), first, length)
    p90 = quantiles_of_rows(sums, [0.9])[:, 0]
    verdict = slice_good_by_statistic(p90, "lt", 300.0)
    for j in range(sums.shape[0]):
        lo = (k0 + j) * length - first
        vals = sorted(v for i in range(lo, lo + length) for v in per_minute[i])
        if not vals:
            assert not verdict[j]
            continue
        exact = vals[math.ceil(Fraction(9, 10) * len(vals)) - 1]
        assert bool(verdict[j]) == (exact < 300.0)


def test_composite_is_weighted_mean_skipping_no_data() -> None:
    consumed = np.array([[0.2, np.nan, np.nan], [0.8, 0.5, np.nan]])
    got = composite(consumed, [3.0, 1.0])
    assert got[0] == pytest.approx((3 * 0.2 + 1 * 0.8) / 4)
    assert got[1] == pytest.approx(0.5)
    assert math.isnan(got[2])
    with pytest.raises(ValueError):
        composite(consumed, [1.0, 0.0])
    with pytest.raises(ValueError):
        composite(consumed, [1.0])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.1, 10), st.one_of(st.none(), st.floats(0, 5))),
        min_size=1,
        max_size=6,
    )
)
def test_composite_against_loop(objectives: list[tuple[float, float | None]]) -> None:
    weights = [w for w, _ in objectives]
    values = np.array([[math.nan if v is None else v] for _, v in objectives])
    num = sum(w * v for w, v in objectives if v is not None)
    den = sum(w for w, v in objectives if v is not None)
    got = composite(values, weights)[0]
    if den == 0:
        assert math.isnan(got)
    else:
        assert got == pytest.approx(num / den, rel=1e-12)
