"""Evaluating 1,000 SLOs from a 30-day store: time, peak memory, bytes on disk, vs a naive baseline.

Setup: a spec of N Occurrences SLOs over a 30-day rolling window (half ratio indicators, half
latency thresholds), each on its own stream, and a store holding D days of per-minute
aggregates (valid, good, and for thresholds a log-bucket histogram) with their rollups at every
level of ``slokit.sources.schema.LEVELS``. The rows are **written in bulk straight into the
store's tables** (Arrow tables appended through the store's DuckDB connection, one day at a
time, in time order as ingest would append them; rows of levels longer than a day are summed
over the whole build and written once, as ``Store.compact`` would leave them), because
ingesting N × D × 1440 × E events through ``Store.ingest`` would take far longer than the
evaluation being measured. The synthetic events are drawn with numpy: E events per minute per
indicator (Poisson), 0.1 % errors, lognormal latencies (median 120, σ 0.5); good counts of
threshold indicators are counted from the same values as their histograms, so the two agree
exactly.

The SLOs are evaluated ``--offset`` minutes before the end of the last day (default 623, i.e.
13:37 UTC: the windows cut through days and hours, the usual case; ``--offset 0`` is a day
boundary, where a 30-day window is whole days, the best case for the rollups).

Measured, each in a fresh child process (so peak RSS, the VmHWM of /proc/self/status, is that of
opening the store and evaluating, not of building it):

* ``evaluate_all``: all N SLOs × (SLO window + 7 burn windows) + p50…p99.9 for thresholds;
* naive baseline: the same numbers with one store query per SLO per window (and one histogram
  query per threshold SLO), the way a loop over SLOs calling a point function would read them.

Usage: ``python benchmarks/evaluate_bench.py [--slis 1000] [--days 30] [--events 10] [--dir DIR]``
(``--dir`` keeps the store for later runs; it is rebuilt when its parameters differ).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

import slokit
from slokit.engine.histogram import DEFAULT_LAYOUT
from slokit.sources.schema import LEVELS, SCHEMA_VERSION
from slokit.sources.status import PERCENTILES, burn_windows, evaluate_all
from slokit.sources.store import Store
from slokit.spec.model import Spec

AT_DAY = 20_000  # evaluation at the end of this UTC day (epoch days), 2024-10-04


def spec_text(n: int) -> str:
    docs = []
    for i in range(n):
        if i % 2 == 0:
            sli = (
                "ratioMetric: {counter: true, "
                f"good: {{metricSource: {{type: slokit, spec: {{stream: s{i}, where: 'ok = true'}}}}}}, "
                f"total: {{metricSource: {{type: slokit, spec: {{stream: s{i}}}}}}}}}"
            )
            objective = "{target: 0.999}"
        else:
            sli = f"thresholdMetric: {{metricSource: {{type: slokit, spec: {{stream: s{i}, value: ms}}}}}}"
            objective = "{target: 0.95, op: lt, value: 300}"
        docs.append(
            f"""apiVersion: openslo/v1
