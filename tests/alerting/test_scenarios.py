"""Issue 4's numbers on synthetic history, through the same code the evaluator and backtest run.

* A hard outage (every request fails) on a 99.9 % / 30 d SLO pages within 2 minutes, with an
  evaluation every 30 s (passes at odd offsets into the minute, state machine included).
* A slow burn at twice the sustainable rate for 3 days raises a ticket and no page.
* One failed request in a quiet minute raises nothing; the same history with the low-traffic
  guard switched off does page, so the guard is what keeps it quiet.

Traffic is drawn from a seeded generator (Poisson requests, binomial failures), minute by minute.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from slokit.alerting.backtest import Series, replay, verdicts_at
from slokit.alerting.policy import Policy, Rule, tiers_for_period
from slokit.alerting.state import AlertKey, AlertState, due_notices, step
from slokit.engine.series import MinuteCounts

DAY_MIN = 1440
PERIOD = 30 * 86400
T0 = 29_000_000  # epoch minute of the series start (2025-02-20)


def default_policy() -> Policy:
    tiers = tiers_for_period(PERIOD)
    return Policy("default", tuple(Rule(f"{t.severity}-{t.long_seconds}", t) for t in tiers))


def traffic(minutes: int, rate: float, error: np.ndarray | float, seed: int) -> MinuteCounts:
    rng = np.random.default_rng(seed)
    valid = rng.poisson(rate, minutes).astype(np.int64)
    bad = rng.binomial(valid, np.broadcast_to(error, (minutes,))).astype(np.int64)
    return MinuteCounts(T0, valid, valid - bad)


def test_hard_outage_pages_within_two_minutes() -> None:
    minutes = 4 * DAY_MIN
    error = np.full(minutes, 0.0002)
    start_row = 3 * DAY_MIN + 600  # outage from this minute on, 20 minutes long
    error[start_row : start_row + 20] = 1.0
    s = Series("api", "api", 0.999, PERIOD, traffic(minutes, 50, error, seed=1))
    policy = default_policy()
    outage_start = (T0 + start_row) * 60
    for offset in (0.0, 7.0, 29.0):  # where in the minute the 30 s passes fall
        states: dict[str, AlertState] = {}
        paged_at = None
        at = outage_start - 600 + offset
        while at < outage_start + 600 and paged_at is None:
            minute = math.floor(at / 60)
            for rule, severity, for_s, breaching, lb, sb in verdicts_at(s, policy, minute):
                old = states.get(rule, AlertState(AlertKey("api", rule)))
                states[rule], _ = step(old, breaching, minute * 60.0, for_s, severity, lb, sb)
                if any(n.severity == "page" for n in due_notices(states[rule], minute * 60.0)):
                    paged_at = at
            at += 30
        assert paged_at is not None
        assert paged_at - outage_start <= 120, (offset, paged_at - outage_start)
        assert paged_at - outage_start >= 60  # the first complete bad minute is needed


def test_slow_burn_raises_a_ticket_and_no_page() -> None:
    minutes = 8 * DAY_MIN
    error = np.full(minutes, 0.0001)
    error[4 * DAY_MIN : 7 * DAY_MIN] = 0.002  # burn rate 2 for 3 days
    s = Series("api", "api", 0.999, PERIOD, traffic(minutes, 200, error, seed=2))
    alerts = replay(s, default_policy(), (T0 + 3 * DAY_MIN) * 60, (T0 + minutes) * 60)
    assert {a.severity for a in alerts} == {"ticket"}
    first = min(a.start for a in alerts)
    burn_start = (T0 + 4 * DAY_MIN) * 60
    assert burn_start < first < burn_start + 3 * 86400
    # the 3-day window averages burn 1 when 2·x + 0.1·(3 − x) = 3 (baseline burn 0.1): x = 2.7 / 1.9 days
    assert abs((first - burn_start) / 86400 - 2.7 / 1.9) < 0.05


def test_single_failure_in_a_quiet_minute_raises_nothing() -> None:
    minutes = 2 * DAY_MIN
    valid = np.zeros(minutes, dtype=np.int64)
    valid[::10] = 1  # one request every 10 minutes
    good = valid.copy()
    good[DAY_MIN + 500] = 0  # one of them fails
    s = Series("quiet", "quiet", 0.999, PERIOD, MinuteCounts(T0, valid, good))
    policy = default_policy()
    window = ((T0 + DAY_MIN) * 60, (T0 + minutes) * 60)
    assert replay(s, policy, *window) == []
    unguarded = replace(policy, min_bad_events=0)
    assert {a.rule for a in replay(s, unguarded, *window)} >= {"page-3600"}
