"""Alerts from the server's evaluator reach a real webhook receiver on 127.0.0.1."""

from __future__ import annotations

import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import slokit_test_serverproc as sp


def test_firing_alert_is_posted_to_the_webhook(tmp_path: Path) -> None:
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            received.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    hook = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    settings = tmp_path / "notify.yaml"
    settings.write_text(
        f"notifications:\n  targets:\n    shop-hook:\n      url: http://127.0.0.1:{hook.server_port}/hook\n"
    )
    proc = sp.ServerProcess(tmp_path / "n.duckdb", sp.SPEC, "--notify-settings", str(settings)).start()
    try:
        t = math.floor(time.time() / 60) * 60
        events = [{"ts": t - 1 - i, "status": 500 if i < 100 else 200} for i in range(400)]
        with proc.client() as c:
            assert c.post("/api/v1/streams/requests/events", json=events).status_code == 200
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not received:
                time.sleep(0.2)
            firing = {a["id"]: a for a in c.get("/api/v1/alerts").json()["firing"]}
        assert received, "no notification arrived"
        alert = received[0]["alert"] if "alert" in received[0] else received[0]
        assert alert["state"] == "firing"
        assert alert["slo"] == "shop-availability"
        assert alert["id"] in firing
    finally:
        proc.stop()
        hook.shutdown()
