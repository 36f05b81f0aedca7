"""What grouping costs at evaluation: ``evaluate_all`` over grouped SLOs vs the same SLOs ungrouped.

Setup: N ratio SLOs (1-day rolling window, Occurrences) on one stream, each narrowed to its own
``shard``; events spread over G routes. Two stores are filled through ``Store.ingest`` from the
same events: one with the spec as is (no ``groupBy``, the baseline), one with ``groupBy:
[route]`` on every total. Both are evaluated at the same instant, in the same run, alternating,
and the best of ``--repeat`` is kept. The grouped evaluation computes N × (1 + G) states (each
SLO overall and each group); the ratio per state says whether a group costs what an SLO does.

Usage: ``python benchmarks/grouped_eval_bench.py [--slos 100] [--groups 10] [--days 2]
[--events 200] [--repeat 5]`` (``--events``: events per minute over all SLOs).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

import slokit
from slokit.sources.status import evaluate_all
from slokit.sources.store import Store
from slokit.spec.model import Spec

T0 = 1_700_000_000 // 86400 * 86400


def spec_text(n: int, grouped: bool) -> str:
    group = "\n              groupBy: [route]" if grouped else ""
    docs = []
    for i in range(n):
        docs.append(
            f"""apiVersion: openslo/v1
kind: SLO
metadata: {{name: slo-{i}}}
spec:
  service: bench
  timeWindow: [{{duration: 1d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: 0.99}}]
  indicator:
    metadata: {{name: sli-{i}}}
    spec:
      ratioMetric:
        counter: false
        good: {{metricSource: {{type: slokit, spec: {{stream: api, where: "status < 500"}}}}}}
        total:
          metricSource:
            type: slokit
            spec:
              stream: api
              where: "shard = {i}"{group}
"""
        )
    return "---\n".join(docs)


def events(n: int, groups: int, days: int, per_minute: int, seed: int = 1) -> list[pa.Table]:
    """One Arrow table per day: ts, shard, route, status (0.5 % errors)."""
    rng = np.random.default_rng(seed)
    out = []
    for day in range(days):
        count = per_minute * 1440
        ts = T0 + day * 86400 + rng.integers(1, 86401, count)
        out.append(
            pa.table(
                {
                    "ts": np.sort(ts),
                    "shard": rng.integers(0, n, count),
                    "route": pa.array([f"/r{k}" for k in rng.integers(0, groups, count)]),
                    "status": np.where(rng.random(count) < 0.005, 500, 200),
                }
            )
        )
    return out


def fill(path: Path, spec: Spec, tables: list[pa.Table]) -> Store:
    store = Store.open(path, lateness_seconds=None)
    for table in tables:
        store.ingest("api", table, spec=spec, now=T0 + len(tables) * 86400 + 60)
    return store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slos", type=int, default=100)
    ap.add_argument("--groups", type=int, default=10)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--events", type=int, default=200, help="events per minute over all SLOs")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    tables = events(args.slos, args.groups, args.days, args.events)
    at = T0 + args.days * 86400 - 623 * 60
    with tempfile.TemporaryDirectory(prefix="slokit-grouped-bench-") as tmp:
        plain_spec = slokit.load(spec_text(args.slos, False))
        grouped_spec = slokit.load(spec_text(args.slos, True))
        started = time.perf_counter()
        plain = fill(Path(tmp) / "plain.duckdb", plain_spec, tables)
        grouped = fill(Path(tmp) / "grouped.duckdb", grouped_spec, tables)
        print(f"filled both stores in {time.perf_counter() - started:.1f} s")
        best = {"ungrouped": float("inf"), "grouped": float("inf")}
        states = {"ungrouped": 0, "grouped": 0}
        for _ in range(args.repeat):
            for name, store, spec in (("ungrouped", plain, plain_spec), ("grouped", grouped, grouped_spec)):
                t = time.perf_counter()
                found = evaluate_all(spec, store, at)
                best[name] = min(best[name], time.perf_counter() - t)
                states[name] = len(found) + sum(len(s.groups) for s in found)
        plain.close()
        grouped.close()
    per = {k: best[k] / states[k] for k in best}
    print(f"{args.slos} SLOs, {args.groups} groups each, {args.days} days, {args.events} events/min")
    for name in best:
        print(
            f"  {name:9}: {states[name]:6} states, best {best[name] * 1000:8.1f} ms, "
            f"{per[name] * 1e6:7.1f} µs/state"
        )
    print(
        f"  grouped / ungrouped: {best['grouped'] / best['ungrouped']:.2f}x in total, "
        f"{per['grouped'] / per['ungrouped']:.2f}x per state"
    )


if __name__ == "__main__":
    main()
