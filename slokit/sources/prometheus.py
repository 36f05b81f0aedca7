"""A client for the query API of Prometheus-compatible engines (Prometheus, Thanos, Mimir, VictoriaMetrics).

Why our own small client: a report must say *why* it has no number. Every failure is turned into
one of two errors with a sentence a person can act on:

* :class:`SourceUnreachable`: the engine did not answer usefully: connection refused, timeout,
  HTTP 5xx/429 after the retries, an HTML page (a login or proxy page at the URL), a body that is
  not the API's JSON. Transient ones (connection errors, timeouts, 429, 502/503/504) are retried
  with exponential backoff.
* :class:`QueryFailed`: the engine answered and refused the query (HTTP 4xx, ``bad_data``),
  or the answer is unusable where one number was expected: several series, NaN, ±Inf.

Every query is evaluated at an explicit ``time=`` (never the engine's "now"), so a report at a
past instant is reproducible. ``partial_response=false`` is sent when asked for (Thanos answers
with whatever stores responded otherwise, which would silently undercount events).
Queries are sent as form-encoded POST bodies: batched queries are far longer than a URL may be.

The transport is a small pool of keep-alive connections (one per thread in flight), not httpx:
a report is a short-lived CLI run, and httpx with httpcore and an SSL context costs about 40 ms
of its start for nothing it needs here. Plain ``http://`` is spoken by :class:`_Plain` (one
POST, an answer with a length, chunked or up to the close: all the query API needs), since
``http.client`` imports ``email`` and ``ssl`` (10-15 ms); ``https://`` uses ``http.client``.
Answers are asked uncompressed: on the engine's own network gzip costs both sides CPU. A proxy
named by ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` (and ``NO_PROXY``) is used as curl would.
"""

from __future__ import annotations

import base64
import json
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, unquote, urlencode, urlsplit

from slokit.errors import SlokitError

#: HTTP statuses worth retrying: the engine or a proxy in front of it is briefly overloaded.
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class PrometheusError(SlokitError):
    """Base of the query API's errors."""


class SourceUnreachable(PrometheusError):
    """The engine gave no usable answer (down, slow, 5xx, HTML, not the query API).

    ``answered`` is true when the engine itself answered with an error for this query (HTTP 5xx
    or an ``errorType`` such as ``internal``, after the retries): other queries may still work,
    so a batch that failed this way is worth splitting. A refused connection or a timeout is not.
    """

    def __init__(self, message: str, *, answered: bool = False) -> None:
        super().__init__(message)
        self.answered = answered


class QueryFailed(PrometheusError):
    """The engine refused the query, or its answer is not the one number expected."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One series of an instant vector."""

    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True, slots=True)
