"""Budget allowances against hand-worked numbers and an integer brute force."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.engine.allowance import (
    PERIODS,
    allowed_bad_events,
    allowed_bad_fraction,
    allowed_bad_seconds,
    allowed_bad_slices,
    format_seconds,
    period_table,
    target_fraction,
)

# Gregorian average month, worked by hand: 400 years have 146,097 days, so a month is
# 146097 / 4800 = 30.436875 days = 2,629,746 seconds.
MONTH_SECONDS = 30.436875 * 86400


def test_average_month_by_hand() -> None:
    assert MONTH_SECONDS == 2_629_746
    assert {p.name: p.seconds for p in PERIODS}["month"] == MONTH_SECONDS


def test_cnc_seed_numbers() -> None:
    # "99.9 % monthly: maximum allowed downtime 43.8 minutes/month"; "99.95 %: 21.9 minutes".
    assert allowed_bad_seconds(0.999, MONTH_SECONDS) == pytest.approx(2629.746)
    assert round(allowed_bad_seconds(0.999, MONTH_SECONDS) / 60, 1) == 43.8
    assert round(allowed_bad_seconds(0.9995, MONTH_SECONDS) / 60, 1) == 21.9


def test_period_table_hand_worked_for_three_nines() -> None:
    table = {p.name: s for p, s in period_table(0.999)}
    assert table["1h"] == pytest.approx(3.6)
    assert table["1d"] == pytest.approx(86.4)
    assert table["7d"] == pytest.approx(604.8)
    assert table["30d"] == pytest.approx(2592.0)
    assert table["quarter"] == pytest.approx(7889.238)
    assert table["year"] == pytest.approx(31556.952)


def test_fraction_is_the_written_decimal() -> None:
    assert allowed_bad_fraction(0.999) == 0.001
    assert allowed_bad_fraction(0.9) == 0.1
    assert allowed_bad_fraction(99.9 / 100) == 0.001  # 0.9990000000000001 from a percent
    assert target_fraction(0.99995) == Fraction(99_995, 100_000)


def test_whole_events_do_not_fall_to_float_error() -> None:
    # 1 - 0.9 is 0.09999999999999998 in floats; 10 events at 90 % still allow 1 bad one.
    assert allowed_bad_events(0.9, 10).whole_bad == 1
    allowance = allowed_bad_events(0.999, 1_234_567)
    assert allowance.allowed_bad == pytest.approx(1234.567)
    assert allowance.whole_bad == 1234
    assert allowed_bad_events(0.999, 0).whole_bad == 0


@settings(max_examples=200, deadline=None)
@given(
    digits=st.integers(min_value=1, max_value=5),
    numerator=st.integers(min_value=1, max_value=99_999),
    valid=st.integers(min_value=0, max_value=3000),
)
def test_whole_events_match_brute_force(digits: int, numerator: int, valid: int) -> None:
    scale = 10**digits
    numerator = numerator % scale or 1  # target = numerator / scale, strictly in (0, 1)
    target = numerator / scale
    # Largest b with (valid - b) / valid >= numerator / scale, in integers only.
    best = max((b for b in range(valid + 1) if (valid - b) * scale >= numerator * valid), default=0)
    assert allowed_bad_events(target, valid).whole_bad == best


def test_slices() -> None:
    s = allowed_bad_slices(0.99, 86400, 60)
    assert (s.slices, s.whole_bad) == (1440, 14)
    assert s.allowed_bad == pytest.approx(14.4)


@pytest.mark.parametrize("target", [0.0, 1.0, -0.5, 99.9, math.nan])
def test_out_of_range_targets_are_refused(target: float) -> None:
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        allowed_bad_fraction(target)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError):
        allowed_bad_events(0.99, -1)
    with pytest.raises(ValueError):
        allowed_bad_seconds(0.99, -5)
    with pytest.raises(ValueError):
        allowed_bad_slices(0.99, 3600, 0)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.0864, "86.4ms"),
        (3.6, "3.6s"),
        (86.4, "1m 26s"),
        (2629.746, "43m 50s"),
        (1314.873, "21m 55s"),
        (31556.952, "8h 45m 57s"),
        (3600, "1h"),
        (3605, "1h 0m 5s"),
        (2 * 86400 + 7, "2d 0h 0m 7s"),
    ],
)
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text
