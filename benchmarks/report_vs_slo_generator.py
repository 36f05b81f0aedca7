"""``slokit report --source prometheus`` vs slo-generator, 100 SLOs over the same real Prometheus.

Usage::

    .venv/bin/python benchmarks/report_vs_slo_generator.py --slo-generator VENV/bin/slo-generator

slo-generator (``pip install "setuptools<81" "slo-generator[prometheus]"``) must live in its own
virtual environment: its dependencies do not belong in slokit's. Without ``--slo-generator``
only slokit is timed.

What runs, in one process run, against one Prometheus (Debian's, on 127.0.0.1, a free port):

* 31 days of per-minute request counters (10 jobs × codes 200/500) ending at the current
  minute are backfilled with ``promtool tsdb create-blocks-from openmetrics``. The data ends
  "now" because slo-generator's Prometheus backend ignores its ``timestamp`` and always queries
  the engine's current time.
* 100 ratio SLOs (target 0.99) over those counters; each SLO's query carries a harmless
  matcher of its own (``bench!="sNNN"``) so no two SLOs send the same query (no tool can
  answer one SLO from another's cache).
* slo-generator: ``slo-generator compute -f DIR -c shared.yaml`` with an error budget policy of
  4 windows (1h, 6h, 1d, 30d): 100 × 4 × 2 = 800 queries, sent one after another.
* slokit: ``slokit report SPEC --source prometheus --output json`` (30-day rolling SLOs): the SLO
  window plus 7 burn-rate windows (5m … 3d) per SLO, 100 × 8 × 2 = 1600 count queries, batched.

Both are timed as whole CLI runs (interpreter start included), best and median of
``--repeat`` runs, and the ratio printed. The two tools' 30-day SLIs are compared as a sanity
check (they query a few seconds apart, so the last minute may differ).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

N_SLOS = 100
N_JOBS = 10
DAYS = 31
WINDOWS = (("1 hour", 3600), ("6 hours", 21600), ("1 day", 86400), ("30 days", 2592000))
REPO = Path(__file__).resolve().parent.parent


def write_openmetrics(path: Path, end: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    minutes = DAYS * 1440
    start = end - minutes * 60
    with path.open("w", encoding="utf-8") as out:
        out.write("# TYPE requests counter\n")
        for job in range(N_JOBS):
            ok = np.concatenate(([0], np.cumsum(rng.poisson(20 + 5 * job, minutes))))
            bad = np.concatenate(([0], np.cumsum(rng.poisson(0.05 * (job + 1), minutes))))
            ts = start + 60 * np.arange(minutes + 1)
            for code, values in (("200", ok), ("500", bad)):
                prefix = f'requests_total{{job="svc{job}",code="{code}"}} '
                out.write(
                    "".join(f"{prefix}{v} {t}\n" for v, t in zip(values.tolist(), ts.tolist(), strict=True))
                )
        out.write("# EOF\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Prometheus:
    def __init__(self, work: Path, openmetrics: Path) -> None:
        promtool, binary = shutil.which("promtool"), shutil.which("prometheus")
        if promtool is None or binary is None:
            sys.exit("prometheus and promtool are needed (Debian package prometheus)")
        data = work / "tsdb"
        subprocess.run(
            [promtool, "tsdb", "create-blocks-from", "openmetrics", str(openmetrics), str(data)],
            check=True,
            capture_output=True,
        )
        (work / "prometheus.yml").write_text("global:\n  scrape_interval: 1m\n", encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (work / "prometheus.log").open("wb")
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={work / 'prometheus.yml'}",
                f"--storage.tsdb.path={data}",
                "--storage.tsdb.retention.time=400d",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=work,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        sys.exit("prometheus did not become ready")

    def blocks(self) -> int:
        text = httpx.get(f"{self.url}/metrics", timeout=10).text
        for line in text.splitlines():
            if line.startswith("prometheus_tsdb_blocks_loaded "):
                return int(float(line.split()[1]))
        return -1

    def settle(self, quiet: float = 90.0, limit: float = 900.0) -> int:
        """Wait until the backfilled 2-hour blocks are compacted (block count unchanged for ``quiet`` s).

        promtool writes one block per 2 hours; Prometheus merges them into larger blocks in the
        background after it starts, which takes CPU and makes month-long queries touch hundreds
        of blocks. Timing before that ends would measure the compaction, not the tools.
        """
        start = time.monotonic()
        last, since = self.blocks(), time.monotonic()
        while time.monotonic() - start < limit:
            time.sleep(5)
            now = self.blocks()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                break
        return last

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.log.close()


def _matchers(i: int, good: bool) -> str:
    code = ',code!~"5.."' if good else ""
    return f'job="svc{i % N_JOBS}"{code},bench!="s{i:03d}"'


def slokit_spec(path: Path) -> None:
    docs = []
    for i in range(N_SLOS):
        good = f"sum(increase(requests_total{{{_matchers(i, True)}}}[{{{{window}}}}]))"
        total = f"sum(increase(requests_total{{{_matchers(i, False)}}}[{{{{window}}}}]))"
        docs.append(
            f"""apiVersion: openslo/v1
