"""Error budgets, status and forecast: hand-worked numbers and brute force over raw events."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.engine.budget import (
    BURNING,
    EXHAUSTED,
    NO_DATA,
    OK,
    STATUS_NAMES,
    exhaustion_seconds,
    forecast,
    occurrences_budget,
    sli_budget,
    status,
    timeslices_budget,
)
from slokit.engine.burn import burn_rate
from slokit.engine.series import MinuteCounts, minute_of
from slokit.engine.sli import SliceSeries, composite, occurrences
from slokit.spec.durations import AVERAGE_MONTH_SECONDS

DAY = 86400


def test_occurrences_budget_by_hand() -> None:
    # 99.9 % of 100,000 valid allows 100 bad; 50 bad consumed half. 30 d allows 2,592 s.
    b = occurrences_budget([100_000, 100_000, 0], [99_950, 99_700, 0], 0.999, 30 * DAY)
    assert b.allowed_events[:2].tolist() == pytest.approx([100.0, 100.0])
    assert b.bad[:2].tolist() == [50.0, 300.0]
    assert b.consumed[:2].tolist() == pytest.approx([0.5, 3.0])
    assert b.remaining[:2].tolist() == pytest.approx([0.5, -2.0])  # overspent goes negative
    assert b.remaining_events[:2].tolist() == pytest.approx([50.0, -200.0])
    assert b.allowed_seconds[0] == pytest.approx(2592.0)
    assert b.consumed_seconds[0] == pytest.approx(1296.0)
    assert b.remaining_seconds[0] == pytest.approx(1296.0)
    assert all(math.isnan(x) for x in (b.consumed[2], b.remaining[2], b.bad[2], b.allowed_events[2]))


def test_budget_time_of_an_average_month() -> None:
    # DESIGN.md: 99.9 % of 30.44 d = 43.8 minutes; 99.95 % = 21.9 minutes
    minutes = [
        occurrences_budget([1], [1], t, AVERAGE_MONTH_SECONDS).allowed_seconds[0] / 60
        for t in (0.999, 0.9995)
    ]
    assert round(minutes[0], 1) == 43.8 and round(minutes[1], 1) == 21.9


def test_timeslices_budget_by_hand() -> None:
    # 99 % over 30 d allows 0.01 · 2,592,000 s = 25,920 s (86.4 five-minute slices).
    # 10 bad slices of 5 minutes consumed 3,000 s = 11.57 % of it.
    b = timeslices_budget([10, 0, 3], [8000, 0, 10], 300, 0.99, 30 * DAY)
    assert b.allowed_seconds[0] == pytest.approx(25_920.0)
    assert b.consumed_seconds[0] == pytest.approx(3000.0)
    assert b.consumed[0] == pytest.approx(3000 / 25_920)
    assert math.isnan(b.consumed[1])  # no slice with data: no data, not "nothing consumed"
    assert b.consumed[2] == pytest.approx(900 / 25_920)


def test_ratio_timeslices_budget_by_hand() -> None:
    # mean slice ratio 0.995 against 99 %: (1 − 0.995) / 0.01 = 0.5 consumed
    b = sli_budget([0.995, math.nan, 0.97], 0.99, 7 * DAY)
    assert b.consumed[0] == pytest.approx(0.5)
    assert math.isnan(b.consumed[1])
    assert b.remaining[2] == pytest.approx(-2.0)
    assert b.remaining_seconds[0] == pytest.approx(0.5 * 0.01 * 7 * DAY)


def test_status_classification() -> None:
    remaining = np.array([0.5, 0.5, 0.0, -1.0, math.nan, 0.9])
    burn = np.array([0.3, 2.0, 0.0, 5.0, 3.0, math.nan])
    got = status(remaining, burn)
    assert got.tolist() == [OK, BURNING, EXHAUSTED, EXHAUSTED, NO_DATA, OK]
    assert [STATUS_NAMES[c] for c in got[:5]] == ["ok", "burning", "exhausted", "exhausted", "no data"]


def test_forecast_by_hand() -> None:
    # half the budget left, burning at 2: the rest lasts 0.5 · 30 d / 2 = 7.5 d = 648,000 s
    assert forecast(1000.0, 0.5, 2.0, 30 * DAY) == 1000.0 + 648_000
    assert forecast(1000.0, 0.5, 0.0, 30 * DAY) is None  # not burning
    assert forecast(1000.0, math.nan, 2.0, 30 * DAY) is None  # no data
    assert forecast(1000.0, -0.2, 0.0, 30 * DAY) == 1000.0  # already exhausted
    assert forecast(1000.0, 0.5, 0.8, 30 * DAY, min_burn=1.0) is None  # rolling: below 1 never runs out
    assert forecast(1000.0, 0.5, 2.0, 30 * DAY, horizon_seconds=500_000.0) is None  # resets first
    series = exhaustion_seconds(np.array([0.0, 60.0]), np.array([1.0, 0.25]), np.array([1.0, 10.0]), 30 * DAY)
    assert series.tolist() == [30 * DAY, 60.0 + 0.25 * 30 * DAY / 10]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 7200), st.booleans()), max_size=150),
    st.integers(1, 120),
    st.sampled_from([0.9, 0.99, 0.999, 0.9995]),
)
def test_occurrences_budget_against_raw_events(
    events: list[tuple[int, bool]], width: int, target: float
) -> None:
    ts = np.array([e[0] for e in events], dtype=np.int64)
    good = np.array([int(e[1]) for e in events], dtype=np.int64)
    counts = MinuteCounts.from_rows(minute_of(ts), np.ones(len(events), dtype=np.int64), good, -1, 121)
    end = 120
    valid_sum, good_sum = counts.cumulative().rolling(end, width)
    b = occurrences_budget(np.atleast_1d(valid_sum), np.atleast_1d(good_sum), target, width * 60)
    inside = [ok for t, ok in events if 60 * (end - width) < t <= 60 * end]
    if not inside:
        assert math.isnan(b.consumed[0])
        return
    bad = sum(1 for ok in inside if not ok)
    exact = Fraction(bad) / ((1 - Fraction(str(target))) * len(inside))
    assert b.consumed[0] == pytest.approx(float(exact), rel=1e-12)
    assert b.remaining[0] == pytest.approx(float(1 - exact), rel=1e-12, abs=1e-12)


# --- the worked examples of docs/arithmetic.md, recomputed from their numbers ---

DOC_MINUTES_VALID = [100, 100, 0, 50, 20, 100, 10, 200, 100, 40]
DOC_MINUTES_GOOD = [99, 94, 0, 48, 18, 100, 9, 190, 96, 40]


def test_doc_example_occurrences() -> None:
    first = 12 * 60  # rows ending at 12:01 … 12:05 are rows 12:00 … 12:04
    counts = MinuteCounts(first, np.array([200, 180, 220, 0, 400]), np.array([199, 180, 216, 0, 397]))
    valid, good = counts.cumulative().rolling(np.array([12 * 60 + 5]), 5)
    assert (int(valid[0]), int(good[0])) == (1000, 992)
    assert occurrences(good, valid)[0] == pytest.approx(0.992)
    b = occurrences_budget(valid, good, 0.99, 300)
    assert b.allowed_events[0] == pytest.approx(10.0)
    assert b.consumed[0] == pytest.approx(0.8)
    assert b.remaining[0] == pytest.approx(0.2)
    assert b.remaining_events[0] == pytest.approx(2.0)
    assert b.allowed_seconds[0] == pytest.approx(3.0)
    assert b.consumed_seconds[0] == pytest.approx(2.4)
    assert burn_rate(valid - good, valid, 0.99)[0] == pytest.approx(0.8)


def test_doc_example_timeslices() -> None:
    counts = MinuteCounts(0, np.array(DOC_MINUTES_VALID), np.array(DOC_MINUTES_GOOD))
    series = SliceSeries.from_minutes(counts, 1, slice_target=0.95)
    got = series.between(np.array([0]), np.array([10]))
    assert (got.good[0], got.bad[0], got.with_data[0], got.without_data[0]) == (6, 3, 9, 1)
    assert got.timeslices()[0] == pytest.approx(6 / 9)
    b = timeslices_budget(got.bad, got.with_data, 60, 0.6, 600)
    assert b.allowed_seconds[0] == pytest.approx(240.0)
    assert b.consumed_seconds[0] == pytest.approx(180.0)
    assert b.consumed[0] == pytest.approx(0.75)
    assert b.remaining_seconds[0] == pytest.approx(60.0)
    assert occurrences(sum(DOC_MINUTES_GOOD), sum(DOC_MINUTES_VALID)) == pytest.approx(694 / 720)


def test_doc_example_ratio_timeslices() -> None:
    counts = MinuteCounts(0, np.array(DOC_MINUTES_VALID), np.array(DOC_MINUTES_GOOD))
    got = SliceSeries.from_minutes(counts, 1).between(np.array([0]), np.array([10]))
    assert got.ratio_sum[0] == pytest.approx(8.60)
    sli = got.ratio_timeslices()
    assert sli[0] == pytest.approx(8.60 / 9)
    b = sli_budget(sli, 0.95, 600)
    assert b.consumed[0] == pytest.approx((1 - 8.60 / 9) / 0.05)
    assert round(b.consumed[0], 3) == 0.889


def test_doc_example_composite_and_forecast() -> None:
    assert composite(np.array([[0.4], [0.9]]), [2.0, 1.0])[0] == pytest.approx(1.7 / 3)
    days = forecast(0.0, 0.6, 2.5, 30 * DAY)
    assert days is not None and days / DAY == pytest.approx(7.2)
