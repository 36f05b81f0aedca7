"""Ingest posts go past the router (:class:`slokit.server.app.IngestShortcut`); over HTTP
against a running server, the answers must be those of the route: security headers on
every answer, the route's errors, and other methods and paths left to the router."""

from __future__ import annotations

import math
import time
from typing import Any

from slokit.server.app import CSP


def test_ingest_answers_as_the_route_would(server: Any) -> None:
    now = math.floor(time.time() / 60) * 60
    with server.client() as c:
        r = c.post("/api/v1/streams/requests/events", json=[{"ts": now - 5, "status": 200}, 7])
        assert r.status_code == 200
        body = r.json()
        assert (body["stream"], body["received"], body["accepted"]) == ("requests", 2, 1)
        assert body["rejected"] == [{"index": 1, "reason": "not_an_object"}]
        assert r.headers["content-security-policy"] == CSP
        assert r.headers["x-content-type-options"] == "nosniff"
        # errors raised by the handler: JSON error bodies with the route's statuses
        r = c.post("/api/v1/streams/bad%20name/events", content=b"[]")
        assert r.status_code == 400 and "stream names" in r.json()["error"]["message"]
        assert r.headers["content-security-policy"] == CSP
        r = c.post("/api/v1/streams/requests/events", content=b"[{")
        assert r.status_code == 400 and r.json()["error"]["position"]["byte"] == 2
        # not an ingest post: the router's answers
        assert c.get("/api/v1/streams/requests/events").status_code == 405
        assert c.post("/api/v1/streams/a/b/events", content=b"[]").status_code == 404
        assert c.post("/api/v1/streams//events", content=b"[]").status_code == 404
    with server.client(token=None) as c:
        r = c.post("/api/v1/streams/requests/events", json=[])
        assert r.status_code == 401 and r.headers["content-security-policy"] == CSP


def test_ndjson_by_query_or_content_type(server: Any) -> None:
    now = math.floor(time.time() / 60) * 60
    body = f'{{"ts": {now - 5}, "status": 200}}\n{{"ts": \n{{"ts": {now - 4}, "status": 500}}\n'.encode()
    with server.client() as c:
        for url, headers in (
            ("/api/v1/streams/requests/events?format=ndjson", {"content-type": "text/plain"}),
            ("/api/v1/streams/requests/events", {"content-type": "application/x-ndjson"}),
        ):
            r = c.post(url, content=body, headers=headers)
            assert r.status_code == 200, r.text
            answer = r.json()
            assert (answer["received"], answer["accepted"]) == (3, 2)
            assert [x["index"] for x in answer["rejected"]] == [1]
            assert answer["rejected"][0]["reason"].startswith("malformed_json")
        # without either, the body is one JSON document, which this is not
        r = c.post("/api/v1/streams/requests/events", content=body, headers={"content-type": "text/plain"})
        assert r.status_code == 400
