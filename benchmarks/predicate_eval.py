"""Predicate evaluation speed on one core, side by side with a bare numpy comparison.

    .venv/bin/python benchmarks/predicate_eval.py [--rows 1000000] [--repeat 7]

Target (issue 3): >= 20 M events/s for simple predicates on a 1M-row table. The numpy line is
the floor of what any evaluator can do on the same column (one vectorized comparison, no
nulls, no type checks); the ratio says how much of that the evaluator keeps.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slokit.sources.predicate_eval import EventBatch, evaluate
from slokit.spec.predicate import parse_predicate


def best_seconds(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm up (first-call dispatch, page faults)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)

    rng = np.random.default_rng(7)
    n = args.rows
    status = rng.choice(
        np.array([200, 201, 204, 404, 500, 503]), size=n, p=[0.8, 0.05, 0.05, 0.05, 0.03, 0.02]
    )
    latency = rng.lognormal(mean=5.0, sigma=0.6, size=n)
    routes = np.array(["/orders", "/orders/{id}", "/menu", "/health", "/payments"])
    route_codes = rng.integers(0, len(routes), size=n)
    status_with_nulls = pa.array(status, mask=rng.random(n) < 0.01)
    table = pa.table(
        {
            "status": pa.array(status),
            "status_n": status_with_nulls,
            "latency_ms": pa.array(latency),
            "route": pa.array(routes[route_codes]),
        }
    )
    batch = EventBatch(table)
    route_np = routes[route_codes]

    cases: list[tuple[str, Callable[[], object] | None]] = [
        ("status < 500", lambda: status < 500),
        ("status_n < 500", lambda: status < 500),
        ("latency_ms <= 400.0", lambda: latency <= 400.0),
        ("latency_ms BETWEEN 100 AND 400", lambda: (latency >= 100) & (latency <= 400)),
        ("status IN (200, 201, 204)", lambda: np.isin(status, [200, 201, 204])),
        ("route = '/orders'", lambda: route_np == "/orders"),
        ("route = '/orders' AND status < 500", lambda: (route_np == "/orders") & (status < 500)),
        ("route LIKE '/orders%' AND NOT status >= 500", None),
        ("status IS NULL OR status_n IS NULL", None),
    ]
    print(f"{n:,} rows, one core, best of {args.repeat}")
    print(f"{'predicate':45} {'slokit M ev/s':>14} {'numpy M ev/s':>13} {'ratio':>6}")
    for text, baseline in cases:
        predicate = parse_predicate(text)
        ours = best_seconds(lambda p=predicate: evaluate(p, batch), args.repeat)  # type: ignore[misc]
        ours_rate = n / ours / 1e6
        if baseline is None:
            print(f"{text:45} {ours_rate:14.1f} {'-':>13} {'-':>6}")
            continue
        bare = best_seconds(baseline, args.repeat)
        bare_rate = n / bare / 1e6
        print(f"{text:45} {ours_rate:14.1f} {bare_rate:13.1f} {ours_rate / bare_rate:6.2f}")
    fresh = best_seconds(lambda: evaluate(parse_predicate("status < 500"), table), args.repeat)
    print(f"{'status < 500 (new EventBatch each call)':45} {n / fresh / 1e6:14.1f}")
    text_conditions(table, args.repeat)


def text_conditions(table: pa.Table, repeat: int) -> None:
    """Text conditions as ingest meets them: a fresh EventBatch per batch, the route column as
    plain text (JSON, CSV) or as a dictionary (Parquet written from dictionary columns).

    Text conditions are evaluated once per distinct value and looked up per event when the
    column is a dictionary, or when it is plain text marked for encoding (several conditions
    read it); "decoded" is the dictionary column cast to text first, as the evaluator did
    before it read dictionaries (the baseline of the dictionary rows).
    """
    n = table.num_rows
    route = table.column("route")
    as_dictionary = table.set_column(table.column_names.index("route"), "route", route.dictionary_encode())
    one = [parse_predicate("route = '/orders'")]
    three = [
        parse_predicate(text)
        for text in ("route = '/orders'", "route IN ('/menu', '/health')", "route LIKE '/pay%'")
    ]

    def run(source: pa.Table, predicates: list[Any], mark: bool, decode: bool = False) -> None:
        if decode:
            source = source.set_column(
                source.column_names.index("route"), "route", pc.cast(source.column("route"), pa.string())
            )
        batch = EventBatch(source)
        if mark:
            batch.encode(["route"])
        for predicate in predicates:
            evaluate(predicate, batch)

    rows = [
        ("1 condition, plain text", table, one, False, False),
        ("1 condition, dictionary column, decoded", as_dictionary, one, False, True),
        ("1 condition, dictionary column", as_dictionary, one, False, False),
        ("3 conditions, plain text", table, three, False, False),
        ("3 conditions, plain text marked for encoding", table, three, True, False),
        ("3 conditions, dictionary column, decoded", as_dictionary, three, False, True),
        ("3 conditions, dictionary column", as_dictionary, three, False, False),
    ]
    print(f"\ntext conditions per batch (fresh EventBatch, {n:,} rows)  ms   M ev/s")
    for name, source, predicates, mark, decode in rows:
        seconds = best_seconds(lambda: run(source, predicates, mark, decode), repeat)  # noqa: B023
        print(f"  {name:45} {seconds * 1e3:7.2f} {n / seconds / 1e6:8.1f}")


if __name__ == "__main__":
    main()
