"""The generated Prometheus rules and slokit's own backtest decide alike on the same history.

Three days of uneven traffic (a daily cycle from 10 to 120 requests a minute, baseline errors,
a hard outage, a peak-hour burn under the classic factor, a slow burn and a lone night failure)
are written twice: as events into slokit's store, replayed by ``slokit backtest --alerts``
(the oracle: the embedded evaluator's decisions, minute by minute), and as counters into
``promtool test rules``, which evaluates the rules ``slokit generate prometheus`` wrote with
Prometheus' own engine every 5 minutes (the tile length; promtool runs every group at every
step). At every 5-minute instant of the three days the alerts firing in Prometheus must be
exactly those the backtest has firing at that minute, for the default policy (SLI queries
written with ``rate()``, which the generator scales by each window's seconds) and for classic
(queries written with ``increase()``).

The two agree exactly here because promtool evaluates the tile group and the alert group at the
same instants, in file order, and the counters are sampled on minute boundaries (``increase``
then counts whole minutes without extrapolating). In a running Prometheus the groups have their
own schedules, so windows summed from tiles (2 h and longer) and the traffic estimate can lag by
up to one tile (5 minutes); docs/prometheus.md lists these differences.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import yaml
from click.testing import CliRunner

from slokit.alerting.measure import load_series
from slokit.cli.main import cli
from slokit.sources.store import Store
from slokit.spec.loader import load_paths

T0 = 1_793_491_200  # 2026-11-01T00:00:00Z, a whole day
DAYS = 3
N = DAYS * 1440
STEP = 5

BINDINGS = {
    "slokit": """\
        good:
          metricSource:
            type: slokit
            spec: {stream: requests, where: "status < 500"}
        total:
          metricSource:
            type: slokit
            spec: {stream: requests}
""",
    "prometheus": """\
        bad:
          metricSource:
            type: prometheus
            spec: {query: 'sum(increase(http_requests_total{code="500"}[{{window}}]))'}
        total:
          metricSource:
            type: prometheus
            spec: {query: 'sum(increase(http_requests_total[{{window}}]))'}
""",
    # per-second rates, which the generator scales by each window's seconds to count events
    "prometheus-rate": """\
        bad:
          metricSource:
            type: prometheus
            spec: {query: 'sum(rate(http_requests_total{code="500"}[{{window}}]))'}
        total:
          metricSource:
            type: prometheus
            spec: {query: 'sum(rate(http_requests_total[{{window}}]))'}
""",
}


def spec_text(binding: str) -> str:
    return """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: api
spec:
  service: shop
  budgetingMethod: Occurrences
  timeWindow: [{duration: 30d, isRolling: true}]
  objectives: [{target: 0.999}]
  indicator:
    metadata: {name: api-requests}
    spec:
      ratioMetric:
        counter: true
