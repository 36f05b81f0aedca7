"""Backtest replay and scoring against a hand-worked example.

The history (100 events a minute, SLO target 99 %, so burn = bad fraction / 0.01) and one rule
(long 60 min, short 5 min, factor 9, at least 3 bad events in the short window):

* rows 100–109 all bad (incident I1, api, 6000–6600 s). The long window (t − 3600, t] holds
  six bad rows first at t = 106 min (600 / 6000 = 0.1 → burn 10 ≥ 9; five rows give 8.3), the
  short window holds a bad row until t = 114 min, so the alert is [6360 s, 6900 s), peak long
  burn 1000 / 6000 / 0.01 = 16.67.
* rows 200–209 hold 5 bad each (incident I2, api, 12000–12600 s): long burn at most 0.83, no
  alert, but 50 bad events are half of the 100 allowed per 100-minute period: a significant miss.
* rows 280–289 all bad with no incident: a false alert [17160 s, 17700 s).
* incident I3 is on service web, where no alert fires and nothing was measured.

Scores worked by hand: precision 1/2; recall over significant incidents (I1, I2) 1/2; recall
over all 1/3; detection 6360 − 6000 = 360 s; reset 6900 − 6600 = 300 s; budget consumed before
detection: bad in (6000, 6360] = 600 over 0.01 · 10000 valid in the 100-minute period → 6.0.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.alerting.backtest import (
    Incident,
    Series,
    evaluate_rule,
    parse_incidents,
    replay,
    run_backtest,
    score,
    verdicts_at,
)
from slokit.alerting.policy import Policy, Rule, tiers_for_period
from slokit.alerting.state import AlertKey, AlertState, step
from slokit.engine.burn import Tier
from slokit.engine.series import MinuteCounts
from slokit.errors import SlokitError


def history() -> Series:
    valid = np.full(300, 100, dtype=np.int64)
    bad = np.zeros(300, dtype=np.int64)
    bad[100:110] = 100
    bad[200:210] = 5
    bad[280:290] = 100
    return Series("api-availability", "api", 0.99, 6000.0, MinuteCounts(0, valid, valid - bad))


POLICY = Policy("hand", (Rule("fast", Tier(0.0, 3600, 300, "page", 9.0)),), min_bad_events=3)
INCIDENTS = [
    Incident("api", 6000.0, 6600.0, id="I1"),
    Incident("api", 12000.0, 12600.0, id="I2"),
    Incident("web", 6000.0, 6600.0, id="I3"),
]


def test_replay_lists_the_hand_worked_alerts() -> None:
    alerts = replay(history(), POLICY, 0, 18000)
    assert [(a.start, a.end, a.rule, a.severity) for a in alerts] == [
        (6360.0, 6900.0, "fast", "page"),
        (17160.0, 17700.0, "fast", "page"),
    ]
    assert alerts[0].peak_burn == pytest.approx(1000 / 6000 / 0.01)


def test_alert_still_firing_at_the_end_has_no_end() -> None:
    alerts = replay(history(), POLICY, 0, 6600)
    assert [(a.start, a.end) for a in alerts] == [(6360.0, None)]


def test_for_delays_the_start() -> None:
    slow = Policy("hand", (Rule("fast", Tier(0.0, 3600, 300, "page", 9.0, for_seconds=120)),))
    assert [(a.start, a.end) for a in replay(history(), slow, 0, 9000)] == [(6480.0, 6900.0)]


def test_scores_match_the_hand_worked_example() -> None:
    s = history()
    result = run_backtest([s], {"hand": [POLICY]}, 0, 18000, INCIDENTS)
    assert result.scores is not None
    sc = result.scores["hand"]
    assert (sc.alerts, sc.matching_alerts, sc.incidents, sc.significant_incidents) == (2, 1, 3, 2)
    assert sc.precision == 0.5
    assert sc.recall == 0.5
    assert sc.recall_all == pytest.approx(1 / 3)
    assert sc.detection_seconds == 360.0 == sc.detection_median_seconds
    assert sc.reset_seconds == 300.0
    assert sc.budget_before_detection == pytest.approx(6.0)
    assert sc.missed == ("I2",)
    payload = result.to_json()["policies"][0]
    assert {
        k: payload[k] for k in ("precision", "recall", "detection_seconds", "reset_seconds", "alerts")
    } == {
        "precision": 0.5,
        "recall": 0.5,
        "detection_seconds": 360.0,
        "reset_seconds": 300.0,
        "alerts": 2,
    }


def test_match_bounds_are_inclusive() -> None:
    alerts = replay(history(), POLICY, 0, 18000)
    edge = [Incident("api", 6360.0, 6360.0, id="exact"), Incident("api", 6361.0, 7000.0, id="late")]
    sc = score("hand", alerts[:1], edge, shares={0: 1.0, 1: 1.0})
    assert sc.detected == 1 and sc.missed == ("late",)


def test_no_alerts_means_no_precision() -> None:
    sc = score("none", [], INCIDENTS[:1], shares={0: 1.0})
    assert sc.precision is None and sc.recall == 0.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[{"service": "api", "start": "2026-01-01T00:00:00Z",\n  "end": }]',
            "x.json:2:10: incidents file is not valid JSON",
        ),
        ('{"service": "api"}', "is a JSON list"),
        ('[{"service": "api", "start": "yesterday", "end": "2026-01-01T00:00:00Z"}]', "[0].start"),
        (
            '[{"service": "api", "start": "2026-01-01T00:00:00", "end": "2026-01-01T01:00:00Z"}]',
            "with an offset",
        ),
        ('[{"service": "", "start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z"}]', "[0].service"),
        (
            '[{"service": "a", "start": "2026-01-02T00:00:00Z", "end": "2026-01-01T01:00:00Z"}]',
            "end is before start",
        ),
    ],
)
def test_bad_incident_files(text: str, message: str) -> None:
    with pytest.raises(SlokitError) as err:
        parse_incidents(text, "x.json")
    assert message in str(err.value)


def test_incidents_parse() -> None:
    text = json.dumps(
        [
            {
                "service": "api",
                "start": "2026-01-01T00:00:00Z",
                "end": "2026-01-01T00:10:00+00:00",
                "slos": ["a"],
            }
        ]
    )
    assert parse_incidents(text) == [Incident("api", 1767225600.0, 1767226200.0, ("a",), "")]


def test_an_incident_listing_the_slo_matches_across_services() -> None:
    alerts = replay(history(), POLICY, 0, 18000)
    other_service = [Incident("kafka", 6000.0, 6600.0, ("api-availability",), id="K")]
    assert score("hand", alerts[:1], other_service, shares={0: 1.0}).detected == 1
    unrelated = [Incident("kafka", 6000.0, 6600.0, ("something-else",), id="K")]
    assert score("hand", alerts[:1], unrelated, shares={0: 1.0}).detected == 0


def test_traffic_aware_burn_weighs_bad_events_by_the_periods_allowance() -> None:
    """10 events a minute, but rows 150–159 carry 100 a minute with 5 % bad (a peak).

    Rate burn over rows 150–159: 5 % / 1 % = 5 < 9: no alert. Traffic-aware: the 100-minute
    period before t = 160 min holds 90 · 10 + 10 · 100 = 1900 events, so a minute's average
    allowance is 0.01 · 1900 / 100 = 0.19 bad events; 50 bad in 10 minutes is 50 / 1.9 = 26.3
    and 25 bad in the last 5 minutes is 25 / 0.95 = 26.3, both ≥ 9: the peak of the alert. It
    starts at t = 153 min already: 970 + 300 = 1270 events in the period (allowance 0.127 a
    minute), 15 bad in 10 minutes is 15 / 1.27 = 11.8, in 5 minutes 15 / 0.635 = 23.6.
    """
    valid = np.full(200, 10, dtype=np.int64)
    valid[150:160] = 100
    bad = np.zeros(200, dtype=np.int64)
    bad[150:160] = 5
    s = Series("api", "api", 0.99, 6000.0, MinuteCounts(0, valid, valid - bad))
    rule = (Rule("peak", Tier(0.0, 600, 300, "page", 9.0)),)
    assert replay(s, Policy("rate", rule), 9000, 9600) == []
    aware = Policy("aware", rule, traffic_aware=True)
    (alert,) = replay(s, aware, 9000, 9600)
    assert alert.start == 153 * 60
    assert alert.peak_burn == pytest.approx(50 / 1.9)
    # with even traffic both forms agree
    even = Series(
        "api",
        "api",
        0.99,
        6000.0,
        MinuteCounts(0, np.full(300, 100), np.full(300, 100) - history().counts.bad),
    )
    assert [(a.start, a.end) for a in replay(even, POLICY, 0, 18000)] == [
        (a.start, a.end) for a in replay(even, Policy("hand", POLICY.rules, traffic_aware=True), 0, 18000)
    ]


def test_traffic_aware_applies_only_from_its_minimum_period() -> None:
    """The peak of the previous test under ``trafficAwareMinPeriod``: its 6000 s period is at
    or above 6000 s (traffic-aware, the alert at 153 min) but below 6060 s (rate burn, none)."""
    valid = np.full(200, 10, dtype=np.int64)
    valid[150:160] = 100
    bad = np.zeros(200, dtype=np.int64)
    bad[150:160] = 5
    s = Series("api", "api", 0.99, 6000.0, MinuteCounts(0, valid, valid - bad))
    rule = (Rule("peak", Tier(0.0, 600, 300, "page", 9.0)),)
    at_min = Policy("aware", rule, traffic_aware=True, traffic_aware_min_period=6000.0)
    assert [a.start for a in replay(s, at_min, 9000, 9600)] == [153 * 60]
    above = Policy("aware", rule, traffic_aware=True, traffic_aware_min_period=6060.0)
    assert replay(s, above, 9000, 9600) == []


def test_budget_guard_lets_events_that_spend_the_share_alert() -> None:
    """10 events a minute, target 99 %, period 100 min: 1000 events, 10 allowed bad events.

    Rule: share 0.2 over a 10-minute long window (factor 0.2 · 100 / 10 = 2), 5-minute short
    window. Two bad events in row 150: long burn 2 / 100 / 0.01 = 2 ≥ 2, short burn
    2 / 50 / 0.01 = 4 ≥ 2, but the default guard wants 3 bad events: no alert. They spend
    2 / 10 = 20 % of the budget, the tier's share, so the budget-aware guard is
    min(3, ⌈0.2 · 10⌉) = 2: the rule fires while row 150 is in the short window, t = 151…155 min.
    One bad event (10 %) is not enough: ⌈0.2 · 10⌉ = 2 still, and the burns are only 1 and 2.
    """
    valid = np.full(200, 10, dtype=np.int64)
    bad = np.zeros(200, dtype=np.int64)
    bad[150] = 2
    s = Series("pay", "pay", 0.99, 6000.0, MinuteCounts(0, valid, valid - bad))
    rule = (Rule("r", Tier.from_share(0.2, 600, 300, "page", 6000.0)),)
    assert rule[0].tier.factor == pytest.approx(2.0)
    assert replay(s, Policy("plain", rule), 7200, 11000) == []
    (alert,) = replay(s, Policy("budget", rule, budget_guard=True), 7200, 11000)
    assert (alert.start, alert.end) == (151 * 60, 156 * 60)
    bad[150] = 1
    one = Series("pay", "pay", 0.99, 6000.0, MinuteCounts(0, valid, valid - bad))
    assert replay(one, Policy("budget", rule, budget_guard=True), 7200, 11000) == []


def test_budget_guard_pages_on_one_failure_that_spends_a_quarter_of_the_budget() -> None:
    """Why the budget-aware guard is not the default: issue 4's quiet SLO (99.9 % / 30 d, one
    request every 10 minutes: 4320 a month, 4.32 allowed bad events) must raise nothing on one
    failed request, yet that failure spends 1 / 4.32 = 23 % of the month's budget, more than
    any tier's share, so the budget-aware guard drops to one event and the rule pages."""
    period = 30 * 86400
    minutes = 2 * 1440
    valid = np.zeros(minutes, dtype=np.int64)
    valid[::10] = 1
    good = valid.copy()
    good[1440 + 500] = 0
    s = Series("quiet", "quiet", 0.999, float(period), MinuteCounts(0, valid, good))
    rules = tuple(Rule(f"{t.severity}-{t.long_seconds}", t) for t in tiers_for_period(period))
    window = (1440 * 60.0, minutes * 60.0)
    assert replay(s, Policy("default", rules), *window) == []
    aware = Policy("aware", rules, traffic_aware=True, traffic_aware_min_period=7 * 86400)
    assert replay(s, aware, *window) == []
    budget = Policy("budget", rules, budget_guard=True)
    assert "page" in {a.severity for a in replay(s, budget, *window)}


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    for_minutes=st.integers(0, 4),
    aware=st.booleans(),
    slice_minutes=st.sampled_from([1, 1, 3]),
)
def test_vectorized_replay_equals_a_minute_by_minute_state_machine(
    seed: int, for_minutes: int, aware: bool, slice_minutes: int
) -> None:
    """Oracle: one evaluation per minute through :func:`verdicts_at` and the state machine."""
    rng = np.random.default_rng(seed)
    n = 400
    valid = rng.poisson(rng.uniform(0.5, 30), n).astype(np.int64)
    p = np.where(rng.random(n) < 0.1, rng.uniform(0.2, 1.0), 0.002)
    bad = rng.binomial(valid, p)
    s = Series(
        "api", "api", 0.99, 50_000.0, MinuteCounts(1000, valid, valid - bad), slice_minutes=slice_minutes
    )
    tiers = (
        Rule("fast", Tier(0.0, 1800, 300, "page", 8.0, for_minutes * 60)),
        Rule("slow", Tier(0.0, 7200, 900, "ticket", 2.0)),
    )
    if rng.random() < 0.5:  # a stretch without traffic, for the no-data rule
        gap = int(rng.integers(130, n - 40))
        valid[gap : gap + 40] = 0
        bad[gap : gap + 40] = 0
        s = replace(s, counts=MinuteCounts(1000, valid, valid - bad))
    policy = Policy(
        "p",
        tiers,
        min_bad_events=int(rng.integers(0, 4)),
        alert_when_no_data=bool(rng.integers(0, 2)),
        traffic_aware=aware,
        budget_guard=bool(rng.integers(0, 2)),
    )
    start, end = (1000 + 130) * 60.0, (1000 + n) * 60.0
    got = sorted((a.rule, a.start, a.end) for a in replay(s, policy, start, end))
    states: dict[str, AlertState] = {}
    opened: dict[str, float] = {}
    want: list[tuple[str, float, float | None]] = []
    for minute in range(1000 + 130, 1000 + n + 1):
        t = minute * 60.0
        for rule, severity, for_s, breaching, lb, sb, _ in verdicts_at(s, policy, minute):
            old = states.get(rule, AlertState(AlertKey("api", rule)))
            states[rule], _ = step(old, breaching, t, for_s, severity, lb, sb)
            if states[rule].phase == "firing" and rule not in opened:
                opened[rule] = t
            elif states[rule].phase != "firing" and rule in opened:
                want.append((rule, opened.pop(rule), t))
    want += [(rule, t0, None) for rule, t0 in opened.items()]
    assert got == sorted(want, key=lambda x: (x[0], x[1]))


