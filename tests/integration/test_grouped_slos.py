"""Grouped SLOs (``groupBy: [route]``) end to end, against brute force over the raw events.

Events of three routes — ``/orders``, ``/cart`` and events without a ``route`` field (the group
``route=""``, as Prometheus treats an absent label) — are ingested; ``/cart`` fails hard in the
last hour. The oracle recomputes every group's valid/good counts, SLI and burn rates with
Python loops over the raw event list. The overall row must equal an identical SLO without
``groupBy``; alerts (backtest replay and the live evaluator) must fire for ``/cart`` only.

Two stores run the same assertions: the real store (grouped rows counted at ingest), and a
"split" stand-in made of one ordinary store per route, which checks the evaluation side
independently of how the store counts groups.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import slokit
from slokit.alerting.backtest import replay
from slokit.alerting.evaluator import Evaluator
from slokit.alerting.gate import decide, least_remaining
from slokit.alerting.groups import group_labels
from slokit.alerting.measure import load_series
from slokit.alerting.policy import policy_for
from slokit.cli.main import cli
from slokit.engine.histogram import LogHistogram
from slokit.exporters.report import report_json, schema_problems
from slokit.sources.bound import bind_objective, bound_slis, group_sli_key
from slokit.sources.status import evaluate_all, history
from slokit.sources.store import Store
from slokit.spec.model import Spec

SPEC = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: orders-ok}
spec:
  service: shop
  indicatorRef: api-ok-by-route
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
---
apiVersion: openslo/v1
kind: SLI
metadata: {name: api-ok-by-route}
spec:
  ratioMetric:
    counter: false
    good:
      metricSource:
        type: slokit
        spec: {stream: api, where: "status < 500"}
    total:
      metricSource:
        type: slokit
        spec:
          stream: api
          groupBy: [route]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: orders-ok-overall}
spec:
  service: shop
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
  indicator:
    metadata: {name: api-ok}
    spec:
      ratioMetric:
        counter: false
        good: {metricSource: {type: slokit, spec: {stream: api, where: "status < 500"}}}
        total: {metricSource: {type: slokit, spec: {stream: api}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: orders-fast}
spec:
  service: shop
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.9, op: lt, value: 300}]
  indicator:
    metadata: {name: api-fast-by-route}
    spec:
      thresholdMetric:
        metricSource:
          type: slokit
          spec: {stream: api, value: latency_ms, groupBy: [route]}
"""

GATED = """\
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: orders-ok-95}
spec:
  service: shop
  indicatorRef: api-ok-by-route
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.95}]
---
apiVersion: slokit/v1
kind: ErrorBudgetPolicy
metadata: {name: deploy-gate}
spec:
  slos: [orders-ok-95]
  states:
    - {name: healthy, below: 100}
    - {name: frozen, below: 0, blockDeploys: true}
"""

SPEC += GATED
SPEC += """\
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: orders-up}
spec:
  service: shop
  indicatorRef: api-ok-by-route
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Timeslices
  objectives: [{target: 0.95, timeSliceTarget: 0.9, timeSliceWindow: 1m}]
"""

T = 1_700_000_400  # a whole minute; the evaluation instant
HOURS = 8
ROUTES = ("/orders", "/cart", None)  # None: the event has no route field
BURN = {"5m": 300, "30m": 1800, "1h": 3600, "2h": 7200, "6h": 21600, "1d": 86400}

Event = dict[str, Any]


def make_events(seed: int = 7) -> list[Event]:
    """Steady traffic on three routes; ``/cart`` answers 5xx to 60 % in the last hour."""
    rng = random.Random(seed)
    events: list[Event] = []
    for minute in range(HOURS * 60):
        start = T - HOURS * 3600 + minute * 60
        for route in ROUTES:
            for _ in range(rng.randint(6, 10)):
                ts = start + rng.randint(1, 60)  # (start, start + 60]: one minute row
                failing = route == "/cart" and ts > T - 3600
                error = rng.random() < (0.6 if failing else 0.001)
                event: Event = {
                    "ts": ts,
                    "status": rng.choice([500, 503]) if error else rng.choice([200, 201, 404]),
                    "latency_ms": round(rng.lognormvariate(5.0, 0.6), 3),
                }
                if route is not None:
                    event["route"] = route
                events.append(event)
    return events


# --- the oracle: loops over the raw events ---


def label(e: Event) -> str:
    return str(e.get("route") or "")


def counts(events: Sequence[Event], lo: int, hi: int, good: Any) -> tuple[int, int]:
    sel = [e for e in events if lo < e["ts"] <= hi]
    return len(sel), sum(1 for e in sel if good(e))


