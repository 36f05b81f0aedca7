"""Ingest over HTTP: slokit's endpoint beside a bare msgspec endpoint, same machine, same run.

Both servers are uvicorn with one worker in their own process on 127.0.0.1, pinned to one CPU
(``--server-cpu``, default 0) while the load generator runs on another (``--client-cpu``,
default 1), so the two never share a core. uvicorn uses httptools and uvloop when they are
installed (they are slokit dependencies; without them uvicorn falls back to the pure-Python h11
parser, which costs more than decoding the JSON). The run prints which it used.

The load generator is ``wrk`` (a C program, Debian package ``wrk``) with a Lua script that
cycles through prebuilt bodies; without ``wrk`` (or with ``--client python``) a small asyncio
client is used instead, and the output says so: that client spends a core of its own per
~0.5 M events/s, so with it the figures measure the client as much as the servers.

Events: the simulator's MToGo ``http_requests`` events (``ts`` in epoch ms, ``service``,
``route``, ``method``, ``status``, ``latency_ms``, and on gateway events ``upstream_status``,
``upstream_latency_ms``, ``gateway_overhead_ms``), with absent fields left out, as a
logger writes them (``--with-nulls`` keeps them as explicit nulls), plus ``--labels`` labels no
SLO reads (default 2: ``region`` and ``instance``, as real events carry); the mean size is
printed. Timestamps are spread over the last ``--span`` seconds (default 60: a server taking
a million events a second receives current events, not hours of history; ``--span 21600``
spreads them over six hours as the simulator does, which makes the store write ~6× more
minute rows per event).

* **bare**: reads the raw body, ``msgspec.json.decode`` to Python objects, answers the count;
  the floor for any endpoint that decodes JSON with msgspec.
* **columns**: the same, but decoding with slokit's decoder into the stream's Arrow columns
  (the endpoint's fast path) and nothing else: the ceiling of any endpoint that must turn the
  events into columns to aggregate them, before logging, checking and folding cost anything.
* **slokit**: ``POST /api/v1/streams/http_requests/events`` of ``slokit serve`` for
  ``examples/mtogo`` (six objectives on that stream): bearer check, decode, timestamp checks,
  the write-ahead log synced before the answer, and the background fold into the store. The
  run ends with a read (which folds what is pending), so the figure is the sustained one.

Soak (``--soak``): only slokit, paced at ``--rate`` events/s by the Python client for
``--seconds``, events stamped with the current time, the server's resident memory sampled
every ``--sample`` seconds.

    python benchmarks/ingest_http_bench.py [--seconds 10] [--batch 1000] [--connections 16] [--keys]
    python benchmarks/ingest_http_bench.py --soak --rate 500000 --seconds 600
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TOKEN = "bench-token"
STREAM_PATH = "/api/v1/streams/http_requests/events"

# The ASGI app both the bare and the columns servers run, around their own count(body).
_COUNTING_APP = """
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            m = await receive()
            if m["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"}); return
    body = bytearray()
    while True:
        m = await receive()
        body += m.get("body", b"")
        if not m.get("more_body"):
            break
    out = msgspec.json.encode({"accepted": count(body)})
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(out)).encode())]})
    await send({"type": "http.response.body", "body": out})
"""

BARE_APP = (
    """
import msgspec
def count(body):
    return len(msgspec.json.decode(body))
"""
    + _COUNTING_APP
)

# slokit's own decoding of the body into the stream's columns (the fast path of the ingest
# endpoint) and nothing else: no bearer check, no timestamps, no log, no fold. What any endpoint
# of slokit's design can reach in one process: the rest of the real endpoint costs on top.
COLUMNS_APP = (
    """
import os
import msgspec
from slokit.server.ingest import EventTypes, decode
from slokit.spec.loader import load
spec = load(os.environ["BENCH_SPEC"])
types = EventTypes()
def count(body):
    return decode(bytes(body), False, types.get(spec, "http_requests"), 1_000_000).table.num_rows
"""
    + _COUNTING_APP
)

SLOKIT_APP = """
import os
from slokit.server.app import create_app
from slokit.server.state import ServerConfig
app = create_app(ServerConfig(spec_paths=(os.environ["BENCH_SPEC"],), store_path=os.environ["BENCH_STORE"],
                              token=os.environ["BENCH_TOKEN"], lateness_seconds=None), evaluate=False)
