"""PagerDuty Events API v2: ``trigger`` when an alert fires, ``resolve`` when it ends.

Both events carry the same ``dedup_key`` (the alert id), so PagerDuty folds re-sends of a
firing alert into one incident and the resolve closes it. Field names and limits follow
PagerDuty's Events API v2: ``payload.summary`` at most 1024 characters, ``dedup_key`` at most
255, ``payload.severity`` one of critical, error, warning, info. The routing key is a secret
and comes from an environment variable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slokit.alerting.notification import Notification, finite_or_none, rfc3339
from slokit.alerting.notifiers.base import (
    Receipt,
    RetryPolicy,
    Session,
    check_status,
    excerpt,
    post,
    safe_url,
)

DEFAULT_URL = "https://events.pagerduty.com/v2/enqueue"
SUMMARY_LIMIT = 1024
DEDUP_KEY_LIMIT = 255
PAGERDUTY_SEVERITIES = ("critical", "error", "warning", "info")
#: slokit severity names (DESIGN.md uses page and ticket) onto PagerDuty's four levels.
DEFAULT_SEVERITY_MAP: Mapping[str, str] = {
    "page": "critical",
    "critical": "critical",
    "high": "critical",
    "error": "error",
    "ticket": "warning",
    "warning": "warning",
    "medium": "warning",
    "info": "info",
    "low": "info",
}
#: A severity nobody mapped is shown as ``error``: loud enough to be seen, short of waking people.
FALLBACK_SEVERITY = "error"


def dedup_key(alert_id: str) -> str:
    """The alert id, or for ids over 255 characters a stable shortened form."""
    if len(alert_id) <= DEDUP_KEY_LIMIT:
        return alert_id
    digest = hashlib.sha256(alert_id.encode("utf-8")).hexdigest()
    return f"{alert_id[: DEDUP_KEY_LIMIT - len(digest) - 1]}-{digest}"


def pagerduty_severity(severity: str, mapping: Mapping[str, str]) -> str:
    return mapping.get(severity.lower(), FALLBACK_SEVERITY)


def render(
    notification: Notification,
    routing_key: str,
    *,
    severity_map: Mapping[str, str] = DEFAULT_SEVERITY_MAP,
    source: str = "slokit",
) -> dict[str, Any]:
    """The Events API v2 request body for ``notification``."""
    n = notification
    key = dedup_key(n.alert_id)
    if not n.firing:
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": key}
    summary = f"{n.summary} (SLO {n.slo}, service {n.service})"
    if len(summary) > SUMMARY_LIMIT:
        summary = summary[: SUMMARY_LIMIT - 1] + "…"
    details: dict[str, Any] = {
        "slo": n.slo,
        "service": n.service,
        "tier": n.tier,
        "slokit_severity": n.severity,
        "description": n.description,
        "burn_rates": {w: finite_or_none(r) for w, r in n.burn_rates.items()},
        "budget_remaining": finite_or_none(n.budget_remaining),
        "labels": dict(n.labels),
        "annotations": dict(n.annotations),
    }
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": key,
        "payload": {
            "summary": summary,
            "source": source,
            "severity": pagerduty_severity(n.severity, severity_map),
            "timestamp": rfc3339(n.starts_at),
            "component": n.slo,
            "group": n.service,
            "class": n.tier,
            "custom_details": details,
        },
        "client": "slokit",
    }
    if n.links:
        event["client_url"] = n.links[0].href
        event["links"] = [{"href": link.href, "text": link.text or link.href} for link in n.links]
    return event


@dataclass(frozen=True, slots=True)
class PagerDutyNotifier:
    """Sends Events API v2 events; PagerDuty answers 202 with ``{"status": "success", ...}``."""

    name: str
    routing_key: str = field(repr=False)
    url: str = DEFAULT_URL
    severity_map: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SEVERITY_MAP))
    source: str = "slokit"
    retry: RetryPolicy | None = None
    kind: str = "pagerduty"

    def secrets(self) -> tuple[str, ...]:
        return (self.routing_key,)

    async def send(self, notification: Notification, session: Session) -> Receipt:
        event = render(notification, self.routing_key, severity_map=self.severity_map, source=self.source)
        body = json.dumps(event, ensure_ascii=False, allow_nan=False).encode("utf-8")
        display = f"PagerDuty {safe_url(self.url)}"
        response = await post(
            session, self.url, content=body, headers={"Content-Type": "application/json"}, display=display
        )
        check_status(response, display)
        detail = None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not (isinstance(answer, dict) and answer.get("status") == "success"):
            detail = f"accepted with an unexpected answer: {excerpt(response.text)}"
        return Receipt(response.status_code, detail)
