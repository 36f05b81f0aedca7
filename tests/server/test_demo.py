"""``slokit demo`` end to end: history backfilled, the API serves both platforms, live traffic
arrives over the ingest API, and Ctrl-C (SIGINT) stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import slokit_test_serverproc as sp

from slokit.spec.loader import load_paths

REPO = Path(__file__).resolve().parents[2]


def test_demo_serves_streams_and_stops_cleanly(tmp_path: Path) -> None:
    port = sp.free_port()
    store = tmp_path / "demo.duckdb"
    args = [
        sys.executable,
        "-m",
        "slokit.cli.main",
        "demo",
        "--port",
        str(port),
        "--days",
        "0.2",
        "--store",
        str(store),
        "--examples",
        str(REPO / "examples"),
    ]
    env = {**os.environ, "SLOKIT_API_TOKEN": "demo-token"}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        slos = httpx.get(url + "/api/v1/slos", timeout=30).json()
        spec, _ = load_paths([REPO / "examples" / "mtogo", REPO / "examples" / "cnc-quote"])
        assert {s["name"] for s in slos["slos"]} == set(spec.slos)
        assert sum(1 for s in slos["slos"] if s["sli"] is not None) > len(spec.slos) // 2
        before = httpx.get(url + "/api/v1/streams").json()["streams"]["http_requests"]["accepted"]
        grown = False
        for _ in range(40):  # live traffic is posted every 2 s
            time.sleep(0.5)
            if httpx.get(url + "/api/v1/streams").json()["streams"]["http_requests"]["accepted"] > before:
                grown = True
                break
        assert grown
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    text = out.decode()
    assert proc.returncode == 0, text
    assert "Dashboard: http://127.0.0.1:" in text and "stopped" in text
