"""Dispatch against misbehaving receivers: down, slow, 500, 400, garbage; retries and backoff.

Each bad receiver is a real local socket: a port nobody listens on (connection refused), an HTTP
server that sleeps past the client timeout, or one that answers with scripted statuses. The
backoff delays are checked against the formula worked out here from the same random draws.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from slokit.alerting.dispatch import dispatch, dispatch_async
from slokit.alerting.notification import Notification
from slokit.alerting.notifiers.alertmanager import AlertmanagerNotifier
from slokit.alerting.notifiers.base import Receipt, RetryPolicy, Session
from slokit.alerting.notifiers.pagerduty import PagerDutyNotifier
from slokit.alerting.notifiers.slack import SlackNotifier
from slokit.alerting.notifiers.webhook import WebhookNotifier

QUICK = RetryPolicy(attempts=3, timeout=0.3, backoff=0.01, max_backoff=0.05, jitter=0.5)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    #: Send the body one byte at a time with this pause between bytes (a trickling receiver).
    drip: float = 0.0


@dataclass
class Script:
    """Answers in order; the last one repeats. Records when each request arrived."""

    replies: list[Reply] = field(default_factory=lambda: [Reply()])
    arrivals: list[float] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ThreadingHTTPServer] = []

    def start(*replies: Reply) -> Script:
        script = Script(list(replies) or [Reply()])

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                script.arrivals.append(time.monotonic())
                script.bodies.append(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                index = min(len(script.arrivals), len(script.replies)) - 1
                reply = script.replies[index]
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if reply.drip:
                        for byte in reply.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(reply.drip)
                    else:
                        self.wfile.write(reply.body)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        servers.append(server)
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        script.url = f"http://127.0.0.1:{server.server_address[1]}"
        return script

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """A loopback port that was just free: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


NOTE = Notification(
    alert_id="orders-latency/page-slow/all",
    slo="orders-latency",
    service="orders",
    tier="page-slow",
    severity="page",
    state="firing",
    summary="orders-latency burns 6× too fast",
    starts_at=datetime(2026, 11, 21, 3, 0, tzinfo=UTC),
    burn_rates={"6h": 6.5, "30m": 7.0},
    budget_remaining=0.4,
)


def test_target_that_is_down_fails_after_retries(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "slokit.alerting.dispatch")
    [result] = dispatch(NOTE, [WebhookNotifier("down", closed_port_url() + "/hook")], QUICK)
    assert result.status == "failed" and result.attempt_count == 3
    assert all(not a.ok and a.retryable for a in result.attempts)
    assert result.error is not None
    assert result.error.startswith("cannot connect to http://127.0.0.1:")
    assert result.error.split(": ", 1)[1].startswith("Connection refused")
    assert result.error.endswith("(gave up after 3 attempts)")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3
    assert "target down failed, attempt 1 of 3" in warnings[0] and warnings[0].endswith("; retrying")
    assert not warnings[2].endswith("; retrying")


def test_slow_target_times_out_and_is_retried(serve: Any) -> None:
    slow = serve(Reply(delay=1.0))
    policy = RetryPolicy(attempts=2, timeout=0.2, backoff=0.01, max_backoff=0.01)
    [result] = dispatch(NOTE, [WebhookNotifier("slow", slow.url)], policy)
    assert result.status == "failed" and result.attempt_count == 2
    assert len(slow.arrivals) == 2
    assert result.error is not None
    assert "timed out after 0.2 s while waiting for the answer" in result.error


def test_trickling_target_hits_the_hard_deadline(serve: Any) -> None:
    trickle = serve(Reply(200, b"x" * 200, drip=0.05))
    policy = RetryPolicy(attempts=1, timeout=0.3, backoff=0.01, max_backoff=0.01)
    [result] = dispatch(NOTE, [WebhookNotifier("trickle", trickle.url)], policy)
    # every byte arrives well within the read timeout, so only the whole-attempt limit can stop it
    assert result.status == "failed"
    assert result.error == "no complete answer within 0.6 s (one attempt may take twice the timeout)"


def test_500_is_retried_then_delivered(serve: Any) -> None:
    flaky = serve(Reply(500, b"oops"), Reply(503, b"busy"), Reply(200, b"ok"))
    [result] = dispatch(NOTE, [WebhookNotifier("flaky", flaky.url)], QUICK)
    assert result.delivered and result.attempt_count == 3
    assert [a.status_code for a in result.attempts] == [500, 503, 200]
    assert result.attempts[0].error == f"{flaky.url}/ answered HTTP 500 Internal Server Error: oops"
    assert result.error is None
    # retries carry the same delivery id so the receiver can drop duplicates
    ids = {json.loads(body)["delivery_id"] for body in flaky.bodies}
    assert len(ids) == 1


def test_500_every_time_fails_with_a_clear_reason(serve: Any) -> None:
    broken = serve(Reply(500, b"<html><body>Internal\n\n  Error</body></html>"))
    [result] = dispatch(NOTE, [SlackNotifier("chat", broken.url + "/services/T/B/SECRETPATH")], QUICK)
    assert result.status == "failed" and result.attempt_count == 3 and result.status_code == 500
    assert result.error == (
        f"Slack webhook {broken.url}/… answered HTTP 500 Internal Server Error: "
        "<html><body>Internal Error</body></html> (gave up after 3 attempts)"
    )


def test_client_error_is_not_retried(serve: Any) -> None:
    rejecting = serve(Reply(400, b"invalid_payload"))
    [result] = dispatch(NOTE, [SlackNotifier("chat", rejecting.url)], QUICK)
    assert result.status == "failed" and result.attempt_count == 1 and len(rejecting.arrivals) == 1
    assert result.error is not None and result.error.endswith("(not retried: trying again would not help)")


