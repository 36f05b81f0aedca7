"""Deliver one notification to many targets at once, each with its own timeout and retries.

Every target runs in its own task: a target that is down, slow or failing only costs its own
retry budget and never delays the others' outcome. The caller gets back one
:class:`~slokit.alerting.notification.DeliveryResult` per target (the notification log entry,
every attempt listed); storing the log is the caller's business. Nothing here raises for a
failed delivery.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import httpx

from slokit.alerting.notification import Attempt, DeliveryResult, Notification
from slokit.alerting.notifiers.base import DeliveryError, Notifier, Receipt, RetryPolicy, Session, redact

log = logging.getLogger("slokit.alerting.dispatch")

Sleep = Callable[[float], Awaitable[None]]


async def dispatch_async(
    notification: Notification,
    notifiers: Sequence[Notifier],
    policy: RetryPolicy | None = None,
    *,
    rng: random.Random | None = None,
    sleep: Sleep = asyncio.sleep,
) -> list[DeliveryResult]:
    """Send ``notification`` to every notifier concurrently; results in the notifiers' order.

    ``policy`` applies to notifiers without a ``retry`` of their own.
    """
    default = policy or RetryPolicy()
    random_source = rng or random.Random()
    delivery_id = str(uuid.uuid4())
    async with httpx.AsyncClient(follow_redirects=False) as client:
        tasks = [
            _deliver(
                notification, notifier, notifier.retry or default, client, delivery_id, random_source, sleep
            )
            for notifier in notifiers
        ]
        return list(await asyncio.gather(*tasks))


def dispatch(
    notification: Notification,
    notifiers: Sequence[Notifier],
    policy: RetryPolicy | None = None,
    *,
    rng: random.Random | None = None,
) -> list[DeliveryResult]:
    """Blocking form of :func:`dispatch_async` for callers without an event loop."""
    return asyncio.run(dispatch_async(notification, notifiers, policy, rng=rng))


async def _deliver(
    notification: Notification,
    notifier: Notifier,
    policy: RetryPolicy,
    client: httpx.AsyncClient,
    delivery_id: str,
    rng: random.Random,
    sleep: Sleep,
) -> DeliveryResult:
    session = Session(http=client, timeout=policy.timeout, delivery_id=delivery_id)
    secrets = notifier.secrets()
    attempts: list[Attempt] = []
    began = time.monotonic()
    receipt: Receipt | None = None
    for number in range(1, policy.attempts + 1):
        started_at = datetime.now(UTC)
        start = time.monotonic()
        failure = await _one_attempt(notifier, notification, session, policy)
        latency = time.monotonic() - start
        if isinstance(failure, Receipt):
            receipt = failure
            attempts.append(Attempt(number, started_at, latency, True, receipt.status_code))
            break
        reason = redact(failure.reason, secrets)
        attempts.append(
            Attempt(number, started_at, latency, False, failure.status_code, reason, failure.retryable)
        )
        last = number == policy.attempts or not failure.retryable
        log.warning(
            "notification %s (%s) to target %s failed, attempt %d of %d: %s%s",
            notification.alert_id,
            notification.state,
            notifier.name,
            number,
            policy.attempts,
            reason,
            "" if last else "; retrying",
        )
        if last:
            break
        await sleep(policy.delay(number, rng.random(), failure.retry_after))
    finished = datetime.now(UTC)
    total = time.monotonic() - began
    if receipt is not None:
        log.info(
            "notification %s (%s) delivered to %s", notification.alert_id, notification.state, notifier.name
        )
        detail = redact(receipt.detail, secrets) if receipt.detail else None
        return DeliveryResult(
            notifier.name,
            notifier.kind,
            notification.alert_id,
            notification.state,
            "delivered",
            tuple(attempts),
            total,
            finished,
            None,
            detail,
        )
    last_attempt = attempts[-1]
    error = last_attempt.error or "failed"
    if not last_attempt.retryable:
        error += " (not retried: trying again would not help)"
    elif len(attempts) > 1:
        error += f" (gave up after {len(attempts)} attempts)"
    return DeliveryResult(
        notifier.name,
        notifier.kind,
        notification.alert_id,
        notification.state,
        "failed",
        tuple(attempts),
        total,
        finished,
        error,
    )


async def _one_attempt(
    notifier: Notifier, notification: Notification, session: Session, policy: RetryPolicy
) -> Receipt | DeliveryError:
    """Run one send under a hard deadline; every failure becomes a DeliveryError value."""
    # The notifier's own timeouts apply per network operation; this bounds the whole attempt.
    deadline = policy.timeout * 2
    try:
        return await asyncio.wait_for(notifier.send(notification, session), timeout=deadline)
    except DeliveryError as exc:
        return exc
    except TimeoutError:
        reason = f"no complete answer within {deadline:g} s (one attempt may take twice the timeout)"
        return DeliveryError(reason, retryable=True)
    except Exception as exc:  # a notifier bug must not take the other targets down
        # The traceback's frames help find the bug; its message may hold a secret, so redact it.
        frames = redact("".join(traceback.format_tb(exc.__traceback__)), notifier.secrets())
        message = redact(f"{type(exc).__name__}: {exc}", notifier.secrets())
        log.error("notifier %s crashed: %s\n%s", notifier.name, message, frames)
        return DeliveryError(
            f"internal error in the {notifier.kind} notifier: {type(exc).__name__}", retryable=False
        )
