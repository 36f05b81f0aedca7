"""Generated events against the example specs and the scenarios' stated behaviour.

Oracles: the example YAML (predicates evaluated by slokit's own batch evaluator), the numbers
each scenario states (baseline error rates, latency medians and p95s, incident error rates and
latency factors) and binomial / normal tolerances computed from the event counts, never fixed
margins.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pytest

from slokit.simulator import scenario, simulation
from slokit.simulator.generate import source_events
from slokit.simulator.incidents import Effect, Incident, plan
from slokit.simulator.model import Source
from slokit.spec.model import SLO, SlokitQuery
from slokit.spec.predicate import parse_predicate

from .conftest import END_MS, example_spec, planned, stream_tables

# the store's batch evaluator is the oracle for what the specs' predicates select
predicate_mask = pytest.importorskip("slokit.sources.predicate_eval").predicate_mask

Mask = npt.NDArray[np.bool_]
#: How many standard deviations a count may stray before a test calls it wrong: with a fixed
#: seed the data never changes, and 5 sigma keeps a legitimate change of seed from failing.
SIGMAS = 5.0


def binomial_ok(k: int, n: int, p: float) -> bool:
    """k successes of n trials are consistent with probability p (SIGMAS, plus one for tiny p)."""
    return abs(k - n * p) <= SIGMAS * math.sqrt(n * p * (1 - p)) + 1


def _mask(query: SlokitQuery, table: pa.Table) -> Mask:
    return predicate_mask(query.where, table)


def sli_masks(slo: SLO, tables: dict[str, pa.Table]) -> tuple[pa.Table, Mask, Mask]:
    """(events, valid, good) of the SLO's first objective, as the spec defines them."""
    objective = slo.objectives[0]
    sli = slo.indicator_for(objective)
    if sli.ratio_metric is not None:
        rm = sli.ratio_metric
        assert rm.total is not None and isinstance(rm.total.binding, SlokitQuery)
        table = tables[rm.total.binding.stream]
        valid = _mask(rm.total.binding, table)
        if rm.good is not None:
            assert isinstance(rm.good.binding, SlokitQuery)
            return table, valid, valid & _mask(rm.good.binding, table)
        assert rm.bad is not None and isinstance(rm.bad.binding, SlokitQuery)
        return table, valid, valid & ~_mask(rm.bad.binding, table)
    assert sli.threshold_metric is not None
    binding = sli.threshold_metric.source.binding
    assert isinstance(binding, SlokitQuery) and binding.value is not None
    table = tables[binding.stream]
    valid = _mask(binding, table)
    values = table.column(binding.value).to_numpy(zero_copy_only=False).astype(np.float64)
    compare = {"lt": np.less, "lte": np.less_equal, "gt": np.greater, "gte": np.greater_equal}
    assert objective.op is not None and objective.value is not None
    with np.errstate(invalid="ignore"):
        good = valid & compare[objective.op](values, objective.value)  # NaN (absent) is never good
    return table, valid, good


def test_every_slo_has_valid_events_in_one_simulated_day(example: str) -> None:
    tables = stream_tables(example, 1, 3)
    empty = [slo.name for slo in example_spec(example) if not sli_masks(slo, tables)[1].any()]
    assert not empty


def test_objectives_hold_on_a_day_without_incidents(example: str) -> None:
    """A healthy platform meets its objectives: bad events within the budget (plus noise)."""
    tables = stream_tables(example, 1, 3, incidents=False)
    for slo in example_spec(example):
        if "objective" not in slo.metadata.labels["stage"]:
            continue
        objective = slo.objectives[0]
        table, valid, good = sli_masks(slo, tables)
        allowed = 1 - objective.target
        if slo.budgeting_method == "Timeslices":
            assert objective.time_slice_target is not None
            minute = table.column("ts").to_numpy() // 60_000
            minutes, index = np.unique(minute[valid], return_inverse=True)
            ratio = np.bincount(index, weights=good[valid]) / np.bincount(index)
            n, bad = minutes.size, int(np.count_nonzero(ratio < objective.time_slice_target))
        else:
            n, bad = int(valid.sum()), int(valid.sum() - good.sum())
        assert n > 0, slo.name
        assert bad <= n * allowed + SIGMAS * math.sqrt(n * allowed * (1 - allowed)) + 1, (slo.name, bad, n)


