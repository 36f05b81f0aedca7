"""Notices to notifiers: which targets, the rendered notification, and failure accounting.

Fake notifiers record what they get (the real adapters are tested against their receivers in
tests for the notifiers); one of them always fails without retries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slokit.alerting.delivery import notification_of, sender, targets_for
from slokit.alerting.notification import Notification
from slokit.alerting.notifiers.base import DeliveryError, Receipt, RetryPolicy, Session
from slokit.alerting.state import AlertKey, AlertState, due_notices, step


@dataclass
class Fake:
    name: str
    fail: bool = False
    kind: str = "fake"
    retry: RetryPolicy | None = field(default_factory=lambda: RetryPolicy(attempts=1, timeout=1.0))
    got: list[Notification] = field(default_factory=list)

    def secrets(self) -> tuple[str, ...]:
        return ()

    async def send(self, notification: Notification, session: Session) -> Receipt:
        if self.fail:
            raise DeliveryError("receiver returned 500", retryable=False, status_code=500)
        self.got.append(notification)
        return Receipt(200)


def notice_for(rule: str) -> Any:
    s, _ = step(AlertState(AlertKey("api-availability", rule)), True, 1_780_000_000.0, 0, "page", 20.0, 30.0)
    return due_notices(s, 1_780_000_000.0)[0]


def test_targets_and_rendering(specs: dict[str, Callable[..., Any]]) -> None:
    spec = specs["load"](specs["slo"](policies=("fast",)), specs["policy"]("fast", 14.4, "1h"))
    slo = spec.slo("api-availability")
    assert targets_for(slo, "fast") == ["oncall"]
    assert targets_for(slo, "page-1h") == ["oncall"]  # a default rule: every target of the SLO's policies
    n = notification_of(notice_for("fast"), slo)
    assert (n.state, n.slo, n.service, n.tier, n.severity) == (
        "firing",
        "api-availability",
        "api",
        "fast",
        "page",
    )
    assert n.starts_at.timestamp() == 1_780_000_000.0 and n.burn_rates == {"long": 20.0, "short": 30.0}


def test_one_failing_target_does_not_stop_the_other(specs: dict[str, Callable[..., Any]]) -> None:
    spec = specs["load"](specs["slo"](policies=("fast",)), specs["policy"]("fast", 14.4, "1h"))
    good, bad = Fake("oncall"), Fake("oncall", fail=True)
    assert sender(spec, [good])(notice_for("fast")) is True
    assert len(good.got) == 1
    log: list[Any] = []
    assert sender(spec, [bad], log.append)(notice_for("fast")) is False
    assert [r.delivered for r in log] == [False]


def test_without_policies_every_notifier_gets_it_and_one_success_counts(
    specs: dict[str, Callable[..., Any]],
) -> None:
    spec = specs["load"](specs["slo"]())
    good, bad = Fake("a"), Fake("b", fail=True)
    log: list[Any] = []
    assert sender(spec, [bad, good], log.append)(notice_for("page-1h")) is True
    assert len(good.got) == 1
    assert sorted((r.target, r.delivered) for r in log) == [("a", True), ("b", False)]
