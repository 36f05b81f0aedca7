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
