"""Peak memory of ``slokit ingest`` on a large compressed file, and its cost beside plain text.

The promise measured: a compressed event file streams through bounded memory (it is never
read or decompressed whole), so peak RSS does not grow with the file. Two steps, so only the
measurement holds the shared benchmark lock:

  1. ``--generate DIR``: writes ``events-small.jsonl(.gz)`` and ``events.jsonl(.gz)``
     (JSON Lines, about 115 bytes an event, timestamps spread over the last 40 hours so the
     default 48 h lateness accepts them; gzip level 1), of ``--mb`` and ``--mb / 4`` MB of
     text;
  2. ``--measure DIR``: runs ``slokit ingest`` (a separate process each, fresh store, a spec
     with one threshold objective with histogram and one ratio objective) on the small and the
     large gzip file and on the large plain file, and prints wall time, MB/s of decoded text
     and each child's peak RSS (``ru_maxrss``).

    python benchmarks/ingest_compressed_bench.py --generate /tmp/big --mb 1100
    flock LOCK taskset -c 0 python benchmarks/ingest_compressed_bench.py --measure /tmp/big \\
        --files events.jsonl.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SPEC = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: latency
spec:
  service: api
  indicator:
    metadata:
      name: latency-sli
    spec:
      thresholdMetric:
        metricSource:
          type: slokit
          spec:
            stream: web
            where: "status < 500"
            value: latency_ms
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - op: lt
      value: 400
      target: 0.99
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
spec:
  service: api
  indicator:
    metadata:
      name: availability-sli
    spec:
      ratioMetric:
        counter: false
        good:
          metricSource:
            type: slokit
            spec:
              stream: web
              where: "status < 500"
        total:
          metricSource:
            type: slokit
            spec:
              stream: web
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
"""

ROUTES = ("/orders", "/menu", "/checkout", "/search")


def generate(folder: Path, megabytes: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    now = int(time.time())
    for name, size in (("events-small", megabytes // 4), ("events", megabytes)):
        target = size << 20
        rng = np.random.default_rng(1)
        written = 0
        start = now - 40 * 3600
        step = 40 * 3600 / (target / 90)  # lines are 90-120 bytes: never later than now
        i = 0
        with (
            open(folder / f"{name}.jsonl", "wb") as plain,
            gzip.open(folder / f"{name}.jsonl.gz", "wb", 1) as gz,
        ):
            while written < target:
                per_batch = int(min(200_000, (target - written) / 90 + 1))
                ts = np.minimum(start + (i + np.arange(per_batch)) * step, now - 60).astype(np.int64)
                status = rng.choice([200, 200, 200, 201, 404, 503], per_batch)
                latency = np.round(rng.lognormal(5.0, 0.8, per_batch), 2)
                route = rng.integers(0, len(ROUTES), per_batch)
                text = "".join(
                    f'{{"ts": {t}, "route": "{ROUTES[r]}", "status": {s}, "latency_ms": {v}, '
                    f'"host": "web-{r}{s % 7}.example"}}\n'
                    for t, r, s, v in zip(
                        ts.tolist(), route.tolist(), status.tolist(), latency.tolist(), strict=True
                    )
                ).encode()
                plain.write(text)
                gz.write(text)
                written += len(text)
                i += per_batch
        print(
            f"{name}: {written / 1e6:.0f} MB of text, {i:,} events, "
            f"gzip {(folder / f'{name}.jsonl.gz').stat().st_size / 1e6:.0f} MB"
        )


def run(path: Path, spec: Path, work: Path) -> tuple[float, int, str]:
    """Wall time and the child's own peak RSS in KiB (``wait4`` gives one child's usage)."""
    store = work / f"{path.name}.duckdb"
    out = work / f"{path.name}.json"
    command = [sys.executable, "-c", "from slokit.cli.main import cli; cli()", "ingest", str(path)]
    command += ["--stream", "web", "--store", str(store), "--spec", str(spec), "--output", "json"]
    started = time.perf_counter()
    with open(out, "w") as stdout:
        child = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"ingest of {path} failed (status {status})")
    summary = json.loads(out.read_text())
    return wall, usage.ru_maxrss, f"{summary['accepted']:,} events accepted, {summary['batches']} batches"


def measure(folder: Path, names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        spec = work / "spec.yaml"
        spec.write_text(SPEC)
        for name in names:
            path = folder / name
            text_bytes = (folder / name.removesuffix(".gz")).stat().st_size
            wall, peak, note = run(path, spec, work)
            print(
                f"{name:22} {path.stat().st_size / 1e6:6.0f} MB on disk, {text_bytes / 1e6:5.0f} MB text: "
                f"{wall:5.1f} s, {text_bytes / 1e6 / wall:5.1f} MB/s of text, "
                f"peak RSS {peak / 1024:5.0f} MiB; {note}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--generate", type=Path, help="write the event files into this folder")
    parser.add_argument("--mb", type=int, default=1100, help="MB of text in the large file")
    parser.add_argument("--measure", type=Path, help="ingest the files in this folder")
    parser.add_argument(
        "--files",
        nargs="+",
        default=["events-small.jsonl.gz", "events.jsonl.gz", "events.jsonl"],
        help="which files to ingest (one per run keeps each run under the lock short)",
    )
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.mb)
    if args.measure:
        print(f"python {sys.version.split()[0]}, pid {os.getpid()}")
        measure(args.measure, args.files)
    if not (args.generate or args.measure):
        parser.error("give --generate DIR and/or --measure DIR")


if __name__ == "__main__":
    main()