kind: SLO
metadata: {{name: s{i:03d}}}
spec:
  service: svc{i % N_JOBS}
  timeWindow: [{{duration: 30d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: 0.99}}]
  indicator:
    metadata: {{name: s{i:03d}-ok}}
    spec:
      ratioMetric:
        counter: true
        good: {{metricSource: {{type: prometheus, spec: {{query: '{good}'}}}}}}
        total: {{metricSource: {{type: prometheus, spec: {{query: '{total}'}}}}}}
"""
        )
    services = [
        f"apiVersion: openslo/v1\nkind: Service\nmetadata: {{name: svc{j}}}\nspec: {{description: bench}}\n"
        for j in range(N_JOBS)
    ]
    path.write_text("---\n".join(services + docs), encoding="utf-8")


def slo_generator_configs(folder: Path, shared: Path, url: str) -> None:
    folder.mkdir()
    steps = "".join(
        f"      - {{name: {name!r}, burn_rate_threshold: 9, alert: false, message_alert: Page, "
        f"message_ok: OK, window: {seconds}}}\n"
        for name, seconds in WINDOWS
    )
    shared.write_text(
        f"backends:\n  prometheus:\n    url: {url}\nerror_budget_policies:\n  default:\n    steps:\n{steps}",
        encoding="utf-8",
    )
    for i in range(N_SLOS):
        (folder / f"s{i:03d}.yaml").write_text(
            f"""apiVersion: sre.google.com/v2
kind: ServiceLevelObjective
metadata:
  name: s{i:03d}
  labels: {{service_name: svc{i % N_JOBS}, feature_name: api, slo_name: s{i:03d}}}
spec:
  description: bench
  backend: prometheus
  method: good_bad_ratio
  exporters: []
  service_level_indicator:
    filter_good: requests_total{{{_matchers(i, True)}}}
    filter_valid: requests_total{{{_matchers(i, False)}}}
  goal: 0.99