def ok(e: Event) -> bool:
    return bool(e["status"] < 500)


def fast(e: Event) -> bool:
    return bool(e["latency_ms"] < 300)


def burn(events: Sequence[Event], seconds: int, target: str, good: Any) -> float | None:
    v, g = counts(events, T - seconds, T, good)
    if v == 0:
        return None
    return float(Fraction(v - g, v) / (1 - Fraction(target)))


def exact_percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(int(np.ceil(q * len(ordered))) - 1, 0)]


# --- the two stores ---


@dataclass
class SplitStore:
    """Groups from one ordinary store per route: the parent's store answers for the parent key,
    route ``r``'s store (fed only ``r``'s events) for the group ``{route="r"}``. The stores count
    the spec without ``groupBy`` (ungrouped counting only) and answer with the grouped spec's
    fingerprints, which differ only by ``groupBy``."""

    parent: Store
    by_group: dict[str, tuple[Store, str, dict[str, str]]]
    fingerprint: dict[str, str]

    @property
    def connection(self) -> Any:
        return self.parent.connection

    def fingerprints(self) -> dict[str, str]:
        return {k: self.fingerprint[k] for k in self.parent.fingerprints()}

    def coverage(self) -> dict[str, Any]:
        return self.parent.coverage()

    def groups_many(self, parent_keys: Sequence[str]) -> dict[str, dict[str, dict[str, str]]]:
        found: dict[str, dict[str, dict[str, str]]] = {}
        for k, (_, parent, labels) in sorted(self.by_group.items()):
            if parent in parent_keys:
                found.setdefault(parent, {})[k] = labels
        return found

    def _route(self, key: str) -> tuple[Store, str]:
        if key in self.by_group:
            store, parent, _ = self.by_group[key]
            return store, parent
        return self.parent, key

    def window_counts(self, requests: Sequence[tuple[str, int, int]]) -> tuple[Any, Any]:
        out = [self._route(k)[0].window_counts([(self._route(k)[1], a, b)]) for k, a, b in requests]
        return (
            np.array([int(v[0]) for v, _ in out], np.int64),
            np.array([int(g[0]) for _, g in out], np.int64),
        )

    def window_histograms(self, requests: Sequence[tuple[str, int, int]]) -> list[LogHistogram]:
        return [self._route(k)[0].window_histograms([(self._route(k)[1], a, b)])[0] for k, a, b in requests]

    def minute_matrix(self, keys: Sequence[str], start: int, stop: int) -> tuple[Any, Any]:
        if not keys:
            return self.parent.minute_matrix([], start, stop)
        rows = [self._route(k)[0].minute_matrix([self._route(k)[1]], start, stop) for k in keys]
        return np.concatenate([v for v, _ in rows]), np.concatenate([g for _, g in rows])


def _ingest(store: Store, spec: Spec, events: Sequence[Event]) -> None:
    for i in range(0, len(events), 2000):
        store.ingest("api", events[i : i + 2000], spec=spec, now=T + 60)


@pytest.fixture(scope="module")
def spec() -> Spec:
    return slokit.load(SPEC)


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return make_events()


@pytest.fixture(scope="module", params=["real", "split"])
def store(request: Any, spec: Spec, events: list[Event], tmp_path_factory: Any) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "real":
        s = Store.open(tmp / "real.duckdb", lateness_seconds=None)
        _ingest(s, spec, events)
        yield s
        s.close()
        return
    parent = Store.open(tmp / "parent.duckdb", lateness_seconds=None)
    plain = slokit.load(re.sub(r",? *groupBy: \[route\]", "", SPEC))
    assert not any(b.group_by for b in bound_slis(plain))
    _ingest(parent, plain, events)
    by_group: dict[str, tuple[Store, str, dict[str, str]]] = {}
    opened = [parent]
    for i, route in enumerate(sorted({label(e) for e in events})):
        part = Store.open(tmp / f"group{i}.duckdb", lateness_seconds=None)
        opened.append(part)
        _ingest(part, plain, [e for e in events if label(e) == route])
        for slo in spec:
            bound = bind_objective(slo, 0, slo.objectives[0])
            if bound is not None and bound.group_by:
                labels = {"route": route}
                by_group[group_sli_key(bound.sli_key, labels)] = (part, bound.sli_key, labels)
    yield SplitStore(parent, by_group, {b.sli_key: b.fingerprint for b in bound_slis(spec)})
    for s in opened:
        s.close()


# --- the assertions ---


def by_group(rows: list[dict[str, Any]], name: str) -> dict[str | None, dict[str, Any]]:
    return {None if r["group"] is None else r["group"]["route"]: r for r in rows if r["name"] == name}


