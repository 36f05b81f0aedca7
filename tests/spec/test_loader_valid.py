"""Valid OpenSLO v1 specs load into the model with every reference resolved."""

from __future__ import annotations

from pathlib import Path

import pytest

import slokit
from slokit.spec.durations import Duration
from slokit.spec.model import PrometheusQuery, SlokitQuery

FULL = """\
apiVersion: openslo/v1
kind: Service
metadata:
  name: checkout
  displayName: Checkout
spec:
  description: Takes orders and payments
---
apiVersion: openslo/v1
kind: DataSource
metadata:
  name: events
spec:
  type: slokit
  connectionDetails: {}
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: checkout-success
spec:
  ratioMetric:
    counter: true
    good:
      metricSource:
        metricSourceRef: events
        spec:
          stream: checkout
          where: "status < 500"
    total:
      metricSource:
        metricSourceRef: events
        spec:
          stream: checkout
---
apiVersion: openslo/v1
kind: AlertCondition
metadata:
  name: fast-burn
spec:
  severity: page
  condition:
    kind: burnrate
    op: gte
    threshold: 14.4
    lookbackWindow: 1h
    alertAfter: 5m
---
apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata:
  name: oncall
spec:
  target: pagerduty
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: page-fast
spec:
  alertWhenBreaching: true
  conditions:
    - conditionRef: fast-burn
  notificationTargets:
    - targetRef: oncall
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
  labels:
    tier: critical
    team: [payments, web]
spec:
  service: checkout
  indicatorRef: checkout-success
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - targetPercent: 99.9
  alertPolicies:
    - alertPolicyRef: page-fast
    - kind: AlertPolicy
      metadata:
        name: ticket-slow
      spec:
        alertWhenBreaching: true
        conditions:
          - kind: AlertCondition
            metadata:
              name: slow-burn
            spec:
              severity: ticket
              condition:
                kind: burnrate
                op: gte
                threshold: 1
                lookbackWindow: 3d
        notificationTargets:
          - kind: AlertNotificationTarget
            metadata:
              name: tickets
            spec:
              target: jira
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-latency
spec:
  service: checkout
  indicator:
    metadata:
      name: checkout-latency-ms
    spec:
      thresholdMetric:
        metricSource:
          type: prometheus
          spec:
            histogram: http_request_duration_seconds
            selector: '{job="checkout"}'
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar:
        startTime: "2024-01-01 00:00:00"
        timeZone: Europe/Berlin
  budgetingMethod: Timeslices
  objectives:
    - displayName: p95 under 400 ms
      op: lt
      value: 0.4
      target: 0.95
      timeSliceTarget: 0.9
      timeSliceWindow: 5m
"""


def test_full_spec_loads_with_references_resolved() -> None:
    spec = slokit.load(FULL)
    assert set(spec.slos) == {"checkout-availability", "checkout-latency"}
    assert set(spec.services) == {"checkout"}
    avail = spec.slo("checkout-availability")
    assert avail.service == "checkout"
    assert avail.indicator_ref == "checkout-success"
    assert avail.indicator is spec.slis["checkout-success"]
    assert avail.objectives[0].target == 0.999
    assert avail.metadata.labels == {"tier": ("critical",), "team": ("payments", "web")}
    assert avail.time_window.duration == Duration(28, "d") and avail.time_window.is_rolling
    # by reference and inline alert policies, each with its condition and target resolved
    by_ref, inline = avail.alert_policies
    assert by_ref is spec.alert_policies["page-fast"]
    assert by_ref.conditions[0].threshold == 14.4
    assert by_ref.conditions[0].alert_after == Duration(5, "m")
    assert by_ref.notification_targets[0].target == "pagerduty"
    assert inline.name == "ticket-slow" and inline.conditions[0].lookback_window == Duration(3, "d")
    assert inline.conditions[0].alert_after == Duration(0, "m")  # the spec's default
    assert inline.notification_targets[0].name == "tickets"
    # the DataSource type applies to metric sources that only reference it
    ratio = avail.indicator.ratio_metric if avail.indicator else None
    assert ratio is not None and ratio.good is not None and ratio.total is not None
    assert ratio.good.data_source_ref == "events" and ratio.good.type == "slokit"
    assert isinstance(ratio.good.binding, SlokitQuery) and ratio.good.binding.stream == "checkout"
    assert ratio.good.binding.where is not None
    assert isinstance(ratio.total.binding, SlokitQuery) and ratio.total.binding.where is None


def test_calendar_window_and_timeslices() -> None:
    slo = slokit.load(FULL).slo("checkout-latency")
    window = slo.time_window
    assert not window.is_rolling and window.duration == Duration(1, "M")
    assert window.calendar is not None and window.calendar.time_zone == "Europe/Berlin"
    assert window.calendar.start_time.isoformat() == "2024-01-01T00:00:00+01:00"
    objective = slo.objectives[0]
    assert (objective.op, objective.value, objective.target) == ("lt", 0.4, 0.95)
    assert objective.time_slice_target == 0.9 and objective.time_slice_window == Duration(5, "m")
    sli = slo.indicator
    assert sli is not None and sli.kind == "threshold" and sli.threshold_metric is not None
    binding = sli.threshold_metric.source.binding
    assert isinstance(binding, PrometheusQuery) and binding.histogram == "http_request_duration_seconds"


def test_locations_point_at_objects() -> None:
    spec = slokit.load(FULL)
    slo = spec.slo("checkout-latency")
    assert slo.location is not None and slo.location.file == "<text>"
    line = FULL.splitlines().index("  name: checkout-latency") + 1
    assert slo.location.line == line - 3  # the document starts at apiVersion, three lines up


def test_folder_is_loaded_recursively_and_refs_cross_files(tmp_path: Path) -> None:
    docs = FULL.split("---\n")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "deep").mkdir()
    (tmp_path / "a" / "deep" / "slos.yml").write_text("---\n".join(docs[6:]))
    (tmp_path / "base.yaml").write_text("---\n".join(docs[:6]))
    (tmp_path / "notes.txt").write_text("not yaml: [")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "broken.yaml").write_text("::: [")
    spec = slokit.load(tmp_path)
    assert len(spec) == 2
    assert [Path(f).name for f in spec.files] == ["slos.yml", "base.yaml"]


def test_top_level_list_of_objects_is_accepted() -> None:
    text = """
- apiVersion: openslo/v1
  kind: Service
  metadata: {name: a}
- apiVersion: openslo/v1
  kind: Service
  metadata: {name: b}
"""
    assert set(slokit.load(text).services) == {"a", "b"}


@pytest.mark.parametrize("percent,fraction", [(99.9, 0.999), (99.95, 0.9995), (95, 0.95), (99.999, 0.99999)])
def test_target_percent_becomes_the_fraction_written(percent: float, fraction: float) -> None:
    text = FULL.replace("targetPercent: 99.9", f"targetPercent: {percent}")
    assert slokit.load(text).slo("checkout-availability").objectives[0].target == fraction