def test_backoff_follows_the_formula_with_jitter_and_bound(serve: Any) -> None:
    broken = serve(Reply(500))
    policy = RetryPolicy(attempts=5, timeout=1.0, backoff=0.1, max_backoff=0.3, jitter=0.5)
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    asyncio.run(
        dispatch_async(
            NOTE, [WebhookNotifier("w", broken.url)], policy, rng=random.Random(7), sleep=fake_sleep
        )
    )
    draws = random.Random(7)
    expected = []
    for failed in range(1, 5):
        base = min(0.3, 0.1 * 2 ** (failed - 1))  # 0.1, 0.2, 0.3 (bounded), 0.3
        expected.append(base * (1 - 0.5 * draws.random()))
    assert waits == pytest.approx(expected)
    assert all(w <= 0.3 for w in waits) and all(w >= 0.05 for w in waits)


def test_retry_after_is_honoured_up_to_the_bound(serve: Any) -> None:
    throttled = serve(Reply(429, b"slow down", headers={"Retry-After": "7"}), Reply(200))
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    policy = RetryPolicy(attempts=3, timeout=1.0, backoff=0.01, max_backoff=2.0)
    [result] = asyncio.run(
        dispatch_async(NOTE, [WebhookNotifier("w", throttled.url)], policy, sleep=fake_sleep)
    )
    assert result.delivered and waits == [2.0]


def test_alertmanager_html_error_is_a_failure_with_excerpt(serve: Any) -> None:
    page = b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body>" + b"x" * 500 + b"</body>"
    proxy = serve(Reply(503, page))
    [result] = dispatch(NOTE, [AlertmanagerNotifier("am", proxy.url)], QUICK)
    assert result.status == "failed" and result.attempt_count == 3
    assert result.error is not None
    assert (
        "Alertmanager " + proxy.url + "/api/v2/alerts answered HTTP 503 Service Unavailable: " in result.error
    )
    assert "<title>Maintenance</title>" in result.error
    assert len(result.error) < 400  # an excerpt, not the whole page


def test_one_bad_target_does_not_hold_up_the_good_ones(serve: Any) -> None:
    slow = serve(Reply(delay=1.0))
    good = serve(Reply(202, b'{"status":"success"}'))
    targets = [
        WebhookNotifier("slow", slow.url),
        WebhookNotifier("down", closed_port_url()),
        PagerDutyNotifier("pd", "ROUTING", url=good.url),
        SlackNotifier("garbage", serve(Reply(500, b"\x00\xff garbage")).url),
        AlertmanagerNotifier("am", good.url),
    ]
    policy = RetryPolicy(attempts=2, timeout=0.3, backoff=0.01, max_backoff=0.01)
    results = dispatch(NOTE, targets, policy)
    assert [r.target for r in results] == ["slow", "down", "pd", "garbage", "am"]
    assert [r.status for r in results] == ["failed", "failed", "delivered", "failed", "delivered"]
    # the good receivers were reached before the slow target even began its retry
    assert len(good.arrivals) == 2 and len(slow.arrivals) == 2
    assert max(good.arrivals) < slow.arrivals[1]
    assert results[2].finished_at < results[0].finished_at and results[4].finished_at < results[0].finished_at


class CrashingNotifier:
    name = "buggy"
    kind = "webhook"
    retry = None

    def secrets(self) -> tuple[str, ...]:
        return ("CRASHSECRET",)

    async def send(self, notification: Notification, session: Session) -> Receipt:
        raise RuntimeError("bug while holding CRASHSECRET")


def test_a_crashing_notifier_is_a_failed_record(serve: Any, caplog: pytest.LogCaptureFixture) -> None:
    good = serve()
    results = dispatch(NOTE, [CrashingNotifier(), WebhookNotifier("ok", good.url)], QUICK)
    assert results[0].status == "failed" and results[0].attempt_count == 1
    assert results[0].error == (
        "internal error in the webhook notifier: RuntimeError (not retried: trying again would not help)"
    )
    assert results[1].delivered
    assert "notifier buggy crashed: RuntimeError: bug while holding [redacted]" in caplog.text
    assert "in send" in caplog.text and "CRASHSECRET" not in caplog.text


def test_secrets_never_reach_errors_or_logs(serve: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "slokit.alerting")
    pd_echo = serve(Reply(500, b"bad routing key TOPSECRETKEY"))
    slack_echo = serve(Reply(404, b"no_service for /services/T/B/HOOKSECRET"))
    targets = [
        PagerDutyNotifier("pd", "TOPSECRETKEY", url=pd_echo.url),
        SlackNotifier("chat", slack_echo.url + "/services/T/B/HOOKSECRET"),
        SlackNotifier("chat-down", closed_port_url() + "/services/T/B/HOOKSECRET"),
    ]
    results = dispatch(NOTE, targets, QUICK)
    assert all(r.status == "failed" for r in results)
    recorded = json.dumps([r.to_dict() for r in results]) + caplog.text
    assert "TOPSECRETKEY" not in recorded and "HOOKSECRET" not in recorded
    assert "[redacted]" in recorded


def test_log_records_serialise(serve: Any) -> None:
    good = serve()
    [result] = dispatch(NOTE, [WebhookNotifier("ok", good.url)], QUICK)
    record = json.loads(json.dumps(result.to_dict()))
    assert record["target"] == "ok" and record["status"] == "delivered" and record["attempts"] == 1
    assert record["alert_id"] == NOTE.alert_id and record["state"] == "firing"
    assert record["error"] is None and record["latency_seconds"] >= record["tries"][0]["latency_seconds"]
    assert record["tries"][0]["ok"] is True and record["tries"][0]["status_code"] == 200
