"""openslo/v1alpha objects are checked in their own shape and become the equivalent v1 model."""

from __future__ import annotations

import pytest

import slokit
from slokit.errors import SpecError
from slokit.spec.durations import Duration
from slokit.spec.loader import load_with_diagnostics

THRESHOLD = """\
apiVersion: openslo/v1alpha
kind: SLO
metadata:
  name: search-latency
  displayName: Search latency
spec:
  service: search
  description: Searches answer quickly
  indicator:
    thresholdMetric:
      source: Prometheus
      queryType: promql
      query: search_latency_seconds
  timeWindows:
    - unit: Day
      count: 28
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: fast
      op: lte
      value: 0.3
      target: 0.9
    - displayName: not slow
      op: lte
      value: 1.2
      target: 0.99
"""

RATIO = """\
apiVersion: openslo/v1alpha
kind: SLO
metadata:
  name: search-success
spec:
  service: search
  timeWindows:
    - unit: Month
      count: 1
      isRolling: false
      calendar:
        startTime: "2023-06-01 00:00:00"
        timeZone: Asia/Tokyo
  budgetingMethod: Timeslices
  objectives:
    - displayName: ok
      value: 1
      target: 0.995
      timeSliceTarget: 0.9
      ratioMetrics:
        incremental: true
        good: {source: datadog, queryType: metric, query: "sum:search.ok{*}"}
        total: {source: datadog, queryType: metric, query: "sum:search.all{*}"}
"""

SERVICE = """\
apiVersion: openslo/v1alpha
kind: Service
metadata: {name: search, displayName: Search}
spec: {description: Full-text search}
"""


def test_threshold_slo_converts_to_v1() -> None:
    spec = slokit.load(THRESHOLD + "---\n" + SERVICE)
    slo = spec.slo("search-latency")
    assert spec.services["search"].description == "Full-text search"
    assert slo.time_window.duration == Duration(28, "d") and slo.time_window.is_rolling
    assert slo.indicator is not None and slo.indicator.kind == "threshold"
    assert slo.indicator.threshold_metric is not None
    source = slo.indicator.threshold_metric.source
    assert source.type == "Prometheus"
    assert dict(source.spec) == {"queryType": "promql", "query": "search_latency_seconds"}
    assert [(o.op, o.value, o.target) for o in slo.objectives] == [("lte", 0.3, 0.9), ("lte", 1.2, 0.99)]


def test_ratio_slo_converts_and_warns_about_the_slice_length() -> None:
    spec, diagnostics = load_with_diagnostics(RATIO)
    slo = spec.slo("search-success")
    assert slo.indicator is not None and slo.indicator.ratio_metric is not None
    ratio = slo.indicator.ratio_metric
    assert ratio.counter is True and ratio.good is not None and ratio.total is not None
    assert dict(ratio.good.spec) == {"queryType": "metric", "query": "sum:search.ok{*}"}
    objective = slo.objectives[0]
    assert objective.op is None and objective.value is None  # v1 forbids them for ratios
    assert objective.time_slice_target == 0.9 and objective.time_slice_window == Duration(1, "m")
    assert slo.time_window.calendar is not None and slo.time_window.calendar.time_zone == "Asia/Tokyo"
    assert [d.severity for d in diagnostics] == ["warning"]
    assert "no timeSliceWindow" in diagnostics[0].message


def test_several_ratio_objectives_become_a_composite_slo() -> None:
    text = RATIO.replace("budgetingMethod: Timeslices", "budgetingMethod: Occurrences").replace(
        "      timeSliceTarget: 0.9\n", ""
    )
    second = text.split("  objectives:\n")[1].replace("displayName: ok", "displayName: also ok")
    slo = slokit.load(text + second).slo("search-success")
    assert slo.is_composite and len(slo.objectives) == 2
    assert [o.indicator.name for o in slo.objectives if o.indicator] == [
        "search-success-1",
        "search-success-2",
    ]


def test_seconds_become_minutes() -> None:
    text = THRESHOLD.replace("unit: Day\n      count: 28", "unit: Second\n      count: 3600")
    assert slokit.load(text).slo("search-latency").time_window.duration == Duration(60, "m")


@pytest.mark.parametrize(
    "text,old,new,path,fragment",
    [
        (
            THRESHOLD,
            "unit: Day",
            "unit: Year",
            "spec.timeWindows[0].unit",
            "one of: Second, Day, Week, Month, Quarter",
        ),
        (THRESHOLD, "count: 28", "count: 0", "spec.timeWindows[0].count", "not a positive whole number"),
        (
            THRESHOLD,
            "unit: Day\n      count: 28",
            "unit: Second\n      count: 90",
            "spec.timeWindows[0].count",
            "not a whole number of minutes",
        ),
        (THRESHOLD, "      value: 0.3\n", "", "spec.objectives[0].value", "'value' is required"),
        (
            THRESHOLD,
            "    - displayName: fast\n      op: lte\n",
            "    - displayName: fast\n",
            "spec.objectives[0].op",
            "'op' is required",
        ),
        (RATIO, "      value: 1\n", "      value: 1\n      op: gt\n", "spec.objectives[0].op", "not allowed"),
        (
            RATIO,
            "  timeWindows:",
            "  indicator:\n    thresholdMetric: {source: a, queryType: b, query: c}\n  timeWindows:",
            "spec.objectives[].ratioMetrics",
            "only one of 'indicator'",
        ),
        (
            THRESHOLD,
            "source: Prometheus",
            "source: prom-2",
            "spec.indicator.thresholdMetric.source",
            "only letters",
        ),
        (
            THRESHOLD,
            "  displayName: Search latency",
            "  labels: {a: b}",
            "metadata.labels",
            "no metadata.labels",
        ),
        (THRESHOLD, "target: 0.9\n", "target: 1.9\n", "spec.objectives[0].target", "0 < target < 1"),
        (THRESHOLD, "  timeWindows:", "  timeWindow:", "spec.timeWindow", "did you mean 'timeWindows'"),
    ],
)
def test_v1alpha_rules(text: str, old: str, new: str, path: str, fragment: str) -> None:
    assert old in text
    with pytest.raises(SpecError) as info:
        slokit.load(text.replace(old, new, 1))
    found = [(d.path, f"{d.message} ({d.hint})") for d in info.value.diagnostics if d.severity == "error"]
    assert any(p == path and fragment in m for p, m in found), found
