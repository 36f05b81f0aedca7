"""Histogram build speed and percentile error over lognormal latencies, side by side.

Runs, in one process on one core:
  1. slokit's LogHistogram.from_values (log, bucket index, reject/clamp, bincount),
  2. a bare ``np.bincount`` of bucket indices computed beforehand (the floor for step 1's last
     stage), and
  3. exact quantiles with ``np.quantile(method="inverted_cdf")`` (sorting),
then prints values per second, the ratios, and the relative error of p50 … p99.9 against the
exact values (issue 3's target: ≤ 1 %).

    python benchmarks/histogram_bench.py [--values 10000000] [--repeat 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from slokit.engine.histogram import DEFAULT_LAYOUT, LogHistogram

QS = (0.5, 0.9, 0.95, 0.99, 0.999)


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--values", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    # Latencies in ms: median ~ 55 ms, long right tail (p99.9 ~ 2 s).
    values = rng.lognormal(mean=4.0, sigma=1.2, size=args.values)
    n = values.size
    lay = DEFAULT_LAYOUT
    indices = (np.ceil(np.log(values) / lay.log_gamma) - lay.min_index).astype(np.intp)
    np.clip(indices, 0, lay.n_buckets - 1, out=indices)

    t_hist = best_of(args.repeat, lambda: LogHistogram.from_values(values))
    t_bincount = best_of(args.repeat, lambda: np.bincount(indices, minlength=lay.n_buckets))
    t_exact = best_of(1, lambda: np.quantile(values, QS, method="inverted_cdf"))

    hist = LogHistogram.from_values(values)
    exact = np.quantile(values, QS, method="inverted_cdf")
    est = hist.quantiles(QS)
    t_query = best_of(args.repeat, lambda: hist.quantiles(QS))

    print(f"values: {n:,} lognormal(4, 1.2) ms; layout {lay.n_buckets} buckets, a = {lay.relative_accuracy}")
    print(f"{'method':<38}{'seconds':>10}{'M values/s':>14}")
    for name, secs in (
        ("LogHistogram.from_values", t_hist),
        ("bare np.bincount of precomputed index", t_bincount),
        ("np.quantile exact (inverted_cdf)", t_exact),
    ):
        print(f"{name:<38}{secs:>10.4f}{n / secs / 1e6:>14.1f}")
    print(f"ratio histogram / bare bincount speed: {t_bincount / t_hist:.2f}")
    print(f"ratio histogram / exact quantile speed: {t_exact / t_hist:.2f}")
    print(f"quantile query on the built histogram: {t_query * 1e6:.0f} µs")
    print(
        f"serialized size: {len(hist.to_bytes())} bytes for {np.count_nonzero(hist.counts)} non-empty buckets"
    )
    print(f"{'quantile':<10}{'exact':>14}{'histogram':>14}{'rel. error':>12}")
    worst = 0.0
    for q, e, h in zip(QS, exact, est, strict=True):
        err = abs(h / e - 1)
        worst = max(worst, err)
        print(f"p{q * 100:<9g}{e:>14.4f}{h:>14.4f}{err:>11.3%}")
    verdict = "ok" if worst <= lay.relative_accuracy else "FAIL"
    print(f"worst relative error: {worst:.3%} (bound {lay.relative_accuracy:.0%}): {verdict}")


if __name__ == "__main__":
    main()
