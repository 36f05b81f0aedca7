"""Issue 4's numbers on synthetic history, through the same code the evaluator and backtest run,
with slokit's shipped default policy (:func:`slokit.alerting.policy.period_default_policy`).

* A hard outage (every request fails) on a 99.9 % / 30 d SLO pages within 2 minutes, with an
  evaluation every 30 s (passes at odd offsets into the minute, state machine included).
* A slow burn at twice the sustainable rate for 3 days raises a ticket and no page.
* One failed request in a quiet night minute of an SLO with normal traffic raises nothing at all
  (no page, no ticket); the same history through the window-ratio burn rate without the
  low-traffic guard does page, so the test can fail.
* On a rare stream, where one failure alone spends more than the page tier's share of the
  month's budget, the default does alert, and the alert (and its notification) says how much of
  the budget the failure spent.
* The live evaluator, which reads only the rows a pass needs, decides like the backtest, which
  has the whole history.

Traffic is drawn from a seeded generator (Poisson requests, binomial failures), minute by minute.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from slokit.alerting.backtest import Series, evaluate_rule, replay, verdicts_at
from slokit.alerting.delivery import notification_of
from slokit.alerting.policy import BUILTIN, fitting_policy, period_default_policy
from slokit.alerting.state import AlertKey, AlertState, due_notices, step
from slokit.engine.series import MinuteCounts

DAY_MIN = 1440
PERIOD = 30 * 86400
T0 = 29_000_000  # epoch minute of the series start (2025-02-20)


def default_policy() -> Any:
    return period_default_policy(PERIOD)


def traffic(minutes: int, rate: float | np.ndarray, error: np.ndarray | float, seed: int) -> MinuteCounts:
    rng = np.random.default_rng(seed)
    valid = rng.poisson(np.broadcast_to(rate, (minutes,))).astype(np.int64)
    bad = rng.binomial(valid, np.broadcast_to(error, (minutes,))).astype(np.int64)
    return MinuteCounts(T0, valid, valid - bad)


def daily_cycle(minutes: int, night: float, peak: float) -> np.ndarray:
    """Requests a minute: ``night`` at 03:00, ``peak`` at 15:00, a cosine between."""
    hour = (np.arange(minutes) % DAY_MIN) / 60.0
    return night + (peak - night) * (1 - np.cos(2 * np.pi * (hour - 3) / 24)) / 2


def test_hard_outage_pages_within_two_minutes() -> None:
    minutes = 4 * DAY_MIN
    error = np.full(minutes, 0.0002)
    start_row = 3 * DAY_MIN + 600  # outage from this minute on, 20 minutes long
    error[start_row : start_row + 20] = 1.0
    s = Series("api", "api", 0.999, PERIOD, traffic(minutes, 50, error, seed=1))
    policy = default_policy()
    assert policy.traffic_aware and policy.budget_guard
    outage_start = (T0 + start_row) * 60
    for offset in (0.0, 7.0, 29.0):  # where in the minute the 30 s passes fall
        states: dict[str, AlertState] = {}
        paged_at = None
        at = outage_start - 600 + offset
        while at < outage_start + 600 and paged_at is None:
            minute = math.floor(at / 60)
            for v in verdicts_at(s, policy, minute):
                old = states.get(v.rule, AlertState(AlertKey("api", v.rule)))
                states[v.rule], _ = step(
                    old, v.breaching, minute * 60.0, v.for_seconds, v.severity, v.long_burn, v.short_burn
                )
                if any(n.severity == "page" for n in due_notices(states[v.rule], minute * 60.0)):
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
    # the 3-day window averages burn 1 when 2·x + 0.1·(3 − x) = 3 (baseline burn 0.1): x = 2.7 / 1.9
    # days. With even traffic the traffic-aware burn is the burn rate, up to the estimate of the
    # period's traffic, which here includes the burn's own days (a few per mille).
    assert abs((first - burn_start) / 86400 - 2.7 / 1.9) < 0.05


def test_single_failure_in_a_quiet_minute_raises_nothing() -> None:
    """99.9 % / 30 d with a daily cycle: a request every two minutes at the 03:00 trough, 200 a
    minute at the afternoon peak (about 100 a minute on average: 4.4 million a month, 4400
    allowed bad events, so the budget-aware guard stays 3), a baseline of 1 failure in 20 000,
    and one failed request at 03:30 (none else within two hours). Nothing fires over the last 7
    days with the default. Oracle for "it could fire": the window-ratio burn rate without the
    guard pages one minute after that failure (one bad event among the 38 requests of the
    night's hour is a burn of 26 ≥ 14.4)."""
    minutes = 10 * DAY_MIN
    counts = traffic(minutes, daily_cycle(minutes, 0.5, 200.0), 0.00005, seed=3)
    failed_row = 8 * DAY_MIN + 3 * 60 + 30  # 03:30 on day 8
    valid = counts.valid.copy()
    good = counts.good.copy()
    valid[failed_row] = max(valid[failed_row], 1)
    good[failed_row] = valid[failed_row] - 1
    good[failed_row - 120 : failed_row + 120] = valid[failed_row - 120 : failed_row + 120]
    good[failed_row] -= 1  # the one failure of the night
    s = Series("checkout", "shop", 0.999, PERIOD, MinuteCounts(T0, valid, good))
    window = ((T0 + 3 * DAY_MIN) * 60, (T0 + minutes) * 60)
    assert replay(s, default_policy(), *window) == []
    unguarded = replace(fitting_policy_for_classic(), min_bad_events=0)
    paged = replay(s, unguarded, *window)
    assert any(a.severity == "page" and abs(a.start - (T0 + failed_row + 1) * 60) <= 60 for a in paged)
    # the default is quiet even without the guard: the failure is weighed by the month's traffic
    assert replay(s, replace(default_policy(), min_bad_events=0), *window) == []


def fitting_policy_for_classic() -> Any:
    """The built-in ``classic`` policy (window-ratio burn, fixed guard) for a 30-day SLO."""
    return replace(period_default_policy(PERIOD, "classic"), traffic_aware=False, budget_guard=False)


def test_one_failure_on_a_rare_stream_alerts_with_its_budget_share(
    specs: dict[str, Callable[..., Any]],
) -> None:
    """99.9 % / 30 d, one payment every 10 minutes: 4320 a month, 4.32 allowed failures, so one
    failure spends 1 / 4.32 = 23 % of the month's budget — more than every tier's share (2 %,
    5 %, 10 %). The default alerts: the page tier from the minute after the failure while it is
    in the 5-minute window; the notification carries the 23 %."""
    slo = specs["load"](specs["slo"]()).slo("api-availability")
    assert (slo.objectives[0].target, slo.time_window.duration.nominal_seconds) == (0.999, PERIOD)
    policy = fitting_policy(slo, BUILTIN["default"])
    minutes = 3 * DAY_MIN
    valid = np.zeros(minutes, dtype=np.int64)
    valid[::10] = 1
    good = valid.copy()
    failed_row = 2 * DAY_MIN + 500
    good[failed_row] = 0
    s = Series(slo.name, slo.service, 0.999, PERIOD, MinuteCounts(T0, valid, good))
    alerts = replay(s, policy, (T0 + DAY_MIN) * 60, (T0 + minutes) * 60)
    pages = [a for a in alerts if a.rule == "page-1h"]
    assert [(a.start, a.end) for a in pages] == [((T0 + failed_row + 1) * 60, (T0 + failed_row + 6) * 60)]
    assert {a.severity for a in alerts} == {"page", "ticket"}
    # (the traffic estimate counts 339 requests in the 3381 minutes before the alert: 0.1003 a
    # minute rather than 0.1, hence the tolerance)
    assert all(a.budget_spent == pytest.approx(1 / 4.32, rel=5e-3) for a in alerts)
    # the classic policy keeps its fixed guard of 3 and stays quiet
    assert replay(s, fitting_policy(slo, BUILTIN["classic"]), (T0 + DAY_MIN) * 60, (T0 + minutes) * 60) == []
    # the evaluator's path: verdict → state → notice → notification
    minute = T0 + failed_row + 1
    (page,) = [v for v in verdicts_at(s, policy, minute) if v.rule == "page-1h"]
    assert page.breaching
    state, _ = step(
        AlertState(AlertKey(slo.name, page.rule)),
        True,
        minute * 60.0,
        page.for_seconds,
        page.severity,
        page.long_burn,
        page.short_burn,
        page.budget_spent,
    )
    (notice,) = due_notices(state, minute * 60.0)
    note = notification_of(notice, slo)
    assert float(note.annotations["budget_spent"]) == pytest.approx(1 / 4.32, rel=5e-3)
    assert "23.1% of the 30d error budget" in note.description


def test_live_evaluator_reads_enough_to_decide_as_the_backtest() -> None:
    """Oracle: the rules evaluated on the whole 12-day history; the evaluator's view at an
    instant is the series cut to the rows a pass reads (``history_seconds``: 7 days for the
    traffic estimate of a 30-day SLO). Traffic never drops to zero, so both estimates start at
    the same minute."""
    minutes = 12 * DAY_MIN
    rng = np.random.default_rng(4)
    error = np.where(rng.random(minutes) < 0.002, rng.uniform(0.05, 1.0, minutes), 0.0003)
    counts = traffic(minutes, daily_cycle(minutes, 3.0, 150.0), error, seed=5)
    counts = MinuteCounts(T0, counts.valid + 1, counts.good + 1)
    full = Series("api", "api", 0.999, PERIOD, counts)
    policy = default_policy()
    need = policy.history_seconds(PERIOD) // 60
    assert need == 7 * DAY_MIN
    instants = np.sort(rng.choice(np.arange(T0 + need, T0 + minutes + 1), 150, replace=False))
    bursts = np.flatnonzero(error > 0.05) + T0 + 1
    instants = np.concatenate([instants, bursts[bursts >= T0 + need]])
    cum = full.cumulative()
    fired = 0
    for rule in policy.rules:
        want = evaluate_rule(full, cum, instants, rule.tier, policy).firing
        fired += int(want.sum())
        for m, w in zip(instants.tolist(), want.tolist(), strict=True):
            lo = m - need - T0
            cut = MinuteCounts(m - need, counts.valid[lo : m - T0], counts.good[lo : m - T0])
            (v,) = [v for v in verdicts_at(replace(full, counts=cut), policy, m) if v.rule == rule.name]
            assert v.breaching == w, (rule.name, m)
    assert fired > 0  # some instants breach, so agreement is not all-False