def test_report_rows_per_group_match_brute_force(spec: Spec, store: Any, events: list[Event]) -> None:
    rows = report_json(evaluate_all(spec, store, T))
    assert schema_problems(rows) == []
    assert [(r["name"], r["group"]) for r in rows] == [
        ("orders-ok", None),
        ("orders-ok", {"route": ""}),
        ("orders-ok", {"route": "/cart"}),
        ("orders-ok", {"route": "/orders"}),
        ("orders-ok-overall", None),
        ("orders-fast", None),
        ("orders-fast", {"route": ""}),
        ("orders-fast", {"route": "/cart"}),
        ("orders-fast", {"route": "/orders"}),
        ("orders-ok-95", None),
        ("orders-ok-95", {"route": ""}),
        ("orders-ok-95", {"route": "/cart"}),
        ("orders-ok-95", {"route": "/orders"}),
        ("orders-up", None),
        ("orders-up", {"route": ""}),
        ("orders-up", {"route": "/cart"}),
        ("orders-up", {"route": "/orders"}),
    ]
    for name, good, target in (("orders-ok", ok, "0.99"), ("orders-fast", fast, "0.9")):
        found = by_group(rows, name)
        assert found[None]["group_by"] == ["route"] and found[None]["groups"] == 3
        for route in ("", "/cart", "/orders"):
            row = found[route]
            mine = [e for e in events if label(e) == route]
            v, g = counts(mine, T - 86400, T, good)
            objective = row["objectives"][0]
            assert (objective["valid"], objective["good"]) == (v, g), (name, route)
            assert row["sli"] == pytest.approx(g / v, rel=1e-12)
            assert row["groups"] is None and row["group_by"] == ["route"]
            for lab, seconds in BURN.items():
                expected = burn(mine, seconds, target, good)
                assert row["burn_rates"][lab] == pytest.approx(expected, rel=1e-9), (name, route, lab)
        # The groups add up to the overall counts.
        total = found[None]["objectives"][0]
        assert total["valid"] == sum(found[r]["objectives"][0]["valid"] for r in ("", "/cart", "/orders"))
    # Status per group, from the oracle's remaining budget and 1 h burn (docs/report.md).
    statuses: dict[str, str] = {}
    for group, group_row in by_group(rows, "orders-ok").items():
        if group is None:
            continue
        mine = [e for e in events if label(e) == group]
        spent = burn(mine, 86400, "0.99", ok)
        assert spent is not None and group_row["budget_remaining"] == pytest.approx(1 - spent, rel=1e-9)
        hour = burn(mine, 3600, "0.99", ok)
        status = "exhausted" if 1 - spent <= 0 else "burning" if hour is not None and hour > 1 else "ok"
        assert group_row["status"] == status
        statuses[group] = status
    assert statuses == {"": "ok", "/cart": "exhausted", "/orders": "ok"}
    # Percentiles per group, within the histogram's 1 %.
    for group, group_row in by_group(rows, "orders-fast").items():
        if group is None:
            continue
        values = [e["latency_ms"] for e in events if label(e) == group and T - 86400 < e["ts"] <= T]
        assert group_row["percentiles"]["p95"] == pytest.approx(exact_percentile(values, 0.95), rel=0.01)


def test_overall_row_equals_the_ungrouped_slo(spec: Spec, store: Any) -> None:
    rows = report_json(evaluate_all(spec, store, T))
    grouped = by_group(rows, "orders-ok")[None]
    plain = by_group(rows, "orders-ok-overall")[None]
    assert plain["group"] is None and plain["group_by"] == [] and plain["groups"] is None
    for key in ("sli", "status", "budget_remaining", "burn_rates", "forecast", "budget_remaining_events"):
        assert grouped[key] == plain[key], key
    assert grouped["objectives"][0]["valid"] == plain["objectives"][0]["valid"]


def test_history_of_one_group_agrees_with_the_point_state(spec: Spec, store: Any) -> None:
    [state] = evaluate_all(spec, store, T, ["orders-ok"])
    cart = next(g for g in state.groups if g.group == {"route": "/cart"})
    series = history(spec, store, "orders-ok", T - 600, T, 300, group={"route": "/cart"})
    assert series.sli[-1] == pytest.approx(cart.sli_value, rel=1e-12)
    assert series.burn_rates["1h"][-1] == pytest.approx(cart.burn_rates["1h"], rel=1e-12)
    nothing = history(spec, store, "orders-ok", T - 600, T, 300, group={"route": "/nowhere"})
    assert np.isnan(nothing.sli).all()


