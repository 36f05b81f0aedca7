"""Deploy gates: does an SLO's error-budget state forbid shipping right now?

A ``slokit/v1`` ``ErrorBudgetPolicy`` names states by remaining budget; a state applies while the
remaining budget is at or below its ``below``. With several applicable states the one with the
lowest ``below`` is the SLO's state (a budget at 5 % is "exhausted"-side of "careful", not
"healthy"). A gate *blocks* when any selected SLO is in a state with ``blockDeploys: true``.

An SLO without data is not blocked (there is no evidence against shipping) but the verdict says
so; an SLO no policy selects is reported as ungated. The remaining budget is the one ``slokit
report`` shows (:mod:`slokit.sources.status`): for calendar windows, the budget of the events so far.

A grouped SLO (``groupBy``) is judged by its least remaining budget among the SLO overall and
each of its groups: one route that has spent its budget blocks as the SLO itself would, since
the budget policy is about the users of that route too. The verdict names the group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slokit.alerting.groups import labels_text
from slokit.spec.model import BudgetState, ErrorBudgetPolicy, Spec


@dataclass(frozen=True, slots=True)
class Verdict:
    slo: str
    remaining: float | None
    policy: str | None
    state: BudgetState | None
    blocks: bool
    reason: str
    #: The group whose budget was judged (the least remaining); None: the SLO overall.
    group: Mapping[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "slo": self.slo,
            "group": None if self.group is None else dict(self.group),
            "remaining": self.remaining,
            "policy": self.policy,
            "state": None if self.state is None else self.state.name,
            "blocks": self.blocks,
            "reason": self.reason,
        }


def state_for(policy: ErrorBudgetPolicy, remaining: float) -> BudgetState | None:
    """The applicable state with the lowest ``below`` (None when none applies)."""
    applicable = [s for s in policy.states if remaining <= s.max_remaining]
    return min(applicable, key=lambda s: s.max_remaining, default=None)


def _pct(x: float) -> str:
    return f"{x * 100:.2f} %"


def least_remaining(
    overall: float | None, groups: Sequence[tuple[Mapping[str, str], float | None]]
) -> tuple[float | None, Mapping[str, str] | None]:
    """The least remaining budget among the SLO overall and its groups, and whose it is
    (None: the overall); groups without data do not count."""
    best, whose = overall, None
    for labels, rem in groups:
        if rem is not None and (best is None or rem < best):
            best, whose = rem, labels
    return best, whose


def decide(
    spec: Spec,
    remaining: Mapping[str, float | None],
    slos: Sequence[str] | None = None,
    groups: Mapping[str, Mapping[str, str] | None] | None = None,
) -> list[Verdict]:
    """A verdict per SLO (those in ``remaining``, or only ``slos``) from its remaining budget.

    ``groups`` names, per SLO, the group ``remaining`` belongs to (see :func:`least_remaining`).
    """
    names = list(slos) if slos is not None else list(remaining)
    out: list[Verdict] = []
    for name in names:
        group = (groups or {}).get(name)
        out.extend(_group(v, group) for v in _decide_one(spec, name, remaining.get(name)))
    return out


def _group(verdict: Verdict, group: Mapping[str, str] | None) -> Verdict:
    if group is None:
        return verdict
    return Verdict(
        verdict.slo,
        verdict.remaining,
        verdict.policy,
        verdict.state,
        verdict.blocks,
        f"group {labels_text(group)}: {verdict.reason}",
        dict(group),
    )


def _decide_one(spec: Spec, name: str, rem: float | None) -> list[Verdict]:
    slo = spec.slo(name)
    policies = [p for p in spec.budget_policies.values() if p.selector.matches(slo)]
    if not policies:
        return [Verdict(name, rem, None, None, False, "no ErrorBudgetPolicy selects this SLO")]
    if rem is None:
        return [Verdict(name, None, policies[0].name, None, False, "no data: nothing to judge the budget by")]
    chosen: list[tuple[ErrorBudgetPolicy, BudgetState]] = []
    for p in policies:
        st = state_for(p, rem)
        if st is not None:
            chosen.append((p, st))
    if not chosen:
        return [
            Verdict(
                name, rem, policies[0].name, None, False, f"{_pct(rem)} of the budget left; no state applies"
            )
        ]
    blocking = [(p, s) for p, s in chosen if s.block_deploys]
    p, s = blocking[0] if blocking else chosen[0]
    if s.block_deploys:
        why = (
            f"{_pct(rem)} of the error budget left, at or below {_pct(s.max_remaining)}: "
            f"state {s.name!r} of policy {p.name!r} blocks deploys"
        )
    else:
        why = f"{_pct(rem)} of the error budget left: state {s.name!r} of policy {p.name!r} allows deploys"
    if s.description:
        why += f" ({s.description})"
    return [Verdict(name, rem, p.name, s, s.block_deploys, why)]
