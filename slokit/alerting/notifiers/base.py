"""What every notifier shares: the protocol, the failure type, retry settings, HTTP helpers.

A notifier renders a :class:`~slokit.alerting.notification.Notification` into its peer's format
and sends it once. Retrying, timing and logging are the dispatcher's job, so a notifier only has
to say, when a send fails, *why* and whether trying again could help (:class:`DeliveryError`).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from slokit.alerting.notification import Notification

#: HTTP statuses worth another try: the receiver is overloaded, restarting or throttling us.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
EXCERPT_CHARS = 200
USER_AGENT = "slokit-notifier/1"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Per-attempt timeout and bounded exponential backoff with jitter.

    The wait before try ``n + 1`` is ``min(max_backoff, backoff · 2**(n-1))`` with up to
    ``jitter`` of it (a fraction) taken off at random, so many slokit instances retrying the
    same receiver do not retry in lockstep. A receiver's ``Retry-After`` is honoured up to
    ``max_backoff``.
    """

    attempts: int = 3
    timeout: float = 10.0
    backoff: float = 1.0
    max_backoff: float = 30.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {self.attempts}")
        for name in ("timeout", "backoff", "max_backoff"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0 or (name == "timeout" and value == 0):
                raise ValueError(f"{name} must be a positive number of seconds, got {value}")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"jitter is a fraction between 0 and 1, got {self.jitter}")

    def delay(self, failed_attempt: int, random_fraction: float, retry_after: float | None = None) -> float:
        """Seconds to wait after attempt number ``failed_attempt`` (1-based) failed."""
        base = min(self.max_backoff, self.backoff * 2.0 ** (failed_attempt - 1))
        wait = base * (1.0 - self.jitter * random_fraction)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_backoff))
        return wait


class DeliveryError(Exception):
    """A send that failed, with a reason a person can act on and whether a retry may help."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.status_code = status_code
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Receipt:
    """A successful send: the peer's status code and anything worth logging about the answer."""

    status_code: int | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """What one dispatch shares between notifiers.

    ``delivery_id`` is fresh for each dispatch and the same across its retries, so a receiver
    can drop a retried duplicate without dropping a later re-notification.
    """

    http: httpx.AsyncClient
    timeout: float
    delivery_id: str


class Notifier(Protocol):
    """A delivery adapter for one configured target."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def retry(self) -> RetryPolicy | None: ...

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in logs or errors (keys, passwords, secret URLs)."""
        ...

    async def send(self, notification: Notification, session: Session) -> Receipt: ...


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret value in ``text``; longest first so overlapping secrets vanish whole."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return text


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a response body on one line, for error messages."""
    flat = re.sub(r"\s+", " ", text).strip()
    if not flat:
        return "(empty body)"
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def safe_url(url: str, *, hide_path: bool = False) -> str:
    """A URL fit for logs: no user info or query; with ``hide_path`` only scheme and host."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "(invalid URL)"
    port = f":{parsed.port}" if parsed.port else ""
    origin = f"{parsed.scheme}://{parsed.host}{port}"
    if hide_path:
        return f"{origin}/…" if parsed.path not in ("", "/") else origin
    return origin + parsed.path


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


async def post(
    session: Session, url: str, *, content: bytes, headers: Mapping[str, str], display: str
) -> httpx.Response:
    """POST once; transport problems become :class:`DeliveryError` with a plain reason."""
    all_headers = {"User-Agent": USER_AGENT, **headers}
    try:
        return await session.http.post(url, content=content, headers=all_headers, timeout=session.timeout)
    except httpx.TimeoutException as exc:
        phase = {
            httpx.ConnectTimeout: "connecting",
            httpx.ReadTimeout: "waiting for the answer",
            httpx.WriteTimeout: "sending",
            httpx.PoolTimeout: "waiting for a connection",
        }.get(type(exc), "talking")
        raise DeliveryError(
            f"{display} timed out after {session.timeout:g} s while {phase}", retryable=True
        ) from None
    except httpx.UnsupportedProtocol:
        raise DeliveryError(
            f"{display}: the URL must start with http:// or https://", retryable=False
        ) from None
    except httpx.ConnectError as exc:
        raise DeliveryError(f"cannot connect to {display}: {_os_reason(exc)}", retryable=True) from None
    except httpx.HTTPError as exc:
        raise DeliveryError(
            f"HTTP exchange with {display} failed: {type(exc).__name__}: {_os_reason(exc)}", retryable=True
        ) from None


def _os_reason(exc: BaseException) -> str:
    """The operating system's words for a network failure ("Connection refused"), if any."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno is not None:
            return os.strerror(cause.errno)
        cause = cause.__cause__ or cause.__context__
    text = str(exc) or type(exc).__name__
    return re.sub(r"^\[Errno -?\d+\]\s*", "", text)


def check_status(response: httpx.Response, display: str) -> None:
    """Raise a :class:`DeliveryError` for any non-2xx answer, quoting the start of its body."""
    code = response.status_code
    if 200 <= code < 300:
        return
    retryable = code in RETRYABLE_STATUSES or code >= 500
    raise DeliveryError(
        f"{display} answered HTTP {code} {response.reason_phrase}: {excerpt(response.text)}",
        retryable=retryable,
        status_code=code,
        retry_after=_retry_after(response) if retryable else None,
    )