""" + BINDINGS[binding]


def history() -> tuple[np.ndarray, np.ndarray]:
    """Per-minute valid and bad counts of the three days (seeded)."""
    rng = np.random.default_rng(20261101)
    minute = np.arange(N)
    day = minute % 1440
    rate = 10 + 110 * (0.5 - 0.5 * np.cos(2 * np.pi * day / 1440))  # 10 at midnight, 120 at noon
    valid = rng.poisson(rate).astype(np.int64)
    valid[0] = max(valid[0], 1)  # traffic from the first minute on (the estimate counts from it)
    p = np.full(N, 0.0002)
    p[1440 + 600 : 1440 + 615] = 1.0  # day 2, 10:00: a 15-minute hard outage
    p[1440 + 690 : 1440 + 750] = 0.012  # day 2, 11:30: 12× the budget rate at the daily peak
    p[2880 + 240 : 2880 + 840] = 0.004  # day 3, 04:00-14:00: a slow burn at 4×
    bad = rng.binomial(valid, p).astype(np.int64)
    bad[2880 + 60] = min(1, int(valid[2880 + 60]))  # day 3, 01:00: a lone failure at night
    return valid, bad


def events(valid: np.ndarray, bad: np.ndarray) -> pa.Table:
    """One event per request, spread over its minute; the first ``bad`` of a minute fail.

    The store's row of minute m holds the events after its start, up to its end (an event at
    exactly m:00 belongs to the minute before), so events start half a second in.
    """
    rows = np.repeat(np.arange(N), valid)
    index = np.arange(rows.size) - np.repeat(np.cumsum(valid) - valid, valid)
    spread = 500 + (index * 59_000) // np.repeat(np.maximum(valid, 1), valid)
    ts = (T0 + rows * 60) * 1000 + spread
    status = np.where(index < np.repeat(bad, valid), 500, 200)
    return pa.table({"ts": ts.astype(np.int64), "status": status.astype(np.int64)})


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def backtest_firing(tmp_path: Path, policy: str, valid: np.ndarray, bad: np.ndarray) -> dict[int, set[str]]:
    """``slokit backtest --alerts``: the rules firing at each 5-minute instant (minutes since T0)."""
    spec_file = tmp_path / "store-spec.yaml"
    spec_file.write_text(spec_text("slokit"), encoding="utf-8")
    db = tmp_path / "store.duckdb"
    if not db.exists():
        spec, _ = load_paths([str(spec_file)])
        with Store.open(db, lateness_seconds=None) as store:
            store.ingest("requests", events(valid, bad), spec=spec, now=T0 + N * 60)
            (series,) = load_series(spec, store, list(spec), T0 // 60, T0 // 60 + N)
        # the store holds the history as written: the same counts, minute by minute
        assert series.counts.first_minute == T0 // 60
        assert series.counts.valid.tolist() == valid.tolist()
        assert series.counts.bad.tolist() == bad.tolist()
    args = ["backtest", str(spec_file), "--store", str(db), "--from", iso(T0), "--to", iso(T0 + N * 60)]
    result = CliRunner().invoke(cli, [*args, "--policy", policy, "--alerts", "--output", "json"])
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.stdout)["policies"]
    assert run["name"] == policy
    alerts = run["alert_list"]
    firing: dict[int, set[str]] = {m: set() for m in range(STEP, N, STEP)}
    for alert in alerts:
        start = (datetime.fromisoformat(alert["start"]).timestamp() - T0) / 60
        end = N if alert["end"] is None else (datetime.fromisoformat(alert["end"]).timestamp() - T0) / 60
        for m in firing:
            if start <= m < end:
                firing[m].add(alert["rule"])
    return firing


def promtool_run(
    tmp_path: Path,
    policy: str,
    valid: np.ndarray,
    bad: np.ndarray,
    expected: dict[int, set[str]],
    binding: str = "prometheus",
) -> str:
    """promtool test rules with ``expected`` at every instant; '' on success, else its report."""
    promtool = shutil.which("promtool")
    assert promtool is not None
    spec_file = tmp_path / "prom-spec.yaml"
    spec_file.write_text(spec_text(binding), encoding="utf-8")
    result = CliRunner().invoke(cli, ["generate", "prometheus", str(spec_file), "--policy", policy])
    assert result.exit_code == 0, result.output
    groups = yaml.safe_load(result.stdout)["groups"]
    alerts = {
        r["annotations"]["slokit_rule"]: r
        for g in groups
        for r in g["rules"]
        if r.get("alert") == "SLOErrorBudgetBurn"
    }
    good = np.concatenate(([0], np.cumsum(valid - bad)))
    failed = np.concatenate(([0], np.cumsum(bad)))
    checks = [
        {
            "eval_time": f"{m}m",
            "alertname": "SLOErrorBudgetBurn",
            "exp_alerts": [
                {
                    "exp_labels": {**alerts[rule]["labels"], "slokit_service": "shop", "slokit_slo": "api"},
                    "exp_annotations": alerts[rule]["annotations"],
                }
                for rule in sorted(rules)
            ],
        }
        for m, rules in sorted(expected.items())
    ]
    test = {
        "rule_files": [f"{policy}.yml"],
        "evaluation_interval": f"{STEP}m",
        "group_eval_order": [g["name"] for g in groups],
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {
                        "series": 'http_requests_total{code="200"}',
                        "values": " ".join(map(str, good.tolist())),
                    },
                    {
                        "series": 'http_requests_total{code="500"}',
                        "values": " ".join(map(str, failed.tolist())),
                    },
                ],
                "alert_rule_test": checks,
            }
        ],
    }
    (tmp_path / f"{policy}.yml").write_text(result.stdout, encoding="utf-8")
    (tmp_path / f"{policy}.test.yml").write_text(yaml.safe_dump(test, sort_keys=False), encoding="utf-8")
    done = subprocess.run(
        [promtool, "test", "rules", f"{policy}.test.yml"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
        check=False,
    )
    if done.returncode == 0 and "SUCCESS" in done.stdout:
        return ""
    times = re.findall(r"alertname: SLOErrorBudgetBurn, time: ([0-9dhm]+)", done.stdout + done.stderr)
    return f"{len(times)} instants differ, first {times[:10]}:\n{(done.stdout + done.stderr)[:4000]}"


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return history()


@pytest.mark.parametrize(
    ("policy", "binding"),
    [("default", "prometheus-rate"), ("classic", "prometheus")],
    ids=["default-rate-queries", "classic-increase-queries"],
)
def test_generated_rules_fire_when_the_backtest_does(
    policy: str, binding: str, data: tuple[np.ndarray, np.ndarray], tmp_path_factory: pytest.TempPathFactory
) -> None:
    if shutil.which("promtool") is None:
        pytest.skip("integration: promtool is not installed (Debian package prometheus)")
    valid, bad = data
    tmp_path = tmp_path_factory.mktemp(policy)
    expected = backtest_firing(tmp_path, policy, valid, bad)
    fired = {rule for rules in expected.values() for rule in rules}
    # The history is built so that both policies alert, on several tiers: agreement on a quiet
    # history would prove nothing.
    assert len(fired) >= 2 and sum(map(bool, expected.values())) >= 20, fired
    report = promtool_run(tmp_path, policy, valid, bad, expected, binding)
    assert report == "", report


def test_the_policies_differ_on_this_history(data: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    """The cross-check covers the difference the default exists for: the peak-hour burn."""
    valid, bad = data
    default = backtest_firing(tmp_path, "default", valid, bad)
    classic = backtest_firing(tmp_path, "classic", valid, bad)
    peak = range(1440 + 695, 1440 + 760, STEP)
    assert any("page-1h" in default[m] for m in peak)
    assert not any("page-1h" in classic[m] for m in peak)
