"""Backtesting 30 days × 100 SLOs × 3 policies: the time of the store read, the replay and the scoring.

Setup: a spec of N ratio SLOs (99.9 % over 30 days, rolling), each on its own stream, and a store
holding D days (plus the days the longest default window reaches back) of per-minute rows
(Poisson E events a minute, 0.02 % errors, i.e. burn rate 0.2, and a 20-minute hard outage per
SLO on a random day).
The rows are appended in bulk straight into the store's minute table through its DuckDB
connection, because ingesting N × D × 1440 × E events through ``Store.ingest`` would take far
longer than the backtest being measured; the backtest reads them through the store's public
``minute_matrix`` like ``slokit backtest`` does.

Measured (best of ``--repeat``): reading every SLO's history (one ``minute_matrix`` call), the
replay of 3 policies (default, single-1h, pyrra: 9 rules, every minute of D days, vectorized),
and scoring against the N injected incidents. Target: ≤ 10 s in total. Also one live evaluator
pass over all N SLOs at the history's end (it reads the week the default's traffic estimate
needs, evaluates every rule, saves alert state), which ``slokit serve`` repeats every 30 s.

Usage: ``python benchmarks/backtest_bench.py [--slos 100] [--days 30] [--events 10] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

import slokit
from slokit.alerting.backtest import Incident, run_backtest
from slokit.alerting.evaluator import Evaluator
from slokit.alerting.measure import load_series
from slokit.alerting.policy import BUILTIN, alerting_slos, fitting_policy, period_seconds
from slokit.sources.store import Store

END_DAY = 20_000  # history ends at the end of this UTC day (epoch days)
LEAD_DAYS = 4


def spec_text(n: int) -> str:
    return "---\n".join(
        f"""apiVersion: openslo/v1
kind: SLO
metadata: {{name: slo-{i}}}
spec:
  service: svc-{i}
  timeWindow: [{{duration: 30d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: 0.999}}]
  indicator:
    metadata: {{name: sli-{i}}}
    spec:
      ratioMetric:
        counter: true
        good: {{metricSource: {{type: slokit, spec: {{stream: s{i}, where: 'ok = true'}}}}}}
        total: {{metricSource: {{type: slokit, spec: {{stream: s{i}}}}}}}
"""
        for i in range(n)
    )


def build(path: Path, n: int, days: int, events: float, seed: int = 7) -> list[Incident]:
    """Write the minute rows; return the injected outages as ground truth."""
    rng = np.random.default_rng(seed)
    spec = slokit.load(spec_text(n))
    first_day = END_DAY - days - LEAD_DAYS + 1
    outage_day = rng.integers(END_DAY - days + 1, END_DAY + 1, n)
    outage_minute = rng.integers(0, 1440 - 20, n)
    incidents = []
    with Store.open(path) as store:
        store.register(spec)
        ids = np.array([store.sli_id(f"slo-{i}/0") for i in range(n)], np.int32)
        con = store.connection  # bulk load only; the backtest reads through the public API
        for day in range(first_day, END_DAY + 1):
            valid = rng.poisson(events, size=(n, 1440)).astype(np.int64)
            bad = rng.binomial(valid, 0.0002)
            hit = np.flatnonzero(outage_day == day)
            for i in hit.tolist():
                m = int(outage_minute[i])
                bad[i, m : m + 20] = valid[i, m : m + 20]
            r, c = np.nonzero(valid)
            rows = pa.table(
                {
                    "sli_id": ids[r],
                    "t": (day * 1440 + c).astype(np.int64),
                    "valid": valid[r, c],
                    "good": valid[r, c] - bad[r, c],
                }
            )
            con.register("bulk_rows", rows)
            con.execute("INSERT INTO counts_1m SELECT sli_id, '', t, valid, good FROM bulk_rows")
            con.unregister("bulk_rows")
        con.execute("CHECKPOINT")
    for i in range(n):
        start = (int(outage_day[i]) * 1440 + int(outage_minute[i])) * 60.0
        incidents.append(Incident(f"svc-{i}", start, start + 1200, (f"slo-{i}",), f"outage-{i}"))
    return incidents


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slos", type=int, default=100)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--events", type=float, default=10.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    spec = slokit.load(spec_text(args.slos))
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        t = time.perf_counter()
        incidents = build(db, args.slos, args.days, args.events)
        print(
            f"built store: {args.slos} SLOs × {args.days + LEAD_DAYS} days in {time.perf_counter() - t:.1f} s"
        )
        end = (END_DAY + 1) * 86400.0
        start = end - args.days * 86400.0
        best: dict[str, float] = {}
        for _ in range(args.repeat):
            with Store.open(db, read_only=True) as store:
                t0 = time.perf_counter()
                slos = alerting_slos(spec)
                names = ("default", "single-1h", "pyrra")
                policies = {k: [fitting_policy(s, BUILTIN[k]) for s in slos] for k in names}
                longest = max(
                    p.history_seconds(period_seconds(slo))
                    for ps in policies.values()
                    for p, slo in zip(ps, slos, strict=True)
                )
                series = load_series(
                    spec, store, slos, math.floor(start / 60) - longest // 60, math.floor(end / 60)
                )
                t1 = time.perf_counter()
                replayed = run_backtest(series, policies, start, end)
                t2 = time.perf_counter()
                scored = run_backtest(series, policies, start, end, incidents)
                t3 = time.perf_counter()
            with Store.open(db) as store:
                evaluator = Evaluator(spec, store)
                t4 = time.perf_counter()
                evaluator.evaluate(end)
                t5 = time.perf_counter()
            runs = {
                "read": t1 - t0,
                "replay": t2 - t1,
                "replay+score": t3 - t2,
                "total": t1 - t0 + t3 - t2,
                "pass": t5 - t4,
            }
            for k, v in runs.items():
                best[k] = min(best.get(k, math.inf), v)
        assert scored.scores is not None
        print(f"{args.slos} SLOs × {args.days} days × {len(names)} policies (best of {args.repeat}):")
        print(f"  read history   {best['read']:.2f} s")
        print(f"  replay         {best['replay']:.2f} s")
        print(f"  replay + score {best['replay+score']:.2f} s")
        print(f"  total          {best['total']:.2f} s  (target ≤ 10 s)")
        print(f"  one evaluator pass over {args.slos} SLOs: {best['pass']:.2f} s")
        for k, sc in scored.scores.items():
            print(f"  {k:10s} alerts={sc.alerts} precision={sc.precision} recall={sc.recall}")
        del replayed


if __name__ == "__main__":
    main()
