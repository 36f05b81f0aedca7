"""Ingest over HTTP: slokit's endpoint beside a bare msgspec endpoint, same machine, same run.

Both servers are uvicorn with one worker in their own process on 127.0.0.1 (pin them with
``--server-cpu`` to keep the client off their core). The client is a small asyncio program with
``--connections`` keep-alive connections sending prebuilt requests of ``--batch`` events (the
simulator's MToGo ``http_requests`` events as a JSON array), so the client costs little per request.

* **bare**: reads the raw body, ``msgspec.json.decode`` to Python objects, answers the count;
  the floor for any endpoint that decodes JSON with msgspec.
* **slokit**: ``POST /api/v1/streams/http_requests/events`` of ``slokit serve`` for
  ``examples/mtogo``: bearer check, msgspec decode, the store's ingest into every objective bound to
  the stream (timestamps, predicates, per-minute rows, histograms, rollups) and the DuckDB commit
  before the answer.

Prints events/s, request latency p50/p99 and the server's resident memory before and after the
run for each, and the ratio slokit / bare. ``--seconds 600`` is the soak run (RSS growth).

    python benchmarks/ingest_http_bench.py [--seconds 10] [--batch 1000] [--connections 16] [--keys]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TOKEN = "bench-token"

BARE_APP = """
import msgspec
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
    n = len(msgspec.json.decode(body))
    out = msgspec.json.encode({"accepted": n})
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(out)).encode())]})
    await send({"type": "http.response.body", "body": out})
"""

SLOKIT_APP = """
import os
from slokit.server.app import create_app
from slokit.server.state import ServerConfig
app = create_app(ServerConfig(spec_paths=(os.environ["BENCH_SPEC"],), store_path=os.environ["BENCH_STORE"],
                              token=os.environ["BENCH_TOKEN"], lateness_seconds=None), evaluate=False)
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
    proc = subprocess.Popen(cmd, cwd=module_dir, env={**os.environ, **env, "PYTHONPATH": str(module_dir)})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{module} did not start")


def batches(n_batches: int, size: int) -> list[bytes]:
    """JSON arrays of simulated MToGo http_requests events from the last hours (all accepted)."""
    from slokit.simulator import scenario, simulation

    now = int(time.time() * 1000) // 60000 * 60000
    sim = simulation(scenario("mtogo"), now, days=0.25, seed=3)
    rows = [r for chunk in sim.batches() for r in chunk["http_requests"].to_pylist()]
    out = []
    for i in range(n_batches):
        start = (i * size) % max(len(rows) - size, 1)
        out.append(json.dumps(rows[start : start + size], separators=(",", ":")).encode())
    return out


async def client(
    port: int, path: str, bodies: list[bytes], seconds: float, conns: int, auth: bool, keys: bool = False
) -> tuple[int, list[float]]:
    latencies: list[float] = []
    sent = 0
    stop_at = time.monotonic() + seconds
    head = f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
    if auth:
        head += f"authorization: Bearer {TOKEN}\r\n"

    async def one(k: int) -> None:
        nonlocal sent
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = k
        while time.monotonic() < stop_at:
            body = bodies[i % len(bodies)]
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


def rss_kib(pid: int) -> int:
    """Resident memory of a process (Linux /proc), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure(
    name: str,
    port: int,
    path: str,
    bodies: list[bytes],
    size: int,
    args: argparse.Namespace,
    auth: bool,
    pid: int,
) -> float:
    asyncio.run(client(port, path, bodies[:8], 1.0, args.connections, auth))  # warm-up
    rss0 = rss_kib(pid)
    t0 = time.perf_counter()
    n, lat = asyncio.run(client(port, path, bodies, args.seconds, args.connections, auth, auth and args.keys))
    elapsed = time.perf_counter() - t0
    rate = n * size / elapsed
    p50, p99 = np.percentile(np.array(lat) * 1000, [50, 99])
    print(
        f"{name:>7}: {rate / 1e6:6.3f} M events/s  {n / elapsed:7.0f} req/s  "
        f"p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  RSS {rss0 / 1024:.0f} -> {rss_kib(pid) / 1024:.0f} MiB"
    )
    return rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument(
        "--keys", action="store_true", help="send a fresh Idempotency-Key with every slokit request"
    )
    ap.add_argument("--server-cpu", default="0", help="taskset CPU list for the servers ('' = no pinning)")
    args = ap.parse_args()
    cpu = args.server_cpu or None
    bodies = batches(64, args.batch)
    print(
        f"{args.batch}-event batches ({len(bodies[0]) / 1024:.0f} KiB each), {args.connections} connections, "
        f"{args.seconds:g} s per server, servers on CPU {cpu or 'any'}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "bare_app.py").write_text(BARE_APP)
        (d / "slokit_app.py").write_text(SLOKIT_APP)
        port = free_port()
        proc = start(d, "bare_app", port, cpu, {})
        try:
            bare = measure("bare", port, "/", bodies, args.batch, args, auth=False, pid=proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
        port = free_port()
        env = {
            "BENCH_SPEC": str(REPO / "examples" / "mtogo"),
            "BENCH_STORE": str(d / "s.duckdb"),
            "BENCH_TOKEN": TOKEN,
        }
        proc = start(d, "slokit_app", port, cpu, env)
        try:
            ours = measure(
                "slokit",
                port,
                "/api/v1/streams/http_requests/events",
                bodies,
                args.batch,
                args,
                auth=True,
                pid=proc.pid,
            )
        finally:
            proc.terminate()
            proc.wait(10)
    print(f"slokit / bare = {ours / bare:.2f}  (targets: >= 1.5 M events/s and >= 0.75 of bare)")


if __name__ == "__main__":
    main()
