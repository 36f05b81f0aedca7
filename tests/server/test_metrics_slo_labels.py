"""``/metrics`` carries each SLO's ``metadata.labels`` on every one of its series, over real HTTP:
names made valid as the generated rules make them, then renamed away from slokit's own labels,
the group labels and each other; the label sets expected are written out by hand."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import slokit_test_serverproc as sp  # loaded by conftest.py
from prometheus_client.parser import text_string_to_metric_families

from slokit.server.metrics import RESERVED_LABELS, slo_label_names

PAY = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: pay-ok
  labels:
    team: [payments, checkout]
    cost-center: "42"
    cost.center: "7"
    service: billing
    2nd: x
spec:
  service: shop
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
  indicator:
    metadata: {name: pay-ok}
    spec:
      ratioMetric:
        counter: false
        good: {metricSource: {type: slokit, spec: {stream: pay, where: "status < 500"}}}
        total: {metricSource: {type: slokit, spec: {stream: pay}}}
---
"""
API = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-ok
  labels: {route: all, group: g, tier: "TIER"}
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

# Written out by hand from the rule in docs/server.md.
PAY_LABELS = {
    "slo": "pay-ok",
    "service": "shop",
    "team": "payments,checkout",  # two values joined by ","
    "cost_center": "42",  # "-" replaced
    "label_cost_center": "7",  # "." replaced, then clashes with the key before it
    "label_service": "billing",  # one of slokit's names
    "_2nd": "x",  # a leading digit gets "_" in front
}
API_LABELS = {"slo": "api-ok", "service": "shop", "label_route": "all", "label_group": "g", "tier": "1"}
EXTRA = {"window", "status", "rule", "severity"}  # the labels a gauge adds of its own


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("slo_labels_metrics")
    spec = root / "slos.yaml"
    spec.write_text(PAY + API.replace("TIER", "1"))
    proc = sp.ServerProcess(Path(root / "l.duckdb"), spec).start()
    proc.spec_path = spec
    yield proc
    proc.stop()


def series(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Every sample of a scrape, parsed by prometheus_client's own text parser."""
    return [
        (s.name, dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def test_slo_label_names_rule() -> None:
    assert slo_label_names(("team",), ()) == ("team",)
    # Clashes with slokit's labels, Prometheus's prefix, a group label, an earlier SLO label.
    assert slo_label_names(("route", "group", "__x", "a", "a", "label_a"), ("route",)) == (
        "label_route",
        "label_group",
        "label___x",
        "a",
        "label_a",
        "label_label_a",
    )
    # A group label renamed away from "service" takes "group_service" from the SLO's labels too.
    assert slo_label_names(("group_service", "service"), ("service",)) == (
        "label_group_service",
        "label_service",
    )
    for name in RESERVED_LABELS:
        assert slo_label_names((name,), ()) == (f"label_{name}",)


def test_slo_labels_on_every_series(labelled: Any) -> None:
    t = math.floor(time.time() / 60) * 60
    pay = [{"ts": t - 1200 + i * 10, "status": 500 if i % 2 else 200} for i in range(100)]  # 50 bad
    api = [{"ts": t - 1200 + i * 10, "route": "/a", "status": 500} for i in range(120)]  # all bad
    api += [{"ts": t - 1200 + i * 10, "route": "/b", "status": 200 if i % 4 else 503} for i in range(120)]
    with labelled.client() as c:
        assert c.post("/api/v1/streams/pay/events", json=pay).status_code == 200
        assert c.post("/api/v1/streams/api/events", json=api).status_code == 200
        deadline = time.monotonic() + 20  # the evaluator runs every second
        while time.monotonic() < deadline:
            if len({a["slo"] for a in c.get("/api/v1/alerts").json()["firing"]}) == 2:
                break
            time.sleep(0.5)
        alerts = c.get("/api/v1/alerts").json()
        first = c.get("/metrics").text
        second = c.get("/metrics").text

    found = series(first)
    group_a = {**API_LABELS, "route": "/a", "group": '{route="/a"}'}
    group_b = {**API_LABELS, "route": "/b", "group": '{route="/b"}'}
    # Every series of an SLO has exactly its labels (and the gauge's own): overall, groups, alerts.
    kinds: dict[str, set[str]] = {"pay-ok": set(), "api-ok": set()}
    for name, labels, _ in found:
        own = {k: v for k, v in labels.items() if k not in EXTRA}
        if name == "slokit_alert_state":  # alerts carry no service label
            own["service"] = "shop"
        if labels["slo"] == "pay-ok":
            assert own == PAY_LABELS, (name, labels)
        else:
            assert own in (API_LABELS, group_a, group_b), (name, labels)
        kinds[labels["slo"]].add(name)
    assert (
        kinds["pay-ok"]
        == kinds["api-ok"]
        == {
            "slokit_slo_sli",
            "slokit_slo_target",
            "slokit_slo_error_budget_remaining",
            "slokit_slo_burn_rate",
            "slokit_slo_status",
            "slokit_alert_state",
        }
    )

    def value(name: str, **labels: str) -> float:
        values = [v for n, lab, v in found if n == name and lab == labels]
        assert len(values) == 1, (name, labels)
        return values[0]

    # The numbers still belong to the right series (brute force from the events sent).
    assert value("slokit_slo_sli", **PAY_LABELS) == pytest.approx(50 / 100, rel=1e-12)
    assert value("slokit_slo_sli", **API_LABELS) == pytest.approx(90 / 240, rel=1e-12)
    assert value("slokit_slo_sli", **group_a) == 0.0
    assert value("slokit_slo_sli", **group_b) == pytest.approx(90 / 120, rel=1e-12)
    assert value("slokit_slo_burn_rate", **group_b, window="1h") == pytest.approx(0.25 / 0.01)

    # Firing alerts: the SLO's labels, and for a grouped SLO the group's after them.
    firing = {(a["slo"], a["group"]) for a in alerts["firing"]}
    assert ("pay-ok", "") in firing and ("api-ok", '{route="/a"}') in firing
    for a in alerts["firing"]:
        own = {"": PAY_LABELS, group_a["group"]: group_a, group_b["group"]: group_b}[a["group"]]
        labels = {k: v for k, v in own.items() if k != "service"}  # alerts carry no service
        assert value("slokit_alert_state", **labels, rule=a["rule"], severity=a["severity"]) == 2.0

    # The same series (names and label sets) in the next scrape.
    assert sorted((n, sorted(lab.items())) for n, lab, _ in series(second)) == sorted(
        (n, sorted(lab.items())) for n, lab, _ in found
    )


def test_changed_labels_give_new_series(labelled: Any) -> None:
    # Run after the test above (same module): the reloaded spec labels api-ok tier "2".
    labelled.spec_path.write_text(PAY + API.replace("TIER", "2"))
    with labelled.client() as c:
        assert c.post("/api/v1/reload").status_code == 200
        found = series(c.get("/metrics").text)
    tiers = {lab.get("tier") for _, lab, _ in found if lab["slo"] == "api-ok"}
    assert tiers == {"2"}
    assert {lab.get("team") for _, lab, _ in found if lab["slo"] == "pay-ok"} == {"payments,checkout"}
