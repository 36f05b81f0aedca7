"""Burn rates and multiwindow tiers: hand-computed factors, brute-force evaluation, scenarios."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.engine.burn import (
    DEFAULT_MIN_BAD_EVENTS,
    Tier,
    budget_guard,
    burn_rate,
    default_tiers,
    evaluate_tier,
    held_for,
)
from slokit.engine.series import MinuteCounts

DAY = 86400


@pytest.mark.parametrize(
    ("days", "factors"),
    [
        # share · period / long, worked by hand:
        # 30 d = 720 h: 0.02·720/1 = 14.4, 0.05·720/6 = 6, 0.10·30/1 = 3, 0.10·30/3 = 1
        (30, [14.4, 6.0, 3.0, 1.0]),
        # 28 d = 672 h: 0.02·672 = 13.44, 0.05·672/6 = 5.6, 0.10·28 = 2.8, 0.10·28/3 = 0.9333…
        (28, [13.44, 5.6, 2.8, 2.8 / 3]),
        # 7 d = 168 h: 0.02·168 = 3.36, 0.05·168/6 = 1.4, 0.10·7 = 0.7, 0.10·7/3 = 0.2333…
        (7, [3.36, 1.4, 0.7, 0.7 / 3]),
    ],
)
def test_default_tier_factors(days: int, factors: list[float]) -> None:
    tiers = default_tiers(days * DAY)
    assert [t.factor for t in tiers] == pytest.approx(factors, rel=1e-12)
    assert [(t.long_seconds, t.short_seconds) for t in tiers] == [
        (3600, 300),
        (6 * 3600, 1800),
        (DAY, 2 * 3600),
        (3 * DAY, 6 * 3600),
    ]
    assert [t.severity for t in tiers] == ["page", "page", "ticket", "ticket"]


def test_tier_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Tier(0.02, 300, 3600, "page", 14.4)  # short longer than long
    with pytest.raises(ValueError):
        Tier(0.02, 3600, 300, "page", 0.0)
    with pytest.raises(ValueError):
        Tier(0.02, 3630, 300, "page", 1.0)  # not whole minutes
    with pytest.raises(ValueError):
        default_tiers(0)
    assert default_tiers(30 * DAY)[0].for_period(28 * DAY).factor == pytest.approx(13.44)


def test_burn_rate_by_hand() -> None:
    # 5 bad of 1,000 against 99.9 %: 0.005 / 0.001 = 5; one bad of 1,000 is exactly 1.0.
    got = burn_rate(np.array([5, 1, 0]), np.array([1000, 1000, 0]), 0.999)
    assert got[0] == 5.0 and got[1] == 1.0
    assert math.isnan(got[2])
    with pytest.raises(ValueError):
        burn_rate(1, 10, 1.0)


def counts_from(valid: list[int], bad: list[int], first: int = 0) -> MinuteCounts:
    v = np.array(valid, dtype=np.int64)
    return MinuteCounts(first, v, v - np.array(bad, dtype=np.int64))


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=90),
    st.sampled_from([0.9, 0.99, 0.999]),
    st.sampled_from([(60, 5), (30, 10), (20, 20)]),
    st.floats(0.5, 40),
    st.integers(1, 4),
)
def test_evaluate_tier_equals_loop(
    minutes: list[tuple[int, int]], target: float, windows: tuple[int, int], factor: float, min_bad: int
) -> None:
    valid = [a + b for a, b in minutes]
    bad = [b for _, b in minutes]
    first = 500
    tier = Tier(0.05, windows[0] * 60, windows[1] * 60, "page", factor)
    ends = np.arange(first, first + len(minutes) + 3)
    got = evaluate_tier(counts_from(valid, bad, first).cumulative(), ends, tier, target, min_bad)

    def window(end: int, width: int) -> tuple[int, int]:
        rows = [i for i in range(len(minutes)) if end - width <= first + i < end]
        return sum(valid[i] for i in rows), sum(bad[i] for i in rows)

    for j, end in enumerate(ends):
        lv, lb = window(int(end), windows[0])
        sv, sb = window(int(end), windows[1])
        long_burn = (lb / lv) / (1 - target) if lv else math.nan
        short_burn = (sb / sv) / (1 - target) if sv else math.nan
        fires = lv > 0 and sv > 0 and long_burn >= factor and short_burn >= factor and sb >= min_bad
        # compare away from exact ties, where 1 − 0.999 in floats differs from the exact 0.001
        if not any(abs(b - factor) < 1e-9 * factor for b in (long_burn, short_burn) if b == b):
            assert bool(got.firing[j]) == fires
        assert got.short_bad[j] == sb
        assert got.long_burn[j] == pytest.approx(long_burn, rel=1e-12, nan_ok=True)
        assert got.short_burn[j] == pytest.approx(short_burn, rel=1e-12, nan_ok=True)


def test_hard_outage_pages_within_two_minutes() -> None:
    """99.9 % over 30 d, 100 requests a minute, all failing from minute 600 on."""
    n = 24 * 60
    valid = [100] * n
    bad = [0] * 600 + [100] * (n - 600)
    page = default_tiers(30 * DAY)[0]
    ends = np.arange(n + 1)  # instant t = minute end; the outage starts at the end of minute 600
    fired = evaluate_tier(counts_from(valid, bad).cumulative(), ends, page, 0.999).firing
    first_fire = int(np.argmax(fired))
    assert fired.any() and not fired[:601].any()
    # 1 h burn after k outage minutes = (100k / 6000) / 0.001 = 16.7k ≥ 14.4 from k = 1
    assert first_fire == 601


def test_single_failure_in_a_quiet_minute_does_not_page() -> None:
    valid = [1] * 180
    bad = [0] * 180
    bad[120] = 1  # one failed request; 1 h burn = (1/60)/0.001 = 16.7, 5 m burn = 200
    page = default_tiers(30 * DAY)[0]
    cum = counts_from(valid, bad).cumulative()
    ends = np.arange(181)
    assert not evaluate_tier(cum, ends, page, 0.999).firing.any()
    # without the guard it would have paged: the guard is what prevents it
    assert evaluate_tier(cum, ends, page, 0.999, min_bad_events=1).firing.any()
    assert DEFAULT_MIN_BAD_EVENTS == 3


def test_slow_burn_at_twice_the_budget_raises_a_ticket_only() -> None:
    """A 2× burn (0.2 % errors on 99.9 %) for 3 days: the 3 d / 6 h tier (factor 1) fires."""
    n = 4 * 24 * 60
    valid = [1000] * n
    bad = [0] * (24 * 60) + [2] * (n - 24 * 60)
    tiers = default_tiers(30 * DAY)
    cum = counts_from(valid, bad).cumulative()
    ends = np.arange(0, n + 1, 10)
    firing = {t.factor: evaluate_tier(cum, ends, t, 0.999).firing.any() for t in tiers}
    assert firing == {14.4: False, 6.0: False, 3.0: False, 1.0: True}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.booleans(), max_size=40), st.sampled_from([30, 60]), st.integers(0, 300))
def test_held_for_equals_loop(cond: list[bool], step: int, for_seconds: int) -> None:
    got = held_for(np.array(cond, dtype=bool), step, for_seconds)
    for i in range(len(cond)):
        # held at every step in [t_i − for, t_i]
        steps_back = math.ceil(for_seconds / step)
        expect = i - steps_back >= 0 and all(cond[i - steps_back : i + 1])
        assert bool(got[i]) == expect


def test_doc_example_burn_rate_tiers() -> None:
    """docs/arithmetic.md: 99.9 % over 30 d at 14:00, rows built to give the example's window sums."""
    rows = [(1000, 1)] * 300 + [(1000, 20)] * 30 + [(1000, 18)] * 25 + [(1000, 30)] * 5
    counts = counts_from([v for v, _ in rows], [b for _, b in rows], first=14 * 60 - 360)
    cum = counts.cumulative()
    now = np.array([14 * 60])
    sums = {w: cum.rolling(now, w) for w in (60, 5, 360, 30)}
    assert {w: (int(v[0]), int(v[0] - g[0])) for w, (v, g) in sums.items()} == {
        60: (60_000, 1200),
        5: (5000, 150),
        360: (360_000, 1500),
        30: (30_000, 600),
    }
    burns = {w: burn_rate(v - g, v, 0.999)[0] for w, (v, g) in sums.items()}
    assert burns[60] == pytest.approx(20.0)
    assert burns[5] == pytest.approx(30.0)
    assert burns[360] == pytest.approx(1500 / 360_000 / 0.001)
    assert round(burns[360], 2) == 4.17
    assert burns[30] == pytest.approx(20.0)
    page, slow_page, *_ = default_tiers(30 * DAY)
    assert evaluate_tier(cum, now, page, 0.999).firing.tolist() == [True]
    assert evaluate_tier(cum, now, slow_page, 0.999).firing.tolist() == [False]
    # budget share spent in that hour: 1,200 of 0.001 · 60,000 · 720 = 43,200 allowed bad events
    assert pytest.approx(0.0278, abs=1e-4) == 1200 / (0.001 * 60_000 * 720)
    # the quiet service: 60 requests in the hour, 5 in the last 5 minutes, one failed
    quiet = counts_from([1] * 60, [0] * 59 + [1], first=14 * 60 - 60).cumulative()
    q = evaluate_tier(quiet, now, page, 0.999)
    assert q.long_burn[0] == pytest.approx(1 / 60 / 0.001)
    assert q.short_burn[0] == pytest.approx(200.0)
    assert q.firing.tolist() == [False]


@pytest.mark.parametrize(
    ("share", "allowed", "guard"),
    [
        # 99.9 % over 30 d at 100 requests a minute: 0.001 · 100 · 43200 = 4320 allowed bad
        # events; 2 % of them is 86.4 → 87 ≥ 3, so the guard stays 3
        (0.02, 0.001 * 100 * 43200, 3),
        # a rare payment stream allowing 18 bad events a month: 2 % is 0.36 → one event suffices
        (0.02, 18.0, 1),
        # 10 % of 18 is 1.8 → two events
        (0.10, 18.0, 2),
        # exactly two events' worth (0.2 · 10 = 2.0000000000000004 in floats) → two, not three
        (0.20, 10.0, 2),
        # no traffic (nothing allowed): never below one event
        (0.02, 0.0, 1),
    ],
)
def test_budget_guard_is_the_share_of_allowed_bad_events_capped_by_the_guard(
    share: float, allowed: float, guard: int
) -> None:
    assert budget_guard(DEFAULT_MIN_BAD_EVENTS, share, [allowed]).tolist() == [guard]


def test_budget_guard_keeps_a_switched_off_guard_off() -> None:
    assert budget_guard(0, 0.02, [18.0, 4320.0]).tolist() == [0, 0]
