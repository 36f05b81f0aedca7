"""The log histogram against exact quantiles of the raw values (sorting is the oracle)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.engine.histogram import (
    DEFAULT_LAYOUT,
    Layout,
    LogHistogram,
    quantile_rank,
    quantiles_of_rows,
)

BOUND = 0.01 * (1 + 1e-9)  # the documented relative error, plus float noise at bucket edges
QS = [0.0, 0.01, 0.07, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0]

in_range = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
any_value = st.one_of(
    st.floats(min_value=-10, max_value=1e7), st.sampled_from([math.nan, math.inf, -math.inf])
)


def exact_quantile(values: list[float], q: float) -> float:
    """Value at rank ceil(q·n), rank computed in exact rational arithmetic from q's decimal text."""
    ordered = sorted(values)
    rank = max(1, math.ceil(Fraction(str(q)) * len(ordered)))
    return ordered[rank - 1]


def test_default_layout_covers_documented_range() -> None:
    lay = DEFAULT_LAYOUT
    assert (lay.min_index, lay.max_index, lay.n_buckets) == (-345, 691, 1037)
    assert lay.gamma == pytest.approx(1.01 / 0.99)
    assert lay.lowest_in_range < 1e-3 < lay.highest_in_range
    assert lay.highest_in_range >= 1e6
    assert lay.zero_threshold == pytest.approx(1e-9, rel=0.03)


def test_representatives_within_bound_of_bucket_edges() -> None:
    lay = DEFAULT_LAYOUT
    reps, uppers = lay.representatives(), lay.upper_bounds()
    lowers = uppers / lay.gamma
    assert np.all(np.abs(reps / uppers - 1) <= BOUND)
    assert np.all(np.abs(reps / lowers - 1) <= BOUND)


def test_rank_definition() -> None:
    assert quantile_rank(0.07, 100) == 7  # q·n is 7.000000000000001 in floats
    assert quantile_rank(0.5, 5) == 3
    assert quantile_rank(0.0, 5) == 1
    assert quantile_rank(1.0, 5) == 5
    with pytest.raises(ValueError):
        quantile_rank(1.5, 5)


@settings(max_examples=150, deadline=None)
@given(st.lists(in_range, min_size=1, max_size=300))
def test_quantiles_within_one_percent_of_exact(values: list[float]) -> None:
    hist = LogHistogram.from_values(values)
    est = hist.quantiles(QS)
    for q, e in zip(QS, est, strict=True):
        exact = exact_quantile(values, q)
        assert abs(e / exact - 1) <= BOUND, (q, e, exact)
    assert hist.total == len(values)
    assert not hist.quantile_flags(QS).any()


def test_matches_numpy_inverted_cdf_on_lognormal() -> None:
    rng = np.random.default_rng(7)
    values = rng.lognormal(mean=4.0, sigma=1.2, size=20_000)
    qs = [0.5, 0.9, 0.95, 0.99, 0.999]
    exact = np.quantile(values, qs, method="inverted_cdf")
    est = LogHistogram.from_values(values).quantiles(qs)
    assert np.all(np.abs(est / exact - 1) <= BOUND)


def test_zero_underflow_overflow_and_rejected_values() -> None:
    values = [0.0, -0.0, 1e-12, 1e-5, math.nan, -1.0, -math.inf, math.inf, 1e7, 5.0]
    hist = LogHistogram.from_values(values)
    assert (hist.zero, hist.underflow, hist.overflow) == (3, 1, 1)
    assert (hist.nan, hist.negative, hist.infinite) == (1, 2, 1)
    assert hist.total == 6 and hist.rejected == 4
    # sorted binned values: 0, 0, 0, 1e-5 (under), 5.0, 1e7 (over)
    qs = [0.5, 4 / 6, 5 / 6, 1.0]
    est = hist.quantiles(qs)
    assert est[0] == 0.0
    assert est[1] == pytest.approx(DEFAULT_LAYOUT.representatives()[0])
    assert abs(est[2] / 5.0 - 1) <= BOUND
    assert est[3] == pytest.approx(DEFAULT_LAYOUT.representatives()[-1])
    assert hist.quantile_flags(qs).tolist() == [0, -1, 0, 1]


