"""Slack incoming webhook: a ``text`` fallback plus Block Kit ``blocks``.

Slack's limits are respected so a long summary cannot get the message rejected: a header
block's plain text holds at most 150 characters, a section's text 3000, a section has at most
10 fields of at most 2000 characters each. Text placed in ``mrkdwn`` is escaped (``& < >``), so
an SLO description cannot ping ``<!channel>``. The webhook URL itself is the credential: it is
never shown in logs or errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from slokit.alerting.notification import Notification, format_rate, rfc3339
from slokit.alerting.notifiers.base import Receipt, RetryPolicy, Session, check_status, post, safe_url

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
MAX_FIELDS = 10


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def title(notification: Notification) -> str:
    marker = "FIRING" if notification.firing else "RESOLVED"
    return f"[{marker}] {notification.severity}: {notification.summary}"


def render(notification: Notification) -> dict[str, Any]:
    """The incoming-webhook message for ``notification``."""
    n = notification
    fields = [
        f"*SLO*\n{escape(n.slo)}",
        f"*Service*\n{escape(n.service)}",
        f"*Severity*\n{escape(n.severity)}",
        f"*Tier*\n{escape(n.tier)}",
    ]
    if n.burn_rates:
        rates = ", ".join(f"{escape(w)}: {format_rate(r)}×" for w, r in n.burn_rates.items())
        fields.append(f"*Burn rate*\n{rates}")
    if n.budget_remaining is not None:
        fields.append(f"*Budget remaining*\n{format_rate(n.budget_remaining * 100)} %")
    fields.append(f"*Started*\n{rfc3339(n.starts_at)}")
    if n.ends_at is not None:
        fields.append(f"*Ended*\n{rfc3339(n.ends_at)}")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(title(n), HEADER_LIMIT)}},
    ]
    if n.description:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": clip(escape(n.description), SECTION_LIMIT)},
            }
        )
    blocks.append(
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": clip(f, FIELD_LIMIT)} for f in fields[:MAX_FIELDS]],
        }
    )
    if n.links:
        links = " · ".join(f"<{link.href}|{escape(link.text or link.href)}>" for link in n.links)
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(links, SECTION_LIMIT)}]}
        )
    text = f"{title(n)} (SLO {n.slo}, service {n.service})"
    return {"text": clip(escape(text), SECTION_LIMIT), "blocks": blocks}


def _path(url: str) -> str:
    try:
        return httpx.URL(url).path
    except (httpx.InvalidURL, TypeError, ValueError):
        return ""


@dataclass(frozen=True, slots=True)
class SlackNotifier:
    """POSTs the message to a Slack incoming-webhook URL (Slack answers ``ok``)."""

    name: str
    url: str = field(repr=False)
    retry: RetryPolicy | None = None
    kind: str = "slack"

    def secrets(self) -> tuple[str, ...]:
        # The path alone (``/services/T…/B…/…``) is the credential; receivers may echo it.
        path = _path(self.url)
        return (self.url, path) if len(path) > 1 else (self.url,)

    async def send(self, notification: Notification, session: Session) -> Receipt:
        body = json.dumps(render(notification), ensure_ascii=False).encode("utf-8")
        display = f"Slack webhook {safe_url(self.url, hide_path=True)}"
        response = await post(
            session, self.url, content=body, headers={"Content-Type": "application/json"}, display=display
        )
        check_status(response, display)
        return Receipt(response.status_code)
