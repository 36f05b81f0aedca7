"""Simulator speed: event generation, Parquet and JSON Lines encoding, per platform.

Generates ``--days`` of each example platform (default 3 days, incidents included) chunk by
chunk and reports events per second of CPU time (``time.process_time``, so other processes on
a shared machine do not skew it) and of wall time, for

  1. generation alone (numpy draws to sorted Arrow tables per stream),
  2. encoding those tables as Parquet (zstd) into memory,
  3. encoding them as JSON Lines into memory.

    python benchmarks/simulate_bench.py [--days 3] [--seed 0]
"""

from __future__ import annotations

import argparse
import io
import time

import pyarrow as pa
import pyarrow.parquet as pq

from slokit.simulator import scenario, simulation
from slokit.simulator.files import jsonl_bytes

END_MS = 1_793_491_200_000  # 2026-11-01T00:00:00Z


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    list(simulation(scenario("cnc-quote"), END_MS, days=0.25).batches())  # warm caches and imports
    print(
        f"{'platform':<10} {'events':>11} {'generate M/s cpu (wall)':>24}"
        f" {'parquet M/s':>12} {'jsonl M/s':>10}"
    )
    for name in ("mtogo", "cnc-quote"):
        sim = simulation(scenario(name), END_MS, days=args.days, seed=args.seed)
        cpu, wall = time.process_time(), time.perf_counter()
        batches: list[dict[str, pa.Table]] = list(sim.batches())
        gen_cpu, gen_wall = time.process_time() - cpu, time.perf_counter() - wall
        events = sum(t.num_rows for b in batches for t in b.values())
        cpu = time.process_time()
        for batch in batches:
            for table in batch.values():
                pq.write_table(table, io.BytesIO(), compression="zstd")
        parquet_cpu = time.process_time() - cpu
        cpu = time.process_time()
        for batch in batches:
            for table in batch.values():
                jsonl_bytes(table)
        jsonl_cpu = time.process_time() - cpu
        print(
            f"{name:<10} {events:>11,} {events / gen_cpu / 1e6:>15.2f} ({events / gen_wall / 1e6:.2f})"
            f" {events / parquet_cpu / 1e6:>12.2f} {events / jsonl_cpu / 1e6:>10.2f}"
        )


if __name__ == "__main__":
    main()
