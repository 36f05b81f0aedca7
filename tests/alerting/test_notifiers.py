"""Notifier payloads, checked field by field at a local HTTP receiver.

The oracles are the documented formats: slokit's webhook schema (docs/notifications.md) with an
HMAC computed here independently, Slack's incoming-webhook message (``text`` + Block Kit
``blocks`` with their length limits), PagerDuty Events API v2 (routing_key, event_action,
dedup_key, payload.summary/source/severity/custom_details) and Alertmanager's v2 postable alert.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import slokit
from slokit.alerting.dispatch import dispatch
from slokit.alerting.notification import Link, Notification
from slokit.alerting.notifiers.alertmanager import AlertmanagerNotifier
from slokit.alerting.notifiers.base import RetryPolicy
from slokit.alerting.notifiers.pagerduty import PagerDutyNotifier
from slokit.alerting.notifiers.slack import SlackNotifier
from slokit.alerting.notifiers.webhook import WebhookNotifier
from slokit.alerting.targets import build_notifiers, load_settings, parse_settings
from slokit.errors import SlokitError

FAST = RetryPolicy(attempts=2, timeout=2.0, backoff=0.01, max_backoff=0.02)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A local HTTP endpoint that records requests and answers ``status``/``body``."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    body: bytes = b"ok"
    content_type: str = "text/plain"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.requests.append(
                Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            self.send_response(state.status)
            self.send_header("Content-Type", state.content_type)
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


STARTS = datetime(2026, 11, 20, 8, 30, 0, tzinfo=UTC)


def firing(**changes: Any) -> Notification:
    values: dict[str, Any] = {
        "alert_id": "checkout-availability/page-fast/all",
        "slo": "checkout-availability",
        "service": "checkout",
        "tier": "page-fast",
        "severity": "page",
        "state": "firing",
        "summary": "checkout-availability burns its error budget 14.4× too fast",
        "description": "2 % of the 30 d budget spent in 1 h.",
        "labels": {"team": "payments", "env": "prod"},
        "annotations": {"runbook": "https://runbooks.example.com/checkout"},
        "starts_at": STARTS,
        "burn_rates": {"1h": 15.25, "5m": 21.5},
        "budget_remaining": 0.8125,
        "links": (Link("https://slokit.example.com/slo/checkout-availability", "SLO"),),
    }
    values.update(changes)
    return Notification(**values)


def resolved() -> Notification:
    return firing(state="resolved", ends_at=STARTS + timedelta(minutes=42))


# --- webhook ---


def test_webhook_body_follows_the_documented_schema_and_is_signed(receiver: Receiver) -> None:
    secret = "s3cr3t-for-hmac"
    notifier = WebhookNotifier("audit", receiver.url + "/hook", secret, {"X-Team": "payments"})
    before = int(time.time())
    [result] = dispatch(firing(), [notifier], FAST)
    after = int(time.time())
    assert result.delivered and result.attempt_count == 1 and result.status_code == 200
    [request] = receiver.requests
    assert request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-team"] == "payments"
    expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-slokit-signature"] == expected
    doc = request.json()
    assert set(doc) == {"schema", "delivery_id", "sent_at", "alert"}
    assert doc["schema"] == "slokit.notification/v1"
    assert before <= doc["sent_at"] <= after
    assert request.headers["x-slokit-timestamp"] == str(doc["sent_at"])
    assert request.headers["x-slokit-delivery"] == doc["delivery_id"]
    assert doc["alert"] == {
        "id": "checkout-availability/page-fast/all",
        "state": "firing",
        "slo": "checkout-availability",
        "service": "checkout",
        "tier": "page-fast",
        "severity": "page",
        "summary": "checkout-availability burns its error budget 14.4× too fast",
        "description": "2 % of the 30 d budget spent in 1 h.",
        "labels": {"team": "payments", "env": "prod"},
        "annotations": {"runbook": "https://runbooks.example.com/checkout"},
        "starts_at": "2026-11-20T08:30:00Z",
        "ends_at": None,
        "burn_rates": {"1h": 15.25, "5m": 21.5},
        "budget_remaining": 0.8125,
        "links": [{"href": "https://slokit.example.com/slo/checkout-availability", "text": "SLO"}],
    }


def test_webhook_signature_breaks_when_the_body_changes(receiver: Receiver) -> None:
    secret = "another-secret"
    dispatch(firing(), [WebhookNotifier("audit", receiver.url, secret)], FAST)
    [request] = receiver.requests
    tampered = request.body.replace(b'"firing"', b'"resolved"')
    assert tampered != request.body
    forged = "sha256=" + hmac.new(secret.encode(), tampered, hashlib.sha256).hexdigest()
    assert forged != request.headers["x-slokit-signature"]


def test_webhook_resolved_and_unmeasurable_numbers(receiver: Receiver) -> None:
    notification = firing(
        state="resolved", ends_at=STARTS + timedelta(minutes=42), budget_remaining=float("-inf")
    )
    dispatch(notification, [WebhookNotifier("audit", receiver.url)], FAST)
    [request] = receiver.requests
    assert "x-slokit-signature" not in request.headers  # no secret configured
    alert = request.json()["alert"]
    assert alert["state"] == "resolved"
    assert alert["ends_at"] == "2026-11-20T09:12:00Z"
    assert alert["budget_remaining"] is None  # JSON has no infinity


def test_webhook_garbage_2xx_answer_counts_as_delivered(receiver: Receiver) -> None:
    receiver.body, receiver.content_type = b"<html>thanks!!!\x00</html>", "text/html"
    [result] = dispatch(firing(), [WebhookNotifier("audit", receiver.url)], FAST)
    assert result.delivered


# --- Slack ---


def test_slack_message_has_text_and_blocks(receiver: Receiver) -> None:
    url = receiver.url + "/services/T000/B000/XXXXSECRET"
    [result] = dispatch(firing(description="ping <!channel> & co"), [SlackNotifier("chat", url)], FAST)
    assert result.delivered
    [request] = receiver.requests
    assert request.path == "/services/T000/B000/XXXXSECRET"
    message = request.json()
    assert set(message) == {"text", "blocks"}
    assert message["text"].startswith("[FIRING] page: checkout-availability burns")
    header, description, facts, context = message["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "[FIRING] page: " + firing().summary},
    }
    assert description == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "ping &lt;!channel&gt; &amp; co"},
    }
    assert facts["type"] == "section"
    texts = [f["text"] for f in facts["fields"]]
    assert all(f["type"] == "mrkdwn" for f in facts["fields"])
    assert texts[:4] == [
        "*SLO*\ncheckout-availability",
        "*Service*\ncheckout",
        "*Severity*\npage",
        "*Tier*\npage-fast",
    ]
    assert "*Burn rate*\n1h: 15.2×, 5m: 21.5×" in texts
    assert "*Budget remaining*\n81.2 %" in texts
    assert "*Started*\n2026-11-20T08:30:00Z" in texts
    assert context == {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": "<https://slokit.example.com/slo/checkout-availability|SLO>"}
        ],
    }


def test_slack_respects_block_limits(receiver: Receiver) -> None:
    long = firing(
        summary="x" * 400,
        description="d" * 5000,
        burn_rates={f"{i}m": float(i) for i in range(1, 30)},
        ends_at=STARTS + timedelta(hours=1),
    )
    dispatch(long, [SlackNotifier("chat", receiver.url)], FAST)
    blocks = receiver.requests[0].json()["blocks"]
    assert len(blocks[0]["text"]["text"]) == 150  # Slack: header text at most 150 characters
    assert len(blocks[1]["text"]["text"]) == 3000  # section text at most 3000
    assert len(blocks[2]["fields"]) <= 10
    assert all(len(f["text"]) <= 2000 for f in blocks[2]["fields"])


# --- PagerDuty ---

PD_ACCEPTED = b'{"status":"success","message":"Event processed","dedup_key":"x"}'


def test_pagerduty_trigger_event(receiver: Receiver) -> None:
    receiver.status, receiver.body, receiver.content_type = 202, PD_ACCEPTED, "application/json"
    notifier = PagerDutyNotifier("oncall", "R0UTINGKEY0123456789", url=receiver.url + "/v2/enqueue")
    [result] = dispatch(firing(), [notifier], FAST)
    assert result.delivered and result.status_code == 202 and result.detail is None
    [request] = receiver.requests
    assert request.path == "/v2/enqueue"
    event = request.json()
    assert event["routing_key"] == "R0UTINGKEY0123456789"
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == "checkout-availability/page-fast/all"
    payload = event["payload"]
    assert payload["summary"] == firing().summary + " (SLO checkout-availability, service checkout)"
    assert payload["source"] == "slokit"
    assert payload["severity"] == "critical"  # page → critical
    assert payload["timestamp"] == "2026-11-20T08:30:00Z"
    assert payload["component"] == "checkout-availability"
    assert payload["group"] == "checkout"
    assert payload["class"] == "page-fast"
    details = payload["custom_details"]
    assert details["burn_rates"] == {"1h": 15.25, "5m": 21.5}
    assert details["budget_remaining"] == 0.8125
    assert details["tier"] == "page-fast" and details["slokit_severity"] == "page"
    assert event["links"] == [{"href": "https://slokit.example.com/slo/checkout-availability", "text": "SLO"}]


def test_pagerduty_resolve_uses_the_same_dedup_key(receiver: Receiver) -> None:
    receiver.status, receiver.body = 202, PD_ACCEPTED
    notifier = PagerDutyNotifier("oncall", "KEY", url=receiver.url)
    dispatch(firing(), [notifier], FAST)
    dispatch(resolved(), [notifier], FAST)
    trigger, resolve = (r.json() for r in receiver.requests)
    assert resolve == {"routing_key": "KEY", "event_action": "resolve", "dedup_key": trigger["dedup_key"]}


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("page", "critical"),
        ("ticket", "warning"),
        ("critical", "critical"),
        ("info", "info"),
        ("odd", "error"),
    ],
)
def test_pagerduty_severity_mapping(receiver: Receiver, severity: str, expected: str) -> None:
    receiver.status, receiver.body = 202, PD_ACCEPTED
    dispatch(firing(severity=severity), [PagerDutyNotifier("oncall", "KEY", url=receiver.url)], FAST)
    assert receiver.requests[0].json()["payload"]["severity"] == expected


def test_pagerduty_limits_summary_and_dedup_key(receiver: Receiver) -> None:
    receiver.status, receiver.body = 202, PD_ACCEPTED
    long_id = "slo/" + "a" * 400
    notifier = PagerDutyNotifier("oncall", "KEY", url=receiver.url)
    dispatch(firing(alert_id=long_id, summary="s" * 2000), [notifier], FAST)
    dispatch(firing(alert_id=long_id, state="resolved"), [notifier], FAST)
    trigger, resolve = (r.json() for r in receiver.requests)
    assert len(trigger["payload"]["summary"]) == 1024  # Events API v2 limit
    assert len(trigger["dedup_key"]) <= 255
    assert trigger["dedup_key"] == resolve["dedup_key"]
    other = firing(alert_id="slo/" + "a" * 399 + "b")
    dispatch(other, [notifier], FAST)
    assert receiver.requests[2].json()["dedup_key"] != trigger["dedup_key"]


def test_pagerduty_unexpected_2xx_answer_is_noted(receiver: Receiver) -> None:
    receiver.status, receiver.body = 200, b"<html>proxy page</html>"
    [result] = dispatch(firing(), [PagerDutyNotifier("oncall", "KEY", url=receiver.url)], FAST)
    assert result.delivered
    assert result.detail == "accepted with an unexpected answer: <html>proxy page</html>"


def test_pagerduty_invalid_event_is_not_retried(receiver: Receiver) -> None:
    receiver.status, receiver.content_type = 400, "application/json"
    receiver.body = b'{"status":"invalid event","message":"Event object is invalid","errors":["x"]}'
    [result] = dispatch(firing(), [PagerDutyNotifier("oncall", "SECRETKEY", url=receiver.url)], FAST)
    assert not result.delivered and result.attempt_count == 1 and result.status_code == 400
    assert result.error is not None
    assert "HTTP 400" in result.error and "Event object is invalid" in result.error
    assert "not retried" in result.error
    assert "SECRETKEY" not in result.error


# --- Alertmanager (the real one is in tests/integration/test_alertmanager.py) ---


def test_alertmanager_postable_alert(receiver: Receiver) -> None:
    notifier = AlertmanagerNotifier("am", receiver.url + "/")
    dispatch(firing(labels={"team": "payments", "k8s.io/ns": "shop"}), [notifier], FAST)
    [request] = receiver.requests
    assert request.path == "/api/v2/alerts"
    [alert] = request.json()
    assert alert["labels"] == {
        "alertname": "SLOErrorBudgetBurn",
        "slo": "checkout-availability",
        "service": "checkout",
        "tier": "page-fast",
        "severity": "page",
        "slokit_alert_id": "checkout-availability/page-fast/all",
        "team": "payments",
        "k8s_io_ns": "shop",
    }
    assert alert["annotations"]["summary"] == firing().summary
    assert alert["annotations"]["burn_rate_1h"] == "15.2"
    assert alert["annotations"]["budget_remaining"] == "0.812"
    assert alert["startsAt"] == "2026-11-20T08:30:00Z"
    assert "endsAt" not in alert
    assert alert["generatorURL"] == "https://slokit.example.com/slo/checkout-availability"
    assert alert["annotations"]["SLO"] == "https://slokit.example.com/slo/checkout-availability"


def test_alertmanager_links_never_overwrite_annotations(receiver: Receiver) -> None:
    links = (Link("https://a.example.com", "summary"), Link("https://b.example.com"))
    dispatch(firing(links=links), [AlertmanagerNotifier("am", receiver.url)], FAST)
    annotations = receiver.requests[0].json()[0]["annotations"]
    assert annotations["summary"] == firing().summary
    assert (
        annotations["link_0"] == "https://a.example.com" and annotations["link_1"] == "https://b.example.com"
    )


def test_alertmanager_resolved_has_end_in_the_past(receiver: Receiver) -> None:
    future = datetime.now(UTC) + timedelta(hours=1)
    dispatch(firing(state="resolved", ends_at=future), [AlertmanagerNotifier("am", receiver.url)], FAST)
    [alert] = receiver.requests[0].json()
    assert datetime.fromisoformat(alert["endsAt"]) <= datetime.now(UTC)


def test_alertmanager_non_json_error_fails_with_body_excerpt(receiver: Receiver) -> None:
    receiver.status, receiver.content_type = 502, "text/html"
    receiver.body = b"<html><body><h1>502 Bad Gateway</h1>\n<p>nginx</p></body></html>"
    [result] = dispatch(firing(), [AlertmanagerNotifier("am", receiver.url)], FAST)
    assert not result.delivered and result.attempt_count == 2  # retried, then failed
    assert result.error is not None
    assert "HTTP 502" in result.error and "<h1>502 Bad Gateway</h1> <p>nginx</p>" in result.error


# --- targets from OpenSLO objects + settings ---

SPEC = textwrap.dedent(
    """\
    apiVersion: openslo/v1
    kind: AlertNotificationTarget
    metadata: {name: audit-hook}
    spec: {target: webhook}
    ---
    apiVersion: openslo/v1
    kind: AlertNotificationTarget
    metadata: {name: team-chat}
    spec: {target: slack}
    ---
    apiVersion: openslo/v1
    kind: AlertNotificationTarget
    metadata: {name: oncall}
    spec: {target: PagerDuty}
    ---
    apiVersion: openslo/v1
    kind: AlertNotificationTarget
    metadata: {name: am}
    spec: {target: alertmanager}
    ---
    apiVersion: openslo/v1
    kind: AlertNotificationTarget
    metadata: {name: mail}
    spec: {target: email}
    """
)


def _settings_yaml(url: str) -> str:
    return textwrap.dedent(
        f"""\
        notifications:
          retry: {{attempts: 2, timeout: 1, backoff: 0.01, max_backoff: 0.05}}
          targets:
            audit-hook:
              url: {url}/hook
              secret_env: TEST_HOOK_SECRET
              headers: {{X-Team: payments}}
              headers_env: {{Authorization: TEST_HOOK_AUTH}}
            team-chat: {{url_env: TEST_SLACK_URL}}
            oncall:
              url: {url}/v2/enqueue
              routing_key_env: TEST_PD_KEY
              severity_map: {{page: error}}
              retry: {{attempts: 4}}
            am: {{url: {url}}}
            mail:
              host: 127.0.0.1
              port: 2525
              security: none
              from: slokit@example.com
              to: [oncall@example.com, sre@example.com]
              username: slokit
              password_env: TEST_SMTP_PASSWORD
        """
    )


ENV = {
    "TEST_HOOK_SECRET": "hook-secret-value",
    "TEST_HOOK_AUTH": "Bearer auth-token-value",
    "TEST_SMTP_PASSWORD": "smtp-password-value",
    "TEST_PD_KEY": "pd-routing-key-value",
}


def test_targets_built_from_openslo_objects_and_settings(receiver: Receiver, tmp_path: Path) -> None:
    spec = slokit.load(SPEC)
    path = tmp_path / "slokit.yaml"
    path.write_text(_settings_yaml(receiver.url), encoding="utf-8")
    env = {**ENV, "TEST_SLACK_URL": receiver.url + "/services/T/B/slack-secret-path"}
    notifiers = build_notifiers(spec.notification_targets.values(), load_settings(path), env)
    assert [(n.name, n.kind) for n in notifiers] == [
        ("audit-hook", "webhook"),
        ("team-chat", "slack"),
        ("oncall", "pagerduty"),
        ("am", "alertmanager"),
        ("mail", "email"),
    ]
    assert notifiers[2].retry == RetryPolicy(attempts=4, timeout=1.0, backoff=0.01, max_backoff=0.05)
    for notifier in notifiers:
        shown = repr(notifier)
        assert not any(secret in shown for secret in (*ENV.values(), "slack-secret-path")), shown
    receiver.status = 202
    results = dispatch(firing(), notifiers[:4], FAST)
    assert [r.status for r in results] == ["delivered"] * 4
    by_path = {r.path: r for r in receiver.requests}
    hook = by_path["/hook"]
    assert hook.headers["authorization"] == "Bearer auth-token-value"
    assert hook.headers["x-team"] == "payments"
    signature = hmac.new(b"hook-secret-value", hook.body, hashlib.sha256).hexdigest()
    assert hook.headers["x-slokit-signature"] == f"sha256={signature}"
    assert "blocks" in by_path["/services/T/B/slack-secret-path"].json()
    event = by_path["/v2/enqueue"].json()
    assert event["routing_key"] == "pd-routing-key-value"
    assert event["payload"]["severity"] == "error"  # from severity_map
    assert by_path["/api/v2/alerts"].json()[0]["labels"]["alertname"] == "SLOErrorBudgetBurn"


def test_settings_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "slokit.toml"
    path.write_text(
        '[notifications.retry]\nattempts = 5\ntimeout = "30s"\n'
        '[notifications.targets.am]\nurl = "http://127.0.0.1:9093"\n',
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert settings.retry.attempts == 5 and settings.retry.timeout == 30.0
    spec = slokit.load(SPEC)
    [notifier] = build_notifiers([spec.notification_targets["am"]], settings, {})
    assert isinstance(notifier, AlertmanagerNotifier)
    assert notifier.endpoint == "http://127.0.0.1:9093/api/v2/alerts"


def _problems(spec_targets: list[str], settings: dict[str, Any], env: dict[str, str]) -> str:
    spec = slokit.load(SPEC)
    with pytest.raises(SlokitError) as caught:
        build_notifiers(
            [spec.notification_targets[name] for name in spec_targets],
            parse_settings(settings, "s.yaml"),
            env,
        )
    return str(caught.value)


def test_missing_environment_variable_is_named_without_values() -> None:
    text = _problems(
        ["team-chat", "oncall"],
        {"targets": {"team-chat": {"url_env": "NOPE_SLACK"}, "oncall": {"routing_key_env": "NOPE_PD"}}},
        {"UNRELATED": "x"},
    )
    assert (
        "s.yaml: error: targets.team-chat.url_env: environment variable NOPE_SLACK is not set or empty"
        in text
    )
    assert "targets.oncall.routing_key_env: environment variable NOPE_PD is not set or empty" in text


def test_literal_secrets_are_refused() -> None:
    text = _problems(
        ["oncall", "mail"],
        {
            "targets": {
                "oncall": {"routing_key": "abc123", "routing_key_env": "K"},
                "mail": {"host": "h", "from": "a@b", "to": "c@d", "username": "u", "password": "hunter2"},
            }
        },
        {"K": "k"},
    )
    assert "targets.oncall.routing_key: secrets are not written in the settings file" in text
    assert "name it with routing_key_env" in text
    assert "targets.mail.password: secrets are not written in the settings file" in text
    assert "abc123" not in text and "hunter2" not in text


def test_unknown_kind_and_missing_settings_point_at_the_spec() -> None:
    spec = slokit.load(SPEC.replace("target: webhook", "target: carrier-pigeon"))
    settings = parse_settings({"targets": {}}, "s.yaml")
    with pytest.raises(SlokitError) as caught:
        build_notifiers(spec.notification_targets.values(), settings, {})
    text = str(caught.value)
    assert "spec.target: notification target 'audit-hook' has unknown kind 'carrier-pigeon'" in text
    assert "(use one of webhook, slack, pagerduty, alertmanager, email)" in text
    assert "no settings for notification target 'team-chat' (slack)" in text
    assert "add 'targets.team-chat' to the notification settings (s.yaml)" in text


def test_bad_retry_settings() -> None:
    settings = {"retry": {"attempts": 0, "timeout": "soon", "colour": 1}}
    with pytest.raises(SlokitError) as caught:
        parse_settings(settings, "s.yaml")
    text = str(caught.value)
    assert "s.yaml: error: retry.attempts: attempts must be a whole number from 1 to 20, got 0" in text
    assert (
        "retry.timeout: timeout must be seconds (a number) or a duration like 10s or 1m, got 'soon'" in text
    )
    assert "retry.colour: unknown retry setting 'colour'" in text


def test_bad_target_settings() -> None:
    text = _problems(
        ["am", "mail"],
        {
            "targets": {
                "am": {"url": "ftp://example.com", "bogus": 1},
                "mail": {"host": "h", "from": "a@b", "to": [], "security": "tls", "port": 70000},
            },
        },
        {},
    )
    assert "targets.am.url: 'ftp://example.com' is not an http:// or https:// URL with a host" in text
    assert "targets.am.bogus: unknown setting 'bogus' for an alertmanager target" in text
    assert "targets.mail.to: to must be an address or a non-empty list of addresses" in text
    assert "targets.mail.security: security must be one of starttls, ssl, none, got 'tls'" in text
    assert "targets.mail.port: port must be a number from 1 to 65535, got 70000" in text


def test_slack_url_problems_do_not_show_the_url() -> None:
    text = _problems(["team-chat"], {"targets": {"team-chat": {"url": "ftp://hooks/SECRETPATH"}}}, {})
    assert "targets.team-chat.url: the url is not an http:// or https:// URL with a host" in text
    text = _problems(
        ["team-chat"], {"targets": {"team-chat": {"url_env": "HOOK"}}}, {"HOOK": "nonsense SECRET"}
    )
    assert "targets.team-chat.url_env: the URL in HOOK is not an http:// or https:// URL with a host" in text
    assert "SECRET" not in text


def test_settings_file_that_does_not_parse(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("notifications: [unclosed\n", encoding="utf-8")
    with pytest.raises(SlokitError, match=r"bad\.yaml: not valid YAML"):
        load_settings(path)
    with pytest.raises(SlokitError, match="cannot read notification settings"):
        load_settings(tmp_path / "missing.yaml")


# --- the value types ---


def test_notification_rejects_naive_times_and_unknown_states() -> None:
    with pytest.raises(ValueError, match="starts_at must be timezone-aware"):
        firing(starts_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="state must be 'firing' or 'resolved'"):
        firing(state="pending")
    with pytest.raises(ValueError, match="non-empty alert_id"):
        firing(alert_id="")


def test_times_are_sent_in_utc() -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 11, 20, 9, 30, 0, 250000, tzinfo=ZoneInfo("Europe/Copenhagen"))
    assert firing(starts_at=local).to_dict()["starts_at"] == "2026-11-20T08:30:00.250000Z"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"attempts": 0}, "attempts must be at least 1"),
        ({"timeout": 0.0}, "timeout must be a positive number"),
        ({"backoff": float("nan")}, "backoff must be a positive number"),
        ({"jitter": 1.5}, "jitter is a fraction"),
    ],
)
def test_retry_policy_rejects_nonsense(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**changes)
