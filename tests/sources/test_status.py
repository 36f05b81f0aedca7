"""SLO state from a real store against a brute-force oracle over the raw events.

Random events are ingested into a real :class:`Store` in a temporary directory; the oracle
recomputes every number with Python loops over the raw event list: Σgood/Σvalid over
``(t − W, t]``, burn = bad ratio / (1 − target), percentiles by sorting (within 1 %), slices by
grouping events per minute, calendar months by building the local month start with ``zoneinfo``,
and the daily correction by building each day's 03:00 Copenhagen instant by hand (no RRULE).
"""

from __future__ import annotations

import math
import random
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import slokit
from slokit.sources.status import (
    burn_windows,
    correction_intervals,
    evaluate_all,
    history,
    kept_runs,
    masked_runs,
    window_label,
)
from slokit.sources.store import Store
from slokit.spec.model import Spec

CPH = ZoneInfo("Europe/Copenhagen")

SPEC = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: avail}
spec:
  service: shop
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
  indicatorRef: api-ok
---
apiVersion: openslo/v1
kind: SLI
metadata: {name: api-ok}
spec:
  ratioMetric:
    counter: true
    good: {metricSource: {type: slokit, spec: {stream: api, where: "status < 500"}}}
    total: {metricSource: {type: slokit, spec: {stream: api}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: latency}
spec:
  service: shop
  timeWindow: [{duration: 6h, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.9, op: lt, value: 300}]
  indicator:
    metadata: {name: api-fast}
    spec:
      thresholdMetric: {metricSource: {type: slokit, spec: {stream: api, value: latency_ms}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: monthly}
spec:
  service: shop
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar: {startTime: '2024-01-01 00:00:00', timeZone: Europe/Copenhagen}
  budgetingMethod: Occurrences
  objectives: [{target: 0.995}]
  indicatorRef: api-ok
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: rolling-month}
spec:
  service: shop
  timeWindow: [{duration: 1M, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
  indicatorRef: api-ok
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: uptime}
spec:
  service: shop
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Timeslices
  objectives: [{target: 0.95, timeSliceTarget: 0.9, timeSliceWindow: 1m}]
  indicatorRef: api-ok
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: mean-ratio}
spec:
  service: shop
  timeWindow: [{duration: 12h, isRolling: true}]
  budgetingMethod: RatioTimeslices
  objectives: [{target: 0.97, timeSliceWindow: 5m}]
  indicatorRef: api-ok
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: journey}
spec:
  service: shop
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives:
    - {displayName: ok, target: 0.99, compositeWeight: 2, indicatorRef: api-ok}
    - displayName: fast
      target: 0.95
      op: lte
      value: 150
      indicator:
        metadata: {name: api-fast-150}
        spec:
          thresholdMetric: {metricSource: {type: slokit, spec: {stream: api, value: latency_ms}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: quiet}
spec:
  service: batch
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
  indicator:
    metadata: {name: jobs-ok}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: slokit, spec: {stream: jobs, where: "ok = true"}}}
        total: {metricSource: {type: slokit, spec: {stream: jobs}}}
---
apiVersion: slokit/v1
kind: Correction
metadata: {name: nightly}
spec:
  reason: planned maintenance
  start: 2024-03-01T03:00:00
  duration: 1h
  rrule: FREQ=DAILY
  timeZone: Europe/Copenhagen
  slos: [avail, uptime]