kind: SLO
metadata: {{name: slo-{i}}}
spec:
  service: svc-{i % 50}
  timeWindow: [{{duration: 30d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{objective}]
  indicator:
    metadata: {{name: sli-{i}}}
    spec: {{{sli}}}
"""
        )
    return "---\n".join(docs)


def _append(con: Any, table: str, sli: np.ndarray, t: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """Bulk-append rows (sli_id, '', t, a, b) to one of the store's count or histogram tables."""
    second = ("bucket", "n") if table.startswith("hist") else ("valid", "good")
    a_type = np.int16 if second[0] == "bucket" else np.int64
    rows = pa.table(
        {
            "sli_id": sli.astype(np.int32),
            "t": t.astype(np.int64),
            "a": a.astype(a_type),
            "b": b.astype(np.int64),
        }
    )
    con.register("_bulk", rows)
    try:
        con.execute(f"INSERT INTO {table} SELECT sli_id, t, a, b FROM _bulk")
    finally:
        con.unregister("_bulk")


def _cells(keys: np.ndarray, counts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    uniq, inverse = np.unique(keys, return_inverse=True)
    return uniq, np.bincount(inverse, weights=counts).astype(np.int64)


def build_store(path: Path, spec: Spec, n: int, days: int, events: float, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    with Store.open(path) as store:
        store.register(spec)
        ids = np.array([store.sli_id(f"slo-{i}/0") for i in range(n)], np.int64)
        threshold = np.flatnonzero(np.arange(n) % 2 == 1)
        con = store.connection
        # Rows of levels longer than a day, summed over the whole build: (sli, t, a, b) parts.
        long_rows: dict[str, list[tuple[np.ndarray, ...]]] = {}
        for day in range(AT_DAY - days + 1, AT_DAY + 1):
            m0 = day * 1440
            valid = rng.poisson(events, size=(n, 1440)).astype(np.int64)
            good = valid - rng.binomial(valid, 0.001)
            # Threshold indicators, a few at a time to bound memory: values per event, histogram
            # cells, and good counts from the same values.
            for lo in range(0, threshold.size, CHUNK):
                rows = threshold[lo : lo + CHUNK]
                good[rows] = _histograms(con, rng, ids[rows], valid[rows], m0, long_rows)
            r, c = np.nonzero(valid)
            sli_c, minute_c = ids[r], m0 + c
            v_c, g_c = valid[r, c], good[r, c]
            _append(con, "counts_1m", sli_c, minute_c, v_c, g_c)
            for level, width in LEVELS[1:]:
                k, vs = _cells(sli_c * 2**32 + minute_c // width, v_c.astype(np.float64))
                _, gs = _cells(sli_c * 2**32 + minute_c // width, g_c.astype(np.float64))
                part = (k >> 32, k & (2**32 - 1), vs, gs)
                if width > 1440:
                    long_rows.setdefault(f"counts_{level}", []).append(part)
                else:
                    _append(con, f"counts_{level}", *part)
        for table, parts in long_rows.items():
            sli, t, a, b = (np.concatenate(col) for col in zip(*parts, strict=True))
            if table.startswith("hist"):
                k, b = _cells((sli * 2**32 + t) * 2048 + a, b.astype(np.float64))
                base = k // 2048
                _append(con, table, base >> 32, base & (2**32 - 1), k % 2048, b)
            else:
                k, a2 = _cells(sli * 2**32 + t, a.astype(np.float64))
                _, b2 = _cells(sli * 2**32 + t, b.astype(np.float64))
                _append(con, table, k >> 32, k & (2**32 - 1), a2, b2)
        con.execute("CHECKPOINT")


#: Threshold indicators generated together (bounds the builder's memory at high event rates).
CHUNK = 50


def _histograms(
    con: Any,
    rng: np.random.Generator,
    ids: np.ndarray,
    valid: np.ndarray,
    m0: int,
    long_rows: dict[str, list[tuple[np.ndarray, ...]]],
) -> np.ndarray:
    """Append one day of histogram rows (all levels) for some indicators; their good counts."""
    lay = DEFAULT_LAYOUT
    owner = np.repeat(np.arange(valid.size, dtype=np.int64), valid.ravel())  # flat (indicator, minute)
    values = rng.lognormal(math.log(120.0), 0.5, owner.size)
    good = np.bincount(owner, weights=values < 300.0, minlength=valid.size).astype(np.int64)
    index = np.clip(np.ceil(np.log(values) / lay.log_gamma), lay.min_index, lay.max_index).astype(np.int64)
    key, cnt = _cells(owner * 2048 + (index - lay.min_index + 1))
    flat, code = key // 2048, key % 2048
    sli, minute = ids[flat // 1440], m0 + flat % 1440
    _append(con, "hist_1m", sli, minute, code, cnt)
    for level, width in LEVELS[1:]:
        hk, hn = _cells((sli * 2**32 + minute // width) * 2048 + code, cnt.astype(np.float64))
        base = hk // 2048
        part = (base >> 32, base & (2**32 - 1), hk % 2048, hn)
        if width > 1440:
            long_rows.setdefault(f"hist_{level}", []).append(part)
        else:
            _append(con, f"hist_{level}", *part)
    return good.reshape(valid.shape)


def naive(spec: Spec, store: Store, at: int) -> int:
    """One window_counts query per SLO per window, one histogram query per threshold SLO."""
    queries = 0
    t_row = at // 60
    for slo in spec:
        key = f"{slo.name}/0"
        windows = [slo.time_window.duration.seconds, *burn_windows(slo)]
        sums = []
        for w in windows:
            sums.append(store.window_counts([(key, (at - w) // 60, t_row)]))
            queries += 1
        if slo.objectives[0].op is not None:
            (h,) = store.window_histograms([(key, (at - windows[0]) // 60, t_row)])
            h.quantiles([q for _, q in PERCENTILES])
            queries += 1
    return queries


def child(store_path: str, spec_path: str, mode: str, repeat: int, offset: int) -> None:
    spec = slokit.load(Path(spec_path))
    at = (AT_DAY + 1) * 86400 - offset * 60
    times = []
    extra: dict[str, Any] = {}
    with Store.open(store_path, read_only=True) as store:
        for _ in range(repeat):
            start = time.perf_counter()
            if mode == "fast":
                states = evaluate_all(spec, store, at)
                extra["with_data"] = sum(s.status != "no data" for s in states)
                extra["p95_sample"] = next(s.percentiles["p95"] for s in states if s.percentiles)
            else:
                extra["queries"] = naive(spec, store, at)
            times.append(time.perf_counter() - start)
    print(json.dumps({"times": times, "rss": peak_rss(), **extra}))


def peak_rss() -> int:
    """Peak resident memory of this process in bytes.

    ``getrusage``'s ``ru_maxrss`` survives ``fork`` + ``exec`` on Linux: a child started by a
    parent that once held 4 GB (building the store) reports at least 4 GB. So the high-water mark
    of the process's own memory map (``VmHWM``, reset at exec) is used where /proc has it, and
    ``ru_maxrss`` elsewhere.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def run_child(store: Path, spec: Path, mode: str, repeat: int, offset: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            mode,
            "--store",
            str(store),
            "--spec",
            str(spec),
            "--repeat",
            str(repeat),
            "--offset",
            str(offset),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slis", type=int, default=1000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--events", type=float, default=10.0, help="events per minute per indicator")
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--offset",
        type=int,
        default=623,
        help="evaluate this many minutes before the end of the last day (0: on a day boundary, "
        "where a 30-day window is whole days; the default cuts through days and hours)",
    )
    ap.add_argument("--child", choices=("fast", "naive"))
    ap.add_argument("--store")
    ap.add_argument("--spec")
    args = ap.parse_args()
    if args.child:
        child(args.store, args.spec, args.child, args.repeat, args.offset)
        return
    tmp = None
    folder = args.dir
    if folder is None:
        tmp = tempfile.mkdtemp(prefix="slokit-eval-bench-")
        folder = Path(tmp)
    folder.mkdir(parents=True, exist_ok=True)
    tag = f"{args.slis}x{args.days}d@{args.events:g}-schema{SCHEMA_VERSION}"
    store_path, spec_path = folder / f"store-{tag}.duckdb", folder / f"spec-{args.slis}.yaml"
    try:
        spec_path.write_text(spec_text(args.slis))
        spec = slokit.load(spec_path)
        if not store_path.exists():
            start = time.perf_counter()
            build_store(store_path, spec, args.slis, args.days, args.events)
            print(f"built the store in {time.perf_counter() - start:.1f} s (bulk rows, see the docstring)")
        size = store_path.stat().st_size
        fast = run_child(store_path, spec_path, "fast", args.repeat, args.offset)
        slow = run_child(store_path, spec_path, "naive", 1, args.offset)
        print(
            f"{args.slis} SLOs (30-day rolling, 8 windows each, p50..p99.9 on {args.slis // 2} thresholds), "
            f"{args.days} days of per-minute rows, {args.events:g} events/min/indicator; evaluated "
            f"{args.offset} min before the end of the last day"
        )
        print(f"store on disk: {size / 2**20:,.0f} MiB ({size:,} bytes)")
        times = fast["times"]
        median = float(np.median(times))
        print(
            f"evaluate_all: best {min(times):.3f} s, median {median:.3f} s, first {times[0]:.3f} s "
            f"of {len(times)} runs (target 0.5 s); SLOs with data {fast['with_data']}, "
            f"a p95 {fast['p95_sample']:.1f}"
        )
        print(f"peak RSS opening the store + evaluating: {fast['rss'] / 2**20:,.0f} MiB (target <= 2048 MiB)")
        naive_t = slow["times"][0]
        print(
            f"naive baseline ({slow['queries']:,} queries): {naive_t:.3f} s, "
            f"peak RSS {slow['rss'] / 2**20:,.0f} MiB"
        )
        print(f"speed-up of evaluate_all (median) over the naive baseline: {naive_t / median:.1f}x")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        elif os.environ.get("SLOKIT_BENCH_CLEAN"):
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