def test_no_data_rule_breaches_only_without_data() -> None:
    valid = np.zeros(200, dtype=np.int64)
    valid[:50] = 10
    s = Series("api", "api", 0.99, 6000.0, MinuteCounts(0, valid, valid.copy()))
    policy = Policy("p", POLICY.rules, alert_when_no_data=True)
    by_rule = {v[0]: v[3] for v in verdicts_at(s, policy, 100)}  # window (40, 100] min still has data
    assert by_rule == {"fast": False, "no-data": False}
    by_rule = {v[0]: v[3] for v in verdicts_at(s, policy, 150)}  # nothing in the last hour
    assert by_rule == {"fast": False, "no-data": True}
    assert [v[0] for v in verdicts_at(s, POLICY, 150)] == ["fast"]  # off unless asked for


def test_backtest_replays_the_no_data_alert_as_the_evaluator_does() -> None:
    """10 events a minute in rows 0–49, none after. The longest (only) long window is 60 min,
    so it is empty from t = 110 min on (rows 50–109): one ``no-data`` ticket from 6600 s, still
    open at the end; without ``alertWhenNoData`` none. The minute-by-minute oracle is
    :func:`verdicts_at` (what the evaluator runs) at every minute."""
    valid = np.zeros(200, dtype=np.int64)
    valid[:50] = 10
    s = Series("api", "api", 0.99, 6000.0, MinuteCounts(0, valid, valid.copy()))
    policy = Policy("p", POLICY.rules, alert_when_no_data=True)
    (alert,) = replay(s, policy, 60 * 60, 200 * 60)
    assert (alert.rule, alert.severity, alert.start, alert.end) == ("no-data", "ticket", 6600.0, None)
    assert alert.budget_spent is None
    live = [m for m in range(60, 201) if dict((v[0], v[3]) for v in verdicts_at(s, policy, m))["no-data"]]
    assert live == list(range(110, 201))
    assert replay(s, POLICY, 60 * 60, 200 * 60) == []