"""

TARGET = {
    "avail": 0.99,
    "latency": 0.9,
    "monthly": 0.995,
    "rolling-month": 0.99,
    "uptime": 0.95,
    "mean-ratio": 0.97,
}
WINDOW = {"avail": 86400, "latency": 6 * 3600, "uptime": 86400, "mean-ratio": 12 * 3600, "journey": 86400}
BURN = {"5m": 300, "30m": 1800, "1h": 3600, "2h": 7200, "6h": 21600, "1d": 86400, "3d": 259200}
# Around the spring DST change in Copenhagen (2024-03-31 02:00 CET -> 03:00 CEST) and the month end.
BASE = int(datetime(2024, 3, 28, tzinfo=UTC).timestamp())
SPAN = 6 * 86400

Event = dict[str, Any]


@pytest.fixture(scope="module")
def spec() -> Spec:
    return slokit.load(SPEC)


@pytest.fixture
def store_factory(spec: Spec) -> Iterator[Any]:
    with tempfile.TemporaryDirectory() as tmp:
        count = [0]

        def make(events: list[Event]) -> Store:
            count[0] += 1
            store = Store.open(Path(tmp) / f"s{count[0]}.duckdb", lateness_seconds=None)
            store.register(spec)
            for i in range(0, len(events), 500):
                store.ingest("api", events[i : i + 500], spec=spec, now=BASE + 10 * SPAN)
            return store

        yield make


def random_events(
    rng: random.Random, n: int, start: int = BASE, span: int = SPAN, bad: float = 0.2
) -> list[Event]:
    """Events with a share ``bad`` of 5xx statuses (the rest 200 or 404)."""
    events = []
    for _ in range(n):
        ts = start + rng.randrange(span)
        if rng.random() < 0.3:  # bursts on whole minutes: the boundary rule matters
            ts -= ts % 60
        events.append(
            {
                "ts": ts,
                "status": rng.choice([500, 503]) if rng.random() < bad else rng.choice([200, 200, 404]),
                "latency_ms": round(rng.lognormvariate(4.8, 0.8), 3),
            }
        )
    return events


# --- the oracle ---


def allowed(target: float) -> Fraction:
    """1 − target as the decimal it was written as (0.99 -> 1/100), so the oracle has no float noise."""
    return 1 - Fraction(str(target))


def corrected(ts: int) -> bool:
    """In the nightly correction: (03:00, 04:00] Copenhagen wall time, built day by day."""
    local = datetime.fromtimestamp(ts, CPH)
    for day in (local.date() - timedelta(days=1), local.date()):
        s = datetime(day.year, day.month, day.day, 3, 0, tzinfo=CPH).timestamp()
        if s < ts <= s + 3600:
            return True
    return False


def month_start(t: int) -> tuple[int, int]:
    """Copenhagen calendar month (start, end] containing instant t."""
    local = datetime.fromtimestamp(t, CPH)
    start = datetime(local.year, local.month, 1, tzinfo=CPH)
    if start.timestamp() >= t:  # t exactly at a month start belongs to the previous month
        prev = (local.replace(day=1) - timedelta(days=1)).replace(day=1)
        start = datetime(prev.year, prev.month, 1, tzinfo=CPH)
    nxt = (start.replace(tzinfo=None) + timedelta(days=32)).replace(day=1)
    return int(start.timestamp()), int(nxt.replace(tzinfo=CPH).timestamp())


def month_back(t: int) -> int:
    """A rolling calendar month ending at t starts at the same UTC wall time a month earlier,
    the day clamped to that month's length (31 March -> 29 February 2024)."""
    u = datetime.fromtimestamp(t, UTC)
    year, month = (u.year, u.month - 1) if u.month > 1 else (u.year - 1, 12)
    days = [
        31,
        29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ]
    return int(u.replace(year=year, month=month, day=min(u.day, days[month - 1])).timestamp())


def in_window(events: list[Event], lo: int, hi: int, slo: str) -> list[Event]:
    fixes = slo in ("avail", "uptime")
    return [e for e in events if lo < e["ts"] <= hi and not (fixes and corrected(e["ts"]))]


def occ(events: list[Event], lo: int, hi: int, slo: str, good_fn: Any) -> tuple[int, int]:
    sel = in_window(events, lo, hi, slo)
    return len(sel), sum(1 for e in sel if good_fn(e))


def ok(e: Event) -> bool:
    return bool(e["status"] < 500)


def fast300(e: Event) -> bool:
    return bool(e["latency_ms"] < 300)


def fast150(e: Event) -> bool:
    return bool(e["latency_ms"] <= 150)


GOOD = {"avail": ok, "monthly": ok, "rolling-month": ok, "uptime": ok, "mean-ratio": ok, "latency": fast300}


def burn(events: list[Event], t: int, w: int, slo: str, target: float, good_fn: Any) -> float | None:
    v, g = occ(events, t - w, t, slo, good_fn)
    return None if v == 0 else float(Fraction(v - g, v) / allowed(target))


def slices(events: list[Event], lo: int, hi: int, slo: str, length: int) -> list[tuple[int, int]]:
    """(valid, good) of each slice of ``length`` s lying entirely in (lo, hi], epoch-aligned."""
    per: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for e in in_window(events, lo, hi, slo):
        k = math.ceil(e["ts"] / length) - 1
        if k * length >= lo and (k + 1) * length <= hi:
            per[k][0] += 1
            per[k][1] += ok(e)
    return [(v, g) for v, g in per.values() if v > 0]