# --- the stated behaviour of each source, inside and outside incidents ---

#: Sources whose events are derived from other state (backup history, a stalled pipeline);
#: they have their own tests below.
DERIVED = {"backups", "backup_audit", "freshness"}


@functools.cache
def events_of(example: str, source_name: str) -> pa.Table:
    sim = planned(example, 4, 8)
    return source_events(sim, sim.scenario.source(source_name))


def _bad(source: Source, table: pa.Table) -> Mask:
    return predicate_mask(parse_predicate(source.bad_where), table)


def _quiet(example: str, source: Source, ts: npt.NDArray[np.int64]) -> Mask:
    """Events no incident touches."""
    touched = np.zeros(ts.shape, dtype=bool)
    for incident in planned(example, 4, 8).incidents:
        if any(e.source == source.name for e in incident.effects):
            touched |= incident.active(ts)
    return ~touched


def _incident_effects(example: str) -> list[tuple[Incident, Effect]]:
    sim = planned(example, 4, 8)
    return [
        (incident, effect)
        for incident in sim.incidents
        for effect in incident.effects
        if sim.scenario.source(effect.source).kind not in DERIVED
    ]


def test_the_plan_has_every_kind_of_incident(example: str) -> None:
    kinds = {i.kind for i in planned(example, 4, 8).incidents}
    assert kinds == {"hard_outage", "latency_regression", "slow_burn", "flapping"}
    month = planned(example, 30, 8).incidents
    assert len(month) >= 15
    for incident in month:
        assert incident.slos, incident.id
        assert set(incident.slos) <= set(example_spec(example).slos)


def test_baseline_error_rates_are_the_stated_ones(example: str) -> None:
    for source in scenario(example).sources:
        if source.kind in DERIVED or not source.bad_where:
            continue
        table = events_of(example, source.name)
        quiet = _quiet(example, source, table.column("ts").to_numpy())
        bad = _bad(source, table)
        n, k = int(quiet.sum()), int((bad & quiet).sum())
        p = source.error_rate
        if source.name == "cad-jobs":  # bad only counts valid files, which are 97 %
            p *= 0.97
        assert n > 0, source.name
        assert binomial_ok(k, n, p), (source.name, k, n, p)


def test_error_rates_inside_incidents_are_the_stated_ones(example: str) -> None:
    checked = 0
    for incident, effect in _incident_effects(example):
        if effect.error_rate is None:
            continue
        source = scenario(example).source(effect.source)
        table = events_of(example, source.name)
        inside = incident.active(table.column("ts").to_numpy())
        bad = _bad(source, table)
        n, k = int(inside.sum()), int((bad & inside).sum())
        p = max(effect.error_rate, source.error_rate)
        if source.name == "cad-jobs":
            p *= 0.97
        if n == 0:
            continue
        if p == 1.0:
            assert k == n, (incident.id, source.name)  # a hard outage fails every event
        else:
            assert binomial_ok(k, n, p), (incident.id, source.name, k, n, p)
        checked += 1
    assert checked >= 2


