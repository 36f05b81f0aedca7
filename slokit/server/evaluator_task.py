"""The background evaluator: one alerting pass (H13's Evaluator) every N seconds, in a thread.

It runs in a thread of its own (the pass is synchronous DuckDB and numpy work) and takes the
server's store lock for each pass, so ingest waits at most one pass. The same loop notices a
changed spec file and reloads it: a broken edit is logged and the old spec stays in use.
With notification settings (``--notify-settings``), notices go to the notifiers of the
spec's AlertNotificationTargets through :func:`slokit.alerting.delivery.sender`; without, they are
logged. Either way the alert store records every state and transition.

Delivery runs after the pass, outside the store lock: the evaluator is built without a sender,
so a pass only computes the due notices; they are then delivered (a slow or failing target
waits out its retries without holding up reads or the ingest fold), and each delivered notice
is marked in the alert store under the lock again. An undelivered notice stays due and is
tried at the next pass, as in the evaluator itself.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable

from slokit.alerting.evaluator import Evaluation, Evaluator, Send
from slokit.alerting.state import Notice, mark_notified
from slokit.errors import SlokitError
from slokit.server.state import ServerState

log = logging.getLogger("slokit.server.evaluator")


def _log_notice(notice: Notice) -> bool:
    log.warning("alert %s: %s", notice.kind, notice.key)
    return True


class EvaluatorTask:
    """Owns the evaluator thread; :meth:`run_once` is what each tick does (tests call it directly)."""

    def __init__(
        self,
        state: ServerState,
        interval: float,
        send: Send | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state = state
        self.interval = interval
        self.send = send
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._generation = -1
        self._evaluator: Evaluator | None = None
        self._send: Send = _log_notice
        self.last: Evaluation | None = None
        self.last_error: str | None = None
        self.passes = 0

    def _current(self) -> Evaluator:
        if (
            self._evaluator is None
            or self._generation != self.state.generation
            or (self._evaluator.spec is not self.state.spec)
        ):
            self._send = self.send or self.notifier_send()
            self._evaluator = Evaluator(self.state.spec, self.state.store, self.state.settings, None)
            self._generation = self.state.generation
        return self._evaluator

    def notifier_send(self) -> Send:
        path = self.state.config.notify_settings
        if path is None:
            return _log_notice
        from slokit.alerting.delivery import sender
        from slokit.alerting.targets import build_notifiers, load_settings

        settings = load_settings(path)
        spec = self.state.spec
        targets = [t for name, t in spec.notification_targets.items() if name in settings.targets]
        return sender(spec, build_notifiers(targets, settings))

    def run_once(self, at: float | None = None) -> Evaluation:
        with self.state.locked():
            evaluation = self._current().evaluate(self.clock() if at is None else at)
            if evaluation.transitions:
                self.state.touch()
            send = self._send
        delivered = self._deliver(send, evaluation.notices)
        evaluation = dataclasses.replace(evaluation, delivered=delivered)
        self.last = evaluation
        self.passes += 1
        return evaluation

    def _deliver(self, send: Send, notices: list[Notice]) -> list[Notice]:
        """Send each notice (no lock held), then mark the delivered ones under the lock."""
        done: list[Notice] = []
        for notice in notices:
            try:
                ok = bool(send(notice))
            except Exception:  # a notifier bug must not stop the evaluator
                log.exception("sending %s for alert %s failed", notice.kind, notice.key)
                ok = False
            if ok:
                done.append(notice)
            else:
                log.warning(
                    "%s notice for %s not delivered; retrying at the next pass", notice.kind, notice.key
                )
        if done:
            with self.state.locked():
                states = self.state.alerts.load()
                for n in done:
                    if n.key in states:
                        states[n.key] = mark_notified(states[n.key], n)
                self.state.alerts.save([states[k] for k in {n.key for n in done} if k in states])
        return done

    def _watch(self) -> None:
        if not self.state.spec_changed():
            return
        try:
            self.state.reload()
            log.warning("spec files changed: reloaded")
        except SlokitError as exc:
            log.error("spec files changed but do not load; keeping the previous spec: %s", exc)
            self.state.reload_failed = str(exc)
            self.state.mark_seen()

    def _loop(self) -> None:
        next_eval = next_watch = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_watch:
                self._watch()
                next_watch = now + self.state.config.watch_interval
            if now >= next_eval:
                try:
                    self.run_once()
                    self.last_error = None
                except Exception as exc:  # a failing pass must not end the loop
                    self.last_error = str(exc)
                    log.exception("alert evaluation failed; next pass in %s s", self.interval)
                next_eval = now + self.interval
            self._stop.wait(max(min(next_eval, next_watch) - time.monotonic(), 0.05))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="slokit-evaluator", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
