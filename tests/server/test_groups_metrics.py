"""``/metrics`` of a grouped SLO over real HTTP: one series per group beside the overall one, each
group's numbers recomputed from the events sent and equal to the API's group state, group
labels renamed away from slokit's own label names, and the failing group's alert labelled."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import slokit_test_serverproc as sp  # loaded by conftest.py
from prometheus_client.parser import text_string_to_metric_families

from slokit.alerting.state import AlertKey, AlertState
from slokit.server.metrics import RESERVED_LABELS, _Families, group_label_names

TARGET = 0.99
SPEC = f"""\
apiVersion: openslo/v1
kind: SLO
metadata: {{name: api-ok}}
spec:
  service: shop
  timeWindow: [{{duration: 1d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: {TARGET}}}]
  indicator:
    metadata: {{name: api-ok}}
    spec:
      ratioMetric:
        counter: false
        good: {{metricSource: {{type: slokit, spec: {{stream: api, where: "status < 500"}}}}}}
        total: {{metricSource: {{type: slokit, spec: {{stream: api, groupBy: [route]}}}}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {{name: jobs-ok}}
spec:
  service: batch
  timeWindow: [{{duration: 1d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: 0.9}}]
  indicator:
    metadata: {{name: jobs-ok}}
    spec:
      ratioMetric:
        counter: false
        good: {{metricSource: {{type: slokit, spec: {{stream: jobs, where: "ok = true"}}}}}}
        total:
          metricSource:
            type: slokit
            spec: {{stream: jobs, groupBy: [service, http.route, window, group_service]}}
"""
ROUTES = ("/orders", "<b>/cart</b>", "")  # "": events without a route


@pytest.fixture(scope="module")
def grouped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("grouped_metrics")
    spec = root / "slos.yaml"
    spec.write_text(SPEC)
    proc = sp.ServerProcess(Path(root / "g.duckdb"), spec).start()
    yield proc
    proc.stop()


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """Every sample of one gauge in a scrape, parsed by prometheus_client's own text parser."""
    return [
        (dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        if family.name == name
        for s in family.samples
    ]


def one(found: list[tuple[dict[str, str], float]], **labels: str) -> float:
    """The value of the sample whose labels are exactly ``labels``."""
    values = [v for lab, v in found if lab == labels]
    assert len(values) == 1, (labels, found)
    return values[0]


def test_group_label_names_rule() -> None:
    # Clashing names get group_ in front, repeatedly; other characters become "_".
    assert group_label_names(("route",)) == ("route",)
    assert group_label_names(("service", "group_service")) == ("group_service", "group_group_service")
    assert group_label_names(("http.route", "1st", "__x", "group")) == (
        "http_route",
        "_1st",
        "group___x",
        "group_group",
    )
    for name in RESERVED_LABELS:
        assert group_label_names((name,)) == (f"group_{name}",)


def test_groups_on_metrics(grouped: Any) -> None:
    t = math.floor(time.time() / 60) * 60
    events: list[dict[str, Any]] = []
    for i in range(120):
        ts = t - 1800 + i * 15
        events.append({"ts": ts, "route": "/orders", "status": 503 if i % 40 == 0 else 200})  # 3 bad
        events.append({"ts": ts, "route": "<b>/cart</b>", "status": 500 if i % 2 else 200})
        events.append({"ts": ts, "status": 200})
    jobs = [
        {"ts": t - 600 + i, "service": "a", "http": {"route": "/x"}, "window": "w", "ok": i % 4 != 0}
        for i in range(40)
    ]
    with grouped.client() as c:
        r = c.post("/api/v1/streams/api/events", json=events)
        assert r.status_code == 200, r.text
        assert c.post("/api/v1/streams/jobs/events", json=jobs).status_code == 200
        # The evaluator runs every second: wait until both failing groups' pages fire.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if len({a["slo"] for a in c.get("/api/v1/alerts").json()["firing"]}) == 2:
                break
            time.sleep(0.5)
        for _ in range(3):  # the scrape and the API's answer in one evaluation minute
            before = c.get("/api/v1/slos/api-ok").json()["slo"]["at"]
            alerts = c.get("/api/v1/alerts").json()  # firing before the scrape: firing in it
            text = c.get("/metrics").text
            detail = c.get("/api/v1/slos/api-ok").json()
            if detail["slo"]["at"] == before:
                break

    sli = samples(text, "slokit_slo_sli")
    remaining = samples(text, "slokit_slo_error_budget_remaining")
    target = samples(text, "slokit_slo_target")
    burn = samples(text, "slokit_slo_burn_rate")
    status = samples(text, "slokit_slo_status")
    api_groups = {g["group"]["route"]: g for g in detail["groups"]}

    def expected(mine: list[dict[str, Any]]) -> tuple[float, float]:
        """Brute force from the raw events: SLI and remaining budget (Occurrences)."""
        good = sum(1 for e in mine if e["status"] < 500)
        bad_fraction = (len(mine) - good) / len(mine)
        return good / len(mine), 1.0 - bad_fraction / (1.0 - TARGET)

    # Overall: the labels as before groups (no group labels), numbers of all events.
    overall = {"slo": "api-ok", "service": "shop"}
    want_sli, want_rem = expected(events)
    assert one(sli, **overall) == pytest.approx(want_sli, rel=1e-12)
    assert one(remaining, **overall) == pytest.approx(want_rem, rel=1e-12)
    assert one(target, **overall) == TARGET
    for route in ROUTES:
        labels = {**overall, "route": route, "group": '{route="' + route + '"}'}
        want_sli, want_rem = expected([e for e in events if e.get("route", "") == route])
        assert one(sli, **labels) == pytest.approx(want_sli, rel=1e-12)
        assert one(remaining, **labels) == pytest.approx(want_rem, rel=1e-12)
        assert one(target, **labels) == TARGET
        api = api_groups[route]
        assert one(sli, **labels) == pytest.approx(api["sli"], rel=1e-12)
        assert one(remaining, **labels) == pytest.approx(api["budget_remaining"], rel=1e-12)
        # The 1 h window holds every event sent (the last 30 minutes): burn = bad fraction / 1 %.
        assert one(burn, **labels, window="1h") == pytest.approx((1.0 - want_sli) / (1.0 - TARGET))
        assert {w: one(burn, **labels, window=w) for w in api["burn_rates"]} == pytest.approx(
            api["burn_rates"]
        )
        assert one(status, **labels, status=api["status"]) == 1.0
    assert {g for lab, _ in sli if lab["slo"] == "api-ok" for g in [lab.get("route")]} == {None, *ROUTES}

    # Group fields named as slokit's labels (or as a renamed one) never overwrite them.
    renamed = {
        "slo": "jobs-ok",
        "service": "batch",
        "group_service": "a",
        "http_route": "/x",
        "group_window": "w",
        "group_group_service": "",
        "group": '{service="a",http.route="/x",window="w",group_service=""}',
    }
    assert one(sli, **renamed) == pytest.approx(30 / 40, rel=1e-12)
    assert one(burn, **renamed, window="1h") == pytest.approx(0.25 / 0.1)

    # Alerts: every group's alert carries its labels (renamed as above); failing pages fire (2).
    firing = {(a["slo"], a["group"]) for a in alerts["firing"]}
    assert firing == {("api-ok", '{route="<b>/cart</b>"}'), ("jobs-ok", renamed["group"])}
    state = samples(text, "slokit_alert_state")
    keyed = Counter(tuple(sorted(lab.items())) for lab, _ in state)
    assert max(keyed.values()) == 1  # one series per alert: groups no longer collide
    cart = '{route="<b>/cart</b>"}'
    group_of = {  # the labels an alert's group gives on /metrics (no service label on alerts)
        cart: {"route": "<b>/cart</b>", "group": cart},
        renamed["group"]: {k: v for k, v in renamed.items() if k not in ("slo", "service")},
    }
    for a in alerts["firing"]:
        labels = {"slo": a["slo"], "rule": a["rule"], "severity": a["severity"], **group_of[a["group"]]}
        assert one(state, **labels) == 2.0
    assert {a["severity"] for a in alerts["firing"] if a["group"] == cart} >= {"page"}
    # A grouped SLO is alerted per group only: each of its alerts names its group.
    assert all("route" in lab for lab, _ in state if lab["slo"] == "api-ok")


def test_alert_of_an_objective_and_group() -> None:
    # A multi-objective SLO's alert group starts with the objective's name (see alerting.md).
    families = _Families()
    key = AlertKey("s", "page-2m", 'p99 {fast}{slo="x",route="/a"}')
    families.add_alert(AlertState(key, "pending", "page"))
    families.add_alert(AlertState(AlertKey("s", "page-2m", "objective-1"), "firing", "page"))
    families.add_alert(AlertState(AlertKey("t", "page-2m"), "resolved", "page"))
    (_, _, _, _, _, alert) = families.metrics()
    assert [(s.labels, s.value) for s in alert.samples] == [
        (
            {
                "slo": "s",
                "rule": "page-2m",
                "severity": "page",
                "objective": "p99 {fast}",
                "group_slo": "x",
                "route": "/a",
                "group": '{slo="x",route="/a"}',
            },
            1.0,
        ),
        ({"slo": "s", "rule": "page-2m", "severity": "page", "objective": "objective-1"}, 2.0),
        ({"slo": "t", "rule": "page-2m", "severity": "page"}, 0.0),
    ]
