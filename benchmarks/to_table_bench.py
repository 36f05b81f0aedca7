"""Events as dicts → Arrow table (``to_table``), this tree beside an earlier revision's.

``Store.ingest`` and the request path's general decoding convert dict events with
``slokit.sources.events.to_table``. This times it on the same events for the working tree and
for ``slokit/sources/events.py`` as of ``--baseline`` (read with ``git show``, imported as a
module of its own), alternating the two, and prints the best time of each and the ratio.

Two batches: *plain* (text route, integer status, float latency, boolean flag, a nested
record: every column of one type, the usual case) and *mixed* (the same with a route that
is a number in one event in ten, and a nested code that is text in one in ten).

    python benchmarks/to_table_bench.py [--events 200000] [--repeat 5] [--baseline REV]
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from slokit.sources import events as current

ROOT = Path(__file__).resolve().parent.parent


def baseline_module(rev: str) -> Any:
    """``slokit/sources/events.py`` at ``rev``, imported under another name."""
    source = subprocess.run(
        ["git", "show", f"{rev}:slokit/sources/events.py"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    folder = Path(tempfile.mkdtemp())
    path = folder / "events_baseline.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("events_baseline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["events_baseline"] = module
    spec.loader.exec_module(module)
    return module


def make_events(n: int, mixed: bool, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(n):
        route: Any = rng.choice(["/a", "/b", "/orders"])
        code: Any = rng.choice([200, 404, 503])
        if mixed and i % 10 == 0:
            route, code = 200, "timeout"
        out.append(
            {
                "ts": 1_705_708_800 + i,
                "route": route,
                "status": rng.choice([200, 200, 503]),
                "latency_ms": rng.lognormvariate(5.0, 1.0),
                "cached": rng.random() < 0.5,
                "http": {"code": code, "method": "GET"},
            }
        )
    return out


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", default="HEAD", help="git revision of the baseline events.py")
    args = parser.parse_args()
    base = baseline_module(args.baseline)
    for name, mixed in (("plain", False), ("mixed", True)):
        events = make_events(args.events, mixed)
        now_t = base_t = float("inf")
        for _ in range(args.repeat):  # alternated, so both see the same machine noise
            now_t = min(now_t, best(partial(current.to_table, events), 1))
            base_t = min(base_t, best(partial(base.to_table, events), 1))
        print(
            f"{name}: {args.events:,} events  this tree {now_t * 1e3:.1f} ms  "
            f"baseline ({args.baseline}) {base_t * 1e3:.1f} ms  ratio {now_t / base_t:.2f}"
        )


if __name__ == "__main__":
    main()
