"""The server reloads its spec when a file changes; a broken edit keeps the previous spec."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import slokit_test_serverproc as sp


def wait_for(predicate: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def test_spec_file_change_is_picked_up(tmp_path: Path) -> None:
    spec = tmp_path / "shop.yaml"
    shutil.copy(sp.SPEC, spec)
    proc = sp.ServerProcess(tmp_path / "r.duckdb", spec).start()
    try:
        with proc.client() as c:

            def target() -> float:
                slos = c.get("/api/v1/slos").json()["slos"]
                return float(next(s for s in slos if s["name"] == "shop-availability")["target"])

            assert target() == 0.99
            time.sleep(1.1)  # a new modification time
            spec.write_text(spec.read_text().replace("target: 0.99\n", "target: 0.995\n"))
            wait_for(lambda: target() == 0.995)
            spec.write_text(spec.read_text().replace("target: 0.995\n", "target: 1.5\n"))
            ready = wait_for(lambda: c.get("/readyz").json()["reload_error"])
            assert "target" in ready
            assert target() == 0.995  # the previous spec stays in use
            r = c.post("/api/v1/reload")
            assert r.status_code == 422 and "previous one stays in use" in r.json()["error"]["message"]
    finally:
        proc.stop()
