"""Run ``slokit serve`` as a real subprocess on 127.0.0.1 and a free port, for HTTP tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

SPEC = Path(__file__).resolve().parent / "data" / "shop.yaml"
TOKEN = "test-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """One ``slokit serve`` process; ``start`` waits until /readyz answers."""

    def __init__(
        self, store: Path, spec: Path | list[Path] = SPEC, *extra: str, log: Path | None = None
    ) -> None:
        self.store = store
        self.specs = spec if isinstance(spec, list) else [spec]
        self.extra = extra
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = log or store.with_suffix(".log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        env = {**os.environ, "SLOKIT_API_TOKEN": TOKEN}
        args = [sys.executable, "-m", "slokit.cli.main", "serve", "--store", str(self.store)]
        for s in self.specs:
            args += ["--spec", str(s)]
        args += ["--port", str(self.port), "--eval-interval", "1s", *self.extra]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}"
                )
            try:
                if httpx.get(self.url + "/readyz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not become ready: {self.log.read_text()[-2000:]}")

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def client(self, token: str | None = TOKEN, **kw: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0, **kw)


#: One availability SLO grouped by route (the grouped API, metrics and dashboard tests).
GROUPED_SPEC = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: api-ok}
spec:
  service: shop
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
  indicator:
    metadata: {name: api-ok}
    spec:
      ratioMetric:
        counter: false
        good: {metricSource: {type: slokit, spec: {stream: api, where: "status < 500"}}}
        total: {metricSource: {type: slokit, spec: {stream: api, groupBy: [route]}}}
"""
