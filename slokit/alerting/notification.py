"""What a notifier is given (:class:`Notification`) and what delivery reports back.

A notification is a plain value built by the evaluator; notifiers only render it into their
peer's format. Delivery outcomes are records (:class:`DeliveryResult`, one per target and
notification, with one :class:`Attempt` per try) that the caller stores as its notification log.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

State = Literal["firing", "resolved"]
DeliveryStatus = Literal["delivered", "failed"]
STATES: tuple[State, ...] = ("firing", "resolved")


@dataclass(frozen=True, slots=True)
class Link:
    """A link shown with the alert (dashboard, runbook, SLO page)."""

    href: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class Notification:
    """One alert transition to announce: an alert starts firing or is resolved.

    ``alert_id`` is stable for the life of an alert (same for its firing and resolved
    notifications); receivers that deduplicate (PagerDuty, Alertmanager) key on it.
    ``burn_rates`` maps a window label such as ``"1h"`` to the burn rate measured over it.
    """

    alert_id: str
    slo: str
    service: str
    tier: str
    severity: str
    state: State
    summary: str
    starts_at: datetime
    description: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    ends_at: datetime | None = None
    burn_rates: Mapping[str, float] = field(default_factory=dict)
    budget_remaining: float | None = None
    links: tuple[Link, ...] = ()

    def __post_init__(self) -> None:
        if not self.alert_id:
            raise ValueError("a notification needs a non-empty alert_id")
        if self.state not in STATES:
            raise ValueError(f"state must be 'firing' or 'resolved', got {self.state!r}")
        for name in ("starts_at", "ends_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware (UTC), got {value.isoformat()}")

    @property
    def firing(self) -> bool:
        return self.state == "firing"

    def to_dict(self) -> dict[str, Any]:
        """The ``alert`` object of the webhook schema (see docs/notifications.md)."""
        return {
            "id": self.alert_id,
            "state": self.state,
            "slo": self.slo,
            "service": self.service,
            "tier": self.tier,
            "severity": self.severity,
            "summary": self.summary,
            "description": self.description,
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "starts_at": rfc3339(self.starts_at),
            "ends_at": rfc3339(self.ends_at) if self.ends_at else None,
            "burn_rates": {window: finite_or_none(rate) for window, rate in self.burn_rates.items()},
            "budget_remaining": finite_or_none(self.budget_remaining),
            "links": [{"href": link.href, "text": link.text} for link in self.links],
        }


def rfc3339(moment: datetime) -> str:
    """UTC, second precision unless there are fractions, with a ``Z`` suffix."""
    text = moment.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN or infinity; an unmeasurable number is sent as null."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def format_rate(value: float | None) -> str:
    """Human form of a burn rate or budget figure for chat and mail bodies."""
    if value is None or math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at delivering: when, how long, and what came back."""

    number: int
    started_at: datetime
    latency_seconds: float
    ok: bool
    status_code: int | None = None
    error: str | None = None
    retryable: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "started_at": rfc3339(self.started_at),
            "latency_seconds": round(self.latency_seconds, 6),
            "ok": self.ok,
            "status_code": self.status_code,
            "error": self.error,
            "retryable": self.retryable,
        }


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The notification-log entry for one notification sent to one target.

    ``error`` is the reason of the last failed attempt (None when delivered); it never
    contains secrets. ``latency_seconds`` is the wall time from the first try to the outcome,
    backoff waits included.
    """

    target: str
    kind: str
    alert_id: str
    state: State
    status: DeliveryStatus
    attempts: tuple[Attempt, ...]
    latency_seconds: float
    finished_at: datetime
    error: str | None = None
    detail: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status == "delivered"

    @property
    def attempt_count(self) -> int:
        return len(self.attempts)

    @property
    def status_code(self) -> int | None:
        return self.attempts[-1].status_code if self.attempts else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kind": self.kind,
            "alert_id": self.alert_id,
            "state": self.state,
            "status": self.status,
            "attempts": self.attempt_count,
            "status_code": self.status_code,
            "error": self.error,
            "detail": self.detail,
            "latency_seconds": round(self.latency_seconds, 6),
            "finished_at": rfc3339(self.finished_at),
            "tries": [attempt.to_dict() for attempt in self.attempts],
        }
