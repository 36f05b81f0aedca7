"""The same traffic in the embedded store and in a real Prometheus gives the same SLOs.

Synthetic requests (a few days, an outage, log-normal latencies) are ingested into a
:class:`~slokit.sources.store.Store` and, as per-minute cumulative counters (OpenMetrics with a
sample on every minute boundary), backfilled into a real Prometheus with ``promtool tsdb
create-blocks-from openmetrics``. The store is the oracle: its numbers are tested elsewhere
against brute force over raw events. Prometheus' ``increase()`` over a range whose first and
last samples sit exactly on the range's edges does not extrapolate (Prometheus 2 ranges
include their start), so counts must agree exactly and SLI, budget and burn rates within 1e-3
(the issue's bound), for a ratio SLO written with ``rate()``, a latency threshold SLO over a
classic histogram's ``le`` bucket, and a Timeslices SLO (per-minute range queries).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner

import slokit
from slokit.cli.main import cli
from slokit.sources import prom_counts, status
from slokit.sources.prometheus import ClientConfig, PrometheusClient
from slokit.sources.store import Store

#: Monday 2026-01-05 00:00 UTC; four days of traffic.
T0 = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp())
MINUTES = 4 * 1440
THRESHOLD_MS = 400.0
BUCKETS = (100.0, THRESHOLD_MS, 1000.0)

_SLOS = """\
apiVersion: openslo/v1
kind: SLO
metadata: {{name: avail}}
spec:
  service: shop
  timeWindow: [{{duration: 1d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: 0.99}}]
  indicator:
    metadata: {{name: api-ok}}
    spec:
      ratioMetric:
        counter: true
        good: {{metricSource: {good}}}
        total: {{metricSource: {total}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {{name: fast}}
spec:
  service: shop
  timeWindow: [{{duration: 2d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: 0.9, op: lt, value: 400}}]
  indicator:
    metadata: {{name: api-fast}}
    spec:
      thresholdMetric: {{metricSource: {latency}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {{name: slices}}
spec:
  service: shop
  timeWindow: [{{duration: 1d, isRolling: true}}]
  budgetingMethod: Timeslices
  objectives: [{{target: 0.95, timeSliceTarget: 0.97, timeSliceWindow: 5m}}]
  indicator:
    metadata: {{name: api-ok-slices}}
    spec:
      ratioMetric:
        counter: true
        bad: {{metricSource: {bad}}}
        total: {{metricSource: {total}}}
"""

STORE_SPEC = _SLOS.format(
    good='{type: slokit, spec: {stream: api, where: "code < 500"}}',
    bad='{type: slokit, spec: {stream: api, where: "code >= 500"}}',
    total="{type: slokit, spec: {stream: api}}",
    latency="{type: slokit, spec: {stream: api, value: latency_ms}}",
)
PROM_SPEC = _SLOS.format(
    good="{type: prometheus, spec: {query: 'sum(rate(requests_total{code!~\"5..\"}[{{window}}]))'}}",
    bad="{type: prometheus, spec: {query: 'sum(increase(requests_total{code=~\"5..\"}[{{window}}]))'}}",
    total="{type: prometheus, spec: {query: 'sum(increase(requests_total[{{window}}]))'}}",
    latency="{type: prometheus, spec: {histogram: latency_ms, selector: '{job=\"api\"}'}}",
)


@dataclass(frozen=True)
class Traffic:
    seconds: np.ndarray[Any, np.dtype[np.float64]]
    code: np.ndarray[Any, np.dtype[np.int64]]
    latency: np.ndarray[Any, np.dtype[np.float64]]


def make_traffic(seed: int = 7) -> Traffic:
    """About 15 requests a minute; an error outage on day 3 and a slow spell on day 4."""
    rng = np.random.default_rng(seed)
    per_minute = rng.poisson(15, MINUTES)
    minute = np.repeat(np.arange(MINUTES), per_minute)
    seconds = T0 + minute * 60 + rng.uniform(0.5, 59.5, minute.size)
    error_p = np.where((minute >= 2 * 1440 + 600) & (minute < 2 * 1440 + 660), 0.4, 0.004)
    code = np.where(rng.uniform(size=minute.size) < error_p, 503, 200).astype(np.int64)
    slow = (minute >= 3 * 1440 + 300) & (minute < 3 * 1440 + 420)
    latency = rng.lognormal(np.log(np.where(slow, 380.0, 120.0)), 0.6)
    latency = np.where(np.isin(latency, BUCKETS), latency + 0.01, latency)  # no value on a bound
    return Traffic(seconds, code, latency)


def build_store(path: Path, traffic: Traffic) -> Store:
    spec = slokit.load(STORE_SPEC)
    store = Store.open(path, lateness_seconds=None)
    table = pa.table({"ts": traffic.seconds, "code": traffic.code, "latency_ms": traffic.latency})
    step = 20_000
    for i in range(0, table.num_rows, step):
        store.ingest("api", table.slice(i, step), spec=spec, now=T0 + MINUTES * 60 + 600)
    return store


def cumulative(rows: np.ndarray[Any, np.dtype[np.int64]], mask: np.ndarray[Any, Any]) -> list[int]:
    """Counter value at every minute boundary ``T0 + k·60`` (k = 0..MINUTES): events before it."""
    per = np.bincount(rows[mask], minlength=MINUTES)
    return [0, *np.cumsum(per).tolist()]


def write_openmetrics(path: Path, traffic: Traffic) -> None:
    """Counters per minute boundary: requests by code, and a classic latency histogram."""
    rows = ((traffic.seconds - T0) // 60).astype(np.int64)
    lines = ["# TYPE requests counter"]
    for code in (200, 503):
        values = cumulative(rows, traffic.code == code)
        lines += [f'requests_total{{code="{code}"}} {v} {T0 + k * 60}' for k, v in enumerate(values)]
    lines.append("# TYPE latency_ms histogram")
    everything = np.ones(rows.size, bool)
    series = [(f'le="{b:g}"', cumulative(rows, traffic.latency <= b)) for b in BUCKETS]
    series.append(('le="+Inf"', cumulative(rows, everything)))
    count = cumulative(rows, everything)
    for k in range(MINUTES + 1):
        ts = T0 + k * 60
        for le, values in series:
            lines.append(f'latency_ms_bucket{{job="api",{le}}} {values[k]} {ts}')
        lines.append(f'latency_ms_count{{job="api"}} {count[k]} {ts}')
        lines.append(f'latency_ms_sum{{job="api"}} 0 {ts}')
    lines.append("# EOF")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"integration: {name} is not installed (Debian package prometheus)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalPrometheus:
    """A Prometheus on 127.0.0.1 over a backfilled TSDB, with no scrape targets; stopped by PID."""

    def __init__(self, openmetrics: Path, workdir: Path) -> None:
        self.promtool = _tool("promtool")
        self.binary = _tool("prometheus")
        self.data = workdir / "tsdb"
        self.workdir = workdir
        done = subprocess.run(
            [self.promtool, "tsdb", "create-blocks-from", "openmetrics", str(openmetrics), str(self.data)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = workdir / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1m\nscrape_configs: []\n", encoding="utf-8")
        self.log = (workdir / "prometheus.log").open("wb")
        self.proc = subprocess.Popen(
            [
                self.binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={self.data}",
                "--storage.tsdb.retention.time=400d",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--query.max-samples=200000000",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError((self.workdir / "prometheus.log").read_text(errors="replace")[-2000:])
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError("prometheus did not become ready within 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, LocalPrometheus]]:
    _tool("promtool")
    _tool("prometheus")
    work = tmp_path_factory.mktemp("crosscheck")
    traffic = make_traffic()
    om = work / "traffic.om.txt"
    write_openmetrics(om, traffic)
    prom = LocalPrometheus(om, work)
    store = build_store(work / "store.duckdb", traffic)
    try:
        yield store, prom
    finally:
        store.close()
        prom.stop()


INSTANTS = (
    T0 + MINUTES * 60,  # the end of the traffic
    T0 + 2 * 1440 * 60 + 640 * 60,  # inside the outage
    T0 + 3 * 1440 * 60 + 400 * 60 + 17 * 60,  # inside the slow spell, not on an hour
)


def _close(a: float | None, b: float | None, what: str) -> None:
    assert (a is None) == (b is None), f"{what}: {a} vs {b}"
    if a is not None and b is not None:
        assert math.isclose(a, b, abs_tol=1e-3), f"{what}: store {a} vs prometheus {b}"


@pytest.mark.parametrize("at", INSTANTS)
def test_report_matches_the_store(both: tuple[Store, LocalPrometheus], at: int) -> None:
    store, prom = both
    expected = status.evaluate_all(slokit.load(STORE_SPEC), store, at)
    with PrometheusClient(ClientConfig(prom.url)) as client:
        source = prom_counts.PrometheusCounts(client)
        got = prom_counts.evaluate_all(slokit.load(PROM_SPEC), source, at)
        assert source.problems == {}
    for e, g in zip(expected, got, strict=True):
        assert e.slo == g.slo
        assert e.status == g.status
        for eo, go in zip(e.objectives, g.objectives, strict=True):
            assert eo.valid is not None and eo.valid > 1000  # the comparison is over real traffic
            assert (eo.valid, eo.good) == (go.valid, go.good), e.slo
            assert eo.slices == go.slices, e.slo
        _close(e.sli_value, g.sli_value, f"{e.slo} SLI")
        _close(e.consumed, g.consumed, f"{e.slo} budget consumed")
        _close(e.remaining, g.remaining, f"{e.slo} budget remaining")
        assert e.burn_rates.keys() == g.burn_rates.keys()
        for label in e.burn_rates:
            _close(e.burn_rates[label], g.burn_rates[label], f"{e.slo} burn {label}")
    # The instants were chosen so that the budgets differ: the comparison is not of constants.
    assert len({round(s.remaining or 0, 6) for s in expected}) == len(expected)


def test_history_matches_the_store(both: tuple[Store, LocalPrometheus]) -> None:
    store, prom = both
    start, end = T0 + 3 * 1440 * 60, T0 + MINUTES * 60
    with PrometheusClient(ClientConfig(prom.url)) as client:
        source = prom_counts.PrometheusCounts(client)
        for name in ("avail", "fast", "slices"):
            e = status.history(slokit.load(STORE_SPEC), store, name, start, end, 3 * 3600 + 60)
            g = prom_counts.history(slokit.load(PROM_SPEC), source, name, start, end, 3 * 3600 + 60)
            np.testing.assert_array_equal(e.at, g.at)
            np.testing.assert_allclose(g.sli, e.sli, atol=1e-3)
            np.testing.assert_allclose(g.remaining, e.remaining, atol=1e-3)
            for label, series in e.burn_rates.items():
                np.testing.assert_allclose(g.burn_rates[label], series, atol=1e-3, err_msg=label)


def test_cli_report_json_matches_the_store(both: tuple[Store, LocalPrometheus], tmp_path: Path) -> None:
    store, prom = both
    at = datetime.fromtimestamp(INSTANTS[2], UTC).isoformat()
    (tmp_path / "store.yaml").write_text(STORE_SPEC, encoding="utf-8")
    (tmp_path / "prom.yaml").write_text(PROM_SPEC, encoding="utf-8")
    runner = CliRunner()
    got = runner.invoke(
        cli,
        [
            "report",
            str(tmp_path / "prom.yaml"),
            "--source",
            "prometheus",
            "--prometheus-url",
            prom.url,
            "--header",
            "X-Scope-OrgID=tenant-a",
            "--at",
            at,
            "--output",
            "json",
        ],
    )
    assert got.exit_code == 0, got.output
    data = json.loads(got.stdout)
    expected = status.evaluate_all(slokit.load(STORE_SPEC), store, INSTANTS[2])
    assert [d["name"] for d in data] == [s.slo for s in expected]
    for d, s in zip(data, expected, strict=True):
        _close(d["sli"], s.sli_value, d["name"])
        _close(d["budget_remaining"], s.remaining, d["name"])
        assert d["objectives"][0]["valid"] == s.objectives[0].valid
        assert d["coverage"].startswith("Prometheus API at http://127.0.0.1:")


def _interpolated(values: np.ndarray[Any, np.dtype[np.float64]], q: float) -> float:
    """histogram_quantile's documented answer from the bucket counts of ``values`` (independent code).

    The rank q·count falls in the first bucket whose cumulative count reaches it; the answer is
    linear between that bucket's lower bound (0 for the first) and its upper bound; in the +Inf
    bucket it is the highest finite bound.
    """
    bounds = [*BUCKETS, math.inf]
    cum = [int(np.sum(values <= b)) for b in bounds]
    rank = q * cum[-1]
    i = next(k for k, c in enumerate(cum) if c >= rank)
    if bounds[i] == math.inf:
        return BUCKETS[-1]
    lower, below = (0.0, 0) if i == 0 else (bounds[i - 1], cum[i - 1])
    return lower + (bounds[i] - lower) * (rank - below) / (cum[i] - below)


def test_percentiles_are_histogram_quantile_and_marked_approximate(
    both: tuple[Store, LocalPrometheus],
) -> None:
    store, prom = both
    traffic = make_traffic()
    at = INSTANTS[2]
    with PrometheusClient(ClientConfig(prom.url)) as client:
        (got,) = prom_counts.evaluate_all(
            slokit.load(PROM_SPEC), prom_counts.PrometheusCounts(client), at, ["fast"]
        )
    (exact,) = status.evaluate_all(slokit.load(STORE_SPEC), store, at, ["fast"])
    rows = (traffic.seconds - T0) // 60
    window = traffic.latency[(rows >= (at - 2 * 86400) // 60 - T0 // 60) & (rows < at // 60 - T0 // 60)]
    assert window.size == got.objectives[0].valid
    assert any("approximate" in n for n in got.notes)
    bounds = [0.0, *BUCKETS, math.inf]
    for label, q in status.PERCENTILES:
        value = got.percentiles[label]
        assert value is not None
        assert math.isclose(value, _interpolated(window, q), rel_tol=1e-9), label
        # The approximation lies in the same bucket as the store's (1 %-accurate) percentile.
        true = exact.percentiles[label]
        assert true is not None
        k = next(i for i in range(1, len(bounds)) if value <= bounds[i])
        if bounds[k] != math.inf and true < BUCKETS[-1] * 0.99:
            assert bounds[k - 1] * 0.99 <= true <= bounds[k] * 1.01, (label, value, true)


# --- VictoriaMetrics: the same counters, imported through its Prometheus text import ---


class LocalVictoriaMetrics:
    """Single-node VictoriaMetrics on 127.0.0.1 with its own data folder; stopped by PID."""

    def __init__(self, openmetrics: Path, workdir: Path) -> None:
        found = shutil.which("victoria-metrics") or shutil.which("victoria-metrics-prod")
        if found is None:
            pytest.skip("integration: victoria-metrics is not installed (Debian package victoria-metrics)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (workdir / "vm.log").open("wb")
        self.proc = subprocess.Popen(
            [
                found,
                f"-storageDataPath={workdir / 'vm-data'}",
                f"-httpListenAddr=127.0.0.1:{self.port}",
                "-retentionPeriod=100y",
                "-search.disableCache",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise AssertionError("victoria-metrics did not start")
            time.sleep(0.2)
        # Prometheus text format: the same samples with millisecond timestamps.
        lines = []
        for line in openmetrics.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                continue
            head, _, ts = line.rpartition(" ")
            lines.append(f"{head} {int(ts) * 1000}")
        body = "\n".join(lines) + "\n"
        httpx.post(f"{self.url}/api/v1/import/prometheus", content=body, timeout=120).raise_for_status()
        httpx.get(f"{self.url}/internal/force_flush", timeout=60).raise_for_status()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()


def test_victoriametrics_counts_match_the_store(
    both: tuple[Store, LocalPrometheus], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """MetricsQL's increase() uses the sample before the window and never extrapolates: exact too."""
    store, _ = both
    work = tmp_path_factory.mktemp("vm")
    om = work / "traffic.om.txt"
    write_openmetrics(om, make_traffic())
    vm = LocalVictoriaMetrics(om, work)
    try:
        # Every window (up to 3 d) inside the data: before a series' first sample, MetricsQL's
        # rate() divides by the span of the samples it has, not by the window, so a rate()
        # query times the window overcounts there (see docs/prometheus-source.md).
        for at in (INSTANTS[0], INSTANTS[2]):
            expected = status.evaluate_all(slokit.load(STORE_SPEC), store, at, ["avail", "fast"])
            with PrometheusClient(ClientConfig(vm.url)) as client:
                source = prom_counts.PrometheusCounts(client)
                got = prom_counts.evaluate_all(slokit.load(PROM_SPEC), source, at, ["avail", "fast"])
            assert source.problems == {}
            for e, g in zip(expected, got, strict=True):
                assert (e.objectives[0].valid, e.objectives[0].good) == (
                    g.objectives[0].valid,
                    g.objectives[0].good,
                ), (e.slo, at)
                _close(e.remaining, g.remaining, f"{e.slo} budget remaining")
                for label in e.burn_rates:
                    _close(e.burn_rates[label], g.burn_rates[label], f"{e.slo} burn {label}")
    finally:
        vm.stop()
