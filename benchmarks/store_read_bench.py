"""Reading 1,000 objectives' windows from the store: the numbers an evaluation needs.

Builds a store of ``--slis`` objectives (a share ``--threshold-share`` of them with latency
histograms) holding ``--days`` of per-minute rows, written straight into the store's tables
at every resolution of ``slokit.sources.schema.LEVELS`` (ingest speed is ``ingest_bench.py``'s
subject). Per-minute histogram rows hold ``--buckets`` non-zero buckets, coarser rows more
(growing with the log of their width, as lognormal latencies fill them). The levels' numbers are
random, not sums of each other: this measures read time, not values.

Then, for all objectives at one instant, times the three reads an evaluation makes:

* ``window_counts``: valid/good over the 30-day window (signed runs over the rollups);
* ``window_counts`` again for the 7 burn-rate windows (5m, 30m, 1h, 2h, 6h, 1d, 3d);
* ``window_histograms``: the merged 30-day histogram of every threshold objective (p95).

It also times ``minute_matrix`` over 3 days (dense per-minute rows, which series and charts
read; an evaluation at one instant does not need it).

    python benchmarks/store_read_bench.py [--slis 1000] [--days 30] [--buckets 8]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from slokit.sources.schema import LEVELS
from slokit.sources.store import Store

#: 5m, 30m, 1h, 2h, 6h, 1d, 3d: the default multiwindow burn-rate windows.
BURN_WINDOWS_MINUTES = (5, 30, 60, 120, 360, 1440, 4320)


def build(path: Path, slis: int, days: int, threshold: int, buckets: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    store = Store.open(path)
    store.close()
    con = duckdb.connect(str(path))
    con.execute(
        "INSERT INTO slis SELECT i, 'slo-' || i || '/0', 'slo-' || i, 0, 'bench', "
        "CASE WHEN i <= ? THEN 'threshold' ELSE 'ratio' END, 'fp', 0, 'complete', NULL "
        "FROM range(1, ? + 1) t(i)",
        [threshold, slis],
    )
    end = 29_000_000  # a minute row in 2025, on a day boundary
    start = end - days * 1440
    minutes_n = end - start
    for level, width in LEVELS:
        n_t = max(minutes_n // width, 1)
        t = np.tile(np.arange(start // width, start // width + n_t, dtype=np.int64), slis)
        sli = np.repeat(np.arange(1, slis + 1, dtype=np.int32), n_t)
        valid = rng.integers(50, 150, t.size) * width
        good = valid - rng.binomial(valid, 0.001)
        table = pa.table({"sli_id": sli, "t": t, "valid": valid, "good": good})
        con.register("rows", table)
        con.execute(
            f"INSERT INTO counts_{level} SELECT sli_id, '', t, valid, good FROM rows ORDER BY t, sli_id"
        )
        con.unregister("rows")
        per_row = min(int(buckets * (1 + 2 * np.log2(width))), 600)
        ids = np.arange(1, threshold + 1, dtype=np.int32)
        step = max(1, 1440 // width)  # one day of rows per insert, in time order
        for first in range(start // width, start // width + n_t, step):
            ts = np.arange(first, min(first + step, start // width + n_t), dtype=np.int64)
            h_t = np.repeat(ts, ids.size * per_row)
            h_sli = np.tile(np.repeat(ids, per_row), ts.size)
            h_b = (430 + rng.integers(-per_row, per_row, h_t.size)).astype(np.int16)
            h_n = rng.integers(1, 20, h_t.size) * width
            hist = pa.table({"sli_id": h_sli, "t": h_t, "bucket": h_b, "n": h_n})
            con.register("rows", hist)
            con.execute(f"INSERT INTO hist_{level} SELECT sli_id, '', t, bucket, n FROM rows")
            con.unregister("rows")
    con.execute("CHECKPOINT")
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--slis", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--threshold-share", type=float, default=0.5)
    parser.add_argument("--buckets", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    threshold = int(args.slis * args.threshold_share)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "read.duckdb"
        t0 = time.perf_counter()
        build(path, args.slis, args.days, threshold, args.buckets, args.seed)
        built = time.perf_counter() - t0
        size = os.path.getsize(path)
        store = Store.open(path, read_only=True)
        end = 29_000_000 - 7  # not on an hour boundary: minute edges at both ends
        month = [(f"slo-{i}/0", end - 30 * 1440, end) for i in range(1, args.slis + 1)]
        burn = [(key, end - minutes, end) for key, _, _ in month for minutes in BURN_WINDOWS_MINUTES]
        keys = [k for k, _, _ in month]
        timings: dict[str, float] = {}
        series: dict[str, float] = {}
        for _ in range(args.repeat):
            for name, call in (
                ("window_counts (30 d)", lambda: store.window_counts(month)),
                ("window_counts (7 burn windows)", lambda: store.window_counts(burn)),
                ("window_histograms (30 d)", lambda: store.window_histograms(month[:threshold])),
            ):
                s = time.perf_counter()
                call()
                timings[name] = min(timings.get(name, 1e9), time.perf_counter() - s)
            s = time.perf_counter()
            store.minute_matrix(keys, end - 3 * 1440, end)
            series["minute_matrix (3 d, for series)"] = min(
                series.get("minute_matrix (3 d, for series)", 1e9), time.perf_counter() - s
            )
        hists = store.window_histograms(month[:threshold])
        s = time.perf_counter()
        for h in hists:
            h.quantile(0.95)
        timings["p95 of each histogram"] = time.perf_counter() - s
        store.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"store: {args.slis} objectives ({threshold} with histograms) x {args.days} days, "
        f"{args.buckets} buckets per minute row; built in {built:.1f} s; {size / 2**20:.0f} MiB on disk"
    )
    for name, t in timings.items():
        print(f"  {name:<30} {t:7.3f} s")
    print(
        f"  {'total':<30} {sum(timings.values()):7.3f} s   (issue target for the whole evaluation: <= 0.5 s)"
    )
    for name, t in series.items():
        print(f"  {name:<30} {t:7.3f} s   (not part of an evaluation at one instant)")
    print(f"peak RSS of this process: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
