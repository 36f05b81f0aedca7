"""The alert state machine: pure functions from (state, condition, instant) to (state, records).

One alert per :class:`AlertKey` (SLO, rule, group). At each evaluation the rule's condition is
true ("breaching") or false:

* ``inactive`` → ``pending`` when it breaches; → ``firing`` at once when ``for`` is 0;
* ``pending`` → ``firing`` once it has breached at every evaluation for ``for`` seconds;
  → ``inactive`` when it stops breaching first (nothing is announced);
* ``firing`` stays firing while it breaches; → ``resolved`` at the first evaluation it does not;
* ``resolved`` behaves as ``inactive``: a new breach starts a new alert with a new id.

Every change of state is a :class:`Transition` record (history for the UI and reports).

**Notifications** are derived from the state, not from the transition, so they survive a
restart: a firing alert is announced when it has not been announced yet, and again every
``renotify_seconds`` while it keeps firing (0: never again); a resolved alert is announced once.
The caller marks an alert as announced (:func:`mark_notified`) only after delivery succeeded,
so a crash before delivery re-sends, and a crash after it does not (see
:mod:`slokit.alerting.alert_store`). Repeated evaluations of a firing alert produce nothing
(deduplication).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Final, Literal

Phase = Literal["inactive", "pending", "firing", "resolved"]
PHASES: Final[tuple[Phase, ...]] = ("inactive", "pending", "firing", "resolved")
NoticeKind = Literal["firing", "resolved"]

#: Default re-notification interval for a firing alert: 4 hours, Alertmanager's repeat_interval.
DEFAULT_RENOTIFY_SECONDS: Final = 4 * 3600


@dataclass(frozen=True, slots=True, order=True)
class AlertKey:
    slo: str
    rule: str
    group: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.slo, self.rule, self.group) if p)


@dataclass(frozen=True, slots=True)
class AlertState:
    """One alert's state; times are epoch seconds."""

    key: AlertKey
    phase: Phase = "inactive"
    severity: str = ""
    alert_id: str = ""
    #: When the current breach began (the first breaching evaluation).
    since: float | None = None
    fired_at: float | None = None
    resolved_at: float | None = None
    #: Last successful firing announcement; None = not announced yet.
    notified_at: float | None = None
    resolved_notified: bool = False
    peak_burn: float = 0.0
    long_burn: float | None = None
    short_burn: float | None = None
    #: Share of the period's budget the long window had spent at the latest breaching evaluation.
    budget_spent: float | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    """One change of an alert's phase."""

    key: AlertKey
    alert_id: str
    from_phase: Phase
    to_phase: Phase
    at: float
    severity: str
    long_burn: float | None
    short_burn: float | None


@dataclass(frozen=True, slots=True)
class Notice:
    """An announcement due for an alert (the evaluator turns it into notifier messages)."""

    key: AlertKey
    alert_id: str
    kind: NoticeKind
    at: float
    severity: str
    started_at: float
    ended_at: float | None
    repeat: bool
    peak_burn: float
    long_burn: float | None
    short_burn: float | None
    budget_spent: float | None = None


def alert_id(key: AlertKey, since: float) -> str:
    """Stable id of one alert: its key and the instant its breach began."""
    digest = hashlib.sha256(f"{key.slo}\0{key.rule}\0{key.group}\0{int(since)}".encode()).hexdigest()
    return digest[:20]


def _clean(v: float | None) -> float | None:
    return None if v is None or v != v else float(v)


def step(
    state: AlertState,
    breaching: bool,
    at: float,
    for_seconds: float,
    severity: str,
    long_burn: float | None = None,
    short_burn: float | None = None,
    budget_spent: float | None = None,
) -> tuple[AlertState, list[Transition]]:
    """Advance one alert by one evaluation at ``at`` (``budget_spent`` is kept while breaching)."""
    lb, sb = _clean(long_burn), _clean(short_burn)
    spent = _clean(budget_spent)
    transitions: list[Transition] = []

    def move(s: AlertState, to: Phase, **changes: object) -> AlertState:
        new = replace(s, phase=to, long_burn=lb, short_burn=sb, **changes)  # type: ignore[arg-type]
        transitions.append(Transition(s.key, new.alert_id, s.phase, to, at, new.severity, lb, sb))
        return new

    burn = max(lb or 0.0, 0.0) if sb is None else max(min(lb or 0.0, sb), 0.0)
    s = state
    if breaching:
        if s.phase in ("inactive", "resolved"):
            s = move(
                s,
                "pending",
                severity=severity,
                alert_id=alert_id(s.key, at),
                since=at,
                fired_at=None,
                resolved_at=None,
                notified_at=None,
                resolved_notified=False,
                peak_burn=burn,
                budget_spent=spent,
            )
        else:
            s = replace(s, peak_burn=max(s.peak_burn, burn), long_burn=lb, short_burn=sb, budget_spent=spent)
        if s.phase == "pending" and s.since is not None and at - s.since >= for_seconds:
            s = move(s, "firing", fired_at=at)
        return s, transitions
    if s.phase == "pending":
        s = move(s, "inactive", since=None)
    elif s.phase == "firing":
        s = move(s, "resolved", resolved_at=at)
    return s, transitions


def due_notices(
    state: AlertState, at: float, renotify_seconds: float = DEFAULT_RENOTIFY_SECONDS
) -> list[Notice]:
    """Announcements due for ``state`` at ``at`` (empty once they were made)."""
    s = state
    if s.phase == "firing" and s.fired_at is not None:
        repeat = s.notified_at is not None
        if repeat and not (renotify_seconds > 0 and at - (s.notified_at or 0) >= renotify_seconds):
            return []
        return [_notice(s, "firing", at, repeat)]
    if s.phase == "resolved" and s.fired_at is not None and not s.resolved_notified:
        return [_notice(s, "resolved", at, False)]
    return []


def _notice(s: AlertState, kind: NoticeKind, at: float, repeat: bool) -> Notice:
    assert s.fired_at is not None
    return Notice(
        s.key,
        s.alert_id,
        kind,
        at,
        s.severity,
        s.fired_at,
        s.resolved_at if kind == "resolved" else None,
        repeat,
        s.peak_burn,
        s.long_burn,
        s.short_burn,
        s.budget_spent,
    )


def mark_notified(state: AlertState, notice: Notice) -> AlertState:
    """The state after ``notice`` was delivered."""
    if notice.alert_id != state.alert_id:
        return state
    if notice.kind == "firing":
        return replace(state, notified_at=notice.at)
    return replace(state, resolved_notified=True)
