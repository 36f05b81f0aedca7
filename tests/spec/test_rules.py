"""Every validation rule, each with a spec that passes and a minimal change that fails.

The oracle is the OpenSLO v1 specification and the rules its Go SDK enforces (plus the checks
slokit adds: references, time zones, unique names); each failing case asserts the field path
and the reason, not just that loading failed.
"""

from __future__ import annotations

import pytest

import slokit
from slokit.errors import Diagnostic, SpecError

RATIO = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-availability
  displayName: API availability
spec:
  description: Requests that succeed
  service: api
  indicator:
    metadata:
      name: api-ok
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: slokit
            spec:
              stream: api
              where: "status < 500"
        total:
          metricSource:
            type: slokit
            spec:
              stream: api
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: success
      target: 0.999
"""

THRESHOLD = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-latency
spec:
  service: api
  indicator:
    metadata:
      name: api-latency-ms
    spec:
      thresholdMetric:
        metricSource:
          type: slokit
          spec:
            stream: api
            value: latency_ms
  timeWindow:
    - duration: 1d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - op: lt
      value: 400
      target: 0.95
"""

ALERTING = """\
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: page
spec:
  conditions:
    - kind: AlertCondition
      metadata:
        name: fast-burn
      spec:
        severity: page
        condition:
          kind: burnrate
          op: gte
          threshold: 14.4
          lookbackWindow: 1h
  notificationTargets:
    - targetRef: oncall
---
apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata:
  name: oncall
spec:
  target: slack
"""

RAW = RATIO.replace(
    """        good:
          metricSource:
            type: slokit
            spec:
              stream: api
              where: "status < 500"
        total:
          metricSource:
            type: slokit
            spec:
              stream: api
""",
    """        rawType: success
        raw:
          metricSource:
            type: Datadog
            spec:
              query: avg:api.success_ratio{*}
""",
)

COMPOSITE = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: journey}
spec:
  service: shop
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives:
    - displayName: browse
      target: 0.99
      compositeWeight: 2
      indicatorRef: browse-ok
    - displayName: pay
      target: 0.999
      op: lt
      value: 800
      indicator:
        metadata: {name: pay-latency}
        spec:
          thresholdMetric: {metricSource: {type: slokit, spec: {stream: pay, value: ms}}}
---
apiVersion: openslo/v1
kind: SLI
metadata: {name: browse-ok}
spec:
  ratioMetric:
    counter: true
    good: {metricSource: {type: slokit, spec: {stream: web, where: "status < 500"}}}
    total: {metricSource: {type: slokit, spec: {stream: web}}}
