"""Read side of ``slokit serve``: the overview of 1,000 SLOs and one SLO's 30-day history, over HTTP.

Builds a spec of ``--slos`` SLOs over 10 streams (each SLO its own predicate on a ``route``
field, 28-day rolling windows, 99.9 %), ingests ``--days`` of events (``--per-minute`` per stream
and minute) into a fresh store, starts ``slokit serve`` (uvicorn, one worker, evaluator off) on
127.0.0.1 and times, median of ``--repeat`` requests each:

* ``GET /api/v1/slos``: every SLO's state (the dashboard overview's only request); a one-event
  batch is ingested before each repeat so the server's overview cache cannot answer (as under
  live ingest); ``--cached`` measures the cached answer instead;
* ``GET /api/v1/slos/{name}/history?from=now-30d&step=1h``: the SLO page's 30-day chart.

    python benchmarks/server_read_bench.py [--slos 1000] [--days 30] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa

STREAMS = 10


def spec_text(n: int) -> str:
    docs = ["apiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: bench\nspec:\n  description: bench\n"]
    for i in range(n):
        stream, route = i % STREAMS, i // STREAMS
        docs.append(
            f"""apiVersion: openslo/v1
kind: SLO
metadata:
  name: slo-{i:04d}
spec:
  service: bench
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 28d
      isRolling: true
  objectives:
    - target: 0.999
  indicator:
    metadata:
      name: sli-{i:04d}
    spec:
      ratioMetric:
        good:
          metricSource:
            type: slokit
            spec:
              stream: s{stream}
              where: status < 500
        total:
          metricSource:
            type: slokit
            spec:
              stream: s{stream}
              where: route = {route}
"""
        )
    return "---\n".join(docs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slos", type=int, default=1000)
    ap.add_argument("--days", type=float, default=30)
    ap.add_argument("--per-minute", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument(
        "--cached", dest="uncached", action="store_false", help="let repeated overviews hit the cache"
    )
    args = ap.parse_args()
    from slokit.sources.store import Store
    from slokit.spec.loader import load

    routes = max(args.slos // STREAMS, 1)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        spec_path = d / "bench.yaml"
        spec_path.write_text(spec_text(args.slos))
        spec = load(spec_path)
        store_path = d / "bench.duckdb"
        now = int(time.time()) // 60 * 60
        minutes = int(args.days * 1440)
        rng = np.random.default_rng(1)
        t0 = time.perf_counter()
        n = 0
        with Store.open(store_path, lateness_seconds=None) as store:
            for day in range(0, minutes, 1440):
                span = min(1440, minutes - day)
                size = span * args.per_minute
                ts = now - (minutes - day) * 60 + rng.integers(0, span * 60, size)
                for s in range(STREAMS):
                    table = pa.table(
                        {
                            "ts": ts,
                            "route": rng.integers(0, routes, size),
                            "status": np.where(rng.random(size) < 0.0008, 503, 200),
                        }
                    )
                    store.ingest(f"s{s}", table, spec=spec)
                    n += size
        print(f"{args.slos} SLOs, {n:,} events, {args.days:g} days: ingest {time.perf_counter() - t0:.0f} s")
        with socket.socket() as sk:
            sk.bind(("127.0.0.1", 0))
            port = sk.getsockname()[1]
        env = {**os.environ, "SLOKIT_API_TOKEN": "bench"}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "slokit.cli.main",
                "serve",
                "--spec",
                str(spec_path),
                "--store",
                str(store_path),
                "--port",
                str(port),
                "--eval-interval",
                "1d",
            ],
            env=env,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            with httpx.Client(base_url=url, timeout=60) as c:
                for name, path in (
                    ("overview /api/v1/slos", "/api/v1/slos"),
                    ("history 30 d, 1 h step", "/api/v1/slos/slo-0000/history?from=now-30d&step=1h"),
                ):
                    times = []
                    for i in range(args.repeat):
                        if i and path == "/api/v1/slos" and args.uncached:
                            # A one-event batch makes the cached overview stale, as live ingest does.
                            c.post(
                                "/api/v1/streams/s0/events",
                                json=[{"ts": int(time.time()) - 1, "route": 0, "status": 200}],
                                headers={"Authorization": "Bearer bench"},
                            )
                        t = time.perf_counter()
                        r = c.get(path)
                        times.append(time.perf_counter() - t)
                        assert r.status_code == 200, r.text
                    print(
                        f"{name:>24}: median {statistics.median(times) * 1000:7.1f} ms, "
                        f"min {min(times) * 1000:7.1f} ms, {len(r.content) / 1024:.0f} KiB"
                    )
        finally:
            proc.terminate()
            proc.wait(20)


if __name__ == "__main__":
    main()
