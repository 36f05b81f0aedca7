"""Generic webhook: the notification as JSON, signed with HMAC-SHA256.

Body (schema ``slokit.notification/v1``, documented in docs/notifications.md)::

    {"schema": "slokit.notification/v1", "delivery_id": "...", "sent_at": 1700000000,
     "alert": {...Notification.to_dict()...}}

Headers: ``X-Slokit-Signature: sha256=<hex>`` is HMAC-SHA256 over the exact body bytes with the
shared secret; ``X-Slokit-Timestamp`` repeats ``sent_at`` and ``X-Slokit-Delivery`` repeats
``delivery_id``. Because ``sent_at`` is inside the signed body, a replayed request cannot be
given a fresh timestamp; receivers reject old ones and may remember delivery ids.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slokit.alerting.notification import Notification
from slokit.alerting.notifiers.base import Receipt, RetryPolicy, Session, check_status, post, safe_url

SCHEMA = "slokit.notification/v1"
SIGNATURE_HEADER = "X-Slokit-Signature"
TIMESTAMP_HEADER = "X-Slokit-Timestamp"
DELIVERY_HEADER = "X-Slokit-Delivery"


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``: ``sha256=`` and the lowercase hex HMAC."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def render(notification: Notification, *, delivery_id: str, sent_at: int) -> dict[str, Any]:
    return {"schema": SCHEMA, "delivery_id": delivery_id, "sent_at": sent_at, "alert": notification.to_dict()}


def encode(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True, slots=True)
class WebhookNotifier:
    """POSTs the signed JSON document to ``url``; any 2xx answer counts as delivered."""

    name: str
    url: str
    secret: str | None = field(default=None, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Headers whose values are secrets (from environment variables); never shown.
    secret_headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    retry: RetryPolicy | None = None
    kind: str = "webhook"

    def secrets(self) -> tuple[str, ...]:
        values = [self.secret or "", *self.secret_headers.values()]
        return tuple(v for v in values if v)

    async def send(self, notification: Notification, session: Session) -> Receipt:
        sent_at = int(time.time())
        delivery_id = session.delivery_id
        body = encode(render(notification, delivery_id=delivery_id, sent_at=sent_at))
        headers = {
            **self.headers,
            **self.secret_headers,
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(sent_at),
            DELIVERY_HEADER: delivery_id,
        }
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, body)
        display = safe_url(self.url)
        response = await post(session, self.url, content=body, headers=headers, display=display)
        check_status(response, display)
        return Receipt(response.status_code)
