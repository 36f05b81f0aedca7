"""One evaluation pass over every alerting SLO, and the loop that repeats it.

A pass at instant ``t`` (floored to the minute: the store's rows are per minute):

1. reads the minute rows every rule needs — its long window, and for the default semantics
   (traffic-aware burn, budget-aware guard) the span the period's traffic is estimated from
   (a week, at most the period: :meth:`~slokit.alerting.policy.Policy.history_seconds`) — all
   objectives in one store read (:func:`slokit.alerting.measure.load_series`);
2. evaluates each rule at ``t`` with :func:`slokit.alerting.backtest.verdicts_at` (both windows
   at or above the factor, the low-traffic guard) — the same functions the backtest replays
   history with, over the same rows, so a backtest shows what the evaluator would have done;
3. advances each alert's state machine (:mod:`slokit.alerting.state`), saves states and
   transitions in one transaction (:mod:`slokit.alerting.alert_store`);
4. hands every due :class:`~slokit.alerting.state.Notice` to ``send`` and saves the "announced"
   mark for those that were delivered.

``send`` is any callable that delivers a notice and returns True on success (the server wires it
to the notifiers of :mod:`slokit.alerting.dispatch`). A ``send`` that raises or returns False
leaves the notice due: it is tried again at the next pass, and nothing else stops.

An alert with no data in its long window does not breach; with ``alertWhenNoData`` a separate
``no-data`` alert (rule ``no-data``, severity ``ticket``) fires instead.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from slokit.alerting.alert_store import AlertStore
from slokit.alerting.backtest import verdicts_at
from slokit.alerting.measure import load_series
from slokit.alerting.policy import AlertSettings, alerting_slos, period_seconds, policy_for
from slokit.alerting.state import (
    DEFAULT_RENOTIFY_SECONDS,
    AlertKey,
    AlertState,
    Notice,
    Transition,
    due_notices,
    mark_notified,
    step,
)
from slokit.sources.store import Store
from slokit.spec.model import Spec

log = logging.getLogger("slokit.alerting.evaluator")

Send = Callable[[Notice], bool]
DEFAULT_INTERVAL = 30.0


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What one pass did."""

    at: float
    states: dict[AlertKey, AlertState]
    transitions: list[Transition]
    notices: list[Notice]
    delivered: list[Notice]


class Evaluator:
    """Evaluates every alerting SLO of ``spec`` against ``store`` and keeps alert state there."""

    def __init__(
        self,
        spec: Spec,
        store: Store,
        settings: AlertSettings | None = None,
        send: Send | None = None,
        renotify_seconds: float = DEFAULT_RENOTIFY_SECONDS,
    ) -> None:
        self.spec = spec
        self.store = store
        self.alerts = AlertStore.of(store)
        self.send = send
        self.renotify_seconds = renotify_seconds
        self.slos = alerting_slos(spec, settings)
        # Policies are resolved (and validated) once, up front: a bad policy is a startup error.
        self.policies = {slo.name: policy_for(slo, settings) for slo in self.slos}

    def evaluate(self, at: float) -> Evaluation:
        at_minute = math.floor(at / 60)
        t = at_minute * 60.0
        longest = max(
            (self.policies[slo.name].history_seconds(period_seconds(slo)) for slo in self.slos), default=60
        )
        series = load_series(self.spec, self.store, self.slos, at_minute - longest // 60, at_minute)
        states = self.alerts.load()
        changed: dict[AlertKey, AlertState] = {}
        transitions: list[Transition] = []
        seen: set[AlertKey] = set()
        for s in series:
            policy = self.policies[s.slo]
            for v in verdicts_at(s, policy, at_minute):
                key = AlertKey(s.slo, v.rule, s.group)
                seen.add(key)
                old = states.get(key, AlertState(key))
                new, tr = step(
                    old, v.breaching, t, v.for_seconds, v.severity, v.long_burn, v.short_burn, v.budget_spent
                )
                if new != old:
                    changed[key] = new
                transitions.extend(tr)
        # An open alert whose series is gone (a grouped SLO's overall series once its groups
        # appear, a group the store no longer holds) has nothing breaching: it resolves.
        evaluated = {s.slo for s in series}
        for key, old in states.items():
            if key in seen or key.slo not in evaluated or old.phase not in ("pending", "firing"):
                continue
            new, tr = step(old, False, t, 0, old.severity)
            if new != old:
                changed[key] = new
            transitions.extend(tr)
        self.alerts.save(changed.values(), transitions)
        states.update(changed)
        # Alerts of SLOs no longer in the spec keep their state and history but announce nothing.
        live = [st for st in states.values() if st.key.slo in self.policies]
        notices = [n for st in live for n in due_notices(st, t, self.renotify_seconds)]
        delivered = self._deliver(states, notices)
        return Evaluation(t, states, transitions, notices, delivered)

    def _deliver(self, states: dict[AlertKey, AlertState], notices: Sequence[Notice]) -> list[Notice]:
        if self.send is None:
            return []
        done: list[Notice] = []
        for notice in notices:
            try:
                ok = bool(self.send(notice))
            except Exception:  # a notifier bug must not stop the evaluator
                log.exception("sending %s for alert %s failed", notice.kind, notice.key)
                ok = False
            if ok:
                states[notice.key] = mark_notified(states[notice.key], notice)
                self.alerts.save([states[notice.key]])
                done.append(notice)
            else:
                log.warning(
                    "%s notice for %s not delivered; retrying at the next pass", notice.kind, notice.key
                )
        return done

    def run(
        self,
        interval: float = DEFAULT_INTERVAL,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Evaluate every ``interval`` seconds until ``stop`` is set; a failing pass is logged, not fatal."""
        halt = stop or threading.Event()
        while not halt.is_set():
            started = clock()
            try:
                self.evaluate(started)
            except Exception:
                log.exception("alert evaluation at %s failed; next pass in %s s", started, interval)
            halt.wait(max(interval - (clock() - started), 0.0))