class Series:
    """One series of a range query: timestamps (epoch seconds) and values."""

    labels: Mapping[str, str]
    times: tuple[float, ...]
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """How to reach the engine; the defaults suit a Prometheus on the same network."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    bearer_token: str | None = None
    basic_auth: tuple[str, str] | None = None
    timeout: float = 30.0
    retries: int = 2
    backoff: float = 0.5
    #: Send ``partial_response=false`` (Thanos): refuse answers missing some stores.
    partial_response: bool | None = False
    #: Extra form parameters on every query, e.g. Thanos' ``max_source_resolution=5m`` when raw
    #: data is kept for less than the SLO window (the query's own parameters win on a clash).
    params: Mapping[str, str] = field(default_factory=dict)


def parse_value(text: Any) -> float:
    """A sample value as the API writes it: a string (``"1.5"``, ``"NaN"``, ``"+Inf"``)."""
    try:
        return float(text)
    except (TypeError, ValueError):
        raise QueryFailed(f"the engine returned a sample value that is not a number: {text!r}") from None


def _labels(metric: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in metric.items()} if isinstance(metric, dict) else {}


def describe_labels(labels: Mapping[str, str]) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


@dataclass(frozen=True, slots=True)
class _Response:
    """What :func:`_decode` needs of an HTTP answer."""

    status_code: int
    content_type: str
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class BadAnswer(OSError):
    """What came back is not an HTTP answer (or was cut short): the engine is not usable there."""


class _Plain:
    """One kept-alive HTTP/1.1 connection for plain ``http://``: a POST and its answer, no more.

    The answer's body is read by its ``Content-Length``, as chunks, or up to the close; the
    connection is kept unless the engine says ``Connection: close`` or answers HTTP/1.0.
    """

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.address = (host, port)
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.file: Any = None

    @property
    def reused(self) -> bool:
        return self.sock is not None

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        if self.sock is not None:
            self.sock.close()
        self.sock = self.file = None

    def exchange(self, path: str, body: bytes, headers: Mapping[str, str]) -> tuple[_Response, bool]:
        if self.sock is None:
            self.sock = socket.create_connection(self.address, self.timeout)
            self.file = self.sock.makefile("rb")
        lines = [f"POST {path} HTTP/1.1", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        while True:  # skip informational answers (100 Continue), which no body follows
            status, version, fields = self._head()
            if not 100 <= status < 200:
                break
        keep = version == "HTTP/1.1" and fields.get("connection", "").lower() != "close"
        if status in (204, 304):
            data = b""
        elif "chunked" in fields.get("transfer-encoding", "").lower():
            data = self._chunked()
        elif "content-length" in fields:
            try:
                length = int(fields["content-length"])
            except ValueError:
                raise BadAnswer(
                    f"a Content-Length that is not a number: {fields['content-length']!r}"
                ) from None
            data = self._exactly(length)
        else:
            data = self.file.read()
            keep = False
        text = data.decode("utf-8", "replace")
        return _Response(status, fields.get("content-type", ""), text), keep

    def _head(self) -> tuple[int, str, dict[str, str]]:
        line = self.file.readline(65537)
        if not line:
            raise ConnectionResetError("the engine closed the connection without answering")
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            raise BadAnswer(f"the answer is not HTTP: {line[:60]!r}")
        fields: dict[str, str] = {}
        while True:
            raw = self.file.readline(65537)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            fields[name.strip().lower()] = value.strip()
        return int(parts[1]), parts[0].decode("latin-1"), fields

    def _exactly(self, n: int) -> bytes:
        data: bytes = self.file.read(n)
        if len(data) < n:
            raise BadAnswer(f"the answer was cut short ({len(data)} of {n} bytes)")
        return data

    def _chunked(self) -> bytes:
        out: list[bytes] = []
        while True:
            line = self.file.readline(65537)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise BadAnswer(f"a chunk size that is not a number: {line[:40]!r}") from None
            if size == 0:
                while self.file.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields
                return b"".join(out)
            out.append(self._exactly(size))
            self._exactly(2)  # the CRLF after each chunk


class _Tls:
    """``https://`` through ``http.client`` (imported here: plain HTTP never needs it or ssl)."""

    def __init__(
        self,
        host: str,
        port: int | None,
        timeout: float,
        target: str,
        target_port: int | None,
        proxy: tuple[str, int, dict[str, str]] | None,
    ) -> None:
        import http.client
        import ssl

        self.conn = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
        if proxy is not None:
            self.conn.set_tunnel(target, target_port, headers=proxy[2])

    @property
    def reused(self) -> bool:
        return self.conn.sock is not None

    def close(self) -> None:
        self.conn.close()

    def exchange(self, path: str, body: bytes, headers: Mapping[str, str]) -> tuple[_Response, bool]:
        import http.client

        try:
            self.conn.request("POST", path, body, dict(headers))
            answer = self.conn.getresponse()
            text = answer.read().decode("utf-8", "replace")
        except ConnectionResetError:
            raise  # http.client.RemoteDisconnected: a kept-alive connection the engine closed
        except http.client.HTTPException as exc:
            raise BadAnswer(str(exc) or type(exc).__name__) from exc
        return _Response(answer.status, answer.getheader("content-type", ""), text), not answer.will_close