def close(a: float | None, b: float | None, rel: float = 1e-9) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def exact_quantile(values: list[float], q: float) -> float:
    s = sorted(values)
    rank = max(1, math.ceil(round(q * len(s), 9)))
    return s[rank - 1]


def check_state(events: list[Event], state: Any, t: int) -> None:
    name = state.slo
    if name == "quiet":
        assert state.status == "no data" and state.sli_value is None and state.remaining is None
        assert all(v is None for v in state.burn_rates.values())
        return
    if name == "journey":
        v1, g1 = occ(events, t - 86400, t, name, ok)
        v2, g2 = occ(events, t - 86400, t, name, fast150)
        parts = [
            (float(Fraction(v1 - g1, v1) / allowed(0.99)), 2.0) if v1 else None,
            (float(Fraction(v2 - g2, v2) / allowed(0.95)), 1.0) if v2 else None,
        ]
        have = [p for p in parts if p is not None]
        expected = sum(c * w for c, w in have) / sum(w for _, w in have) if have else None
        assert close(state.consumed, expected)
        for label, w in BURN.items():
            b1, b2 = burn(events, t, w, name, 0.99, ok), burn(events, t, w, name, 0.95, fast150)
            bs = [(b, wt) for b, wt in ((b1, 2.0), (b2, 1.0)) if b is not None]
            want = sum(b * wt for b, wt in bs) / sum(wt for _, wt in bs) if bs else None
            assert close(state.burn_rates[label], want), label
        return
    target = TARGET[name]
    good_fn = GOOD[name]
    if name == "monthly":
        lo, end = month_start(t)
        length = end - lo
        assert state.window_start.timestamp() == lo and state.window_end.timestamp() == end
        assert "events so far" in state.budget_basis
    elif name == "rolling-month":
        lo = month_back(t)
        length = t - lo
        assert state.window_start.timestamp() == lo
    else:
        lo, length = t - WINDOW[name], WINDOW[name]
    for label, w in BURN.items():
        if name in ("avail", "latency", "monthly", "rolling-month"):
            assert close(state.burn_rates[label], burn(events, t, w, name, target, good_fn)), label
    if name in ("avail", "latency", "monthly", "rolling-month"):
        v, g = occ(events, lo, t, name, good_fn)
        (obj,) = state.objectives
        assert (obj.valid, obj.good) == (v, g)
        if v == 0:
            assert state.sli_value is None and state.status == "no data"
            return
        assert close(state.sli_value, g / v)
        consumed = Fraction(v - g, v) / allowed(target)
        assert close(state.consumed, float(consumed))
        assert close(state.remaining_seconds, float((1 - consumed) * allowed(target) * length), 1e-9)
        assert close(obj.remaining_events, float(allowed(target) * v - (v - g)), 1e-9)
    elif name == "uptime":
        sl = slices(events, lo, t, name, 60)
        if not sl:
            assert state.sli_value is None
            return
        good = sum(1 for v, g in sl if g / v >= 0.9)
        assert close(state.sli_value, good / len(sl))
        assert close(state.consumed, float((len(sl) - good) * 60 / (allowed(target) * length)))
        assert state.objectives[0].slices is not None
        assert state.objectives[0].slices["with_data"] == len(sl)
    else:  # mean-ratio
        sl = slices(events, lo, t, name, 300)
        if not sl:
            assert state.sli_value is None
            return
        mean = sum(g / v for v, g in sl) / len(sl)
        assert close(state.sli_value, mean)
        assert close(state.consumed, (1 - mean) / float(allowed(target)))
    # status and forecast by the documented rules
    b1h, b1d = state.burn_rates["1h"], state.burn_rates["1d"]
    assert state.remaining is not None
    if state.remaining <= 0:
        assert state.status == "exhausted"
    elif b1h is not None and b1h > 1:
        assert state.status == "burning"
    else:
        assert state.status == "ok"
    if name != "monthly" and state.remaining > 0:
        if b1d is not None and b1d > 1:
            assert state.forecast is not None
            assert close(state.forecast.timestamp(), t + state.remaining * length / b1d, 1e-9)
        else:
            assert state.forecast is None
    if name == "latency":
        sel = [e["latency_ms"] for e in in_window(events, lo, t, name)]
        for label, q in (("p50", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99), ("p99.9", 0.999)):
            want = exact_quantile(sel, q)
            got = state.percentiles[label]
            assert got is not None and abs(got - want) <= 0.01 * want + 1e-12, label


