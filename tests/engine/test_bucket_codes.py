"""``bucket_codes`` (the store's binning) against ``LogHistogram.from_values`` of the same values."""

from __future__ import annotations

import math
import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.engine.histogram import DEFAULT_LAYOUT, Layout, LogHistogram, bucket_codes, screened_bucket_codes


def histogram_of_codes(values: np.ndarray, layout: Layout, known_inside: bool = False) -> LogHistogram:
    codes, under, over = bucket_codes(values, layout, known_inside=known_inside)
    cells = np.bincount(codes, minlength=layout.n_buckets + 1)
    assert cells.size == layout.n_buckets + 1  # no code outside 0 .. n_buckets
    return LogHistogram(
        layout,
        cells[1:].astype(np.int64),
        int(cells[0]),
        0 if under is None else int(under.sum()),
        0 if over is None else int(over.sum()),
    )


finite = st.floats(min_value=0.0, max_value=1e12, allow_nan=False, allow_infinity=False)


@settings(max_examples=200)
@given(st.lists(finite, max_size=300))
def test_codes_bin_as_the_engine_does(values: list[float]) -> None:
    arr = np.array(values, dtype=np.float64)
    assert histogram_of_codes(arr, DEFAULT_LAYOUT) == LogHistogram.from_values(arr)


def test_edges_and_many_chunks() -> None:
    lay = DEFAULT_LAYOUT
    rng = np.random.default_rng(7)
    # Values at and beside every bucket bound, zeros, tiny, huge: over several 64 Ki chunks,
    # with out-of-range values in some chunks only.
    bounds = lay.upper_bounds()
    edges = np.concatenate([bounds, np.nextafter(bounds, 0), np.nextafter(bounds, np.inf)])
    inside = rng.lognormal(4.5, 0.8, 150_000)
    odd = np.array(
        [0.0, 1e-12, 1e-5, lay.zero_threshold, lay.lowest_in_range, lay.highest_in_range, 5e7, 1e300]
    )
    arr = np.concatenate([inside, edges, odd, inside[:1000]])
    hist = histogram_of_codes(arr, lay)
    assert hist == LogHistogram.from_values(arr)
    assert hist.zero == 3 and hist.underflow >= 1 and hist.overflow >= 2
    # A clean in-range column may skip the range checks and still bins the same.
    assert histogram_of_codes(inside, lay, known_inside=True) == LogHistogram.from_values(inside)


def test_other_layout_and_empty() -> None:
    lay = Layout(relative_accuracy=0.05, min_value=0.1, max_value=100.0)
    arr = np.array([0.0, 0.05, 0.1, 1.0, 99.0, 100.0, 101.0, 1e9])
    assert histogram_of_codes(arr, lay) == LogHistogram.from_values(arr, lay)
    codes, under, over = bucket_codes(np.zeros(0))
    assert codes.size == 0 and under is None and over is None


def same_as_bucket_codes(arr: np.ndarray, layout: Layout = DEFAULT_LAYOUT) -> None:
    """screened_bucket_codes: None exactly when a value is NaN, negative or +inf; otherwise
    bucket_codes' codes and masks, and the true lowest and highest code."""
    # Good conditions computed on the way, at a value of the array (ties) and between values.
    thresholds = [float(arr[arr.size // 2]), 400.0] if arr.size else [400.0]
    wanted = [(op, t) for op in (np.less, np.less_equal, np.greater, np.greater_equal) for t in thresholds]
    outs = [np.zeros(arr.size, np.bool_) for _ in wanted]
    compares = [(op, t, out) for (op, t), out in zip(wanted, outs, strict=True)]
    screened = screened_bucket_codes(arr, layout, compares=compares)
    unusable = bool(np.any(np.isnan(arr) | (arr < 0) | np.isposinf(arr)))
    assert (screened is None) == unusable
    if screened is None:
        return
    for (op, t), out in zip(wanted, outs, strict=True):
        assert np.array_equal(out, op(arr, t))  # the whole array at once, not chunk by chunk
    codes, under, over, (low, high) = screened
    expected, under_e, over_e = bucket_codes(arr, layout)
    assert np.array_equal(codes, expected)
    for mask, mask_e in ((under, under_e), (over, over_e)):
        assert (mask is None) == (mask_e is None)
        if mask is not None and mask_e is not None:
            assert np.array_equal(mask, mask_e)
    if arr.size:
        assert (low, high) == (int(expected.min()), int(expected.max()))


@settings(max_examples=200)
@given(
    st.lists(finite, max_size=60),
    st.lists(st.sampled_from([math.nan, -1e-300, -1.0, -math.inf, math.inf, -0.0]), max_size=2),
    st.integers(0, 3),
    st.randoms(),
)
def test_screened_codes_refuse_unusable_values(
    values: list[float], odd: list[float], at: int, rnd: random.Random
) -> None:
    # A few odd values among usable ones, sometimes in a later chunk than the first.
    mixed = values + odd
    rnd.shuffle(mixed)
    arr = np.array(mixed, dtype=np.float64)
    same_as_bucket_codes(arr)
    same_as_bucket_codes(np.concatenate([np.full(at * 70_000, 3.5), arr]))


def test_screened_codes_over_many_chunks_and_other_layout() -> None:
    rng = np.random.default_rng(11)
    inside = rng.lognormal(4.5, 0.8, 200_000)
    same_as_bucket_codes(inside)
    same_as_bucket_codes(np.concatenate([inside, [0.0, 1e-7, 5e9]]))
    lay = Layout(relative_accuracy=0.05, min_value=0.1, max_value=100.0)
    same_as_bucket_codes(np.array([0.0, 0.05, 0.1, 1.0, 99.0, 100.0, 101.0, 1e9]), lay)
    same_as_bucket_codes(np.zeros(0))