""",
            encoding="utf-8",
        )


def shared_floor(url: str, at: int) -> float:
    """Seconds Prometheus spends on the 30-day good and total counts, sent one after another."""
    took = 0.0
    with httpx.Client(base_url=url, timeout=120) as client:
        for i in range(N_SLOS):
            for good in (True, False):
                query = f"sum(increase(requests_total{{{_matchers(i, good)}}}[30d]))"
                t0 = time.perf_counter()
                client.post("/api/v1/query", data={"query": query, "time": str(at)}).raise_for_status()
                took += time.perf_counter() - t0
    return took


def timed(
    args: list[str], env: dict[str, str] | None = None
) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    return time.perf_counter() - t0, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slo-generator", default=None, help="Path of slo-generator's CLI in its own venv.")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="slokit-bench-") as tmp:
        work = Path(tmp)
        end = int(time.time()) // 60 * 60
        t0 = time.perf_counter()
        write_openmetrics(work / "data.om.txt", end)
        prom = Prometheus(work, work / "data.om.txt")
        print(
            f"backfilled {DAYS} d × {2 * N_JOBS} series per minute and started Prometheus "
            f"in {time.perf_counter() - t0:.1f} s ({prom.blocks()} blocks)"
        )
        t0 = time.perf_counter()
        print(f"compacted to {prom.settle()} blocks in {time.perf_counter() - t0:.0f} s")
        try:
            slokit_spec(work / "slos.yaml")
            slokit_cmd = [
                str(Path(sys.executable).parent / "slokit"),
                "report",
                str(work / "slos.yaml"),
                "--source",
                "prometheus",
                "--prometheus-url",
                prom.url,
                "--output",
                "json",
            ]
            sg_cmd: list[str] | None = None
            env = {**os.environ, "PROMETHEUS_URL": prom.url}
            if args.slo_generator is not None:
                slo_generator_configs(work / "sg", work / "shared.yaml", prom.url)
                sg_cmd = [
                    args.slo_generator,
                    "compute",
                    "-f",
                    str(work / "sg"),
                    "-c",
                    str(work / "shared.yaml"),
                ]
            print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores; other jobs may share them)")
            print(
                f"shared floor: Prometheus evaluating the 200 thirty-day count queries one by one: "
                f"{shared_floor(prom.url, end):.2f} s (both tools send these)"
            )
            # Runs alternate between the tools, so both see the same background load.
            ours: list[float] = []
            theirs: list[float] = []
            report: list[dict[str, object]] = []
            lines: list[str] = []
            for _ in range(args.repeat):
                took, done = timed(slokit_cmd)
                if done.returncode != 0:
                    sys.exit(f"slokit report failed: {done.stderr[-2000:]}")
                report = json.loads(done.stdout)
                ours.append(took)
                if sg_cmd is not None:
                    took, done = timed(sg_cmd, env)
                    if done.returncode != 0:
                        sys.exit(f"slo-generator failed: {done.stderr[-2000:]}")
                    theirs.append(took)
                    lines = [
                        ln
                        for ln in (done.stdout + done.stderr).splitlines()
                        if "30 days" in ln and "SLI:" in ln
                    ]
            print(f"load average after: {os.getloadavg()[0]:.2f}")
            measured = sum(1 for r in report if r["sli"] is not None)
            print(
                f"slokit report: {N_SLOS} SLOs × 8 windows ({measured} measured): "
                f"best {min(ours):.2f} s, median {statistics.median(ours):.2f} s"
            )
            if sg_cmd is None:
                print("slo-generator: not run (pass --slo-generator PATH)")
                return
            print(
                f"slo-generator compute: {N_SLOS} SLOs × {len(WINDOWS)} windows "
                f"({len(lines)} 30-day reports): "
                f"best {min(theirs):.2f} s, median {statistics.median(theirs):.2f} s"
            )
            print(
                f"ratio (slo-generator / slokit, best): {min(theirs) / min(ours):.1f}×; "
                f"median: {statistics.median(theirs) / statistics.median(ours):.1f}×"
            )
            _compare(lines, report)
        finally:
            prom.stop()


def _compare(lines: list[str], report: list[dict[str, object]]) -> None:
    """Largest difference between the two tools' 30-day SLIs (parsed from slo-generator's log)."""
    import re

    ours = {str(r["name"]): r["sli"] for r in report}
    worst = 0.0
    compared = 0
    for line in lines:
        name = re.search(r"\b(s\d{3})\b", line)
        sli = re.search(r"SLI:\s*([0-9.]+)\s*%", line)
        if name and sli and isinstance(ours.get(name.group(1)), float):
            worst = max(worst, abs(float(sli.group(1)) / 100 - float(ours[name.group(1)])))  # type: ignore[arg-type]
            compared += 1
    print(f"30-day SLI, slokit vs slo-generator: {compared} SLOs compared, largest difference {worst:.2e}")


if __name__ == "__main__":
    main()
