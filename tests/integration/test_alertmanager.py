"""The Alertmanager notifier against a real Alertmanager (Debian ``prometheus-alertmanager``).

Alertmanager is started on 127.0.0.1 with clustering off and its own storage; alerts posted by
slokit are read back through ``GET /api/v2/alerts``: labels, annotations and startsAt as sent,
and a resolved alert (endsAt in the past) no longer listed as active.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from slokit.alerting.dispatch import dispatch
from slokit.alerting.notification import Link, Notification
from slokit.alerting.notifiers.alertmanager import AlertmanagerNotifier
from slokit.alerting.notifiers.base import RetryPolicy

BINARY = "/usr/bin/prometheus-alertmanager"
POLICY = RetryPolicy(attempts=2, timeout=5.0, backoff=0.05, max_backoff=0.1)
CONFIG = """\
route:
  receiver: "null"
  group_wait: 1s
receivers:
  - name: "null"
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = (
        BINARY
        if Path(BINARY).exists()
        else shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    )
    if binary is None:
        pytest.skip("integration: Alertmanager is not installed (Debian package prometheus-alertmanager)")
    workdir = tmp_path_factory.mktemp("alertmanager")
    (workdir / "alertmanager.yml").write_text(CONFIG, encoding="utf-8")
    port = _free_port()
    log = (workdir / "alertmanager.log").open("w")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={workdir / 'alertmanager.yml'}",
            f"--storage.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                pytest.fail(f"Alertmanager exited: {(workdir / 'alertmanager.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("Alertmanager did not become ready within 20 s")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _note(alert_id: str, **changes: Any) -> Notification:
    values: dict[str, Any] = {
        "alert_id": alert_id,
        "slo": "checkout-availability",
        "service": "checkout",
        "tier": "page-fast",
        "severity": "page",
        "state": "firing",
        "summary": "checkout-availability burns its budget 14.4× too fast",
        "description": "2 % of the monthly budget in one hour",
        "labels": {"team": "payments"},
        "starts_at": datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3),
        "burn_rates": {"1h": 15.0, "5m": 20.0},
        "budget_remaining": 0.5,
        "links": (Link("http://slokit.example.com/slo/checkout-availability", "dashboard"),),
    }
    values.update(changes)
    return Notification(**values)


def _listed(base: str) -> dict[str, dict[str, Any]]:
    alerts = httpx.get(f"{base}/api/v2/alerts", timeout=5).json()
    return {a["labels"].get("slokit_alert_id", ""): a for a in alerts}


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_firing_alert_reads_back_with_labels_annotations_and_start(alertmanager: str) -> None:
    note = _note("checkout/page-fast/readback")
    [result] = dispatch(note, [AlertmanagerNotifier("am", alertmanager)], POLICY)
    assert result.delivered and result.status_code == 200, result.error
    alert = _listed(alertmanager)[note.alert_id]
    assert alert["labels"] == {
        "alertname": "SLOErrorBudgetBurn",
        "slo": "checkout-availability",
        "service": "checkout",
        "tier": "page-fast",
        "severity": "page",
        "slokit_alert_id": note.alert_id,
        "team": "payments",
    }
    assert alert["annotations"] == {
        "summary": note.summary,
        "description": note.description,
        "burn_rate_1h": "15",
        "burn_rate_5m": "20",
        "budget_remaining": "0.5",
        "dashboard": "http://slokit.example.com/slo/checkout-availability",
    }
    assert _parse(alert["startsAt"]) == note.starts_at
    assert alert["generatorURL"] == "http://slokit.example.com/slo/checkout-availability"
    assert alert["status"]["state"] == "active"
    assert _parse(alert["endsAt"]) > datetime.now(UTC)  # Alertmanager's resolve_timeout applies


def test_resolved_alert_is_no_longer_active(alertmanager: str) -> None:
    notifier = AlertmanagerNotifier("am", alertmanager)
    stays = _note("checkout/page-fast/stays")
    goes = _note("checkout/page-fast/goes")
    for note in (stays, goes):
        assert dispatch(note, [notifier], POLICY)[0].delivered
    assert {stays.alert_id, goes.alert_id} <= set(_listed(alertmanager))
    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    [result] = dispatch(_note(goes.alert_id, state="resolved", ends_at=ended), [notifier], POLICY)
    assert result.delivered, result.error
    listed = _listed(alertmanager)
    assert goes.alert_id not in listed  # Alertmanager drops alerts whose endsAt has passed
    assert stays.alert_id in listed


def test_alertmanager_rejection_is_a_clear_failure(alertmanager: str) -> None:
    start = datetime.now(UTC).replace(microsecond=0)
    bad = _note(
        "checkout/page-fast/backwards", state="resolved", starts_at=start, ends_at=start - timedelta(hours=1)
    )
    [result] = dispatch(bad, [AlertmanagerNotifier("am", alertmanager)], POLICY)
    assert result.status == "failed" and result.attempt_count == 1 and result.status_code == 400
    assert result.error == (
        f"Alertmanager {alertmanager}/api/v2/alerts answered HTTP 400 Bad Request: "
        '"start time must be before end time" (not retried: trying again would not help)'
    )


def test_wrong_base_url_says_so(alertmanager: str) -> None:
    [result] = dispatch(_note("x/y/z"), [AlertmanagerNotifier("am", alertmanager + "/prefix")], POLICY)
    assert result.status == "failed" and result.status_code == 404
    assert result.error is not None and "is this an Alertmanager (v0.16 or later) base URL?" in result.error