def test_traffic_aware_window_must_also_miss_the_objective_by_its_own_ratio() -> None:
    """10 events a minute, rows 150–159 carry 100 a minute and rows 150–157 one bad event each
    (0.8 %: within the 99 % objective, own burn 0.8). At t = 160 min the 100-minute period holds
    1900 events (allowance 0.19 bad a minute): traffic-aware long burn over 10 minutes
    8 / 1.9 = 4.2, short over 5 minutes 3 / 0.95 = 3.2, both ≥ 3 — a daily peak at a healthy
    error ratio. The rule needs each window's own burn ≥ min(factor, 1) too, so a factor-3 tier
    stays quiet, while a factor-0.5 tier (floor 0.5; own burns 0.8 and 0.6) fires."""
    valid = np.full(200, 10, dtype=np.int64)
    valid[150:160] = 100
    bad = np.zeros(200, dtype=np.int64)
    bad[150:158] = 1
    s = Series("api", "api", 0.99, 6000.0, MinuteCounts(0, valid, valid - bad))
    at = np.array([160], dtype=np.int64)
    for factor, fires in ((3.0, False), (0.5, True)):
        tier = Tier(0.0, 600, 300, "ticket", factor)
        ev = evaluate_rule(
            s, s.cumulative(), at, tier, Policy("aware", (Rule("r", tier),), traffic_aware=True)
        )
        assert float(ev.long_burn[0]) == pytest.approx(8 / 1.9)
        assert float(ev.short_burn[0]) == pytest.approx(3 / 0.95)
        assert bool(ev.firing[0]) is fires
