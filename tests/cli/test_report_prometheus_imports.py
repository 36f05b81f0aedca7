"""``slokit report --source prometheus --output json`` imports only what it uses.

Its start is most of a report's own CPU (see benchmarks/report_vs_slo_generator.py), so the
Prometheus path must not import the embedded store's libraries (DuckDB, Arrow), an HTTP stack
it does not use (httpx, http.client with email and ssl), the table renderer (rich) or the
predicate parser (lark). Each run is a fresh interpreter: this test process has imported all
of them already.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

#: http (http.client), email and ssl: plain http:// needs none of them; concurrent: its import
#: brings logging, plain threads do the same job.
HEAVY = ("duckdb", "pyarrow", "httpx", "httpcore", "rich", "lark", "http", "email", "ssl", "concurrent")

RUN = """\
import json, sys
from slokit.cli.main import cli
try:
    cli.main(sys.argv[1:], standalone_mode=False)
except BaseException:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


class _Empty(BaseHTTPRequestHandler):
    """An engine with no series: every query answers an empty result, at once."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        kind = "matrix" if self.path.endswith("/query_range") else "vector"
        raw = json.dumps({"status": "success", "data": {"resultType": kind, "result": []}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@pytest.fixture
def engine() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Empty)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _loaded(*args: str) -> tuple[set[str], str]:
    """The top-level modules a fresh ``slokit ARGS`` has imported, and what it printed before."""
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, timeout=120, check=True
    )
    *printed, modules = done.stdout.strip().splitlines()
    return set(json.loads(modules)), "\n".join(printed)


def test_the_prometheus_report_path_imports_no_heavy_module(
    tmp_path: Path, engine: str, prometheus_slo_yaml: str
) -> None:
    spec = tmp_path / "slo.yaml"
    spec.write_text(prometheus_slo_yaml, encoding="utf-8")
    loaded, out = _loaded("report", str(spec), "--source", "prometheus", "--prometheus-url", engine,
                          "--output", "json")  # fmt: skip
    assert json.loads(out)[0]["status"] == "no data"  # the report did run: queries, evaluation, output
    assert loaded.isdisjoint(HEAVY), sorted(loaded.intersection(HEAVY))


def test_the_check_sees_a_heavy_import(tmp_path: Path, engine: str, prometheus_slo_yaml: str) -> None:
    """The same check notices rich when a table is printed: it is not blind."""
    spec = tmp_path / "slo.yaml"
    spec.write_text(prometheus_slo_yaml, encoding="utf-8")
    loaded, _ = _loaded("report", str(spec), "--source", "prometheus", "--prometheus-url", engine,
                        "--output", "table")  # fmt: skip
    assert "rich" in loaded
