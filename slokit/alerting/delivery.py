"""From an alert's :class:`~slokit.alerting.state.Notice` to the notifiers: the evaluator's ``send``.

:func:`notification_of` renders a notice as the :class:`~slokit.alerting.notification.Notification`
every notifier understands; :func:`sender` returns a ``send`` callable for
:class:`~slokit.alerting.evaluator.Evaluator` that dispatches it (:mod:`slokit.alerting.dispatch`)
to the notifiers of the SLO's alert policies.

Which targets: for a rule that came from an OpenSLO ``AlertPolicy`` (the rule is named after
the policy), that policy's ``notificationTargets``; for other rules (defaults, settings files)
the targets of every alert policy the SLO references, else every notifier given.

A notice counts as delivered when at least one target took it; each failed target is in the
returned delivery log and logged (dispatch already retried it with backoff). Re-sending to
targets that succeeded, to reach one that failed, would page those people twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from slokit.alerting.dispatch import dispatch
from slokit.alerting.groups import group_labels
from slokit.alerting.notification import DeliveryResult, Notification
from slokit.alerting.notifiers.base import Notifier
from slokit.alerting.state import Notice
from slokit.spec.model import SLO, Spec

log = logging.getLogger("slokit.alerting.delivery")


def _burn_label(notice: Notice) -> dict[str, float]:
    out: dict[str, float] = {}
    if notice.long_burn is not None:
        out["long"] = notice.long_burn
    if notice.short_burn is not None:
        out["short"] = notice.short_burn
    return out


def _spent_text(notice: Notice, slo: SLO) -> str:
    spent = notice.budget_spent
    if spent is None:
        return ""
    return f"{spent:.1%} of the {slo.time_window.duration} error budget spent in the long window"


def notification_of(notice: Notice, slo: SLO) -> Notification:
    """The notifier-facing form of ``notice`` for ``slo``.

    The reason is in the description and the annotations: the peak burn rate and, when known,
    the share of the period's budget the rule's long window had spent (``budget_spent``, a
    fraction, e.g. ``0.055``) — on a rare stream one failure can be a real share of the budget.
    """
    what = "is burning its error budget" if notice.kind == "firing" else "no longer burns too fast"
    summary = f"{slo.metadata.display_name or slo.name} {what} ({notice.key.rule}, {notice.severity})"
    labels = {"slo": slo.name, "service": slo.service, "rule": notice.key.rule, "severity": notice.severity}
    if notice.key.group:
        labels["group"] = notice.key.group
        # A grouped SLO's labels (groupBy), e.g. route="/orders", as the Prometheus rules carry
        # them; a label named like one of slokit's own keeps slokit's and is given as group_<name>.
        for name, value in group_labels(notice.key.group).items():
            labels[name if name not in labels else f"group_{name}"] = value
    return Notification(
        alert_id=notice.alert_id,
        slo=slo.name,
        service=slo.service,
        tier=notice.key.rule,
        severity=notice.severity,
        state=notice.kind,
        summary=summary,
        starts_at=datetime.fromtimestamp(notice.started_at, UTC),
        ends_at=None if notice.ended_at is None else datetime.fromtimestamp(notice.ended_at, UTC),
        labels=labels,
        burn_rates=_burn_label(notice),
        description="; ".join(
            part for part in (f"peak burn rate {notice.peak_burn:.2f}", _spent_text(notice, slo)) if part
        ),
        annotations={} if notice.budget_spent is None else {"budget_spent": f"{notice.budget_spent:.4g}"},
    )


def targets_for(slo: SLO, rule: str) -> list[str]:
    """Names of the notification targets a rule's alerts go to (see the module docstring)."""
    for policy in slo.alert_policies:
        if rule == policy.name or rule.startswith(f"{policy.name}/"):
            return [t.name for t in policy.notification_targets]
    return list(dict.fromkeys(t.name for p in slo.alert_policies for t in p.notification_targets))


def sender(
    spec: Spec,
    notifiers: Mapping[str, Notifier] | Sequence[Notifier],
    log_result: Callable[[DeliveryResult], None] | None = None,
) -> Callable[[Notice], bool]:
    """A ``send`` for the evaluator: dispatch to the rule's targets; True if any delivered."""
    by_name = (
        {n.name: n for n in notifiers.values()}
        if isinstance(notifiers, Mapping)
        else {n.name: n for n in notifiers}
    )

    def send(notice: Notice) -> bool:
        slo = spec.slo(notice.key.slo)
        names = targets_for(slo, notice.key.rule)
        chosen = [by_name[n] for n in names if n in by_name] or list(by_name.values())
        if not chosen:
            log.warning("no notifier configured for %s; the notice stays due", notice.key)
            return False
        results = dispatch(notification_of(notice, slo), chosen)
        for r in results:
            if log_result is not None:
                log_result(r)
            if not r.delivered:
                log.warning("delivery of %s to %s failed: %s", notice.alert_id, r.target, r.error)
        return any(r.delivered for r in results)

    return send