class PrometheusClient:
    """Instant and range queries with explicit times, auth, retries and clear errors."""

    def __init__(self, config: ClientConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        base = config.url.rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SlokitError(
                f"--prometheus-url {config.url!r}: write the engine's base URL, e.g. http://127.0.0.1:9090"
            )
        try:
            self._port = parts.port
        except ValueError:
            raise SlokitError(f"--prometheus-url {config.url!r}: the port is not a number") from None
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._prefix = parts.path
        self._proxy = _proxy_for(parts)
        if self._proxy is not None and not self._https:
            # Through a proxy, a plain-HTTP request names the whole URL; HTTPS is tunnelled (CONNECT).
            self._prefix = f"{parts.scheme}://{parts.netloc}{parts.path}"
        netloc = parts.netloc.rpartition("@")[2]
        headers = {
            "Host": netloc,
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "User-Agent": "slokit",
        }
        if config.basic_auth:
            pair = ":".join(config.basic_auth).encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        headers.update(config.headers)
        if config.bearer_token:
            headers["Authorization"] = f"Bearer {config.bearer_token}"
        if self._proxy is not None and not self._https:
            headers.update(self._proxy[2])
        self._headers = headers
        self._sleep = sleep
        self._idle: list[_Plain | _Tls] = []
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def __enter__(self) -> PrometheusClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connection(self) -> _Plain | _Tls:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        host, port = (self._host, self._port) if self._proxy is None else self._proxy[:2]
        if self._https:
            return _Tls(host, port, self.config.timeout, self._host, self._port, self._proxy)
        return _Plain(host, port or 80, self.config.timeout)

    def _post(self, path: str, params: Mapping[str, str]) -> _Response:
        """One POST; a kept-alive connection the engine closed meanwhile is retried once, fresh."""
        body = urlencode(params).encode()
        for fresh in (False, True):
            conn = self._connection()
            reused = conn.reused
            try:
                answer, keep = conn.exchange(self._prefix + path, body, self._headers)
            except (BrokenPipeError, ConnectionResetError):
                conn.close()
                if reused and not fresh:
                    continue
                raise
            except BaseException:
                conn.close()
                raise
            if keep:
                with self._lock:
                    self._idle.append(conn)
            else:
                conn.close()
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    # --- queries ---

    def instant(self, query: str, at: float) -> list[Sample]:
        """An instant vector at ``at`` (epoch seconds); a scalar answer is one unlabelled sample."""
        data = self._call("/api/v1/query", {"query": query, "time": _time(at)})
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar" and isinstance(result, list) and len(result) == 2:
            return [Sample({}, parse_value(result[1]))]
        if kind != "vector" or not isinstance(result, list):
            raise QueryFailed(f"expected an instant vector, the engine returned {kind!r}: {shorten(query)}")
        out = []
        for item in result:
            value = item.get("value") if isinstance(item, dict) else None
            if not isinstance(value, list) or len(value) != 2:
                raise SourceUnreachable(f"malformed vector sample in the answer to {shorten(query)}")
            out.append(Sample(_labels(item.get("metric")), parse_value(value[1])))
        return out

    def range(self, query: str, start: float, end: float, step: float) -> list[Series]:
        """A range query over ``[start, end]`` every ``step`` seconds."""
        data = self._call(
            "/api/v1/query_range",
            {"query": query, "start": _time(start), "end": _time(end), "step": _time(step)},
        )
        result = data.get("result")
        if data.get("resultType") != "matrix" or not isinstance(result, list):
            raise QueryFailed(f"expected a range vector, the engine returned {data.get('resultType')!r}")
        out = []
        for item in result:
            values = item.get("values") if isinstance(item, dict) else None
            if not isinstance(values, list):
                raise SourceUnreachable(f"malformed series in the answer to {shorten(query)}")
            out.append(
                Series(
                    _labels(item.get("metric")),
                    tuple(float(v[0]) for v in values),
                    tuple(parse_value(v[1]) for v in values),
                )
            )
        return out

    def value(self, query: str, at: float) -> float | None:
        """The one number ``query`` has at ``at``; None when it returns no series (no data).

        Several series, NaN and ±Inf are errors: an SLI needs one count, and NaN (0/0) or an
        infinity would otherwise flow into budgets as a number.
        """
        samples = self.instant(query, at)
        if not samples:
            return None
        if len(samples) > 1:
            shown = ", ".join(describe_labels(s.labels) for s in samples[:3])
            raise QueryFailed(
                f"expected one series, the query returned {len(samples)} ({shown}"
                f"{', ...' if len(samples) > 3 else ''}): aggregate it, e.g. sum(...): {shorten(query)}"
            )
        return finite(samples[0].value, query)

    # --- transport ---

    def _call(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        if self.config.params:
            params = {**self.config.params, **params}
        if self.config.partial_response is not None:
            params = {**params, "partial_response": "true" if self.config.partial_response else "false"}
        where = f"{self.config.url.rstrip('/')}{path}"
        attempt = 0
        while True:
            answered = False
            try:
                response = self._post(path, params)
            except TimeoutError:
                problem = f"no answer from {where} within {self.config.timeout:g} s (timeout)"
            except OSError as exc:
                problem = f"cannot reach {where}: {exc or type(exc).__name__}"
            else:
                if response.status_code not in RETRY_STATUSES:
                    return _decode(response, where, params.get("query", ""))
                problem = f"{where} answered HTTP {response.status_code}{_error_text(response)}"
                answered = True
            if attempt >= self.config.retries:
                tries = f" after {attempt + 1} attempts" if attempt else ""
                raise SourceUnreachable(f"source unreachable: {problem}{tries}", answered=answered)
            self._sleep(self.config.backoff * 2**attempt)
            attempt += 1


def _proxy_for(url: SplitResult) -> tuple[str, int, dict[str, str]] | None:
    """The proxy the environment names for ``url`` (``HTTP(S)_PROXY``, ``ALL_PROXY``, ``NO_PROXY``).

    Host, port and the ``Proxy-Authorization`` header (for ``user:password@`` in the proxy URL),
    or None for a direct connection. The same variables curl and most HTTP clients honour.
    """
    if not any(k.lower() in ("http_proxy", "https_proxy", "all_proxy") for k in os.environ):
        return None
    import urllib.request  # only when a proxy variable is set: it is a heavy import

    proxies = urllib.request.getproxies()
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(url.netloc):
        return None
    found = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if found.scheme != "http" or not found.hostname:
        raise SlokitError(
            f"the proxy {proxy!r} (from the environment) is not an http:// proxy; slokit reaches "
            "Prometheus through plain HTTP proxies only: unset it or add the engine's host to NO_PROXY"
        )
    headers = {}
    if found.username is not None:
        pair = f"{unquote(found.username)}:{unquote(found.password or '')}".encode()
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    return found.hostname, found.port or 80, headers


def finite(value: float, query: str) -> float:
    if math.isnan(value):
        raise QueryFailed(f"the query returned NaN (0/0 or no events in the window?): {shorten(query)}")
    if math.isinf(value):
        raise QueryFailed(f"the query returned {value:+}: {shorten(query)}")
    return value


def _decode(response: _Response, where: str, query: str) -> dict[str, Any]:
    status = response.status_code
    kind = response.content_type
    if "html" in kind or response.text.lstrip()[:1] == "<":
        raise SourceUnreachable(
            f"source unreachable: {where} answered HTTP {status} with an HTML page, not the query API: "
            "check the URL (the engine's base URL, without /api/v1) and any login proxy in front of it"
        )
    try:
        body = response.json()
    except ValueError:
        raise SourceUnreachable(
            f"source unreachable: {where} answered HTTP {status} with a body that is not JSON "
            f"({response.text[:80]!r})"
        ) from None
    if not isinstance(body, dict):
        raise SourceUnreachable(f"source unreachable: {where} answered JSON that is not the query API's")
    if body.get("status") == "success" and isinstance(body.get("data"), dict) and status < 400:
        data: dict[str, Any] = body["data"]
        return data
    error = str(body.get("error") or "no error message")
    etype = str(body.get("errorType") or "")
    if status >= 500 or etype in ("timeout", "canceled", "internal", "unavailable"):
        raise SourceUnreachable(
            f"source unreachable: {where} answered HTTP {status} ({etype or 'error'}: {error})",
            answered=True,
        )
    if status in (401, 403):
        raise QueryFailed(
            f"{where} answered HTTP {status}: {error}: check --bearer-token-env / --header credentials"
        )
    raise QueryFailed(
        f"{where} refused the query (HTTP {status}, {etype or 'error'}: {error}): {shorten(query)}"
    )


def _error_text(response: _Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return f" ({body.get('error')})" if isinstance(body, dict) and body.get("error") else ""


def _time(seconds: float) -> str:
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


def shorten(query: str, limit: int = 200) -> str:
    """The query on one line, cut to ``limit`` characters for an error message."""
    flat = " ".join(query.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def headers_from(pairs: Sequence[str]) -> dict[str, str]:
    """``["X-Scope-OrgID=team-a"]`` -> headers; a pair without ``=`` is a usage mistake."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{pair!r}: write NAME=VALUE, e.g. X-Scope-OrgID=team-a")
        out[key.strip()] = value
    return out
