"""Loading and validating specs: the bundled examples, and a generated spec of many SLOs.

    python benchmarks/load_bench.py [--slos 1000] [--repeat 5]

Prints the best of ``--repeat`` wall times for (1) ``slokit.load("examples")`` and (2) a
generated multi-document file of ``--slos`` SLOs with ``type: slokit`` bindings (every predicate
parsed), plus that file's size.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import slokit

SLO = """\
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: slo-{i}
  labels: {{team: team-{team}}}
spec:
  service: svc-{team}
  indicator:
    metadata: {{name: sli-{i}}}
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: slokit
            spec: {{stream: s{team}, where: "route = '/r{i}' AND status < 500"}}
        total:
          metricSource:
            type: slokit
            spec: {{stream: s{team}, where: "route = '/r{i}'"}}
  timeWindow: [{{duration: 28d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{targetPercent: 99.9}}]
"""


def best(repeat: int, fn: object) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slos", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    examples = Path(__file__).resolve().parent.parent / "examples"
    if examples.is_dir():
        n = len(slokit.load(examples))
        print(f"examples/: {n} SLOs, best {best(args.repeat, lambda: slokit.load(examples)) * 1000:.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "many.yaml"
        path.write_text("".join(SLO.format(i=i, team=i % 17) for i in range(args.slos)))
        size = path.stat().st_size
        seconds = best(args.repeat, lambda: slokit.load(path))
        print(f"generated: {args.slos} SLOs, {size / 1024:.0f} KiB, best {seconds * 1000:.1f} ms")


if __name__ == "__main__":
    main()
