"""One ``/metrics`` scrape of ``slokit serve`` with grouped SLOs: groups exported beside overall only.

Builds ``--slos`` SLOs (each grouped by ``route``, ``--groups`` routes each, 28-day rolling
windows, 99.9 %) over 10 streams, ingests ``--hours`` of events into a fresh store, opens the
server's state in this process and times, best of ``--repeat`` each, in one run:

* ``evaluate``: :func:`~slokit.sources.status.evaluate_all` alone (what every scrape reads);
* ``overall``: a scrape exporting each SLO overall only (the exporter before groups, kept here
  as the baseline);
* ``groups``: the scrape of :mod:`slokit.server.metrics` (overall and every group);
* ``build``: of that, building its samples from the evaluated states (the rest is the
  evaluation and prometheus_client's text format).

Prints the times, the samples of each scrape and the ratios.

    python benchmarks/metrics_groups_bench.py [--slos 100] [--groups 20] [--hours 6] [--repeat 7]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

STREAMS = 10


def spec_text(n: int) -> str:
    docs = ["apiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: bench\nspec:\n  description: bench\n"]
    for i in range(n):
        docs.append(
            f"""apiVersion: openslo/v1
kind: SLO
metadata:
  name: slo-{i:04d}
spec:
  service: bench
  budgetingMethod: Occurrences
  timeWindow: [{{duration: 28d, isRolling: true}}]
  objectives: [{{target: 0.999}}]
  indicator:
    metadata: {{name: sli-{i:04d}}}
    spec:
      ratioMetric:
        good:
          metricSource:
            type: slokit
            spec: {{stream: s{i % STREAMS}, where: "status < 500 or status = {600 + i}"}}
        total: {{metricSource: {{type: slokit, spec: {{stream: s{i % STREAMS}, groupBy: [route]}}}}}}
"""
        )
    return "---\n".join(docs)


class OverallOnly(Collector):
    """The exporter before groups (each SLO overall), as the baseline of the same run."""

    def __init__(self, state: object) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        from slokit.server.metrics import _PHASE_VALUE
        from slokit.sources.status import evaluate_all

        st = self.state
        with st.locked() as store:  # type: ignore[attr-defined]
            states = evaluate_all(st.spec, store, time.time())  # type: ignore[attr-defined]
            alerts = st.alerts.load()  # type: ignore[attr-defined]
        labels = ["slo", "service"]
        sli = GaugeMetricFamily("slokit_slo_sli", "SLI", labels=labels)
        target = GaugeMetricFamily("slokit_slo_target", "target", labels=labels)
        remaining = GaugeMetricFamily("slokit_slo_error_budget_remaining", "remaining", labels=labels)
        burn = GaugeMetricFamily("slokit_slo_burn_rate", "burn", labels=[*labels, "window"])
        status = GaugeMetricFamily("slokit_slo_status", "status", labels=[*labels, "status"])
        alert = GaugeMetricFamily("slokit_alert_state", "alert", labels=["slo", "rule", "severity"])
        for s in states:
            lv = [s.slo, s.service]
            if s.sli_value is not None:
                sli.add_metric(lv, s.sli_value)
            if s.target is not None:
                target.add_metric(lv, s.target)
            if s.remaining is not None:
                remaining.add_metric(lv, s.remaining)
            for window, value in s.burn_rates.items():
                if value is not None:
                    burn.add_metric([*lv, window], value)
            status.add_metric([*lv, s.status], 1.0)
        for a in alerts.values():
            alert.add_metric([a.key.slo, a.key.rule, a.severity], _PHASE_VALUE.get(a.phase, 0))
        yield from (sli, target, remaining, burn, status, alert)


def best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slos", type=int, default=100)
    ap.add_argument("--groups", type=int, default=20)
    ap.add_argument("--hours", type=float, default=6)
    ap.add_argument("--per-minute", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    from slokit.server.metrics import _Families, add_states, registry_for
    from slokit.server.state import ServerConfig, ServerState
    from slokit.sources.status import evaluate_all
    from slokit.sources.store import Store
    from slokit.spec.loader import load

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        spec_path = d / "bench.yaml"
        spec_path.write_text(spec_text(args.slos))
        spec = load(spec_path)
        store_path = d / "bench.duckdb"
        now = int(time.time()) // 60 * 60
        minutes = int(args.hours * 60)
        rng = np.random.default_rng(1)
        size = minutes * args.per_minute
        with Store.open(store_path, lateness_seconds=None) as store:
            for s in range(STREAMS):
                table = pa.table(
                    {
                        "ts": now - minutes * 60 + rng.integers(0, minutes * 60, size),
                        "route": np.char.add("/r", rng.integers(0, args.groups, size).astype(str)),
                        "status": np.where(rng.random(size) < 0.002, 503, 200),
                    }
                )
                store.ingest(f"s{s}", table, spec=spec)
        state = ServerState(ServerConfig((str(spec_path),), str(store_path), token="bench"))
        try:
            grouped = registry_for(state)
            baseline = CollectorRegistry(auto_describe=False)
            baseline.register(OverallOnly(state))

            def evaluate() -> object:
                with state.locked() as st:
                    return evaluate_all(state.spec, st, time.time())

            for _ in range(2):  # warm caches (DuckDB, imports)
                generate_latest(grouped), generate_latest(baseline)
            t_eval, states = best(evaluate, args.repeat)
            t_base, text_base = best(lambda: generate_latest(baseline), args.repeat)
            t_groups, text_groups = best(lambda: generate_latest(grouped), args.repeat)
            t_build, _ = best(lambda: add_states(_Families(), states), args.repeat)  # type: ignore[arg-type]
        finally:
            state.close()
    n_groups = sum(len(s.groups) for s in states)  # type: ignore[attr-defined,misc]

    def samples(text: object) -> int:
        assert isinstance(text, bytes)
        return sum(1 for line in text.splitlines() if line and not line.startswith(b"#"))

    print(f"{args.slos} SLOs, {n_groups} groups, {size * STREAMS:,} events over {args.hours:g} h")
    print(f"evaluate_all          {t_eval * 1e3:8.1f} ms")
    print(f"scrape, overall only  {t_base * 1e3:8.1f} ms  {samples(text_base):7,} samples")
    print(f"scrape, with groups   {t_groups * 1e3:8.1f} ms  {samples(text_groups):7,} samples")
    print(f"  of which samples built {t_build * 1e3:6.1f} ms")
    print(
        f"groups/overall {t_groups / t_base:.2f}x; beyond evaluate_all: overall "
        f"{(t_base - t_eval) * 1e3:.1f} ms, groups {(t_groups - t_eval) * 1e3:.1f} ms"
    )


if __name__ == "__main__":
    main()
