"""Email over SMTP: a plain-text body with an HTML alternative.

The connection is plain, upgraded with STARTTLS (the default, port 587), or TLS from the first
byte (``ssl``, port 465). Login is optional; the password comes from an environment variable.
The stdlib ``smtplib`` is blocking, so a send runs in a worker thread with the attempt's timeout
on every socket operation.
"""

from __future__ import annotations

import asyncio
import email.policy
import html
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal

from slokit.alerting.notification import Notification, format_rate, rfc3339
from slokit.alerting.notifiers.base import DeliveryError, Receipt, RetryPolicy, Session

Security = Literal["starttls", "ssl", "none"]
SECURITY_MODES: tuple[Security, ...] = ("starttls", "ssl", "none")


def subject(notification: Notification, prefix: str = "[slokit]") -> str:
    n = notification
    marker = "FIRING" if n.firing else "RESOLVED"
    line = " ".join(f"{prefix} [{marker}] {n.severity}: {n.summary}".split())
    return line.strip()


def _facts(n: Notification) -> list[tuple[str, str]]:
    facts = [("SLO", n.slo), ("Service", n.service), ("Severity", n.severity), ("Tier", n.tier)]
    facts.append(("State", n.state))
    facts.append(("Started", rfc3339(n.starts_at)))
    if n.ends_at is not None:
        facts.append(("Ended", rfc3339(n.ends_at)))
    for window, rate in n.burn_rates.items():
        facts.append((f"Burn rate {window}", format_rate(rate)))
    if n.budget_remaining is not None:
        facts.append(("Budget remaining", f"{format_rate(n.budget_remaining * 100)} %"))
    facts.append(("Alert id", n.alert_id))
    return facts


def plain_body(n: Notification) -> str:
    lines = [n.summary, ""]
    if n.description:
        lines += [n.description, ""]
    width = max(len(k) for k, _ in _facts(n))
    lines += [f"{key.ljust(width)}  {value}" for key, value in _facts(n)]
    if n.links:
        lines += ["", *(f"{link.text or 'Link'}: {link.href}" for link in n.links)]
    return "\n".join(lines) + "\n"


def html_body(n: Notification) -> str:
    e = html.escape
    rows = "".join(f"<tr><th align='left'>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _facts(n))
    parts = [f"<h2>{e(n.summary)}</h2>"]
    if n.description:
        parts.append(f"<p>{e(n.description)}</p>")
    parts.append(f"<table>{rows}</table>")
    if n.links:
        items = "".join(
            f"<li><a href='{e(link.href)}'>{e(link.text or link.href)}</a></li>" for link in n.links
        )
        parts.append(f"<ul>{items}</ul>")
    return "<html><body>" + "".join(parts) + "</body></html>\n"


def build_message(n: Notification, sender: str, recipients: tuple[str, ...], prefix: str) -> EmailMessage:
    # Headers fold at 200 rather than 78 characters: the stdlib doubles a space where it folds
    # next to an encoded word (a subject with "3×" in it), and alert subjects are rarely that long.
    message = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=200))
    message["Subject"] = subject(n, prefix)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain="slokit.local")
    message["X-Slokit-Alert-Id"] = " ".join(n.alert_id.split())
    message["X-Slokit-State"] = n.state
    message.set_content(plain_body(n))
    message.add_alternative(html_body(n), subtype="html")
    return message


@dataclass(frozen=True, slots=True)
class EmailNotifier:
    name: str
    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 587
    security: Security = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    #: A CA bundle to trust instead of the system's (for a private mail relay).
    ca_file: str | None = None
    subject_prefix: str = "[slokit]"
    retry: RetryPolicy | None = None
    kind: str = "email"

    def secrets(self) -> tuple[str, ...]:
        return (self.password,) if self.password else ()

    @property
    def display(self) -> str:
        return f"SMTP server {self.host}:{self.port}"

    async def send(self, notification: Notification, session: Session) -> Receipt:
        message = build_message(notification, self.sender, self.recipients, self.subject_prefix)
        return await asyncio.to_thread(self._deliver, message, session.timeout)

    def _deliver(self, message: EmailMessage, timeout: float) -> Receipt:
        try:
            return self._exchange(message, timeout)
        except DeliveryError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"{self.display} rejected the login of user {self.username!r}: {_smtp_reply(exc)}; "
                "check the user name and the password environment variable",
                retryable=False,
                status_code=exc.smtp_code,
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"{self.display}: {exc}", retryable=False) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            reasons = "; ".join(
                f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in exc.recipients.items()
            )
            raise DeliveryError(
                f"{self.display} refused every recipient ({reasons})",
                retryable=all(400 <= c < 500 for c in codes),
                status_code=codes[0] if codes else None,
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"{self.display} answered {_smtp_reply(exc)}",
                retryable=400 <= exc.smtp_code < 500,
                status_code=exc.smtp_code,
            ) from None
        except smtplib.SMTPServerDisconnected as exc:
            raise DeliveryError(f"{self.display} closed the connection: {exc}", retryable=True) from None
        except ssl.SSLError as exc:
            raise DeliveryError(
                f"TLS with {self.display} failed: {exc.reason or exc}; check the certificate or ca_file",
                retryable=False,
            ) from None
        except TimeoutError:
            raise DeliveryError(f"{self.display} timed out after {timeout:g} s", retryable=True) from None
        except OSError as exc:
            raise DeliveryError(
                f"cannot connect to {self.display}: {exc.strerror or exc}", retryable=True
            ) from None
        except smtplib.SMTPException as exc:
            raise DeliveryError(f"{self.display}: {exc}", retryable=True) from None

    def _exchange(self, message: EmailMessage, timeout: float) -> Receipt:
        context = ssl.create_default_context(cafile=self.ca_file)
        client: smtplib.SMTP
        if self.security == "ssl":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=timeout)
        with client:
            client.ehlo()
            if self.security == "starttls":
                if not client.has_extn("starttls"):
                    raise DeliveryError(
                        f"{self.display} does not offer STARTTLS; use security: ssl for implicit TLS, "
                        "or security: none only on a trusted network",
                        retryable=False,
                    )
                client.starttls(context=context)
                client.ehlo()
            if self.username:
                client.login(self.username, self.password or "")
            refused = client.send_message(message, from_addr=self.sender, to_addrs=list(self.recipients))
        if refused:
            listed = ", ".join(f"{rcpt} ({code})" for rcpt, (code, _) in refused.items())
            return Receipt(250, f"some recipients were refused: {listed}")
        return Receipt(250)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _smtp_reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}".strip()