"""

CALENDAR = RATIO.replace(
    "    - duration: 30d\n      isRolling: true\n",
    "    - duration: 1M\n      isRolling: false\n      calendar:\n"
    "        startTime: '2024-01-01 00:00:00'\n        timeZone: America/New_York\n",
)


def diagnostics(text: str) -> list[Diagnostic]:
    try:
        slokit.load(text)
    except SpecError as exc:
        return [d for d in exc.diagnostics if d.severity == "error"]
    return []


def sub(text: str, old: str, new: str) -> str:
    assert old in text, f"test bug: {old!r} not in text"
    return text.replace(old, new, 1)


def assert_rule(ok: str, bad: str, path: str, fragment: str) -> None:
    assert diagnostics(ok) == [], [d.format() for d in diagnostics(ok)]
    found = diagnostics(bad)
    matching = [d for d in found if d.path == path and fragment in f"{d.message} ({d.hint})"]
    assert matching, f"no error at {path} containing {fragment!r}; got: {[d.format() for d in found]}"
    for d in matching:
        assert d.location is not None and d.location.line > 0 and d.location.column > 0


CASES: list[tuple[str, str, str, str, str]] = [
    # (id, passing spec, failing spec, field path, what the message says)
    (
        "name-rfc1123",
        RATIO,
        sub(RATIO, "name: api-availability", "name: API_availability"),
        "metadata.name",
        "lowercase letters, digits and '-'",
    ),
    (
        "name-63",
        sub(RATIO, "name: api-availability", "name: " + "a" * 63),
        sub(RATIO, "name: api-availability", "name: " + "a" * 64),
        "metadata.name",
        "64 characters long; at most 63",
    ),
    (
        "name-ends-alphanumeric",
        RATIO,
        sub(RATIO, "name: api-availability", "name: api-"),
        "metadata.name",
        "start and end alphanumeric",
    ),
    (
        "one-of-threshold-ratio-both",
        RATIO,
        sub(
            RATIO,
            "      ratioMetric:",
            "      thresholdMetric:\n        metricSource: {type: x, spec: {q: 1}}\n      ratioMetric:",
        ),
        "spec.indicator.spec.ratioMetric",
        "cannot both be set",
    ),
    (
        "one-of-threshold-ratio-none",
        RATIO,
        sub(
            RATIO, "    spec:\n      ratioMetric:", "    spec:\n      description: none\n      xratioMetric:"
        ),
        "spec.indicator.spec",
        "an SLI needs a metric",
    ),
    (
        "good-xor-bad-both",
        RATIO,
        sub(
            RATIO,
            "        total:",
            "        bad:\n          metricSource: {type: slokit, spec: {stream: api}}\n        total:",
        ),
        "spec.indicator.spec.ratioMetric.bad",
        "not allowed together with 'good'",
    ),
    (
        "good-or-bad-needed",
        sub(RATIO, "        good:", "        bad:"),
        sub(RATIO, "        good:", "        xgood:"),
        "spec.indicator.spec.ratioMetric",
        "needs 'good' or 'bad'",
    ),
    (
        "raw-needs-rawType",
        RAW,
        sub(RAW, "        rawType: success\n", ""),
        "spec.indicator.spec.ratioMetric.rawType",
        "'rawType' is required",
    ),
    (
        "rawType-values",
        sub(RAW, "rawType: success", "rawType: failure"),
        sub(RAW, "rawType: success", "rawType: partial"),
        "spec.indicator.spec.ratioMetric.rawType",
        "one of: success, failure",
    ),
    (
        "raw-excludes-total",
        RAW,
        sub(
            RAW,
            "        raw:",
            "        total: {metricSource: {type: Datadog, spec: {query: x}}}\n        raw:",
        ),
        "spec.indicator.spec.ratioMetric.total",
        "not allowed together with 'raw'",
    ),
    (
        "rawType-only-with-raw",
        RATIO,
        sub(RATIO, "        counter: true", "        counter: true\n        rawType: success"),
        "spec.indicator.spec.ratioMetric.rawType",
        "not allowed without 'raw'",
    ),
    (
        "counter-boolean",
        sub(RATIO, "counter: true", "counter: false"),
        sub(RATIO, "counter: true", "counter: 'yes please'"),
        "spec.indicator.spec.ratioMetric.counter",
        "must be true or false",
    ),
    (
        "threshold-needs-op",
        THRESHOLD,
        sub(THRESHOLD, "    - op: lt\n      value: 400", "    - value: 400"),
        "spec.objectives[0].op",
        "'op' is required",
    ),
    (
        "threshold-needs-value",
        THRESHOLD,
        sub(THRESHOLD, "      value: 400\n", ""),
        "spec.objectives[0].value",
        "'value' is required",
    ),
    (
        "ratio-forbids-op",
        RATIO,
        sub(RATIO, "      target: 0.999", "      target: 0.999\n      op: gte"),
        "spec.objectives[0].op",
        "not allowed with a ratioMetric SLI",
    ),
    (
        "ratio-forbids-value",
        RATIO,
        sub(RATIO, "      target: 0.999", "      target: 0.999\n      value: 1"),
        "spec.objectives[0].value",
        "not allowed with a ratioMetric SLI",
    ),
    (
        "op-values",
        sub(THRESHOLD, "op: lt", "op: lte"),
        sub(THRESHOLD, "op: lt", "op: le"),
        "spec.objectives[0].op",
        "one of: lt, lte, gt, gte",
    ),
    (
        "timeslices-needs-target",
        sub(RATIO, "Occurrences", "Timeslices").replace(
            "target: 0.999", "target: 0.999\n      timeSliceTarget: 0.95\n      timeSliceWindow: 1m"
        ),
        sub(RATIO, "Occurrences", "Timeslices").replace(
            "target: 0.999", "target: 0.999\n      timeSliceWindow: 1m"
        ),
        "spec.objectives[0].timeSliceTarget",
        "'timeSliceTarget' is required",
    ),
    (
        "timeslices-needs-window",
        sub(RATIO, "Occurrences", "Timeslices").replace(
            "target: 0.999", "target: 0.999\n      timeSliceTarget: 1\n      timeSliceWindow: 1h"
        ),
        sub(RATIO, "Occurrences", "Timeslices").replace(
            "target: 0.999", "target: 0.999\n      timeSliceTarget: 0.9"
        ),
        "spec.objectives[0].timeSliceWindow",
        "'timeSliceWindow' is required",
    ),
    (
        "timeSliceTarget-range",
        sub(RATIO, "Occurrences", "Timeslices").replace(
            "target: 0.999", "target: 0.999\n      timeSliceTarget: 1\n      timeSliceWindow: 5m"
        ),
        sub(RATIO, "Occurrences", "Timeslices").replace(
            "target: 0.999", "target: 0.999\n      timeSliceTarget: 0\n      timeSliceWindow: 5m"
        ),
        "spec.objectives[0].timeSliceTarget",
        "0 < timeSliceTarget ≤ 1",
    ),
    (
        "ratio-timeslices-needs-window",
        sub(RATIO, "Occurrences", "RatioTimeslices").replace(
            "target: 0.999", "target: 0.999\n      timeSliceWindow: 5"
        ),
        sub(RATIO, "Occurrences", "RatioTimeslices"),
        "spec.objectives[0].timeSliceWindow",
        "'timeSliceWindow' is required",
    ),
    (
        "time-slice-fits-the-window",
        sub(RATIO, "Occurrences", "RatioTimeslices").replace(
            "target: 0.999", "target: 0.999\n      timeSliceWindow: 30d"
        ),
        sub(RATIO, "Occurrences", "RatioTimeslices").replace(
            "target: 0.999", "target: 0.999\n      timeSliceWindow: 31d"
        ),
        "spec.objectives[0].timeSliceWindow",
        "longer than the SLO window of 30d",
    ),
    (
        "occurrences-forbids-slices",
        RATIO,
        sub(RATIO, "target: 0.999", "target: 0.999\n      timeSliceWindow: 1m"),
        "spec.objectives[0].timeSliceWindow",
        "not allowed with budgetingMethod Occurrences",
    ),
    (
        "budgetingMethod-values",
        RATIO,
        sub(RATIO, "Occurrences", "Occurences"),
        "spec.budgetingMethod",
        "did you mean 'Occurrences'",
    ),
    (
        "rolling-forbids-calendar",
        CALENDAR,
        sub(CALENDAR, "isRolling: false", "isRolling: true"),
        "spec.timeWindow[0].calendar",
        "cannot be set when 'isRolling' is true",
    ),
    (
        "calendar-needed-when-not-rolling",
        RATIO,
        sub(RATIO, "isRolling: true", "isRolling: false"),
        "spec.timeWindow[0].isRolling",
        "'calendar' must be set when 'isRolling' is false",
    ),
    (
        "exactly-one-timeWindow",
        RATIO,
        sub(
            RATIO,
            "      isRolling: true\n",
            "      isRolling: true\n    - duration: 7d\n      isRolling: true\n",
        ),
        "spec.timeWindow",
        "exactly one time window, found 2",
    ),
    (
        "timeWindow-required",
        RATIO,
        sub(RATIO, "  timeWindow:\n    - duration: 30d\n      isRolling: true\n", ""),
        "spec.timeWindow",
        "'timeWindow' is required",
    ),
    (
        "calendar-startTime-format",
        CALENDAR,
        sub(CALENDAR, "'2024-01-01 00:00:00'", "'2024-01-01'"),
        "spec.timeWindow[0].calendar.startTime",
        "YYYY-MM-DD HH:MM:SS",
    ),
    (
        "calendar-time-zone-exists",
        CALENDAR,
        sub(CALENDAR, "America/New_York", "America/New_Yrok"),
        "spec.timeWindow[0].calendar.timeZone",
        "did you mean 'America/New_York'",
    ),
    (
        "duration-format",
        sub(RATIO, "duration: 30d", "duration: 4w"),
        sub(RATIO, "duration: 30d", "duration: 30 days"),
        "spec.timeWindow[0].duration",
        "is not a duration",
    ),
    (
        "duration-units",
        sub(RATIO, "duration: 30d", "duration: 720h"),
        sub(RATIO, "duration: 30d", "duration: 3600s"),
        "spec.timeWindow[0].duration",
        "unit 's' is not allowed",
    ),
    (
        "target-xor-targetPercent-both",
        RATIO,
        sub(RATIO, "target: 0.999", "target: 0.999\n      targetPercent: 99.9"),
        "spec.objectives[0].targetPercent",
        "cannot both be given",
    ),
    (
        "target-xor-targetPercent-none",
        sub(RATIO, "target: 0.999", "targetPercent: 99.9"),
        sub(RATIO, "target: 0.999", "displayName: x"),
        "spec.objectives[0].target",
        "'target' is required",
    ),
    (
        "target-range-high",
        sub(RATIO, "target: 0.999", "target: 0.99999"),
        sub(RATIO, "target: 0.999", "target: 1"),
        "spec.objectives[0].target",
        "0 < target < 1",
    ),
    (
        "target-range-zero",
        sub(RATIO, "target: 0.999", "target: 0.5"),
        sub(RATIO, "target: 0.999", "target: 0"),
        "spec.objectives[0].target",
        "0 < target < 1",
    ),
    (
        "targetPercent-range",
        sub(RATIO, "target: 0.999", "targetPercent: 99.99"),
        sub(RATIO, "target: 0.999", "targetPercent: 100"),
        "spec.objectives[0].targetPercent",
        "0 < targetPercent < 100",
    ),
    (
        "target-is-a-number",
        RATIO,
        sub(RATIO, "target: 0.999", "target: '0.999'"),
        "spec.objectives[0].target",
        "must be a number (remove the quotes), got a string",
    ),
    (
        "objectives-is-a-list",
        RATIO,
        sub(
            RATIO,
            "  objectives:\n    - displayName: success\n      target: 0.999",
            "  objectives: {target: 0.9}",
        ),
        "spec.objectives",
        "must be a list, got a mapping",
    ),
    (
        "objectives-not-empty",
        RATIO,
        sub(RATIO, "  objectives:\n    - displayName: success\n      target: 0.999", "  objectives: []"),
        "spec.objectives",
        "at least one objective",
    ),
    (
        "description-1050",
        sub(RATIO, "description: Requests that succeed", "description: " + "x" * 1050),
        sub(RATIO, "description: Requests that succeed", "description: " + "x" * 1051),
        "spec.description",
        "1051 characters long; at most 1050",
    ),
    (
        "displayName-63",
        sub(RATIO, "displayName: API availability", "displayName: " + "x" * 63),
        sub(RATIO, "displayName: API availability", "displayName: " + "x" * 64),
        "metadata.displayName",
        "at most 63",
    ),
    (
        "label-key-format",
        sub(
            RATIO,
            "  displayName: API availability",
            "  displayName: API availability\n  labels: {team.name: [a, b]}",
        ),
        sub(
            RATIO,
            "  displayName: API availability",
            "  displayName: API availability\n  labels: {'team name': a}",
        ),
        "metadata.labels.team name",
        "label key 'team name' is not valid",
    ),
    (
        "label-value-string",
        sub(
            RATIO, "  displayName: API availability", "  displayName: API availability\n  labels: {tier: '1'}"
        ),
        sub(RATIO, "  displayName: API availability", "  displayName: API availability\n  labels: {tier: 1}"),
        "metadata.labels.tier",
        "a label value must be a string",
    ),
    (
        "annotation-key-format",
        sub(
            RATIO,
            "  displayName: API availability",
            "  displayName: x\n  annotations: {example.com/runbook: u}",
        ),
        sub(
            RATIO,
            "  displayName: API availability",
            "  displayName: x\n  annotations: {'Example.com/run book': u}",
        ),
        "metadata.annotations.Example.com/run book",
        "is not valid",
    ),
    (
        "unknown-field-suggestion",
        RATIO,
        sub(
            RATIO, "budgetingMethod: Occurrences", "budgetMethod: Occurrences\n  budgetingMethod: Occurrences"
        ),
        "spec.budgetMethod",
        "did you mean 'budgetingMethod'",
    ),
    (
        "unknown-field-in-metadata",
        RATIO,
        sub(RATIO, "  name: api-availability", "  name: api-availability\n  namespace: prod"),
        "metadata.namespace",
        "unknown field 'namespace'",
    ),
    (
        "metric-source-spec-required",
        RATIO,
        sub(
            RATIO,
            "            spec:\n              stream: api\n  timeWindow",
            "            spec: {}\n  timeWindow",
        ),
        "spec.indicator.spec.ratioMetric.total.metricSource.spec",
        "must not be empty",
    ),
    (
        "metric-source-type-or-ref",
        RATIO,
        sub(
            RATIO,
            "            type: slokit\n            spec:\n              stream: api\n  timeWindow",
            "            spec:\n              stream: api\n  timeWindow",
        ),
        "spec.indicator.spec.ratioMetric.total.metricSource.type",
        "'type' is required",
    ),
    (
        "slokit-threshold-needs-value",
        THRESHOLD,
        sub(THRESHOLD, "            value: latency_ms\n", ""),
        "spec.indicator.spec.thresholdMetric.metricSource.spec.value",
        "'value' is required for a thresholdMetric",
    ),
    (
        "slokit-ratio-same-stream",
        RATIO,
        sub(
            RATIO,
            "              stream: api\n              where",
            "              stream: web\n              where",
        ),
        "spec.indicator.spec.ratioMetric",
        "different event streams (api, web)",
    ),
    (
        "indicator-xor-indicatorRef",
        RATIO,
        sub(RATIO, "  indicator:", "  indicatorRef: api-ok\n  indicator:"),
        "spec.indicatorRef",
        "cannot both be given",
    ),
    (
        "indicator-required",
        RATIO,
        sub(RATIO, "  indicator:", "  xindicator:"),
        "spec",
        "needs 'indicator' or 'indicatorRef'",
    ),
    (
        "indicatorRef-resolves",
        RATIO,
        sub(RATIO, "  indicator:", "  indicatorRef: api-okay\n  xindicator:"),
        "spec.indicatorRef",
        "SLI 'api-okay' is not defined",
    ),
    (
        "compositeWeight-positive",
        COMPOSITE,
        sub(COMPOSITE, "compositeWeight: 2", "compositeWeight: 0"),
        "spec.objectives[0].compositeWeight",
        "compositeWeight > 0",
    ),
    (
        "composite-indicatorRef-resolves",
        COMPOSITE,
        sub(COMPOSITE, "indicatorRef: browse-ok", "indicatorRef: browse"),
        "spec.objectives[0].indicatorRef",
        "did you mean 'browse-ok'",
    ),
    (
        "composite-every-objective-has-an-indicator",
        COMPOSITE,
        sub(COMPOSITE, "      indicatorRef: browse-ok\n", ""),
        "spec.objectives[0]",
        "every objective needs 'indicator' or 'indicatorRef'",
    ),
    (
        "connectionDetails-shape",
        "apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: ev}\n"
        "spec: {type: x, connectionDetails: [{url: 'http://p:9090'}, {token: t}]}\n",
        "apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: ev}\n"
        "spec: {type: x, connectionDetails: http://p:9090}\n",
        "spec.connectionDetails",
        "must be a mapping (or a list of mappings)",
    ),
    (
        "composite-excludes-spec-indicator",
        RATIO,
        sub(RATIO, "      target: 0.999", "      target: 0.999\n      indicatorRef: api-ok"),
        "spec.indicator",
        "cannot also have a spec-level indicator",
    ),
    (
        "alert-policy-one-condition",
        ALERTING,
        sub(ALERTING, "  notificationTargets:", "    - conditionRef: other\n  notificationTargets:"),
        "spec.conditions",
        "exactly one condition, found 2",
    ),
    (
        "alert-policy-conditions-required",
        ALERTING,
        sub(ALERTING, "  conditions:", "  xconditions:"),
        "spec.conditions",
        "'conditions' is required",
    ),
    (
        "alert-policy-needs-a-target",
        ALERTING,
        sub(ALERTING, "  notificationTargets:\n    - targetRef: oncall", "  notificationTargets: []"),
        "spec.notificationTargets",
        "at least one notification target",
    ),
    (
        "targetRef-resolves",
        ALERTING,
        sub(ALERTING, "targetRef: oncall", "targetRef: on-call"),
        "spec.notificationTargets[0].targetRef",
        "did you mean 'oncall'",
    ),
    (
        "conditionRef-resolves",
        ALERTING + "---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: p2}\n"
        "spec: {conditions: [conditionRef: fast-burn], notificationTargets: [targetRef: oncall]}\n"
        "---\napiVersion: openslo/v1\nkind: AlertCondition\nmetadata: {name: fast-burn}\n"
        "spec:\n  severity: page\n"
        "  condition: {kind: burnrate, op: gt, threshold: 2, lookbackWindow: 1h}\n",
        ALERTING + "---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: p2}\n"
        "spec: {conditions: [conditionRef: fast-burn], notificationTargets: [targetRef: oncall]}\n",
        "spec.conditions[0].conditionRef",
        "AlertCondition 'fast-burn' is not defined",
    ),
    (
        "ref-and-inline-exclusive",
        ALERTING,
        sub(ALERTING, "    - kind: AlertCondition", "    - conditionRef: x\n      kind: AlertCondition"),
        "spec.conditions[0].kind",
        "cannot both be given",
    ),
    (
        "condition-kind-burnrate",
        ALERTING,
        sub(ALERTING, "kind: burnrate", "kind: burn-rate"),
        "spec.conditions[0].spec.condition.kind",
        "did you mean 'burnrate'",
    ),
    (
        "condition-lookback-required",
        ALERTING,
        sub(ALERTING, "          lookbackWindow: 1h\n", ""),
        "spec.conditions[0].spec.condition.lookbackWindow",
        "'lookbackWindow' is required",
    ),
    (
        "condition-severity-required",
        ALERTING,
        sub(ALERTING, "        severity: page\n", ""),
        "spec.conditions[0].spec.severity",
        "'severity' is required",
    ),
    (
        "notification-target-required",
        ALERTING,
        sub(ALERTING, "  target: slack", "  description: nowhere"),
        "spec.target",
        "'target' is required",
    ),
    (
        "alertPolicyRef-resolves",
        RATIO + "  alertPolicies:\n    - alertPolicyRef: page\n---\n" + ALERTING,
        RATIO + "  alertPolicies:\n    - alertPolicyRef: paging\n---\n" + ALERTING,
        "spec.alertPolicies[0].alertPolicyRef",
        "did you mean 'page'",
    ),
    (
        "service-must-exist-when-services-defined",
        RATIO + "---\napiVersion: openslo/v1\nkind: Service\nmetadata: {name: api}\n",
        RATIO + "---\napiVersion: openslo/v1\nkind: Service\nmetadata: {name: web}\n",
        "spec.service",
        "Service 'api' is not defined",
    ),
    (
        "metricSourceRef-resolves",
        sub(
            RATIO,
            "            type: slokit\n            spec:\n              stream: api\n  time",
            "            metricSourceRef: ev\n            spec:\n              stream: api\n  time",
        )
        + "---\napiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: ev}\n"
        "spec: {type: slokit, connectionDetails: {}}\n",
        sub(
            RATIO,
            "            type: slokit\n            spec:\n              stream: api\n  time",
            "            metricSourceRef: ev\n            spec:\n              stream: api\n  time",
        ),
        "spec.indicator.spec.ratioMetric.total.metricSource.metricSourceRef",
        "DataSource 'ev' is not defined",
    ),
    (
        "datasource-needs-connectionDetails",
        "apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: ev}\n"
        "spec: {type: x, connectionDetails: {a: 1}}\n",
        "apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: ev}\nspec: {type: x}\n",
        "spec.connectionDetails",
        "'connectionDetails' is required",
    ),
    (
        "duplicate-names-per-kind",
        RATIO
        + "---\n"
        + sub(RATIO, "kind: SLO", "kind: SLI").split("spec:\n")[0]
        + "spec:\n  thresholdMetric: {metricSource: {type: y, spec: {q: 1}}}\n",
        RATIO + "---\n" + RATIO,
        "metadata.name",
        "SLO 'api-availability' is defined twice (first at <text>:1:1)",
    ),
    (
        "apiVersion-known",
        RATIO,
        sub(RATIO, "openslo/v1", "openslo/v2"),
        "apiVersion",
        "unsupported apiVersion 'openslo/v2'",
    ),
    (
        "kind-known",
        RATIO,
        sub(RATIO, "kind: SLO", "kind: Slo"),
        "kind",
        "did you mean 'SLO'",
    ),
]


@pytest.mark.parametrize("ok,bad,path,fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(ok: str, bad: str, path: str, fragment: str) -> None:
    assert_rule(ok, bad, path, fragment)


def test_all_errors_of_a_file_are_reported_in_order() -> None:
    bad = (
        sub(RATIO, "target: 0.999", "target: 2")
        .replace("duration: 30d", "duration: 30x")
        .replace("name: api-ok", "name: Api")
    )
    found = diagnostics(bad)
    assert [d.path for d in found] == [
        "spec.indicator.metadata.name",
        "spec.timeWindow[0].duration",
        "spec.objectives[0].target",
    ]
    lines = [d.location.line for d in found if d.location]
    assert lines == sorted(lines)


def test_error_position_is_the_offending_value() -> None:
    found = diagnostics(sub(RATIO, "target: 0.999", "target: 2"))
    assert len(found) == 1
    line = RATIO.splitlines().index("      target: 0.999") + 1
    assert found[0].location is not None
    assert (found[0].location.line, found[0].location.column) == (line, len("      target: ") + 1)


def test_rolling_calendar_units_stay_calendar_units() -> None:
    # a rolling 1M is "the same wall time one month earlier" (engine/windows.py), never 30 days
    window = slokit.load(sub(RATIO, "duration: 30d", "duration: 1M")).slo("api-availability").time_window
    assert window.is_rolling and window.duration.is_calendar and window.duration.months == 1


def test_connection_details_list_is_merged() -> None:
    text = (
        "apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: ev}\n"
        "spec: {type: x, connectionDetails: [{url: 'http://p:9090'}, {token: t}]}\n"
    )
    details = slokit.load(text).data_sources["ev"].connection_details
    assert dict(details) == {"url": "http://p:9090", "token": "t"}


def test_service_name_is_free_when_no_services_are_defined() -> None:
    assert slokit.load(sub(RATIO, "service: api", "service: anything-goes")).slo(
        "api-availability"
    ).service == ("anything-goes")


def test_same_name_in_different_kinds_is_allowed() -> None:
    text = RATIO + "---\napiVersion: openslo/v1\nkind: Service\nmetadata: {name: api-availability}\n"
    assert diagnostics(sub(text, "service: api", "service: api-availability")) == []


def test_composite_slo_keeps_each_objectives_indicator() -> None:
    slo = slokit.load(COMPOSITE).slo("journey")
    assert slo.is_composite and slo.indicator is None
    browse, pay = slo.objectives
    assert (
        browse.indicator is not None and browse.indicator.name == "browse-ok" and browse.composite_weight == 2
    )
    assert browse.indicator_ref == "browse-ok"
    assert pay.indicator is not None and pay.indicator.kind == "threshold" and pay.value == 800
    assert slo.indicator_for(pay) is pay.indicator


def test_predicate_error_points_into_the_string() -> None:
    bad = sub(RATIO, 'where: "status < 500"', 'where: "status << 500"')
    found = diagnostics(bad)
    assert len(found) == 1
    d = found[0]
    assert d.path == "spec.indicator.spec.ratioMetric.good.metricSource.spec.where"
    line = RATIO.splitlines().index('              where: "status < 500"') + 1
    assert d.location is not None and d.location.line == line
    # the column lies inside the quoted string, at or after the start of 'status'
    start = len('              where: "') + 1
    assert start <= d.location.column <= start + len("status << 500")


def test_lenient_mode_turns_unknown_fields_into_warnings() -> None:
    text = sub(RATIO, "budgetingMethod: Occurrences", "budgetingMethod: Occurrences\n  owner: me")
    assert diagnostics(text)
    from slokit.spec.loader import load_with_diagnostics

    spec, found = load_with_diagnostics(text, strict=False)
    assert len(spec) == 1
    assert [(d.severity, d.path) for d in found] == [("warning", "spec.owner")]


@pytest.mark.parametrize(
    "written",
    [
        "where: route = '/x' AND status << 500",
        "where: \"route = '/x' AND status << 500\"",
        "where: 'route = ''/x'' AND status << 500'",
    ],
)
def test_predicate_error_column_counts_quotes_and_escapes(written: str) -> None:
    found = diagnostics(sub(RATIO, 'where: "status < 500"', written))
    assert len(found) == 1 and found[0].location is not None
    line = next(i for i, text in enumerate(RATIO.splitlines(), 1) if "where:" in text)
    assert found[0].location.line == line
    # the predicate parser reports the second '<' of '<<'; the column lands on it however it is quoted
    source_line = "              " + written
    assert found[0].location.column == source_line.index("<<") + 2


def test_capitalised_measured_type_warns_that_nothing_measures_it() -> None:
    from slokit.spec.loader import load_with_diagnostics

    text = RATIO.replace("type: slokit", "type: Slokit", 1)
    spec, found = load_with_diagnostics(text)
    assert len(spec) == 1
    indicator = spec.slos["api-availability"].indicator
    assert indicator is not None and indicator.ratio_metric is not None
    (warning,) = found
    assert warning.severity == "warning"
    assert warning.path == "spec.indicator.spec.ratioMetric.good.metricSource.type"
    assert "'Slokit'" in warning.message and "type: slokit" in warning.hint
    assert warning.location is not None and (warning.location.line, warning.location.column) == (17, 19)


def test_other_vendor_types_load_without_warnings() -> None:
    from slokit.spec.loader import load_with_diagnostics

    text = RATIO.replace("type: slokit", "type: Datadog")
    _, found = load_with_diagnostics(text)
    assert found == []
