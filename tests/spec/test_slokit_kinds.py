"""slokit/v1 Correction and ErrorBudgetPolicy: mapping onto the model and every rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

import slokit
from slokit.errors import SpecError

SLOS = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: orders-availability
  labels: {tier: critical}
spec:
  service: orders
  indicator:
    metadata: {name: orders-ok}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: slokit, spec: {stream: orders, where: "status < 500"}}}
        total: {metricSource: {type: slokit, spec: {stream: orders}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.999}]
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: search-availability
  labels: {tier: standard}
spec:
  service: search
  indicatorRef: orders-ok-sli
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
---
apiVersion: openslo/v1
kind: SLI
metadata: {name: orders-ok-sli}
spec:
  ratioMetric:
    counter: true
    bad: {metricSource: {type: slokit, spec: {stream: search, where: "status >= 500"}}}
    total: {metricSource: {type: slokit, spec: {stream: search}}}
"""

CORRECTION = """\
---
apiVersion: slokit/v1
kind: Correction
metadata:
  name: sunday-maintenance
spec:
  description: Weekly database maintenance
  reason: planned maintenance
  start: 2024-03-03T02:00:00
  duration: 2h
  rrule: FREQ=WEEKLY;BYDAY=SU
  until: 2024-12-31T00:00:00
  timeZone: Europe/Berlin
  slos: [orders-availability]
"""

POLICY = """\
---
apiVersion: slokit/v1
kind: ErrorBudgetPolicy
metadata:
  name: deploy-gate
spec:
  selector:
    matchLabels: {tier: critical}
  states:
    - {name: exhausted, below: 0, blockDeploys: true, description: only fixes ship}
    - {name: healthy, below: 100}
    - {name: careful, below: 25}
"""


def errors(text: str) -> list[tuple[str, str]]:
    try:
        slokit.load(text)
    except SpecError as exc:
        return [(d.path, f"{d.message} ({d.hint})") for d in exc.diagnostics if d.severity == "error"]
    return []


def test_recurring_correction_maps_onto_the_model() -> None:
    spec = slokit.load(SLOS + CORRECTION)
    c = spec.corrections["sunday-maintenance"]
    berlin = ZoneInfo("Europe/Berlin")
    assert c.start == datetime(2024, 3, 3, 2, 0, tzinfo=berlin)
    assert c.duration_seconds == 7200 and c.reason == "planned maintenance"
    assert c.rrule == "FREQ=WEEKLY;BYDAY=SU" and c.time_zone == "Europe/Berlin"
    assert c.until == datetime(2024, 12, 31, tzinfo=berlin)
    assert c.description == "Weekly database maintenance"
    assert spec.corrections_for(spec.slo("orders-availability")) == [c]
    assert spec.corrections_for(spec.slo("search-availability")) == []
    # the recurrence keeps 02:00 local time across the DST change on 2024-03-31
    rule = rrulestr(c.rrule, dtstart=c.start)
    after_dst = rule.after(datetime(2024, 4, 1, tzinfo=berlin))
    assert after_dst == datetime(2024, 4, 7, 2, 0, tzinfo=berlin)
    assert after_dst.utcoffset() == timedelta(hours=2)


def test_one_off_correction_with_end_and_offset() -> None:
    text = SLOS + CORRECTION.replace(
        "  duration: 2h\n  rrule: FREQ=WEEKLY;BYDAY=SU\n  until: 2024-12-31T00:00:00\n", ""
    )
    text = text.replace(
        "start: 2024-03-03T02:00:00", "start: 2024-03-03T01:00:00Z\n  end: 2024-03-03T04:30:00Z"
    )
    c = slokit.load(text).corrections["sunday-maintenance"]
    assert c.duration_seconds == int(3.5 * 3600) and c.rrule is None
    assert c.start.utcoffset() == timedelta(hours=1)  # shown in the correction's zone, same instant
    assert c.start == datetime(2024, 3, 3, 1, 0, tzinfo=ZoneInfo("UTC"))