def test_empty_histogram_has_no_quantiles() -> None:
    hist = LogHistogram.from_values([math.nan, -3.0])
    assert hist.total == 0
    assert np.isnan(hist.quantiles([0.5, 0.99])).all()
    assert hist.quantile_flags([0.5]).tolist() == [0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        any_value,
        max_size=80,
    ),
    st.lists(st.floats(min_value=0, max_value=1e8), max_size=80),
    st.lists(in_range, max_size=80),
)
def test_merge_is_histogram_of_concatenation(a: list[float], b: list[float], c: list[float]) -> None:
    ha, hb, hc = (LogHistogram.from_values(x) for x in (a, b, c))
    whole = LogHistogram.from_values(a + b + c)
    assert (ha + hb) + hc == whole
    assert ha + (hb + hc) == whole
    assert LogHistogram.merged([hc, ha, hb]) == whole


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        any_value,
        max_size=200,
    ),
    st.integers(min_value=0, max_value=5000),
)
def test_serialization_round_trip(values: list[float], repeat: int) -> None:
    hist = LogHistogram.from_values(values * (1 + repeat // 1000))
    hist.counts[3] += repeat * 100_000  # exercise wider count encodings
    data = hist.to_bytes()
    assert LogHistogram.from_bytes(data) == hist
    assert len(data) <= 40 + 10 * np.count_nonzero(hist.counts)


def test_serialization_is_sparse_and_checked() -> None:
    hist = LogHistogram.from_values(np.full(1000, 12.5))
    data = hist.to_bytes()
    assert len(data) < 16  # header + one bucket, not 1037 counts
    with pytest.raises(ValueError):
        LogHistogram.from_bytes(data[:-1])
    with pytest.raises(ValueError):
        LogHistogram.from_bytes(b"XXXX" + data[4:])


def test_other_layout_round_trips_and_refuses_to_merge() -> None:
    lay = Layout(relative_accuracy=0.02, min_value=1e-6, max_value=1e3)
    hist = LogHistogram.from_values([1e-5, 0.5, 2.0], layout=lay)
    assert LogHistogram.from_bytes(hist.to_bytes()) == hist
    with pytest.raises(ValueError):
        hist.merge(LogHistogram.from_values([1.0]))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=2e6), max_size=100), st.floats(min_value=-1, max_value=3e6))
def test_count_bounds_hold_the_exact_count(values: list[float], threshold: float) -> None:
    hist = LogHistogram.from_values(values)
    exact_le = sum(1 for v in values if v <= threshold)
    surely, possibly = hist.count_at_most(threshold)
    assert surely <= exact_le <= possibly
    above_surely, above_possibly = hist.count_above(threshold)
    assert above_surely <= len(values) - exact_le <= above_possibly


def test_count_bounds_are_tight_away_from_the_threshold_bucket() -> None:
    hist = LogHistogram.from_values([100.0] * 7 + [300.0] * 5 + [900.0] * 3)
    assert hist.count_at_most(400.0) == (12, 12)
    assert hist.count_above(400.0) == (3, 3)
    surely, possibly = hist.count_at_most(300.0)  # 300 sits in its own bucket
    assert surely <= 12 <= possibly and surely >= 7


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(in_range, max_size=40), min_size=1, max_size=6))
def test_quantiles_of_rows_matches_single_histograms(groups: list[list[float]]) -> None:
    hists = [LogHistogram.from_values(g) for g in groups]
    rows = np.stack([h.counts for h in hists])
    got = quantiles_of_rows(rows, [0.5, 0.95])
    for h, row in zip(hists, got, strict=True):
        np.testing.assert_array_equal(row, h.quantiles([0.5, 0.95]))


def test_doc_example_bucket_of_400ms() -> None:
    lay = DEFAULT_LAYOUT
    assert math.log(400) / math.log(1.01 / 0.99) == pytest.approx(299.56, abs=0.01)
    assert lay.index_of(400.0) == 300
    pos = 300 - lay.min_index
    assert lay.upper_bounds()[pos] / lay.gamma == pytest.approx(395.52, abs=0.01)
    assert lay.upper_bounds()[pos] == pytest.approx(403.51, abs=0.01)
    assert lay.representatives()[pos] == pytest.approx(399.47, abs=0.01)
    assert LogHistogram.from_values([400.0]).quantile(0.5) == pytest.approx(399.47, abs=0.01)
