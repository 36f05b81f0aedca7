"""Prometheus Alertmanager, API v2: ``POST /api/v2/alerts`` with one alert.

Alertmanager identifies an alert by its label set, so the labels are the stable identity
(``alertname``, ``slo``, ``service``, ``tier``, ``severity``, ``slokit_alert_id`` plus the
notification's own labels) and everything that changes goes into annotations (summary,
description, burn rates, budget). A resolved alert is the same label set with ``endsAt`` in
the past. A firing alert is sent without ``endsAt`` unless the notification has one;
Alertmanager then ends it after its ``resolve_timeout`` unless it is sent again, which is how
Alertmanager expects clients to behave (re-send while active).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slokit.alerting.notification import Notification, format_rate, rfc3339
from slokit.alerting.notifiers.base import (
    DeliveryError,
    Receipt,
    RetryPolicy,
    Session,
    check_status,
    post,
    safe_url,
)

ALERTS_PATH = "/api/v2/alerts"
DEFAULT_ALERTNAME = "SLOErrorBudgetBurn"
_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def label_name(name: str) -> str:
    """A Prometheus-valid label name: other characters become ``_``, a leading digit gets ``_``."""
    if _LABEL_NAME.match(name):
        return name
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return cleaned if cleaned[:1].isalpha() or cleaned[:1] == "_" else f"_{cleaned}"


def render(
    notification: Notification,
    *,
    alertname: str = DEFAULT_ALERTNAME,
    generator_url: str | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """The request body: a list holding the one postable alert."""
    n = notification
    labels: dict[str, str] = {label_name(k): v for k, v in n.labels.items()}
    labels.update(
        {
            "alertname": alertname,
            "slo": n.slo,
            "service": n.service,
            "tier": n.tier,
            "severity": n.severity,
            "slokit_alert_id": n.alert_id,
        }
    )
    annotations: dict[str, str] = {label_name(k): v for k, v in n.annotations.items()}
    annotations["summary"] = n.summary
    if n.description:
        annotations["description"] = n.description
    for window, rate in n.burn_rates.items():
        annotations[label_name(f"burn_rate_{window}")] = format_rate(rate)
    if n.budget_remaining is not None:
        annotations["budget_remaining"] = format_rate(n.budget_remaining)
    for index, link in enumerate(n.links):
        name = label_name(link.text) if link.text else ""
        annotations[name if name and name not in annotations else f"link_{index}"] = link.href
    alert: dict[str, Any] = {
        # Alertmanager treats an empty label value as an absent label; drop them up front.
        "labels": {k: v for k, v in labels.items() if v != ""},
        "annotations": annotations,
        "startsAt": rfc3339(n.starts_at),
    }
    url = generator_url or (n.links[0].href if n.links else None)
    if url:
        alert["generatorURL"] = url
    current = now or datetime.now(UTC)
    if not n.firing:
        ends = n.ends_at if n.ends_at is not None and n.ends_at <= current else current
        alert["endsAt"] = rfc3339(ends)
    elif n.ends_at is not None:
        alert["endsAt"] = rfc3339(n.ends_at)
    return [alert]


@dataclass(frozen=True, slots=True)
class AlertmanagerNotifier:
    """Posts to an Alertmanager at ``url`` (its base address, e.g. ``http://alertmanager:9093``)."""

    name: str
    url: str
    alertname: str = DEFAULT_ALERTNAME
    generator_url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    secret_headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    retry: RetryPolicy | None = None
    kind: str = "alertmanager"

    @property
    def endpoint(self) -> str:
        base = self.url.rstrip("/")
        return base if base.endswith(ALERTS_PATH) else base + ALERTS_PATH

    def secrets(self) -> tuple[str, ...]:
        return tuple(v for v in self.secret_headers.values() if v)

    async def send(self, notification: Notification, session: Session) -> Receipt:
        body = json.dumps(
            render(notification, alertname=self.alertname, generator_url=self.generator_url),
            ensure_ascii=False,
        ).encode("utf-8")
        display = f"Alertmanager {safe_url(self.endpoint)}"
        headers = {**self.headers, **self.secret_headers, "Content-Type": "application/json"}
        response = await post(session, self.endpoint, content=body, headers=headers, display=display)
        if response.status_code == 404:
            raise DeliveryError(
                f"{display} answered HTTP 404: is this an Alertmanager (v0.16 or later) base URL?",
                retryable=False,
                status_code=404,
            )
        check_status(response, display)
        return Receipt(response.status_code)