"""

WRK_SCRIPT = """
local bodies = {}
local f = assert(io.open(os.getenv("BENCH_BODIES"), "rb"))
for line in f:lines() do bodies[#bodies + 1] = line end
f:close()
local token = os.getenv("BENCH_AUTH")
local keys = os.getenv("BENCH_KEYS") == "1"
local i = 0
local tag = tostring(math.random(1, 1000000000))
function request()
  i = i + 1
  local headers = {["Content-Type"] = "application/json"}
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
  if keys then headers["Idempotency-Key"] = tag .. "-" .. i end
  return wrk.format("POST", nil, headers, bodies[(i % #bodies) + 1])
end
function done(summary, latency, requests)
  io.write(string.format("WRKJSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"non2xx\\": %d, " ..
    "\\"errors\\": %d, \\"p50_us\\": %d, \\"p99_us\\": %d}\\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    module_dir: Path, module: str, port: int, cpu: str | None, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        f"{module}:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    if cpu is not None:
        cmd = ["taskset", "-c", cpu, *cmd]
    # The servers import slokit from the checkout this benchmark belongs to (not whichever
    # slokit the interpreter would find first), so a copy of the tree measures its own code.
    path = os.pathsep.join((str(module_dir), str(REPO)))
    proc = subprocess.Popen(cmd, cwd=module_dir, env={**os.environ, **env, "PYTHONPATH": path})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{module} did not start")


def event_rows(hours: float = 10.0) -> list[dict[str, Any]]:
    """Simulated MToGo http_requests events of the last ``hours`` (all within the lateness)."""
    from slokit.simulator import scenario, simulation

    now = int(time.time() * 1000) // 60000 * 60000
    sim = simulation(scenario("mtogo"), now, days=hours / 24, seed=3)
    return [r for chunk in sim.batches() for r in chunk["http_requests"].to_pylist()]


REGIONS = ("eu-west-1", "eu-central-1", "eu-north-1")


def restamp(rows: list[dict[str, Any]], span_s: float, labels: int, now_ms: int) -> list[dict[str, Any]]:
    """The rows with timestamps spread evenly over the ``span_s`` seconds before ``now_ms``, in
    order, and ``labels`` extra label fields (``region``, ``instance``, ``label3``, ...)."""
    n = max(len(rows), 1)
    out = []
    for i, r in enumerate(rows):
        e = {**r, "ts": now_ms - int(span_s * 1000 * (n - i) / n)}
        for k in range(labels):
            if k == 0:
                e["region"] = REGIONS[i % len(REGIONS)]
            elif k == 1:
                e["instance"] = f"{r['service']}-{(i * 7) % 12}"
            else:
                e[f"label{k + 1}"] = f"v{i % 5}"
        out.append(e)
    return out


def encode(rows: list[dict[str, Any]], with_nulls: bool) -> bytes:
    if not with_nulls:
        rows = [{k: v for k, v in r.items() if v is not None} for r in rows]
    return json.dumps(rows, separators=(",", ":")).encode()


def batches(rows: list[dict[str, Any]], n_batches: int, size: int, with_nulls: bool) -> list[bytes]:
    out = []
    for i in range(n_batches):
        start = (i * size) % max(len(rows) - size + 1, 1)
        out.append(encode(rows[start : start + size], with_nulls))
    return out


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, every thread) a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """Resident memory of a process (Linux /proc), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# --- clients ---


def run_wrk(
    port: int,
    path: str,
    bodies_file: Path,
    seconds: float,
    conns: int,
    auth: bool,
    keys: bool,
    cpu: str | None,
) -> tuple[int, float, float, float]:
    """(requests, elapsed s, p50 ms, p99 ms) from wrk."""
    script = bodies_file.with_suffix(".lua")
    script.write_text(WRK_SCRIPT)
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{max(int(seconds), 1)}s", "-s", str(script), "--timeout", "30s"]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    if cpu is not None:
        cmd = ["taskset", "-c", cpu, *cmd]
    env = {
        **os.environ,
        "BENCH_BODIES": str(bodies_file),
        "BENCH_AUTH": TOKEN if auth else "",
        "BENCH_KEYS": "1" if keys else "0",
    }
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    data = json.loads(line[len("WRKJSON ") :])
    if data["non2xx"] or data["errors"]:
        raise RuntimeError(f"wrk saw {data['non2xx']} non-2xx answers and {data['errors']} errors: {out}")
    return data["requests"], data["duration_us"] / 1e6, data["p50_us"] / 1e3, data["p99_us"] / 1e3


async def _python_client(
    port: int,
    path: str,
    bodies: list[bytes] | None,
    seconds: float,
    conns: int,
    auth: bool,
    keys: bool = False,
    rate_rps: float | None = None,
    provider: Any = None,
) -> tuple[int, list[float]]:
    latencies: list[float] = []
    sent = 0
    begin = time.monotonic()
    stop_at = begin + seconds
    head = f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
    if auth:
        head += f"authorization: Bearer {TOKEN}\r\n"
    issued = 0

    async def one(k: int) -> None:
        nonlocal sent, issued
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = k
        while time.monotonic() < stop_at:
            if rate_rps is not None:
                due = begin + issued / rate_rps
                issued += 1
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            pool: list[bytes] = provider() if provider is not None else (bodies or [])
            body = pool[i % len(pool)]
            i += conns
            key = f"idempotency-key: {uuid.uuid4().hex}\r\n" if keys else ""
            req = (head + key + f"content-length: {len(body)}\r\n\r\n").encode() + body
            t0 = time.perf_counter()
            writer.write(req)
            status = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            payload = await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            if not status.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"{status!r} {payload[:300]!r}")
            sent += 1
        writer.close()

    await asyncio.gather(*(one(k) for k in range(conns)))
    return sent, latencies


def run_python(
    port: int, path: str, bodies: list[bytes], seconds: float, conns: int, auth: bool, keys: bool
) -> tuple[int, float, float, float]:
    t0 = time.perf_counter()
    n, lat = asyncio.run(_python_client(port, path, bodies, seconds, conns, auth, keys))
    elapsed = time.perf_counter() - t0
    p50, p99 = np.percentile(np.array(lat) * 1000, [50, 99]) if lat else (0.0, 0.0)
    return n, elapsed, float(p50), float(p99)


def settle(port: int) -> float:
    """One read of the stream counts (folds whatever is pending); seconds it took."""
    import httpx

    t0 = time.perf_counter()
    r = httpx.get(f"http://127.0.0.1:{port}/api/v1/streams", timeout=120)
    r.raise_for_status()
    return time.perf_counter() - t0


def measure(
    name: str,
    port: int,
    path: str,
    bodies: list[bytes],
    bodies_file: Path,
    size: int,
    args: argparse.Namespace,
    auth: bool,
    pid: int,
    use_wrk: bool,
) -> tuple[float, float]:
    """(events per second, events per CPU-second of the server)."""
    keys = auth and args.keys
    if use_wrk:
        run_wrk(port, path, bodies_file, 1, args.connections, auth, keys, args.client_cpu or None)
    else:
        run_python(port, path, bodies[:8], 1.0, args.connections, auth, False)
    if auth:
        settle(port)
    rss0 = rss_kib(pid)
    cpu0 = cpu_seconds(pid)
    t0 = time.perf_counter()
    if use_wrk:
        n, elapsed, p50, p99 = run_wrk(
            port, path, bodies_file, args.seconds, args.connections, auth, keys, args.client_cpu or None
        )
    else:
        n, elapsed, p50, p99 = run_python(port, path, bodies, args.seconds, args.connections, auth, keys)
    tail = 0.0
    if auth:
        tail = settle(port)  # the fold of what is still pending belongs to the run
        elapsed = time.perf_counter() - t0
    rate = n * size / elapsed
    per_cpu = n * size / max(cpu_seconds(pid) - cpu0, 1e-9)
    print(
        f"{name:>7}: {rate / 1e6:6.3f} M events/s  {n / elapsed:6.0f} req/s  "
        f"p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  {per_cpu / 1e6:6.3f} M events/CPU-s  "
        f"RSS {rss0 / 1024:.0f} -> {rss_kib(pid) / 1024:.0f} MiB"
        + (f"  (final fold {tail * 1000:.0f} ms)" if auth else "")
    )
    return rate, per_cpu


def soak(args: argparse.Namespace, rows: list[dict[str, Any]], cpu: str | None) -> None:
    """slokit alone at a fixed rate; RSS every ``--sample`` s; events stamped with the current time."""
    size = args.batch
    rate_rps = args.rate / size
    state: dict[str, Any] = {"bodies": [], "built": 0.0}
    lock = threading.Lock()

    def build() -> list[bytes]:
        # The simulated events stamped over the last --span seconds (the store's lateness applies).
        shifted = restamp(rows[-size * 32 :], args.span, args.labels, int(time.time() * 1000))
        return batches(shifted, 32, size, args.with_nulls)

    def provider() -> list[bytes]:
        with lock:
            return state["bodies"]  # type: ignore[no-any-return]

    def rebuild() -> None:
        while not stop.is_set():
            fresh = build()
            with lock:
                state["bodies"] = fresh
            stop.wait(30)

    stop = threading.Event()
    state["bodies"] = build()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "slokit_app.py").write_text(
            SLOKIT_APP.replace("lateness_seconds=None", "lateness_seconds=172800")
        )
        port = free_port()
        env = {
            "BENCH_SPEC": str(REPO / "examples" / "mtogo"),
            "BENCH_STORE": str(d / "s.duckdb"),
            "BENCH_TOKEN": TOKEN,
        }
        proc = start(d, "slokit_app", port, cpu, env)
        samples: list[tuple[float, int]] = []
        t_start = time.monotonic()

        def sampler() -> None:
            while not stop.is_set():
                samples.append((time.monotonic() - t_start, rss_kib(proc.pid)))
                print(f"  t={samples[-1][0]:5.0f} s  RSS {samples[-1][1] / 1024:7.1f} MiB", flush=True)
                stop.wait(args.sample)

        threads = [
            threading.Thread(target=rebuild, daemon=True),
            threading.Thread(target=sampler, daemon=True),
        ]
        for th in threads:
            th.start()
        try:
            t0 = time.perf_counter()
            n, lat = asyncio.run(
                _python_client(
                    port,
                    STREAM_PATH,
                    None,
                    args.seconds,
                    args.connections,
                    True,
                    args.keys,
                    rate_rps,
                    provider,
                )
            )
            tail = settle(port)
            elapsed = time.perf_counter() - t0
            stop.set()
            samples.append((time.monotonic() - t_start, rss_kib(proc.pid)))
        finally:
            stop.set()
            proc.terminate()
            proc.wait(30)
    p50, p99 = np.percentile(np.array(lat) * 1000, [50, 99])
    print(
        f"soak: {n * size / elapsed / 1e6:.3f} M events/s achieved (asked {args.rate / 1e6:.3f} M), "
        f"{n} requests in {elapsed:.0f} s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
        f"final fold {tail * 1000:.0f} ms"
    )
    idle = samples[0][1]
    first = next((r for t, r in samples if t >= 10), idle)
    warm = next((r for t, r in samples if t >= 60), first)
    last = samples[-1][1]
    print(
        f"RSS: idle before traffic {idle / 1024:.1f} MiB, at 10 s {first / 1024:.1f} MiB, at 60 s "
        f"{warm / 1024:.1f} MiB, end {last / 1024:.1f} MiB, max after 10 s "
        f"{max(r for t, r in samples if t >= 10) / 1024:.1f} MiB; "
        f"growth {100 * (last - first) / first:+.1f} % "
        f"from 10 s, {100 * (last - warm) / warm:+.1f} % from 60 s (target: <= 10 %)"
    )
    print("RSS series (s, MiB): " + ", ".join(f"{t:.0f}:{r / 1024:.0f}" for t, r in samples))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--rounds", type=int, default=3, help="alternating measurements of each server")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument(
        "--keys", action="store_true", help="send a fresh Idempotency-Key with every slokit request"
    )
    ap.add_argument("--server-cpu", default="0", help="taskset CPU list for the servers ('' = no pinning)")
    ap.add_argument("--client-cpu", default="1", help="taskset CPU list for wrk ('' = no pinning)")
    ap.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    ap.add_argument("--with-nulls", action="store_true", help="absent fields as explicit nulls")
    ap.add_argument("--labels", type=int, default=2, help="extra label fields per event no SLO reads")
    ap.add_argument("--span", type=float, default=60.0, help="seconds the timestamps are spread over")
    ap.add_argument("--only", choices=("both", "bare", "slokit"), default="both")
    ap.add_argument(
        "--no-columns", action="store_true", help="leave out the decode-to-columns endpoint (the ceiling)"
    )
    ap.add_argument("--soak", action="store_true", help="slokit alone at --rate events/s, RSS sampled")
    ap.add_argument("--rate", type=float, default=500_000.0)
    ap.add_argument("--sample", type=float, default=10.0)
    args = ap.parse_args()
    cpu = args.server_cpu or None
    try:
        import httptools  # noqa: F401
        import uvloop  # noqa: F401

        stack = "uvicorn with httptools + uvloop"
    except ImportError:
        stack = "uvicorn WITHOUT httptools/uvloop (h11 + asyncio: slower for both endpoints)"
    rows = event_rows()
    if args.soak:
        print(f"soak: {stack}; Python client paced at {args.rate:.0f} events/s, {args.seconds:g} s")
        soak(args, rows, cpu)
        return
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk") is not None)
    if args.client == "wrk" and shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk); use --client python")
    bodies = batches(
        restamp(rows[: 64 * args.batch], args.span, args.labels, int(time.time() * 1000)),
        64,
        args.batch,
        args.with_nulls,
    )
    mean = sum(len(b) for b in bodies) / len(bodies) / args.batch
    client = "wrk (C, 1 thread)" if use_wrk else "Python asyncio client (wrk not found: slower)"
    print(
        f"{args.batch}-event batches, {mean:.0f} bytes/event ({len(bodies[0]) / 1024:.0f} KiB per request, "
        f"{args.labels} extra labels, timestamps over {args.span:g} s), "
        f"{args.connections} connections, {args.seconds:g} s per server; servers on CPU {cpu or 'any'}, "
        f"client {client} on CPU {args.client_cpu or 'any'}; {stack}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        bodies_file = d / "bodies.txt"
        bodies_file.write_bytes(b"\n".join(bodies) + b"\n")
        (d / "bare_app.py").write_text(BARE_APP)
        (d / "slokit_app.py").write_text(SLOKIT_APP)
        (d / "columns_app.py").write_text(COLUMNS_APP)
        env = {
            "BENCH_SPEC": str(REPO / "examples" / "mtogo"),
            "BENCH_STORE": str(d / "s.duckdb"),
            "BENCH_TOKEN": TOKEN,
        }
        servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
        try:
            # Both servers run for the whole run (an idle one costs nothing) and are measured
            # in alternation, so a change in the machine's other load hits both alike.
            if args.only in ("both", "bare"):
                port = free_port()
                servers["bare"] = (start(d, "bare_app", port, cpu, {}), port)
            if args.only == "both" and not args.no_columns:
                port = free_port()
                servers["columns"] = (start(d, "columns_app", port, cpu, env), port)
            if args.only in ("both", "slokit"):
                port = free_port()
                servers["slokit"] = (start(d, "slokit_app", port, cpu, env), port)
            rates: dict[str, list[float]] = {name: [] for name in servers}
            per_cpu: dict[str, list[float]] = {name: [] for name in servers}
            for _ in range(args.rounds):
                for name, (proc, port) in servers.items():
                    auth = name == "slokit"
                    path = STREAM_PATH if auth else "/"
                    rate, cpu_rate = measure(
                        name, port, path, bodies, bodies_file, args.batch, args, auth, proc.pid, use_wrk
                    )
                    rates[name].append(rate)
                    per_cpu[name].append(cpu_rate)
        finally:
            for proc, _ in servers.values():
                proc.terminate()
                proc.wait(30)
    if "columns" in rates:
        floor = [c / b for c, b in zip(rates["columns"], rates["bare"], strict=True)]
        floor_cpu = [c / b for c, b in zip(per_cpu["columns"], per_cpu["bare"], strict=True)]
        print(
            f"columns / bare (decoding into columns only: the ceiling): median {np.median(floor):.2f}, "
            f"per CPU-second {np.median(floor_cpu):.2f}"
        )
    if "slokit" in rates and "bare" in rates:
        ratios = [o / b for o, b in zip(rates["slokit"], rates["bare"], strict=True)]
        print(
            "slokit / bare per round: "
            + ", ".join(f"{r:.2f}" for r in ratios)
            + f"; median {np.median(ratios):.2f}"
            f"; median rates: bare {np.median(rates['bare']) / 1e6:.3f} M, slokit "
            f"{np.median(rates['slokit']) / 1e6:.3f} M events/s"
            "  (targets: >= 1.5 M events/s and >= 0.75 of bare)"
        )
        cpu_ratios = [o / b for o, b in zip(per_cpu["slokit"], per_cpu["bare"], strict=True)]
        print(
            "per CPU-second of the server (what one dedicated core would take; robust to other load): "
            f"bare {np.median(per_cpu['bare']) / 1e6:.3f} M, "
            f"slokit {np.median(per_cpu['slokit']) / 1e6:.3f} M events; "
            f"slokit / bare median {np.median(cpu_ratios):.2f}"
        )


if __name__ == "__main__":
    main()