def _log_latency(source: Source, table: pa.Table) -> tuple[npt.NDArray[np.float64], Mask]:
    assert source.latency_field is not None
    values = table.column(source.latency_field).to_numpy(zero_copy_only=False).astype(np.float64)
    usable = ~np.isnan(values) & (values > 0)
    if source.bad_where:
        usable &= ~_bad(source, table)
    if source.name == "cad-jobs":
        usable &= table.column("valid").to_numpy(zero_copy_only=False).astype(bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(values), usable


def test_latency_regressions_multiply_latency_by_the_stated_factor(example: str) -> None:
    """Mean log-latency inside the window minus outside = log(factor), within the standard error."""
    checked = 0
    for incident, effect in _incident_effects(example):
        if effect.latency_factor is None:
            continue
        source = scenario(example).source(effect.source)
        table = events_of(example, source.name)
        ts = table.column("ts").to_numpy()
        logs, usable = _log_latency(source, table)
        inside = incident.active(ts) & usable
        outside = _quiet(example, source, ts) & usable
        a, b = logs[inside], logs[outside]
        error = math.sqrt(a.var() / a.size + b.var() / b.size)
        # rounding to the field's decimals moves tiny values; 0.01 covers it
        assert abs((a.mean() - b.mean()) - math.log(effect.latency_factor)) <= SIGMAS * error + 0.01, (
            incident.id
        )
        checked += 1
    assert checked >= 1


def test_latencies_outside_incidents_follow_the_stated_distribution(example: str) -> None:
    """Share of events at or over each SLO threshold = the stated log-normal's tail."""
    spec = example_spec(example)
    checked = 0
    for source in scenario(example).sources:
        if source.kind != "events" or source.latency is None or not source.latency_slos:
            continue
        table = events_of(example, source.name)
        ts = table.column("ts").to_numpy()
        logs, usable = _log_latency(source, table)
        usable &= _quiet(example, source, ts)
        values = np.exp(logs[usable])
        for name in source.latency_slos:
            threshold = spec.slos[name].objectives[0].value
            assert threshold is not None
            p = source.latency.exceed(threshold)
            k = int(np.count_nonzero(values >= threshold))
            assert binomial_ok(k, values.size, p), (source.name, name, k, values.size, p)
            checked += 1
    assert checked >= 3


def test_probe_minutes_are_down_exactly_during_outages() -> None:
    """Uptime (Timeslices of probes) loses the minutes of a hard outage and no others."""
    sim = planned("mtogo", 4, 8)
    outages = [i for i in sim.incidents if i.kind == "hard_outage"]
    assert outages
    tables = stream_tables("mtogo", 4, 8)
    probes = tables["probes"]
    for incident in outages:
        mine = predicate_mask(parse_predicate(f"service = '{incident.service}'"), probes)
        ts = probes.column("ts").to_numpy()[mine]
        ok = probes.column("ok").to_numpy(zero_copy_only=False)[mine].astype(bool)
        minute = ts // 60_000
        minutes, index = np.unique(minute, return_inverse=True)
        up = np.bincount(index, weights=ok) / np.bincount(index) >= 0.5
        down = set(minutes[~up].tolist())
        expected = set(range(incident.start_ms // 60_000, incident.end_ms // 60_000))
        assert down == expected, incident.id


# --- derived sources ---


def _backup_incident() -> tuple[Any, Incident]:
    sc = scenario("cnc-quote")
    template = next(t for t in sc.templates if t.service == "cnc-data-persistence")
    # 2026-10-30 02:00 local (UTC+1) = 01:00 UTC, lasting 3 hours
    start = END_MS - 2 * 86_400_000 + 3_600_000
    incident = Incident(
        "backup-test",
        "hard_outage",
        template.service,
        start,
        start + 3 * 3_600_000,
        template.description,
        template.effects,
        ("cnc-backup-success", "cnc-backup-rpo"),
    )
    return simulation(sc, END_MS, days=3, seed=4, incidents=[incident]), incident


def test_a_failed_backup_is_rerun_and_breaks_the_rpo_until_then() -> None:
    sim, incident = _backup_incident()
    backups = source_events(sim, sim.scenario.source("backups")).to_pylist()
    failed = [b for b in backups if not b["ok"]]
    assert len(failed) == 1 and failed[0]["schedule"] == "daily"
    assert incident.start_ms <= failed[0]["ts"] < incident.end_ms
    rerun = [b for b in backups if b["schedule"] == "manual"]
    assert len(rerun) == 1 and rerun[0]["ok"] and rerun[0]["ts"] >= incident.end_ms
    daily_ok = sorted(
        b["ts"] for b in backups if b["ok"] and b["schedule"] == "daily" and b["ts"] < failed[0]["ts"]
    )
    audit = source_events(sim, sim.scenario.source("backup-audit"))
    ts = audit.column("ts").to_numpy()
    age = audit.column("last_good_backup_age_hours").to_numpy()
    # the RPO is broken from 24 h after the last good backup until the re-run completes
    breach = (ts >= daily_ok[-1] + 24 * 3_600_000) & (ts < rerun[0]["ts"])
    assert breach.any()
    assert np.all(age[breach] >= 24)
    later = ts >= backups[0]["ts"]  # samples before the range's first backup look further back
    assert np.allclose(age[later], (ts[later] - _newest_before(backups, ts[later])) / 3_600_000, atol=1e-3)
    assert set(audit.column("retained_daily_backups").to_pylist()) == {30}


def _newest_before(backups: list[dict[str, Any]], ts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Brute force: for each sample, the completion time of the newest good backup before it."""
    done = [b["ts"] for b in backups if b["ok"]]
    return np.asarray([max(d for d in done if d <= t) for t in ts])


def test_a_stalled_metrics_pipeline_ages_the_newest_event() -> None:
    sc = scenario("cnc-quote")
    template = next(t for t in sc.templates if t.service == "cnc-operations")
    start = END_MS - 10 * 3_600_000
    incident = Incident(
        "stall",
        "hard_outage",
        template.service,
        start,
        start + 20 * 60_000,
        template.description,
        template.effects,
        ("cnc-api-metrics-freshness",),
    )
    sim = simulation(sc, END_MS, days=1, seed=4, incidents=[incident])
    table = source_events(sim, sc.source("metrics-freshness"))
    ts = table.column("ts").to_numpy()
    age = table.column("newest_event_age_s").to_numpy()
    inside = incident.active(ts)
    assert np.all(age[inside] >= (ts[inside] - start) / 1000)
    late = inside & (ts - start >= 120_000)
    assert late.sum() >= 17 and np.all(age[late] >= 120)
    p = sc.source("metrics-freshness").latency.exceed(120)  # type: ignore[union-attr]
    assert binomial_ok(int(np.count_nonzero(age[~inside] >= 120)), int((~inside).sum()), p)


@pytest.mark.parametrize("example", ["mtogo"])
def test_load_minutes_are_rollups_of_the_orders(example: str) -> None:
    """Production rows count each minute's orders; p95 and error ratio recomputed by brute force."""
    tables = stream_tables(example, 1, 3)
    orders = tables["orders"].to_pylist()
    rows = [r for r in tables["load_minutes"].to_pylist() if r["source"] == "production"]
    by_minute: dict[int, list[dict[str, Any]]] = {}
    for o in orders:
        by_minute.setdefault(o["ts"] // 60_000, []).append(o)
    for row in rows[::37]:
        events = by_minute.get(row["ts"] // 60_000, [])
        assert row["requests"] == len(events)
        created = sorted(o["payment_to_event_ms"] for o in events if o["outcome"] == "created")
        if created:
            assert row["p95_ms"] == pytest.approx(created[math.ceil(0.95 * len(created)) - 1], abs=0.05)
        failed = sum(o["outcome"] == "failed" for o in events)
        if created or failed:
            assert row["error_ratio"] == pytest.approx(failed / (len(created) + failed), abs=1e-6)
    tests = [r for r in tables["load_minutes"].to_pylist() if r["source"] == "load-test"]
    assert len(tests) == 15 and all(r["requests"] >= 1500 for r in tests)


def test_capacity_is_listed_exactly_for_order_incidents_over_the_load_test() -> None:
    """Brute force over the minutes of each incident: does it touch 03:00-03:15 local (UTC+1)?"""
    sc = scenario("mtogo")
    mine = tuple(t for t in sc.templates if any(e.source == "orders" for e in t.effects))
    start = END_MS - 30 * 86_400_000
    incidents = plan(mine, start, END_MS, 8, sc.slos_of(), sc.utc_offset_hours, sc.daily_slos())
    seen = set()
    for incident in incidents:
        minutes = range(incident.start_ms // 60_000, -(-incident.end_ms // 60_000))
        overlaps = any(180 <= (m + 60) % 1440 < 195 for m in minutes)
        assert ("order-service-request-capacity" in incident.slos) == overlaps, incident.id
        seen.add(overlaps)
    assert seen == {True, False}
