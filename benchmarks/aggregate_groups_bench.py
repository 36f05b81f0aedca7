"""Grouped aggregation at ingest: the cost of ``groupBy`` beside the same indicators ungrouped.

One core, in memory (no store): a batch of N events over a few hours (``route`` as plain text
and as a dictionary column, ``method`` as a dictionary column, ``status``, ``user`` with many
values, lognormal ``latency_ms``) aggregated for the ingest benchmark's two objectives (a
latency threshold with histogram over ``status < 500``, and availability ``status < 500``),
first ungrouped, then with both grouped by each choice of fields. Prints ms per batch, the
groups emitted, and the ratio to the ungrouped run in the same process.

    python benchmarks/aggregate_groups_bench.py [--events 1000000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable

import numpy as np
import pyarrow as pa
from ingest_bench import NOW, bench_spec  # the ingest benchmark's objectives (a script beside this one)

from slokit.sources.aggregate import Batch, aggregate_all
from slokit.sources.bound import BoundSLI, bound_slis
from slokit.sources.events import timestamps

GROUPINGS: list[tuple[str, ...]] = [
    ("status",),
    ("route_dict",),
    ("route",),
    ("route_dict", "method"),
    ("user",),
]


def best(repeat: int, fn: Callable[[], object]) -> float:
    """Least CPU seconds over ``repeat`` runs (after one warm-up run)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    pa.set_cpu_count(1)
    n = args.events
    rng = np.random.default_rng(1)
    routes = np.array(["/orders", "/menu", "/pay", "/health", "/login"])
    route = routes[rng.integers(0, routes.size, n)]
    table = pa.table(
        {
            "ts": NOW - 86400 + 86400 * np.arange(n) // (10 * n) + rng.integers(-30, 30, n),
            "latency_ms": rng.lognormal(4.5, 0.8, n),
            "status": rng.choice(np.array([200, 201, 404, 500], np.int16), n, p=[0.9, 0.05, 0.04, 0.01]),
            "route": pa.array(route),
            "route_dict": pa.array(route).dictionary_encode(),
            "method": pa.array(np.array(["GET", "POST"])[rng.integers(0, 2, n)]).dictionary_encode(),
            "user": rng.integers(0, 800, n),
        }
    )
    stamps = timestamps(table)
    accepted = np.ones(n, np.bool_)
    bounds = bound_slis(bench_spec())

    def run(chosen: list[BoundSLI]) -> int:
        batch = Batch(table, stamps.minute, accepted, minute_range=stamps.minute_range)
        return len(aggregate_all(batch, chosen))

    plain = best(args.repeat, lambda: run(bounds))
    print(f"{n:,} events, 2 objectives, CPU ms per batch (best of {args.repeat}), one core")
    print(f"  {'group by':28} {'ms':>8} {'series':>7} {'x ungrouped':>12}")
    print(f"  {'(ungrouped)':28} {plain * 1e3:8.2f} {run(bounds):7d} {1.0:12.2f}")
    for fields in GROUPINGS:
        grouped = [dataclasses.replace(b, group_by=fields) for b in bounds]
        seconds = best(args.repeat, lambda g=grouped: run(g))  # type: ignore[misc]
        print(f"  {', '.join(fields):28} {seconds * 1e3:8.2f} {run(grouped):7d} {seconds / plain:12.2f}")


if __name__ == "__main__":
    main()
