"""Shared test configuration.

Tests that need a real external program (Prometheus, Alertmanager, VictoriaMetrics, Chromium)
skip with a reason starting ``integration:`` when it is missing. CI sets
``SLOKIT_REQUIRE_INTEGRATION=1``; there such a skip is turned into a failure, so a missing
install step cannot hide behind a green run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
INTEGRATION_PREFIX = "integration:"


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def prometheus_slo_yaml() -> str:
    """One availability SLO bound to Prometheus (good adds a matcher to total's selector)."""
    return """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: avail}
spec:
  service: shop
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
  indicator:
    metadata: {name: avail-ok}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: prometheus, spec: {query: 'sum(increase(r{c!~"5.."}[{{window}}]))'}}}
        total: {metricSource: {type: prometheus, spec: {query: 'sum(increase(r[{{window}}]))'}}}
"""


@pytest.fixture
def seeds_dir() -> Path:
    """The seed SLO documents, which live beside the repository (``../shared/seeds``)."""
    path = REPO_ROOT.parent / "shared" / "seeds"
    if not path.is_dir():
        pytest.skip("seed documents not found at ../shared/seeds relative to the repository")
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("SLOKIT_REQUIRE_INTEGRATION") != "1" or not report.skipped:
        return
    reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    marker = reason.removeprefix("Skipped: ")
    if marker.startswith(INTEGRATION_PREFIX):
        report.outcome = "failed"
        report.longrepr = f"SLOKIT_REQUIRE_INTEGRATION=1 but an integration test skipped: {marker}"
