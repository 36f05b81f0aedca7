"""The request path's timestamp reading (:func:`slokit.server.ingest.request_timestamps`) must
give what the store's own reading (:func:`slokit.sources.events.timestamps`) gives, which is
the oracle: minute rows, reasons, latest time, seconds and the minute span."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.server.ingest import request_timestamps
from slokit.sources.events import timestamps

MS = st.integers(10**11, 10**16 - 1)  # epoch milliseconds (the fast reading)
# seconds, and absurd values the store's reading converts to float64 (exact up to 2**53)
OTHER = st.one_of(st.integers(-(2**53), 2**53), st.integers(0, 2 * 10**9))


def same(table: pa.Table) -> None:
    got, want = request_timestamps(table), timestamps(table)
    assert got.field == want.field
    np.testing.assert_array_equal(got.minute, want.minute)
    np.testing.assert_array_equal(got.reason, want.reason)
    assert got.latest == want.latest
    np.testing.assert_array_equal(got.seconds, want.seconds)
    ok = want.reason == 0
    span = (int(want.minute[ok].min()), int(want.minute[ok].max())) if ok.any() else None
    if got.minute_range is not None:
        assert got.minute_range == span


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(MS, MS, OTHER), min_size=1, max_size=30))
def test_int64_timestamps_read_as_the_store_reads_them(values: list[int]) -> None:
    same(pa.table({"ts": pa.array(values, pa.int64())}))


def test_minute_boundaries_in_milliseconds() -> None:
    # a minute row is (60 m, 60 m + 60] seconds: 60,000 ms exactly closes row m = 0... in ms
    base = 1_790_000_040_000  # a whole minute
    values = [base, base + 1, base - 1, base + 59_999, base + 60_000]
    table = pa.table({"ts": pa.array(values, pa.int64())})
    same(table)
    minute = request_timestamps(table).minute
    m = base // 60_000
    assert minute.tolist() == [m - 1, m, m - 1, m, m]


def test_other_columns_take_the_stores_reading() -> None:
    for column in (
        pa.array([1_790_000_000_123, None], pa.int64()),
        pa.array([1_790_000_000.5, 1_790_000_001.0]),
        pa.array(["2026-01-01T00:00:00Z", "x"]),
        pa.chunked_array([[1_790_000_000_123], [1_790_000_000_456]]),
    ):
        same(pa.table({"ts": column}))
    same(pa.table({"time": pa.array([1_790_000_000_123], pa.int64())}))


def test_ints_beyond_float_precision_are_bad_timestamps_not_errors() -> None:
    values = [10**16, -(2**62), 1_790_000_000_123, 2**63 - 1]
    ts = request_timestamps(pa.table({"ts": pa.array(values, pa.int64())}))
    assert ts.reason.tolist() == [2, 2, 0, 2]  # REASON_CODE["bad_timestamp"] == 2
    assert ts.minute[2] == (1_790_000_000_123 - 1) // 60_000
    assert ts.latest == 1_790_000_000.123
