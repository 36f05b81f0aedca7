"""Spec builders shared by the alerting tests (as fixtures: tests import no sibling modules)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

import pytest

import slokit
from slokit.spec.model import Spec


def slo_yaml(
    name: str = "api-availability",
    window: str = "30d",
    target: float = 0.999,
    service: str = "api",
    policies: tuple[str, ...] = (),
) -> str:
    text = textwrap.dedent(
        f"""\
        apiVersion: openslo/v1
        kind: SLO
        metadata:
          name: {name}
        spec:
          service: {service}
          budgetingMethod: Occurrences
          timeWindow:
            - duration: {window}
              isRolling: true
          objectives:
            - target: {target}
          indicator:
            metadata:
              name: {name}-sli
            spec:
              ratioMetric:
                counter: true
                good:
                  metricSource:
                    type: slokit
                    spec: {{stream: requests, where: "status < 500"}}
                total:
                  metricSource:
                    type: slokit
                    spec: {{stream: requests}}
        """
    )
    if policies:
        text += "  alertPolicies:\n" + "".join(f"    - alertPolicyRef: {p}\n" for p in policies)
    return text


def policy_yaml(
    name: str, threshold: float, lookback: str, after: str = "0m", severity: str = "page", op: str = "gte"
) -> str:
    return textwrap.dedent(
        f"""\
        apiVersion: openslo/v1
        kind: AlertPolicy
        metadata:
          name: {name}
        spec:
          conditions:
            - kind: AlertCondition
              metadata:
                name: {name}-cond
              spec:
                severity: {severity}
                condition:
                  kind: burnrate
                  op: {op}
                  threshold: {threshold}
                  lookbackWindow: {lookback}
                  alertAfter: {after}
          notificationTargets:
            - targetRef: oncall
        """
    )


TARGET_YAML = textwrap.dedent(
    """\
    apiVersion: openslo/v1
    kind: AlertNotificationTarget
    metadata:
      name: oncall
    spec:
      target: pagerduty
    """
)


def load_docs(*docs: str) -> Spec:
    return slokit.load("---\n".join((*docs, TARGET_YAML)))


@pytest.fixture
def specs() -> dict[str, Callable[..., Any]]:
    return {"slo": slo_yaml, "policy": policy_yaml, "load": load_docs}
