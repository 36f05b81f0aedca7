"""A grouped SLO over real HTTP: the overview keeps one row per SLO with a group count, the SLO's
detail lists every group's state (report objects, checked against counts recomputed from the
events sent), and the alerts of the failing group carry its labels."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import slokit_test_serverproc as sp  # loaded by conftest.py

from slokit.server.openapi import document

SPEC = sp.GROUPED_SPEC


def validate(data: Any, schema_name: str) -> None:
    doc = document()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": doc["components"]}
    jsonschema.Draft202012Validator(schema).validate(data)


@pytest.fixture(scope="module")
def grouped(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("grouped")
    spec = root / "slos.yaml"
    spec.write_text(SPEC)
    proc = sp.ServerProcess(Path(root / "g.duckdb"), spec).start()
    yield proc
    proc.stop()


def test_groups_in_detail_overview_and_alerts(grouped: Any) -> None:
    t = math.floor(time.time() / 60) * 60
    events: list[dict[str, Any]] = []
    for i in range(120):
        ts = t - 1800 + i * 15
        events.append({"ts": ts, "route": "/orders", "status": 200})
        events.append({"ts": ts, "route": "<b>/cart</b>", "status": 500 if i % 2 else 200})
        events.append({"ts": ts, "status": 200})  # no route: the group route=""
    with grouped.client() as c:
        r = c.post("/api/v1/streams/api/events", json=events)
        assert r.status_code == 200, r.text
        detail = c.get("/api/v1/slos/api-ok").json()
        validate(detail, "SloDetail")
        assert detail["slo"]["group"] is None and detail["slo"]["groups"] == 3
        found = {g["group"]["route"]: g for g in detail["groups"]}
        assert set(found) == {"", "/orders", "<b>/cart</b>"}
        for route, g in found.items():
            mine = [e for e in events if e.get("route", "") == route]
            good = sum(1 for e in mine if e["status"] < 500)
            assert (g["objectives"][0]["valid"], g["objectives"][0]["good"]) == (len(mine), good)
        cart = found["<b>/cart</b>"]
        h = c.get(
            "/api/v1/slos/api-ok/history",
            params={"from": t - 3600, "to": t, "step": "5m", "group": '{"route": "<b>/cart</b>"}'},
        )
        assert h.status_code == 200, h.text
        validate(h.json(), "History")
        assert h.json()["group"] == {"route": "<b>/cart</b>"}
        assert h.json()["sli"][-1] == pytest.approx(cart["sli"])
        assert c.get("/api/v1/slos/api-ok/history", params={"group": "[1]"}).status_code == 400
        listing = c.get("/api/v1/slos").json()
        validate(listing, "SloList")
        assert [(s["name"], s["groups"]) for s in listing["slos"]] == [("api-ok", 3)]
        # The evaluator runs every second: the failing group's page fires, labelled.
        deadline = time.monotonic() + 20
        groups: set[str] = set()
        while time.monotonic() < deadline and not groups:
            alerts = c.get("/api/v1/alerts").json()
            groups = {a["group"] for a in alerts["firing"]}
            time.sleep(0.5)
        assert groups == {'{route="<b>/cart</b>"}'}
    with httpx.Client(base_url=grouped.url) as plain:
        page = plain.get("/static/app.js").text
        assert "groupText" in page and "innerHTML" not in page.replace("never innerHTML", "")