@pytest.mark.parametrize(
    "old,new,path,fragment",
    [
        ("  reason: planned maintenance\n", "", "spec.reason", "'reason' is required"),
        ("start: 2024-03-03T02:00:00", "start: next sunday", "spec.start", "not an RFC 3339 date-time"),
        ("  duration: 2h\n", "", "spec.end", "give end (a time) or duration"),
        ("  duration: 2h\n", "  duration: 2h\n  end: 2024-03-03T05:00:00\n", "spec.duration", "not both"),
        ("duration: 2h", "duration: 1M", "spec.duration", "unit 'M' is not allowed"),
        ("FREQ=WEEKLY;BYDAY=SU", "FREQ=FORTNIGHTLY", "spec.rrule", "not a valid RFC 5545 RRULE"),
        ("FREQ=WEEKLY;BYDAY=SU", "'DTSTART:20240101T000000 RRULE:FREQ=DAILY'", "spec.rrule", "DTSTART"),
        ("  rrule: FREQ=WEEKLY;BYDAY=SU\n", "", "spec.until", "not allowed without 'rrule'"),
        (
            "until: 2024-12-31T00:00:00",
            "until: 2023-12-31T00:00:00",
            "spec.until",
            "must not be before start",
        ),
        ("Europe/Berlin", "Europe/Berln", "spec.timeZone", "did you mean 'Europe/Berlin'"),
        ("slos: [orders-availability]", "slos: [orders-availabilty]", "spec.slos[0]", "did you mean"),
        ("  slos: [orders-availability]\n", "", "spec", "say which SLOs this applies to"),
        (
            "  slos: [orders-availability]\n",
            "  selector: {matchLabels: {}}\n",
            "spec.selector.matchLabels",
            "at least",
        ),
        ("  reason:", "  cause: x\n  reason:", "spec.cause", "unknown field 'cause'"),
    ],
)
def test_correction_rules(old: str, new: str, path: str, fragment: str) -> None:
    assert errors(SLOS + CORRECTION) == []
    assert old in CORRECTION
    found = errors(SLOS + CORRECTION.replace(old, new))
    assert any(p == path and fragment in text for p, text in found), found


def test_error_budget_policy_states_are_ordered_by_remaining_budget() -> None:
    spec = slokit.load(SLOS + POLICY)
    policy = spec.budget_policies["deploy-gate"]
    assert [(s.name, s.max_remaining, s.block_deploys) for s in policy.states] == [
        ("healthy", 1.0, False),
        ("careful", 0.25, False),
        ("exhausted", 0.0, True),
    ]
    assert policy.states[2].description == "only fixes ship"
    assert policy.selector.matches(spec.slo("orders-availability"))
    assert not policy.selector.matches(spec.slo("search-availability"))


@pytest.mark.parametrize(
    "old,new,path,fragment",
    [
        ("below: 25", "below: 125", "spec.states[2].below", "0 ≤ below ≤ 100"),
        ("below: 25", "below: -1", "spec.states[2].below", "0 ≤ below ≤ 100"),
        ("name: careful", "name: healthy", "spec.states[2].name", "defined twice"),
        ("below: 25", "below: 100", "spec.states[2].below", "already starts below 100"),
        ("blockDeploys: true", "blockDeploys: sometimes", "spec.states[0].blockDeploys", "true or false"),
        ("{name: healthy, below: 100}", "{name: healthy}", "spec.states[1].below", "'below' is required"),
        ("name: careful", "name: Careful!", "spec.states[2].name", "lowercase"),
        (
            "  states:\n    - {name: exhausted, below: 0, blockDeploys: true, description: only fixes ship}\n"
            "    - {name: healthy, below: 100}\n    - {name: careful, below: 25}\n",
            "  states: []\n",
            "spec.states",
            "at least one state",
        ),
    ],
)
def test_error_budget_policy_rules(old: str, new: str, path: str, fragment: str) -> None:
    assert errors(SLOS + POLICY) == []
    assert old in POLICY
    found = errors(SLOS + POLICY.replace(old, new))
    assert any(p == path and fragment in text for p, text in found), found