def test_backtest_and_evaluator_alert_for_the_failing_route_only(
    spec: Spec, store: Any, events: list[Event]
) -> None:
    slo = spec.slo("orders-ok")
    policy = policy_for(slo)
    series = load_series(spec, store, [slo], (T - HOURS * 3600) // 60, T // 60 + 1)
    assert sorted(s.group for s in series) == ['{route=""}', '{route="/cart"}', '{route="/orders"}']
    alerts = [a for s in series for a in replay(s, policy, T - 3 * 3600, T)]
    assert alerts, "the failing route must alert"
    assert {a.group for a in alerts} == {'{route="/cart"}'}
    assert {group_labels(a.group)["route"] for a in alerts} == {"/cart"}
    # The oracle agrees that only /cart burns: its 1 h burn is far above the page factor.
    for route in ("", "/cart", "/orders"):
        mine = [e for e in events if label(e) == route]
        rate = burn(mine, 3600, "0.99", ok)
        assert rate is not None and (rate > 14.4) == (route == "/cart")

    evaluator = Evaluator(spec, store)
    evaluator.slos = [slo]
    evaluator.policies = {slo.name: policy}
    result = evaluator.evaluate(T)
    breaching = {k.group for k, st in result.states.items() if st.since is not None}
    assert breaching == {'{route="/cart"}'}


def _write_events(path: Path, events: Sequence[Event]) -> None:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))


def test_cli_ingest_and_report_json(tmp_path: Path, events: list[Event]) -> None:
    spec_file = tmp_path / "slos.yaml"
    spec_file.write_text(SPEC)
    data = tmp_path / "api.jsonl"
    _write_events(data, events)
    db = tmp_path / "slo.duckdb"
    runner = CliRunner()
    done = runner.invoke(
        cli,
        [
            *("ingest", str(data), "--stream", "api", "--store", str(db), "--spec", str(spec_file)),
            *("--lateness", "none", "--output", "json"),
        ],
    )
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout)
    grouped_keys = {b.sli_key for b in bound_slis(slokit.load(SPEC)) if b.group_by}
    assert summary["groups_added"] == dict.fromkeys(grouped_keys, 3)
    assert summary["group_overflow"] == {}
    at = "2023-11-14T22:20:00Z"
    assert int(np.datetime64(at[:-1], "s").astype(np.int64)) == T
    shown = runner.invoke(cli, ["report", str(spec_file), "--store", str(db), "--at", at, "--output", "json"])
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.output)
    assert schema_problems(rows) == []
    found = by_group(rows, "orders-ok")
    for route in ("", "/cart", "/orders"):
        mine = [e for e in events if label(e) == route]
        assert (found[route]["objectives"][0]["valid"], found[route]["objectives"][0]["good"]) == counts(
            mine, T - 86400, T, ok
        )
    table = runner.invoke(
        cli, ["report", str(spec_file), "--store", str(db), "--at", at], env={"COLUMNS": "250"}
    )
    assert table.exit_code == 0
    assert 'orders-ok{route="/cart"}' in table.output
    markdown = runner.invoke(
        cli, ["report", str(spec_file), "--store", str(db), "--at", at, "--output", "markdown"]
    )
    assert markdown.exit_code == 0
    lines = [x for x in markdown.stdout.splitlines() if x.startswith("| shop | orders-ok")]
    assert [x.split(" | ")[1] for x in lines[:4]] == [
        "orders-ok",
        'orders-ok{route=""}',
        'orders-ok{route="/cart"}',
        'orders-ok{route="/orders"}',
    ]
    gate = runner.invoke(cli, ["gate", str(spec_file), "--store", str(db), "--at", at, "--output", "json"])
    assert gate.exit_code == 1, gate.output
    verdicts = json.loads(gate.stdout)
    assert verdicts["blocked"] is True
    assert [(v["slo"], v["group"]) for v in verdicts["slos"] if v["blocks"]] == [
        ("orders-ok-95", {"route": "/cart"})
    ]


def test_gate_blocks_on_the_group_that_spent_its_budget(spec: Spec, store: Any, events: list[Event]) -> None:
    gated = spec
    [state] = evaluate_all(gated, store, T, ["orders-ok-95"])
    # The oracle: remaining budget (1 − burn over the whole window) overall and per route.
    overall = burn(events, 86400, "0.95", ok)
    per_route = {
        r: burn([e for e in events if label(e) == r], 86400, "0.95", ok) for r in ("", "/cart", "/orders")
    }
    assert overall is not None and 1 - overall > 0, "the SLO overall keeps budget"
    assert all(v is not None for v in per_route.values())
    worst = min(per_route, key=lambda r: 1 - (per_route[r] or 0.0))
    assert worst == "/cart" and 1 - (per_route["/cart"] or 0.0) < 0
    remaining, group = least_remaining(state.remaining, [(g.group or {}, g.remaining) for g in state.groups])
    assert group == {"route": "/cart"}
    assert remaining == pytest.approx(1 - (per_route["/cart"] or 0.0), rel=1e-9)
    [verdict] = decide(gated, {"orders-ok-95": remaining}, groups={"orders-ok-95": group})
    assert verdict.blocks and verdict.group == {"route": "/cart"} and '{route="/cart"}' in verdict.reason
    # Judged on the overall budget alone, the SLO would pass.
    [alone] = decide(gated, {"orders-ok-95": state.remaining})
    assert not alone.blocks and alone.group is None


