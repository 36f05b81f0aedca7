"""The email notifier against a real SMTP server (aiosmtpd) run on 127.0.0.1 in the test.

Checks the message as the server received it (envelope, headers, plain and HTML parts), login
with a right and a wrong password, STARTTLS with a self-signed certificate made here with the
``openssl`` command (trusted through ``ca_file``, and refused without it), a server that offers
no STARTTLS, a refused recipient and a server that is down.
"""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from slokit.alerting.dispatch import dispatch
from slokit.alerting.notification import Link, Notification
from slokit.alerting.notifiers.base import RetryPolicy
from slokit.alerting.notifiers.email import EmailNotifier

POLICY = RetryPolicy(attempts=2, timeout=5.0, backoff=0.01, max_backoff=0.02)
USER, PASSWORD = "slokit", "correct horse battery staple"

NOTE = Notification(
    alert_id="orders-latency/ticket/all",
    slo="orders-latency",
    service="orders",
    tier="ticket-slow",
    severity="ticket",
    state="firing",
    summary="orders-latency spends its budget 3× too fast",
    description="p95 < 400 ms over 24 h: <b>slow</b> & steady",
    starts_at=datetime(2026, 11, 22, 6, 0, tzinfo=UTC),
    burn_rates={"1d": 3.2, "2h": 3.5},
    budget_remaining=0.25,
    links=(Link("https://slokit.example.com/slo/orders-latency", "SLO page"),),
)


