"""Integer and Arrow timestamp columns to minute rows, against exact Python arithmetic.

A minute row ``m`` holds the instants ``(60·m, 60·m + 60]``, so an instant of ``s`` seconds is
in row ``ceil(s / 60) - 1``; the oracle computes that with :class:`fractions.Fraction` per event
(epoch milliseconds when ``|value| >= 1e11``), sharing nothing with the columnar reader.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.sources.events import EPOCH_MS_THRESHOLD, timestamps


def oracle_minute(value: int, per_second: int | None) -> int:
    """Minute row of an epoch number (seconds or ms by magnitude), or of an Arrow unit."""
    if per_second is None:
        per_second = 1000 if abs(value) >= EPOCH_MS_THRESHOLD else 1
    return math.ceil(Fraction(value, per_second) / 60) - 1


seconds = st.integers(min_value=-(10**10), max_value=10**10)
near_minutes = st.integers(min_value=-3, max_value=3).flatmap(
    lambda k: st.sampled_from([60 * k - 1, 60 * k, 60 * k + 1, 1_700_000_000 + 60 * k])
)
millis = st.integers(min_value=10**11, max_value=10**13) | st.integers(
    min_value=-(10**13), max_value=-(10**11)
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(seconds, near_minutes), min_size=1, max_size=50),
    st.lists(millis, max_size=3),
    st.sampled_from([pa.int64(), pa.int32()]),
    st.integers(0, 2),
    st.booleans(),
)
def test_integer_epochs(
    values: list[int], ms: list[int], kind: pa.DataType, repeat: int, descending: bool
) -> None:
    if kind == pa.int32():
        values = [v for v in values if -(2**31) <= v < 2**31] or [0]
        ms = []
    # Repeated past the reader's chunk size and sorted either way, so the extremes lie in the
    # first or the last of several chunks.
    once = values + ms
    column = sorted(once * (1 + repeat * 40_000 // len(once)), reverse=descending)
    ts = timestamps(pa.table({"ts": pa.array(column, kind)}))
    minute_of = {v: oracle_minute(v, None) for v in once}
    assert ts.minute.tolist() == [minute_of[v] for v in column]
    assert not ts.reason.any()
    assert ts.latest == max(float(Fraction(v, 1000 if abs(v) >= EPOCH_MS_THRESHOLD else 1)) for v in once)
    if ts.minute_range is not None:
        assert ts.minute_range == (min(minute_of.values()), max(minute_of.values()))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(-(10**15), 10**15), min_size=1, max_size=40),
    st.sampled_from(["s", "ms", "us", "ns"]),
)
def test_arrow_timestamps(values: list[int], unit: str) -> None:
    per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit]
    if unit == "s":
        values = [v // 100_000 for v in values]
    ts = timestamps(pa.table({"ts": pa.array(values, pa.timestamp(unit, tz="UTC"))}))
    assert ts.minute.tolist() == [oracle_minute(v, per_second) for v in values]
    assert ts.minute.dtype == np.int64


ms_near_minutes = st.integers(-3, 3).flatmap(
    lambda k: st.sampled_from([1_790_000_040_000 + 60_000 * k + d for d in (-1, 0, 1)])
)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(st.integers(10**11, 10**16 - 1), ms_near_minutes), min_size=1, max_size=30),
    st.integers(0, 2),
)
def test_epoch_milliseconds_in_one_pass(values: list[int], repeat: int) -> None:
    # The usual column (every value epoch ms): minute rows, span, per-chunk spans and seconds,
    # repeated past the reader's chunk size so there are several chunks.
    column = values * (1 + repeat * 40_000 // len(values))
    ts = timestamps(pa.table({"ts": pa.array(column, pa.int64())}))
    minute_of = {v: oracle_minute(v, 1000) for v in values}
    want = [minute_of[v] for v in column]
    assert ts.minute.tolist() == want
    assert not ts.reason.any()
    assert ts.latest == float(Fraction(max(values), 1000))
    assert ts.minute_range == (min(want), max(want))
    assert ts.chunk_ranges is not None
    size, spans = ts.chunk_ranges
    assert spans == [(min(want[i : i + size]), max(want[i : i + size])) for i in range(0, len(want), size)]
    np.testing.assert_array_equal(ts.seconds, np.array(column, np.float64) / 1000)


def test_minute_boundaries_in_milliseconds() -> None:
    # a minute row is (60 m, 60 m + 60] seconds: 60,000 ms exactly closes row m - 1
    base = 1_790_000_040_000  # a whole minute
    ts = timestamps(pa.table({"ts": pa.array([base, base + 1, base - 1, base + 59_999, base + 60_000])}))
    m = base // 60_000
    assert ts.minute.tolist() == [m - 1, m, m - 1, m, m]


def test_ints_beyond_float_precision_are_bad_timestamps_not_errors() -> None:
    values = [10**16, -(2**62), 1_790_000_000_123, 2**63 - 1]
    ts = timestamps(pa.table({"ts": pa.array(values, pa.int64())}))
    assert ts.reason.tolist() == [2, 2, 0, 2]  # REASON_CODE["bad_timestamp"] == 2
    assert ts.minute[2] == (1_790_000_000_123 - 1) // 60_000
    assert ts.latest == 1_790_000_000.123
