"""The API over real HTTP against ``slokit serve`` in a subprocess; expected numbers are recomputed
from the events the test sent (brute force), never copied from the server."""

from __future__ import annotations

import gzip
import math
import time
from typing import Any

import httpx
import jsonschema
import pytest
import slokit_test_serverproc as sp  # loaded by conftest.py

from slokit.server.openapi import document


def minute_floor() -> int:
    return math.floor(time.time() / 60) * 60


def validate(data: Any, schema_name: str) -> None:
    doc = document()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": doc["components"]}
    jsonschema.Draft202012Validator(schema).validate(data)


def slo(client: httpx.Client, name: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/slos/{name}")
    assert r.status_code == 200, r.text
    validate(r.json(), "SloDetail")
    return dict(r.json()["slo"])


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Any:
    proc = sp.ServerProcess(
        tmp_path_factory.mktemp("small") / "s.duckdb", sp.SPEC, "--max-body", "20000"
    ).start()
    yield proc
    proc.stop()


def test_ingest_needs_the_token(small: Any) -> None:
    events = [{"ts": minute_floor() - 10, "status": 200, "latency_ms": 5}]
    with small.client(token=None) as c:
        r = c.post("/api/v1/streams/requests/events", json=events)
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith("Bearer")
        validate(r.json(), "Error")
    with small.client(token="wrong-token") as c:
        assert c.post("/api/v1/streams/requests/events", json=events).status_code == 401
        assert c.post("/api/v1/reload").status_code == 401
    with small.client() as c:
        assert c.get("/api/v1/streams").json()["streams"].get("requests", {"accepted": 0})["accepted"] == 0


def test_oversized_bodies_are_413(small: Any) -> None:
    big = (
        b"[" + b",".join(b'{"ts": 1, "status": 200, "pad": "' + b"x" * 100 + b'"}' for _ in range(300)) + b"]"
    )
    assert len(big) > 20000
    with small.client() as c:
        r = c.post(
            "/api/v1/streams/requests/events", content=big, headers={"content-type": "application/json"}
        )
        assert r.status_code == 413
        assert r.json()["error"]["limit"] == 20000
        bomb = gzip.compress(big)  # small on the wire, too large once inflated
        assert len(bomb) < 20000
        r = c.post("/api/v1/streams/requests/events", content=bomb, headers={"content-encoding": "gzip"})
        assert r.status_code == 413
        assert "decompressed" in r.json()["error"]["message"]


def test_malformed_json_is_400_with_the_position(small: Any) -> None:
    body = b'[{"ts": 1, "status": 200},\n {"ts": 2, status: 500}]'
    # The unquoted key starts at byte 38: line 2, column 12 (hand-counted: ' {"ts": 2, ' is 11 chars).
    with small.client() as c:
        r = c.post("/api/v1/streams/requests/events", content=body)
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["position"] == {"byte": 38, "line": 2, "column": 12}
    assert "line 2, column 12" in err["message"]
    validate(r.json(), "Error")
    with small.client() as c:
        r = c.post("/api/v1/streams/requests/events", content=b'{"ts": 1}')
        assert r.status_code == 400 and "JSON array" in r.json()["error"]["message"]


def test_ingest_keeps_valid_events_and_lists_the_rest(server: Any) -> None:
    t = minute_floor()
    events: list[Any] = []
    for i in range(200):
        events.append({"ts": t - 1 - i * 7, "status": 503 if i % 10 == 0 else 200, "latency_ms": 50 + i * 2})
    events[5] = 42  # not an object
    events[6] = {"status": 200}  # no timestamp
    events[7] = {"ts": t + 3600, "status": 200}  # an hour in the future
    kept = [e for i, e in enumerate(events) if i not in (5, 6, 7)]
    with server.client() as c:
        r = c.post("/api/v1/streams/requests/events", json=events, headers={"Idempotency-Key": "batch-1"})
        assert r.status_code == 200, r.text
        body = r.json()
        validate(body, "IngestResult")
        assert body["accepted"] == len(kept) == 197
        assert body["rejected"] == [
            {"index": 5, "reason": "not_an_object"},
            {"index": 6, "reason": "missing_timestamp"},
            {"index": 7, "reason": "in_future"},
        ]
        # The same batch again: acknowledged as a duplicate, counted once.
        again = c.post("/api/v1/streams/requests/events", json=events, headers={"Idempotency-Key": "batch-1"})
        assert again.status_code == 200 and again.json()["duplicate"] is True
        # NDJSON, gzip, with one broken line: that line is listed, the others are kept.
        lines = [b'{"ts": %d, "status": 500, "latency_ms": 900}' % (t - 30 - i) for i in range(10)]
        lines[3] = b'{"ts": oops}'
        r = c.post(
            "/api/v1/streams/requests/events",
            content=gzip.compress(b"\n".join(lines) + b"\n"),
            headers={"content-type": "application/x-ndjson", "content-encoding": "gzip"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["accepted"] == 9
        assert [x["index"] for x in r.json()["rejected"]] == [3]
        assert r.json()["rejected"][0]["reason"].startswith("malformed_json")
        kept += [{"ts": t - 30 - i, "status": 500, "latency_ms": 900} for i in range(10) if i != 3]

        state = slo(c, "shop-availability")
        valid = len(kept)
        good = sum(1 for e in kept if e["status"] < 500)
        assert state["objectives"][0]["valid"] == valid
        assert state["objectives"][0]["good"] == good
        assert state["sli"] == pytest.approx(good / valid)
        assert state["budget_remaining"] == pytest.approx(1 - (valid - good) / (0.01 * valid))
        lat = slo(c, "shop-latency")
        fast = sum(1 for e in kept if e["latency_ms"] < 300)
        assert lat["objectives"][0]["good"] == fast
        # p95 of the latencies, from the store's 1 % histograms: within 1 % of the exact order statistic.
        ordered = sorted(e["latency_ms"] for e in kept)
        exact = ordered[math.ceil(0.95 * len(ordered)) - 1]
        assert lat["percentiles"]["p95"] == pytest.approx(exact, rel=0.011)

        listing = c.get("/api/v1/slos").json()
        validate(listing, "SloList")
        names = {s["name"]: s for s in listing["slos"]}
        assert set(names) == {"shop-availability", "shop-latency"}
        assert names["shop-availability"]["sli"] == pytest.approx(good / valid)
        assert names["shop-availability"]["service_display_name"] == "<script>alert(1)</script>"

        h = c.get("/api/v1/slos/shop-availability/history", params={"from": t - 3600, "to": t, "step": "5m"})
        assert h.status_code == 200, h.text
        hist = h.json()
        validate(hist, "History")
        assert hist["at"] == list(range(t - 3600, t + 1, 300))
        assert hist["sli"][-1] == pytest.approx(good / valid)
        assert hist["target"] == 0.99
        # An hour earlier none of the events had happened yet: no data, not 100 %.
        assert hist["sli"][0] is None

        text = c.get("/metrics").text
        # The SLO's metadata.labels (team: web in the spec) are on its series too.
        line = next(
            x
            for x in text.splitlines()
            if x.startswith('slokit_slo_sli{service="shop",slo="shop-availability",team="web"}')
        )
        assert float(line.split()[-1]) == pytest.approx(good / valid)
        assert 'slokit_slo_target{service="shop",slo="shop-availability",team="web"} 0.99' in text


def test_read_errors_and_documents(server: Any) -> None:
    with server.client() as c:
        r = c.get("/api/v1/slos/nope")
        assert r.status_code == 404 and "GET /api/v1/slos" in r.json()["error"]["message"]
        r = c.get("/api/v1/slos/shop-availability/history", params={"step": "90s"})
        assert r.status_code == 400
        r = c.get("/api/v1/slos/shop-availability/history", params={"from": "yesterday"})
        assert r.status_code == 400 and "RFC 3339" in r.json()["error"]["message"]
        assert c.get("/api/v1/slos", params={"at": "nan"}).status_code == 400
        assert c.get("/healthz").json() == {"status": "ok"}
        validate(c.get("/readyz").json(), "Health")
        doc = c.get("/api/v1/openapi.json").json()
        assert doc["openapi"].startswith("3.1")
        jsonschema.Draft202012Validator.check_schema({"components": doc["components"]})
        validate(c.get("/api/v1/streams").json(), "Streams")
        validate(c.get("/api/v1/corrections").json(), "Corrections")
        reloaded = c.post("/api/v1/reload")
        assert reloaded.status_code == 200
        validate(reloaded.json(), "Reloaded")
        index = c.get("/")
        assert index.status_code == 200
        assert "script-src 'self'" in index.headers["content-security-policy"]
        assert index.headers["x-content-type-options"] == "nosniff"
        assert c.get("/static/../app.py").status_code == 404
        assert (
            "access-control-allow-origin"
            not in c.get("/api/v1/slos", headers={"Origin": "http://evil"}).headers
        )


def wait_for(predicate: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError("condition not reached in time")


def test_incident_alert_ack_and_correction(tmp_path: Any) -> None:
    proc = sp.ServerProcess(tmp_path / "a.duckdb").start()
    try:
        t = minute_floor()
        good = [
            {"ts": t - 60 * k - 1, "status": 200, "latency_ms": 20} for k in range(1, 60) for _ in range(5)
        ]
        bad = [{"ts": t - 1 - i, "status": 500, "latency_ms": 20} for i in range(120)]
        with proc.client() as c:
            assert c.post("/api/v1/streams/requests/events", json=good + bad).status_code == 200

            def firing() -> list[dict[str, Any]]:
                data = c.get("/api/v1/alerts").json()
                return [a for a in data["firing"] if a["slo"] == "shop-availability"]

            alerts = wait_for(firing)
            all_alerts = c.get("/api/v1/alerts").json()
            validate(all_alerts, "Alerts")
            page = next(a for a in alerts if a["severity"] == "page")
            # 1 h window: 120 bad of 415 events, burn 28.9 above 13.44 (2 % of 28 d spent in 1 h).
            assert page["long_burn"] == pytest.approx((120 / 415) / 0.01, rel=1e-9)
            assert page["acknowledged_at"] is None
            assert c.post(f"/api/v1/alerts/{page['id']}/ack").status_code == 200
            with proc.client(token=None) as anon:
                assert anon.post(f"/api/v1/alerts/{page['id']}/ack").status_code == 401
            first = c.post(f"/api/v1/alerts/{page['id']}/ack", json={"by": "ana"}).json()
            validate(first, "Alert")
            acked = next(a for a in c.get("/api/v1/alerts").json()["firing"] if a["id"] == page["id"])
            assert acked["acknowledged_at"] == first["acknowledged_at"]  # the first time is kept
            assert acked["seconds_to_acknowledge"] >= 0
            assert c.post("/api/v1/alerts/nope/ack").status_code == 404

            # A correction over (t - 120, t] removes the events of those minutes from good and valid.
            before = slo(c, "shop-availability")
            assert before["objectives"][0]["valid"] == 415
            r = c.post(
                "/api/v1/corrections",
                json={"slo": "shop-availability", "start": t - 120, "duration": "2m", "reason": "bad deploy"},
            )
            assert r.status_code == 201, r.text
            validate(r.json(), "Correction")
            after = slo(c, "shop-availability")
            left = [e for e in good + bad if not t - 120 < e["ts"] <= t]
            assert after["objectives"][0]["valid"] == len(left) == 291
            assert after["objectives"][0]["good"] == sum(e["status"] < 500 for e in left)
            assert c.get("/api/v1/corrections").json()["corrections"][0]["reason"] == "bad deploy"
            assert c.delete(f"/api/v1/corrections/{r.json()['id']}").status_code == 200
            assert slo(c, "shop-availability")["objectives"][0]["valid"] == 415
            assert c.delete("/api/v1/corrections/nope").status_code == 404
    finally:
        proc.stop()


def test_serve_on_a_busy_port_is_a_clear_error(tmp_path: Any) -> None:
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "slokit.cli.main",
                "serve",
                "--spec",
                str(sp.SPEC),
                "--store",
                str(tmp_path / "p.duckdb"),
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "SLOKIT_API_TOKEN": "x"},
        )
    assert r.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr and "--port" in r.stderr
    assert "Traceback" not in r.stderr


def test_the_cached_overview_follows_every_commit(server: Any) -> None:
    t = minute_floor()

    def valid(c: httpx.Client) -> int:
        slos = c.get("/api/v1/slos").json()["slos"]
        return int(next(s for s in slos if s["name"] == "shop-availability")["objectives"][0]["valid"] or 0)

    with server.client() as c:
        first = valid(c)
        assert valid(c) == first  # answered from the cache
        for n in (3, 5):
            assert (
                c.post("/api/v1/streams/requests/events", json=[{"ts": t - 2, "status": 200}] * n).status_code
                == 200
            )
            assert valid(c) == first + n
            first += n
