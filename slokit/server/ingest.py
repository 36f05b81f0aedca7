"""``POST /api/v1/streams/{stream}/events``: events in, committed to the store, then 2xx.

The body is a JSON array of event objects, or NDJSON (one object per line) when the
``Content-Type`` is ``application/x-ndjson``/``application/jsonl`` or ``?format=ndjson``;
``Content-Encoding: gzip`` is accepted. The raw bytes are decoded with msgspec (no per-field
validation layer: the store checks what matters, timestamps, column by column).

* Bodies above the configured limit, before or after decompression, get 413.
* A JSON array that does not parse gets 400 with the byte offset, line and column.
* Per-event problems do not fail the batch: an element that is not an object, an NDJSON line
  that does not parse, an event without a usable timestamp or outside the accepted lateness is
  listed as ``{"index", "reason"}`` and every other event is kept.
* ``Idempotency-Key`` becomes the store's batch id: a repeated batch is answered 200 with
  ``"duplicate": true`` and counted once, even across a crash (the id commits with the rows).
* The response is sent only after :meth:`~slokit.sources.store.Store.ingest` returned, i.e.
  after the batch's transaction committed.

**Group commit.** A store transaction has a fixed cost (the synced commit, the appends), so
requests that arrive while a commit of their stream is in progress wait and are then committed
together in one transaction; each is answered after that commit with its own counts and
rejections. Unkeyed batches are concatenated into one ingest; keyed batches are ingested one by
one inside the same transaction (``Store.commit_group``), so each key commits atomically with
exactly its batch's rows, and a key repeated within a group is recognised as a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pyarrow as pa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from slokit.server.auth import check_bearer
from slokit.server.errors import ApiError
from slokit.server.state import ServerState
from slokit.sources.store import IngestResult

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/ndjson")
MAX_KEY_LENGTH = 200
_STREAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
_BYTE = re.compile(r"\(byte (\d+)\)")
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) anything larger than ``limit`` bytes once decompressed."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        parts.append(chunk)
    body = b"".join(parts)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip"):
        raise ApiError(415, f"Content-Encoding {encoding!r} is not supported; send gzip or identity")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ApiError(400, f"the gzip body cannot be decompressed: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise _too_large(limit, after_gzip=True)
    if not inflater.eof:
        raise ApiError(400, "the gzip body is truncated")
    return out


def _too_large(limit: int, after_gzip: bool = False) -> ApiError:
    what = "decompressed body" if after_gzip else "body"
    return ApiError(
        413, f"the {what} is larger than the limit of {limit} bytes; send smaller batches", {"limit": limit}
    )


def position(data: bytes, offset: int) -> dict[str, int]:
    """Byte offset -> 1-based line and column, for error messages editors can jump to."""
    offset = max(0, min(offset, len(data)))
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return {"byte": offset, "line": line, "column": column}


def _malformed(data: bytes, exc: msgspec.DecodeError) -> ApiError:
    text = str(exc)
    m = _BYTE.search(text)
    offset = int(m.group(1)) if m else len(data)
    where = position(data, offset)
    reason = _BYTE.sub("", text).strip()
    if "truncated" in text:
        reason = "the JSON ends before it is complete"
    return ApiError(
        400,
        f"malformed JSON at line {where['line']}, column {where['column']} (byte {where['byte']}): {reason}",
        {"position": where},
    )


def decode_events(data: bytes, ndjson: bool) -> tuple[list[Any], list[tuple[int, str]]]:
    """Decoded events and per-event problems ``(index, reason)``; objects only are events.

    Returned events keep their positions: a rejected element is ``None`` in the list so the
    store's indices stay the request's indices.
    """
    problems: list[tuple[int, str]] = []
    if ndjson:
        items: list[Any] = []
        for i, line in enumerate(data.splitlines()):
            if not line.strip():
                items.append(None)
                problems.append((i, "empty_line"))
                continue
            try:
                items.append(_decode(line))
            except msgspec.DecodeError as exc:
                items.append(None)
                problems.append((i, f"malformed_json: {_BYTE.sub('', str(exc)).strip()}"))
        if items and items[-1] is None and problems and problems[-1] == (len(items) - 1, "empty_line"):
            items.pop()
            problems.pop()
    else:
        try:
            decoded = _decode(data)
        except msgspec.DecodeError as exc:
            raise _malformed(data, exc) from None
        if not isinstance(decoded, list):
            raise ApiError(
                400,
                "the body must be a JSON array of event objects (or NDJSON with "
                "Content-Type: application/x-ndjson)",
            )
        items = decoded
    for i, item in enumerate(items):
        if item is not None and not isinstance(item, dict):
            problems.append((i, "not_an_object"))
            items[i] = None
    return items, problems


def as_table(events: list[dict[str, Any]]) -> pa.Table | list[dict[str, Any]]:
    """Events with the same fields as one Arrow table, built by Arrow in one call.

    ``Table.from_pylist`` takes its columns from the first event, so it is used only when every
    event has exactly the same keys (a cheap check); it is about 3× faster than building the
    columns one by one. Anything else (missing or extra fields, a column of mixed types) is
    left to the store, which reports such events one by one.
    """
    if not events:
        return events
    keys = events[0].keys()
    if not all(e.keys() == keys for e in events):
        return events
    try:
        return pa.Table.from_pylist(events)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, OverflowError):
        return events


@dataclass(frozen=True, slots=True)
class Answer:
    """What one request's batch did, once its transaction committed."""

    accepted: int
    rejections: list[tuple[int, str]]
    unknown_stream: bool
    duplicate: bool


