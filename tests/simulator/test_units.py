"""Building blocks of the simulator against brute-force oracles (hypothesis property tests)."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.simulator.files import jsonl_bytes
from slokit.simulator.generate import p95_per_group
from slokit.simulator.model import Lognormal
from slokit.simulator.scenarios import BUSINESS, FOOD
from slokit.simulator.traffic import noise, periodic_times


@given(st.lists(st.tuples(st.integers(0, 5), st.floats(0.1, 1e5)), max_size=200))
def test_p95_per_group_is_the_nearest_rank_p95(pairs: list[tuple[int, float]]) -> None:
    group = np.asarray([g for g, _ in pairs], dtype=np.int64)
    value = np.asarray([v for _, v in pairs], dtype=np.float64)
    got = p95_per_group(group, value, 6)
    for g in range(6):
        members = sorted(v for gg, v in pairs if gg == g)
        if not members:
            assert math.isnan(got[g])
        else:
            assert got[g] == members[math.ceil(0.95 * len(members)) - 1]


@given(
    st.integers(0, 10**13),
    st.integers(0, 10**7),
    st.integers(1000, 10**6),
    st.integers(-(10**9), 10**9),
)
def test_periodic_times_are_every_tick_in_the_range(
    start: int, length: int, interval: int, phase: int
) -> None:
    ts = periodic_times(start, start + length, interval, phase)
    assert np.all((ts >= start) & (ts < start + length))
    assert np.all((ts - phase) % interval == 0)
    first = start + (phase - start) % interval  # brute-force count of ticks in the range
    assert ts.size == max(0, -(-(start + length - first) // interval))


@settings(max_examples=30)
@given(st.integers(28_000_000, 30_000_000), st.integers(1, 3000), st.integers(1, 2999), st.integers(0, 99))
def test_noise_does_not_depend_on_how_the_range_is_cut(first: int, length: int, cut: int, seed: int) -> None:
    minutes = np.arange(first, first + length, dtype=np.int64)
    cut = min(cut, length - 1) if length > 1 else 0
    whole = noise(FOOD, seed, 7, minutes)
    parts = np.concatenate([noise(FOOD, seed, 7, minutes[:cut]), noise(FOOD, seed, 7, minutes[cut:])])
    assert np.array_equal(whole, parts)


def test_profiles_peak_at_one_and_stay_positive() -> None:
    week = np.arange(7 * 1440, dtype=np.int64)
    for profile in (FOOD, BUSINESS):
        shape = profile.shape(week)
        assert shape.max() == 1.0 and shape.min() > 0


@given(st.floats(0.1, 1e4), st.floats(1.01, 50.0))
def test_lognormal_is_stated_by_median_and_p95(median: float, spread: float) -> None:
    latency = Lognormal(median, median * spread)
    assert math.isclose(latency.exceed(median), 0.5, rel_tol=1e-9)
    assert math.isclose(latency.exceed(median * spread), 0.05, rel_tol=1e-6)
    draws = np.asarray([-1.6448536269514722, 0.0, 1.6448536269514722])
    assert np.allclose(latency.sample(draws), [median / spread, median, median * spread])


_text = st.one_of(st.none(), st.text(max_size=12))
_rows = st.lists(
    st.tuples(
        st.integers(0, 2**62),
        _text,
        st.one_of(st.none(), st.integers(-(2**62), 2**62)),
        st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
        st.one_of(st.none(), st.booleans()),
    ),
    max_size=40,
)


@given(_rows)
def test_jsonl_lines_parse_back_to_the_rows(rows: list[tuple[object, ...]]) -> None:
    names = ("ts", "text", "int", "float", "flag")
    types = (pa.int64(), pa.string(), pa.int64(), pa.float64(), pa.bool_())
    table = pa.table(
        {n: pa.array([r[i] for r in rows], t) for i, (n, t) in enumerate(zip(names, types, strict=True))}
    )
    data = jsonl_bytes(table)
    assert data.endswith(b"\n") or not rows
    lines = data.split(b"\n")[:-1]  # JSON Lines: one value per "\n"-terminated line
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows, strict=True):
        expected = {
            n: v
            for n, v in zip(names, row, strict=True)
            if v is not None and not (isinstance(v, float) and not math.isfinite(v))
        }
        assert json.loads(line) == expected