# --- the tests ---


def instants(rng: random.Random, k: int) -> list[int]:
    # whole minutes; includes the Copenhagen month boundary (2024-03-31T22:00Z) and DST day
    fixed = [int(datetime(2024, 3, 31, 22, 0, tzinfo=UTC).timestamp()), BASE + 3 * 86400 + 1800]
    return fixed + [BASE + 60 * rng.randrange(SPAN // 60 + 1440) for _ in range(k)]


def test_against_oracle_seeded(spec: Spec, store_factory: Any) -> None:
    rng = random.Random(20240331)
    events = random_events(rng, 4000, bad=0.004)
    store = store_factory(events)
    for t in instants(rng, 6):
        states = evaluate_all(spec, store, t)
        assert [s.slo for s in states] == list(spec.slos)
        for state in states:
            check_state(events, state, t)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 400),
    span_h=st.integers(1, 150),
    bad=st.sampled_from([0.0, 0.002, 0.01, 0.05, 0.3]),
)
def test_against_oracle_property(
    spec: Spec, store_factory: Any, seed: int, n: int, span_h: int, bad: float
) -> None:
    rng = random.Random(seed)
    events = random_events(rng, n, BASE, span_h * 3600, bad)
    store = store_factory(events)
    for t in instants(rng, 3):
        for state in evaluate_all(spec, store, t):
            check_state(events, state, t)


def test_empty_store_is_no_data(spec: Spec, store_factory: Any) -> None:
    store = store_factory([])
    for state in evaluate_all(spec, store, BASE + 86400):
        assert state.status == "no data"
        assert state.sli_value is None and state.forecast is None


def test_unknown_objective_is_no_data_with_note(spec: Spec) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "empty.duckdb")  # never registered: the report must not write
        states = evaluate_all(spec, store, BASE)
        assert all(s.status == "no data" for s in states)
        assert all(s.notes and "ingest" in s.notes[0] for s in states)
        assert store.coverage() == {}


def test_history_equals_point_evaluations(spec: Spec, store_factory: Any) -> None:
    """The vectorized series agrees with the point function at every step."""
    rng = random.Random(7)
    events = random_events(rng, 3000, bad=0.008)
    store = store_factory(events)
    start, end = BASE + 86400, BASE + 86400 + 6 * 3600
    for name in ("avail", "monthly", "rolling-month", "uptime", "mean-ratio", "journey", "latency", "quiet"):
        series = history(spec, store, name, start, end, 1800, percentiles=True)
        assert series.at.tolist() == list(range(start, end + 1, 1800))
        for i, t in enumerate(series.at.tolist()):
            (point,) = evaluate_all(spec, store, t, [name])
            assert close(_none(series.sli[i]), point.sli_value), (name, t)
            assert close(_none(series.remaining[i]), point.remaining), (name, t)
            for label, values in series.burn_rates.items():
                assert close(_none(values[i]), point.burn_rates[label]), (name, t, label)
            assert series.status_names[i] == point.status
            assert set(series.percentiles) == (set(point.percentiles) if name == "latency" else set())
            for label, values in series.percentiles.items():
                assert close(_none(values[i]), point.percentiles[label]), (name, t, label)
            want = None if point.forecast is None else point.forecast.timestamp()
            assert close(_none(series.forecast[i]), want, 1e-9), (name, t)


def test_history_across_month_end(spec: Spec, store_factory: Any) -> None:
    rng = random.Random(11)
    events = random_events(rng, 2000)
    store = store_factory(events)
    boundary = int(datetime(2024, 3, 31, 22, 0, tzinfo=UTC).timestamp())
    series = history(spec, store, "monthly", boundary - 3600, boundary + 3600, 600)
    for i, t in enumerate(series.at.tolist()):
        lo, _ = month_start(t)
        v, g = occ(events, lo, t, "monthly", ok)
        assert close(_none(series.sli[i]), g / v if v else None)