def _ingest_one(state: ServerState, stream: str, events: list[Any], batch_id: str | None) -> IngestResult:
    """One store ingest of a request's events (``None`` = already rejected), indices mapped back."""
    keep = [i for i, e in enumerate(events) if e is not None]
    batch = as_table(events if len(keep) == len(events) else [events[i] for i in keep])
    result = state.store.ingest(stream, batch, spec=state.spec, batch_id=batch_id)
    if len(keep) != len(events) and result.rejected_index.size:
        result.rejected_index = result.rejected_index.copy()
        for j, i in enumerate(result.rejected_index.tolist()):
            result.rejected_index[j] = keep[i]
    return result


def commit_batches(
    state: ServerState, stream: str, group: list[tuple[list[Any], str | None]]
) -> list[Answer]:
    """Commit a group of requests' batches in one transaction (worker thread, store lock held).

    Unkeyed batches are concatenated into one ingest (the cheapest way: one aggregation); each
    keyed batch is its own ingest with its key, inside the same transaction
    (:meth:`~slokit.sources.store.Store.commit_group`), so every key commits with its rows.
    """
    answers: list[Answer | None] = [None] * len(group)
    unkeyed = [k for k, (_, key) in enumerate(group) if key is None]
    keyed = [k for k, (_, key) in enumerate(group) if key is not None]
    with state.locked() as store, store.commit_group() if keyed else contextlib.nullcontext():
        if unkeyed:
            combined = [e for k in unkeyed for e in group[k][0]]
            # Inside a commit group an unkeyed ingest currently fails in the store (DuckDB
            # "unfinished result"), so the combined batch gets an id of its own there.
            group_id = f"server-group-{uuid.uuid4().hex}" if keyed else None
            result = _ingest_one(state, stream, combined, group_id)
            rejections = result.rejections
            offset = pos = 0
            for k in unkeyed:
                end = offset + len(group[k][0])
                mine: list[tuple[int, str]] = []
                while pos < len(rejections) and rejections[pos][0] < end:
                    mine.append((rejections[pos][0] - offset, rejections[pos][1]))
                    pos += 1
                present = sum(1 for e in group[k][0] if e is not None)
                answers[k] = Answer(present - len(mine), mine, result.unknown_stream, False)
                offset = end
        for k in keyed:
            events, key = group[k]
            r = _ingest_one(state, stream, events, key)
            answers[k] = Answer(r.accepted, r.rejections, r.unknown_stream, r.duplicate)
    state.touch()
    return [a for a in answers if a is not None]


#: Most events committed together in one group transaction.
GROUP_MAX_EVENTS = 100_000


@dataclass(slots=True)
class _Pending:
    events: list[Any]
    key: str | None
    future: asyncio.Future[Answer]


@dataclass(slots=True)
class GroupCommitter:
    """Coalesces concurrent batches of a stream into one store transaction (see above)."""

    state: ServerState
    pending: dict[str, list[_Pending]] = field(default_factory=dict)
    running: set[str] = field(default_factory=set)
    #: Batches committed, and the transactions that took (for /readyz).
    batches: int = 0
    commits: int = 0

    async def submit(self, stream: str, events: list[Any], key: str | None) -> Answer:
        """This batch's answer, once the transaction it was committed in has committed."""
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self.pending.setdefault(stream, []).append(_Pending(events, key, future))
        if stream not in self.running:
            self.running.add(stream)
            asyncio.get_running_loop().create_task(self._drain(stream))
        return await future

    async def _drain(self, stream: str) -> None:
        try:
            while self.pending.get(stream):
                queue = self.pending[stream]
                group: list[_Pending] = []
                size = 0
                while queue and (not group or size + len(queue[0].events) <= GROUP_MAX_EVENTS):
                    item = queue.pop(0)
                    group.append(item)
                    size += len(item.events)
                work = [(item.events, item.key) for item in group]
                try:
                    answers = await run_in_threadpool(commit_batches, self.state, stream, work)
                except BaseException as exc:
                    for item in group:
                        if not item.future.done():
                            item.future.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                self.batches += len(group)
                self.commits += 1
                for item, answer in zip(group, answers, strict=True):
                    if not item.future.done():
                        item.future.set_result(answer)
        finally:
            self.running.discard(stream)


async def ingest_events(request: Request) -> Response:
    state: ServerState = request.app.state.slokit
    check_bearer(request, state.config.token)
    stream = request.path_params["stream"]
    if not _STREAM.match(stream):
        raise ApiError(
            400, "stream names are 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit"
        )
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise ApiError(400, f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
    data = await read_body(request, state.config.max_body_bytes)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    ndjson = ctype in NDJSON_TYPES or request.query_params.get("format") == "ndjson"
    events, problems = decode_events(data, ndjson)
    if len(events) > state.config.max_events:
        raise ApiError(
            413,
            f"{len(events)} events in one request; at most {state.config.max_events} are accepted",
            {"limit_events": state.config.max_events},
        )
    committer: GroupCommitter = request.app.state.committer
    answer = await committer.submit(stream, events, key)
    accepted, stored, unknown, duplicate = (
        answer.accepted,
        answer.rejections,
        answer.unknown_stream,
        answer.duplicate,
    )
    rejections = sorted(problems + stored)
    counts: dict[str, int] = {}
    for _, reason in rejections:
        name = reason.split(":")[0]
        counts[name] = counts.get(name, 0) + 1
    body = {
        "stream": stream,
        "batch_id": key,
        "received": len(events),
        "accepted": accepted,
        "duplicate": duplicate,
        "unknown_stream": unknown,
        "rejected_counts": counts,
        "rejected": [{"index": i, "reason": r} for i, r in rejections],
    }
    return Response(_encode(body), 200, media_type="application/json")
