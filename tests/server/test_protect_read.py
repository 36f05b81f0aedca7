"""With --protect-read the read API and /metrics need the token too; health checks do not."""

from __future__ import annotations

from pathlib import Path

import slokit_test_serverproc as sp


def test_read_side_needs_the_token(tmp_path: Path) -> None:
    proc = sp.ServerProcess(tmp_path / "p.duckdb", sp.SPEC, "--protect-read").start()
    try:
        with proc.client(token=None) as anon:
            for path in (
                "/api/v1/slos",
                "/api/v1/slos/shop-availability",
                "/api/v1/alerts",
                "/api/v1/corrections",
                "/api/v1/streams",
                "/api/v1/slos/shop-availability/history",
            ):
                assert anon.get(path).status_code == 401, path
            assert anon.get("/healthz").status_code == 200
            assert anon.get("/").status_code == 200  # the page itself; its data needs the token
        with proc.client() as c:
            assert c.get("/api/v1/slos").status_code == 200
            assert c.get("/metrics").status_code == 200
            assert c.get("/api/v1/slos/shop-availability/history").status_code == 200
    finally:
        proc.stop()