def test_a_silent_group_is_no_data_and_alerts_alone(tmp_path: Path, spec: Spec, events: list[Event]) -> None:
    """A group seen once, long ago: its report row is no data, and with alertWhenNoData its own
    no-data alert fires while the groups with traffic raise none."""
    slo = spec.slo("orders-ok")
    policy = replace(policy_for(slo), alert_when_no_data=True)
    old = T - policy.max_window_seconds - 2 * 86400
    silent = [{"ts": old + i, "route": "/old", "status": 200} for i in range(5)]
    with Store.open(tmp_path / "s.duckdb", lateness_seconds=None) as store:
        _ingest(store, spec, silent + events)
        [state] = evaluate_all(spec, store, T, ["orders-ok"])
        rows = {None if g.group is None else g.group["route"]: g for g in (state, *state.groups)}
        assert set(rows) == {None, "", "/cart", "/orders", "/old"}
        assert rows["/old"].status == "no data" and rows["/old"].sli_value is None
        assert rows["/orders"].status == "ok"
        first = (T - policy.history_seconds(86400)) // 60 - 1
        series = load_series(spec, store, [slo], first, T // 60 + 1)
        alerts = [a for s in series for a in replay(s, policy, T - 3600, T)]
    no_data = {a.group for a in alerts if a.rule == "no-data"}
    assert no_data == {'{route="/old"}'}
    assert {a.group for a in alerts if a.rule != "no-data"} == {'{route="/cart"}'}


def test_timeslices_per_group_match_brute_force(spec: Spec, store: Any, events: list[Event]) -> None:
    """A Timeslices SLO per group: 1-minute slices (60·m, 60·m + 60] with data, good when at
    least 90 % of their events are good, over the 1-day window, counted by hand per route."""
    rows = by_group(report_json(evaluate_all(spec, store, T, ["orders-up"])), "orders-up")
    for route in ("", "/cart", "/orders"):
        per_minute: dict[int, list[Event]] = {}
        for e in events:
            if label(e) == route and T - 86400 < e["ts"] <= T:
                per_minute.setdefault((e["ts"] - 1) // 60, []).append(e)
        good = sum(
            1 for evs in per_minute.values() if Fraction(sum(map(ok, evs)), len(evs)) >= Fraction("0.9")
        )
        slices = rows[route]["objectives"][0]["slices"]
        assert (slices["with_data"], slices["good"]) == (len(per_minute), good), route
        assert rows[route]["sli"] == pytest.approx(good / len(per_minute), rel=1e-12)
    assert rows["/cart"]["objectives"][0]["slices"]["bad"] > 0
    assert rows["/orders"]["status"] != "no data"


def test_the_overall_alert_resolves_once_groups_appear(
    tmp_path: Path, spec: Spec, events: list[Event]
) -> None:
    """Before any event a grouped SLO is one series (no data alerts for the SLO); once groups
    exist only they are evaluated, and the overall no-data alert resolves instead of staying open."""
    slo = spec.slo("orders-ok")
    policy = replace(policy_for(slo), alert_when_no_data=True)
    with Store.open(tmp_path / "s.duckdb", lateness_seconds=None) as store:
        store.register(spec)
        evaluator = Evaluator(spec, store)
        evaluator.slos = [slo]
        evaluator.policies = {slo.name: policy}
        first = evaluator.evaluate(T - 3600)
        overall = [k for k, st in first.states.items() if st.phase == "firing"]
        assert [(k.rule, k.group) for k in overall] == [("no-data", "")]
        _ingest(store, spec, events)
        second = evaluator.evaluate(T)
    assert second.states[overall[0]].phase == "resolved"
    assert any(t.key == overall[0] and t.to_phase == "resolved" for t in second.transitions)
    open_now = {(k.rule, k.group) for k, st in second.states.items() if st.phase in ("pending", "firing")}
    assert open_now and {g for _, g in open_now} == {'{route="/cart"}'}
