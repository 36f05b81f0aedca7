"""``slokit report --source prometheus`` vs slo-generator, 100 SLOs over the same real Prometheus.

Usage::

    .venv/bin/python benchmarks/report_vs_slo_generator.py --slo-generator VENV/bin/slo-generator \
        --cpus 0 --lock LOCKFILE

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
  4 windows (1h, 6h, 1d, 30d): 100 × 4 × 2 = 800 count queries, sent one after another.
* slokit, 4 windows: ``slokit report SPEC --source prometheus --windows 1h,6h,1d --output json``
  (30-day rolling SLOs: the SLO window plus the 1h, 6h and 1d burn windows, the same 4 windows
  and 800 count queries).
* slokit, default windows: the same without ``--windows``: the SLO window plus 7 burn windows
  (5m … 3d), 1600 count queries.

All three are timed as whole CLI runs (interpreter start included), alternating, best and
median of ``--repeat`` runs, with the ratios. For each run the benchmark also records where the
time went: the tool's own CPU seconds (user + system of the child process), Prometheus' CPU
seconds (from ``/proc``, so its query evaluation) and the number of query API requests
Prometheus served; a last row times the interpreter start and imports of slokit's report path
alone, the part of slokit's CPU that no query work can remove. Besides wall-clock ratios it
prints the ratio of CPU seconds (tool + Prometheus): on a loaded machine wall time also counts
other people's work, CPU seconds do not. ``--rounds N --pause S`` repeats the timed part N
times, S seconds apart (one setup). The two tools' 30-day SLIs are compared as a sanity check
(they query a few seconds apart, so the last minute may differ).

On a shared machine: ``--cpus 0`` pins this script, both tools and Prometheus to CPU 0 (so
they compete for one core, as they would under ``taskset -c 0``); ``--prometheus-cpus 0,1``
lets Prometheus alone use more cores (a multi-core engine, where concurrent queries are
evaluated in parallel). ``--lock FILE`` takes an exclusive ``flock`` on FILE for the timed runs
only, not for the minutes of backfilling and compaction before them.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
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
    def __init__(self, work: Path, openmetrics: Path | None, cpus: set[int] | None = None) -> None:
        """Backfill ``openmetrics`` into ``work/tsdb`` (None: reuse the TSDB there) and start Prometheus."""
        promtool, binary = shutil.which("promtool"), shutil.which("prometheus")
        if promtool is None or binary is None:
            sys.exit("prometheus and promtool are needed (Debian package prometheus)")
        data = work / "tsdb"
        if openmetrics is not None:
            subprocess.run(
                [promtool, "tsdb", "create-blocks-from", "openmetrics", str(openmetrics), str(data)],
                check=True,
                capture_output=True,
            )
        (work / "prometheus.yml").write_text("global:\n  scrape_interval: 1m\n", encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (work / "prometheus.log").open("wb")
        env = dict(os.environ)
        if cpus is not None:
            env["GOMAXPROCS"] = str(len(cpus))  # Go sizes its scheduler from the affinity at start
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
            env=env,
        )
        if cpus is not None:
            pin(self.proc.pid, cpus)
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


def pin(pid: int, cpus: set[int]) -> None:
    """Set the CPU affinity of every thread of ``pid`` (threads started later inherit it)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(int(task.name), cpus)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def query_requests(url: str) -> int:
    """Query API requests Prometheus has served so far (instant and range)."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    total = 0
    for line in text.splitlines():
        if line.startswith("prometheus_http_requests_total{") and (
            'handler="/api/v1/query"' in line or 'handler="/api/v1/query_range"' in line
        ):
            total += int(float(line.split()[-1]))
    return total


@dataclass
class Run:
    """One tool's repeated runs: wall seconds, own CPU, Prometheus CPU, query requests."""

    name: str
    cmd: list[str]
    env: dict[str, str] | None = None
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    prom_cpu: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    output: str = ""

    def once(self, prom: Prometheus) -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        p0, r0 = cpu_seconds(prom.proc.pid), query_requests(prom.url)
        t0 = time.perf_counter()
        done = subprocess.run(self.cmd, capture_output=True, text=True, env=self.env, check=False)
        self.wall.append(time.perf_counter() - t0)
        self.prom_cpu.append(cpu_seconds(prom.proc.pid) - p0)
        self.requests.append(query_requests(prom.url) - r0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode != 0:
            sys.exit(f"{self.name} failed: {done.stderr[-2000:]}")
        self.output = done.stdout + done.stderr

    def line(self) -> str:
        med = statistics.median
        return (
            f"| {self.name} | {min(self.wall):.2f} s | {med(self.wall):.2f} s | {med(self.cpu):.2f} s "
            f"| {med(self.prom_cpu):.2f} s | {med(self.requests):.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slo-generator", default=None, help="Path of slo-generator's CLI in its own venv.")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1, help="Timed rounds, each under the lock.")
    parser.add_argument("--pause", type=float, default=300.0, help="Seconds between rounds.")
    parser.add_argument("--cpus", default=None, help="Pin everything to these CPUs, e.g. 0.")
    parser.add_argument("--prometheus-cpus", default=None, help="Let Prometheus use these CPUs, e.g. 0,1.")
    parser.add_argument("--lock", default=None, help="Hold an exclusive flock on this file while timing.")
    parser.add_argument(
        "--data",
        default=None,
        help="Keep the backfilled, compacted TSDB in this folder and reuse it on the next run (for "
        "iterating: the data then ends when it was built, not now, so the newest minutes are empty).",
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    cpus = {int(c) for c in args.cpus.split(",")} if args.cpus else None
    prom_cpus = {int(c) for c in args.prometheus_cpus.split(",")} if args.prometheus_cpus else cpus
    if cpus is not None:
        os.sched_setaffinity(0, cpus)
    with tempfile.TemporaryDirectory(prefix="slokit-bench-") as tmp:
        work = Path(args.data) if args.data else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        built = work / "built-at"
        t0 = time.perf_counter()
        if built.exists():
            prom = Prometheus(work, None, prom_cpus)
            age = (time.time() - int(built.read_text())) / 60
            print(f"reused the TSDB in {work} (data ends {age:.0f} min ago), {prom.blocks()} blocks")
        else:
            end = int(time.time()) // 60 * 60
            write_openmetrics(work / "data.om.txt", end)
            prom = Prometheus(work, work / "data.om.txt", prom_cpus)
            (work / "data.om.txt").unlink()
            print(
                f"backfilled {DAYS} d × {2 * N_JOBS} series per minute and started Prometheus "
                f"in {time.perf_counter() - t0:.1f} s ({prom.blocks()} blocks)"
            )
            t0 = time.perf_counter()
            print(f"compacted to {prom.settle()} blocks in {time.perf_counter() - t0:.0f} s")
            if args.data:
                built.write_text(str(end), encoding="utf-8")
        try:
            measure(args, Path(tmp), prom, cpus, prom_cpus)
        finally:
            prom.stop()


def measure(
    args: argparse.Namespace, work: Path, prom: Prometheus, cpus: set[int] | None, prom_cpus: set[int] | None
) -> None:
    slokit_spec(work / "slos.yaml")
    base = [
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
    # Both tools run as installed: with byte-code caches (pip compiles them at install). Without
    # this, a PYTHONDONTWRITEBYTECODE in the environment would make every run of a tool living
    # in a source checkout compile all its modules again. The untimed first run writes them.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    four = Run("`slokit report --windows 1h,6h,1d` (4 windows)", [*base, "--windows", "1h,6h,1d"], env)
    default = Run("`slokit report` (default: 8 windows)", base, env)
    # What the CLI costs before any query: interpreter start and the imports of the report path.
    imports = Run(
        "(slokit's imports alone, no query)",
        [sys.executable, "-c", "import slokit.cli.main, slokit.cli.report, slokit.cli.prometheus_source"],
        env,
    )
    runs = [four, default, imports]
    sg: Run | None = None
    if args.slo_generator is not None:
        slo_generator_configs(work / "sg", work / "shared.yaml", prom.url)
        cmd = [args.slo_generator, "compute", "-f", str(work / "sg"), "-c", str(work / "shared.yaml")]
        sg = Run("`slo-generator compute` (4 windows)", cmd, {**env, "PROMETHEUS_URL": prom.url})
        runs.append(sg)
    for round_ in range(args.rounds):
        if round_:
            time.sleep(args.pause)
        for run in runs:
            for values in (run.wall, run.cpu, run.prom_cpu, run.requests):
                values.clear()
        print(f"\n### Round {round_ + 1} of {args.rounds}")
        timed_round(args, prom, runs, cpus, prom_cpus)
        report_round(runs, four, default, sg)


def timed_round(
    args: argparse.Namespace,
    prom: Prometheus,
    runs: list[Run],
    cpus: set[int] | None,
    prom_cpus: set[int] | None,
) -> None:
    """One warm-up run of each tool, then ``--repeat`` alternating timed runs, under the lock."""
    with contextlib.ExitStack() as stack:
        if args.lock is not None:
            lock = stack.enter_context(open(args.lock, "a+"))
            t0 = time.perf_counter()
            fcntl.flock(lock, fcntl.LOCK_EX)
            print(f"waited {time.perf_counter() - t0:.0f} s for the lock")
        tools, engine = (sorted(c) if c else "all" for c in (cpus, prom_cpus))
        print(f"CPUs: tools {tools}, Prometheus {engine}; load average before: {os.getloadavg()[0]:.2f}")
        for run in runs:  # one untimed run each: page cache and Prometheus' caches warm for all
            run.once(prom)
            for values in (run.wall, run.cpu, run.prom_cpu, run.requests):
                values.clear()
        # Runs alternate between the tools, so all see the same background load.
        for _ in range(args.repeat):
            for run in runs:
                run.once(prom)
        print(f"load average after: {os.getloadavg()[0]:.2f}")


def report_round(runs: list[Run], four: Run, default: Run, sg: Run | None) -> None:
    print()
    print("| | best | median | tool CPU (median) | Prometheus CPU (median) | query requests |")
    print("|---|---|---|---|---|---|")
    for run in runs:
        print(run.line())
    report = json.loads(_json_part(default.output))
    measured = sum(1 for r in report if r["sli"] is not None)
    print(f"\nslokit: {measured} of {N_SLOS} SLOs measured")
    if sg is None:
        print("slo-generator: not run (pass --slo-generator PATH)")
        return
    med = statistics.median
    for run in (four, default):
        # CPU seconds of the tool and of Prometheus together: the work, whatever else the cores ran.
        work = (med(sg.cpu) + med(sg.prom_cpu)) / (med(run.cpu) + med(run.prom_cpu))
        print(
            f"slo-generator / {run.name}: best {min(sg.wall) / min(run.wall):.1f}×, "
            f"median {med(sg.wall) / med(run.wall):.1f}×; CPU seconds (tool + Prometheus) {work:.1f}×"
        )
    lines = [ln for ln in sg.output.splitlines() if "30 days" in ln and "SLI:" in ln]
    _compare(lines, report)


def _json_part(text: str) -> str:
    """The JSON document at the start of a run's output (stderr, if any, follows it)."""
    decoder = json.JSONDecoder()
    _, end = decoder.raw_decode(text)
    return text[:end]


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