def _none(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def test_oracle_sees_every_status(spec: Spec, store_factory: Any) -> None:
    """The seeded data reaches ok, burning and exhausted, so the status rules are exercised."""
    rng = random.Random(20240331)
    events = random_events(rng, 4000, bad=0.004)
    # an outage: the last two hours all fail
    end = BASE + 5 * 86400
    events += [{"ts": end - 60 * i, "status": 503, "latency_ms": 900.0} for i in range(120)]
    store = store_factory(events)
    seen = set()
    for t in (end - 86400, end - 3 * 3600, end - 1800, end):
        for state in evaluate_all(spec, store, t):
            check_state(events, state, t)
            seen.add(state.status)
    assert {"ok", "burning", "exhausted", "no data"} <= seen


def test_kept_runs_cover_the_window_minus_corrections() -> None:
    rng = random.Random(3)
    for _ in range(200):
        spans = [
            (a, a + rng.randrange(1, 30)) for a in (rng.randrange(0, 200) for _ in range(rng.randrange(0, 5)))
        ]
        masked = masked_runs(np.array([[60 * a, 60 * b] for a, b in spans], dtype=np.int64).reshape(-1, 2))
        start, stop = rng.randrange(0, 100), rng.randrange(100, 240)
        kept = {m for a, b in kept_runs(start, stop, masked) for m in range(a, b)}
        want = {m for m in range(start, stop) if not any(a <= m < b for a, b in spans)}
        assert kept == want


def test_recurring_correction_keeps_local_wall_time_and_until(spec: Spec) -> None:
    (nightly,) = spec.corrections.values()
    lo = datetime(2024, 3, 29, tzinfo=UTC).timestamp()
    hi = datetime(2024, 4, 2, tzinfo=UTC).timestamp()
    got = correction_intervals([nightly], lo, hi).tolist()
    want = []
    for day in range(28, 33):
        d = datetime(2024, 3, 1) + timedelta(days=day - 1)
        s = datetime(d.year, d.month, d.day, 3, 0, tzinfo=CPH)  # wall 03:00 each day, DST aware
        if s.timestamp() < hi and s.timestamp() + 3600 > lo:
            want.append([int(s.timestamp()), int(s.timestamp()) + 3600])
    assert got == want
    # 03:00 CET before the change is 02:00Z, after it 03:00 CEST is 01:00Z
    assert {datetime.fromtimestamp(a, UTC).hour for a, _ in got} == {1, 2}
    until = datetime(2024, 3, 30, 12, 0, tzinfo=UTC)
    ended = replace(nightly, until=until)
    assert [a for a, _ in correction_intervals([ended], lo, hi).tolist()] == [
        a for a, _ in want if a < until.timestamp()
    ]


def test_policy_windows_join_the_defaults() -> None:
    text = (
        SPEC
        + """\
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: slow-burn}
spec:
  conditions:
    - kind: AlertCondition
      metadata: {name: four-hours}
      spec:
        severity: ticket
        condition: {kind: burnrate, op: gte, threshold: 4, lookbackWindow: 4h, alertAfter: 5m}
  notificationTargets: [{targetRef: team}]
---
apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata: {name: team}
spec: {target: email}
"""
    )
    text = text.replace(
        "  objectives: [{target: 0.99}]\n  indicatorRef: api-ok\n---",
        "  objectives: [{target: 0.99}]\n  indicatorRef: api-ok\n"
        "  alertPolicies: [{alertPolicyRef: slow-burn}]\n---",
        1,
    )
    loaded = slokit.load(text)
    labels = [window_label(w) for w in burn_windows(loaded.slo("avail"))]
    assert labels == ["5m", "20m", "30m", "1h", "2h", "4h", "6h", "1d", "3d"]
    assert [window_label(w) for w in burn_windows(loaded.slo("latency"))] == [
        "5m",
        "30m",
        "1h",
        "2h",
        "6h",
        "1d",
        "3d",
    ]


def test_calendar_month_across_leap_day(spec: Spec, store_factory: Any) -> None:
    rng = random.Random(29)
    start = int(datetime(2024, 2, 27, tzinfo=UTC).timestamp())
    events = random_events(rng, 1500, start, 4 * 86400, bad=0.01)
    store = store_factory(events)
    boundary = int(datetime(2024, 2, 29, 23, 0, tzinfo=UTC).timestamp())  # 1 March 00:00 Copenhagen
    for t in (boundary - 60, boundary, boundary + 60, start + 4 * 86400):
        (state,) = evaluate_all(spec, store, t, ["monthly"])
        lo, end = month_start(t)
        assert (state.window_start.timestamp(), state.window_end.timestamp()) == (lo, end)
        check_state(events, state, t)
    (feb,) = evaluate_all(spec, store, boundary, ["monthly"])
    assert feb.elapsed_fraction == 1.0 and feb.allowed_seconds == pytest.approx(0.005 * 29 * 86400)