@dataclass
class Inbox:
    """What the server accepted: one (envelope, parsed message, over TLS?) per mail."""

    mails: list[tuple[Envelope, EmailMessage, bool]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        transport = server.transport
        over_tls = session.ssl is not None or (
            transport is not None and transport.get_extra_info("ssl_object") is not None
        )
        self.mails.append((envelope, message, over_tls))
        return "250 OK"


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword) and data.login == USER.encode() and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    controllers: list[Controller] = []

    def start(**options: Any) -> tuple[Inbox, int]:
        inbox = Inbox()
        port = _free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return inbox, port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("integration: the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
            *("-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _notifier(port: int, **changes: Any) -> EmailNotifier:
    values: dict[str, Any] = {
        "name": "mail",
        "host": "127.0.0.1",
        "port": port,
        "sender": "slokit@example.com",
        "recipients": ("oncall@example.com", "sre@example.com"),
        "security": "none",
    }
    values.update(changes)
    return EmailNotifier(**values)


def test_message_as_received(smtp_server: Any) -> None:
    inbox, port = smtp_server()
    [result] = dispatch(NOTE, [_notifier(port)], POLICY)
    assert result.delivered and result.attempt_count == 1, result.error
    [(envelope, message, over_tls)] = inbox.mails
    assert not over_tls
    assert envelope.mail_from == "slokit@example.com"
    assert envelope.rcpt_tos == ["oncall@example.com", "sre@example.com"]
    assert message["Subject"] == "[slokit] [FIRING] ticket: orders-latency spends its budget 3× too fast"
    assert message["From"] == "slokit@example.com"
    assert message["To"] == "oncall@example.com, sre@example.com"
    assert message["X-Slokit-Alert-Id"] == "orders-latency/ticket/all"
    assert message["X-Slokit-State"] == "firing"
    assert message["Message-ID"] and message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    text = plain.get_content()
    lines = text.splitlines()
    assert lines[0] == NOTE.summary and lines[2] == NOTE.description
    assert "SLO               orders-latency" in lines
    assert "Burn rate 1d      3.2" in lines and "Budget remaining  25 %" in lines
    assert "Started           2026-11-22T06:00:00Z" in lines
    assert "SLO page: https://slokit.example.com/slo/orders-latency" in lines
    markup = html.get_content()
    assert "<p>p95 &lt; 400 ms over 24 h: &lt;b&gt;slow&lt;/b&gt; &amp; steady</p>" in markup
    assert "<a href='https://slokit.example.com/slo/orders-latency'>SLO page</a>" in markup


# AUTH without TLS is what this test needs; aiosmtpd warns about exactly that.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_login_right_and_wrong_password(smtp_server: Any) -> None:
    inbox, port = smtp_server(authenticator=_authenticate, auth_require_tls=False, auth_required=True)
    good = _notifier(port, name="mail-good", username=USER, password=PASSWORD)
    bad = _notifier(port, name="mail-bad", username=USER, password="wrong-password-value")
    results = dispatch(NOTE, [bad, good], POLICY)
    assert [r.status for r in results] == ["failed", "delivered"]
    failed = results[0]
    assert failed.attempt_count == 1 and failed.status_code == 535
    assert failed.error is not None
    assert failed.error.startswith(f"SMTP server 127.0.0.1:{port} rejected the login of user 'slokit': 535")
    assert "check the user name and the password environment variable" in failed.error
    assert "wrong-password-value" not in failed.error and "wrong-password-value" not in repr(bad)
    assert len(inbox.mails) == 1


def test_starttls_with_a_trusted_self_signed_certificate(
    smtp_server: Any, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, port = smtp_server(
        tls_context=context, require_starttls=True, authenticator=_authenticate, auth_required=True
    )
    notifier = _notifier(port, security="starttls", ca_file=str(cert), username=USER, password=PASSWORD)
    [result] = dispatch(NOTE, [notifier], POLICY)
    assert result.delivered, result.error
    [(_, message, over_tls)] = inbox.mails
    assert over_tls and message["X-Slokit-Alert-Id"] == NOTE.alert_id
    # Without trusting the certificate the handshake must fail, clearly and without a retry.
    [untrusted] = dispatch(NOTE, [_notifier(port, security="starttls")], POLICY)
    assert untrusted.status == "failed" and untrusted.attempt_count == 1
    assert untrusted.error is not None
    assert untrusted.error.startswith(
        f"TLS with SMTP server 127.0.0.1:{port} failed: CERTIFICATE_VERIFY_FAILED"
    )


def test_implicit_tls(smtp_server: Any, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, port = smtp_server(ssl_context=context)
    [result] = dispatch(NOTE, [_notifier(port, security="ssl", ca_file=str(cert))], POLICY)
    assert result.delivered, result.error
    [(_, message, over_tls)] = inbox.mails
    assert over_tls and message["X-Slokit-State"] == "firing"


def test_server_without_starttls(smtp_server: Any) -> None:
    inbox, port = smtp_server()
    [result] = dispatch(NOTE, [_notifier(port, security="starttls")], POLICY)
    assert result.status == "failed" and result.attempt_count == 1 and not inbox.mails
    assert result.error == (
        f"SMTP server 127.0.0.1:{port} does not offer STARTTLS; use security: ssl for implicit TLS, or "
        "security: none only on a trusted network (not retried: trying again would not help)"
    )


def test_refused_recipient_and_partial_refusal(smtp_server: Any) -> None:
    inbox, port = smtp_server()
    inbox.refuse = {"oncall@example.com", "sre@example.com"}
    [result] = dispatch(NOTE, [_notifier(port)], POLICY)
    assert result.status == "failed" and result.attempt_count == 1 and result.status_code == 550
    assert result.error is not None and "refused every recipient" in result.error
    assert "oncall@example.com: 550 5.1.1 no such mailbox" in result.error
    inbox.refuse = {"sre@example.com"}
    [partial] = dispatch(NOTE, [_notifier(port)], POLICY)
    assert partial.delivered and partial.detail == "some recipients were refused: sre@example.com (550)"
    assert inbox.mails[-1][0].rcpt_tos == ["oncall@example.com"]


def test_server_down_is_retried() -> None:
    port = _free_port()
    [result] = dispatch(NOTE, [_notifier(port)], POLICY)
    assert result.status == "failed" and result.attempt_count == 2
    assert result.error == (
        f"cannot connect to SMTP server 127.0.0.1:{port}: Connection refused (gave up after 2 attempts)"
    )
