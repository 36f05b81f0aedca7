"""``POST /api/v1/streams/{stream}/events``: events in, logged durably, then 2xx.

The body is a JSON array of event objects, or NDJSON (one object per line) when the
``Content-Type`` is ``application/x-ndjson``/``application/jsonl`` or ``?format=ndjson``;
``Content-Encoding: gzip`` is accepted.

* Bodies above the configured limit, before or after decompression, get 413.
* A JSON array that does not parse gets 400 with the byte offset, line and column.
* Per-event problems do not fail the batch: an element that is not an object, an NDJSON line
  that does not parse, an event without a usable timestamp or outside the accepted lateness is
  listed as ``{"index", "reason"}`` and every other event is kept.
* ``Idempotency-Key``: a key seen before (within the pipeline's window, also across a restart)
  is answered 200 with ``"duplicate": true`` and counts nothing.
* The answer is sent once the accepted events are in the synced write-ahead log
  (:mod:`slokit.server.pipeline`): a crash afterwards loses nothing, since the log is
  replayed into the store on start.

**The hot path.** A JSON array is decoded by msgspec straight into a Struct type made for the
stream (:func:`event_type`): one field per top-level name the stream's indicators read, plus the
timestamp names, so every other field of an event is skipped without building a Python object
for it. The structs are turned into Arrow columns in one transposition, timestamps are checked
column-wise by the store's own rules (:func:`slokit.sources.store.admit`), and the accepted rows
go to the log. Anything the fast path does not take (an element that is not an object, a column
of mixed types, NDJSON) takes the general path: plain decoding, element by element checks and
the store's own table conversion.
"""

from __future__ import annotations

import asyncio
import operator
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
import numpy as np
import numpy.typing as npt
import pyarrow as pa
from msgspec.structs import astuple
from starlette.requests import Request
from starlette.responses import Response

from slokit.server.auth import check_bearer
from slokit.server.errors import ApiError
from slokit.server.pipeline import IngestPipeline, LogBroken
from slokit.server.state import ServerState
from slokit.sources.bound import bound_slis, fields_needed
from slokit.sources.events import (
    REASONS,
    TIMESTAMP_FIELDS,
    arrow_column,
    keep_rows,
    timestamps,
    to_table,
)
from slokit.sources.store import admit
from slokit.spec.model import Spec

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/ndjson")
MAX_KEY_LENGTH = 200
_STREAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
_BYTE = re.compile(r"\(byte (\d+)\)")
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode
_REASON_NAMES = ("", *REASONS)
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, OverflowError)


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


# --- decoding ---


_Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
#: Field kinds the typed decoder checks in C, with their msgspec and Arrow types. A field never
#: seen with a value has kind ``""`` (msgspec ``Any``, Arrow null); one seen with another type
#: (a nested object, a list) has kind ``"any"``.
_KINDS: dict[str, tuple[Any, pa.DataType]] = {
    "int": (_Int64 | None, pa.int64()),
    "float": (float | None, pa.float64()),
    "str": (str | None, pa.string()),
    "bool": (bool | None, pa.bool_()),
    "": (Any, pa.null()),
}
_KIND_OF_TYPE = {arrow: kind for kind, (_, arrow) in _KINDS.items()}


@dataclass(slots=True)
class EventType:
    """How one stream's events are decoded: the fields kept and a decoder into a Struct of them.

    ``typed`` is learned from the stream's batches (see :func:`decode_fast`): the same fields,
    typed as their columns came out, so msgspec checks the types in C and the columns are
    converted by Arrow in one pass.
    """

    names: tuple[str, ...]
    decoder: msgspec.json.Decoder[Any]
    #: One attribute getter per name, in order.
    getters: tuple[Callable[[Any], Any], ...]
    #: Timestamp names no indicator reads: skipped once an earlier timestamp name is present.
    spare_times: frozenset[str]
    typed: TypedEvent | None = None


@dataclass(frozen=True, slots=True)
class TypedEvent:
    """A decoder whose fields have the kinds (see :data:`_KINDS`) of the columns seen before,
    and the Arrow struct type of the tuple of those fields (None when a field has kind
    ``"any"``: its columns are then converted one by one)."""

    kinds: tuple[str, ...]
    decoder: msgspec.json.Decoder[Any]
    row_type: pa.StructType | None
    #: Names of the fields never seen with a value (kind ``""``).
    unseen: frozenset[str]
    #: Per name, its position among the Struct's fields; None for a spare timestamp name never
    #: seen, left out while an earlier timestamp name is there (the store would not read it).
    slots: tuple[int | None, ...]


def _decoder(
    names: tuple[str, ...], kinds: tuple[str, ...], keep: tuple[int, ...] | None = None
) -> msgspec.json.Decoder[Any]:
    """A decoder of a JSON array into a list of Structs with these fields (those at ``keep``)
    of these kinds; field ``f{i}`` is ``names[i]``."""
    keep = tuple(range(len(names))) if keep is None else keep
    fields = [(f"f{i}", _KINDS[kinds[i]][0] if kinds[i] in _KINDS else Any, None) for i in keep]
    struct = msgspec.defstruct("Event", fields, rename={f"f{i}": names[i] for i in keep}, gc=False)
    return msgspec.json.Decoder(list[struct])  # type: ignore[valid-type]


def event_type(spec: Spec, stream: str) -> EventType:
    """A Struct with one field per top-level name the stream's indicators read (``http`` for
    ``http.status``) plus the timestamp names; absent fields decode as None (null = missing for
    every predicate, as in the store). Fields are named ``f0, f1, ...`` and renamed to the event's
    names, so any name (``"a-b"``) works."""
    bounds = [b for b in bound_slis(spec) if b.stream == stream]
    read = {n.split(".")[0] for n in fields_needed(bounds)}
    names = tuple(dict.fromkeys([*TIMESTAMP_FIELDS, *sorted(read)]))
    getters = tuple(operator.attrgetter(f"f{i}") for i in range(len(names)))
    spare = frozenset(TIMESTAMP_FIELDS) - read
    return EventType(names, _decoder(names, ("",) * len(names)), getters, spare)


def learn(kind: EventType, table: pa.Table) -> None:
    """Type ``kind``'s fields by the columns of ``table`` (a decoded batch); a field the batch
    does not have keeps the kind learned before."""
    present = {f.name: _KIND_OF_TYPE.get(f.type, "any") for f in table.schema}
    before = kind.typed.kinds if kind.typed is not None else ("",) * len(kind.names)
    kinds = tuple(present.get(name, old) for name, old in zip(kind.names, before, strict=True))
    if kinds == before:
        return
    keep: list[int] = []
    time_before = False
    for i, (name, k) in enumerate(zip(kind.names, kinds, strict=True)):
        if not (time_before and not k and name in kind.spare_times):
            keep.append(i)
        time_before = time_before or (name in TIMESTAMP_FIELDS and bool(k))
    row_type = None
    if all(kinds[i] != "any" for i in keep):
        row_type = pa.struct([pa.field(f"f{i}", _KINDS[kinds[i]][1]) for i in keep])
    unseen = frozenset(name for name, k in zip(kind.names, kinds, strict=True) if not k)
    slots = tuple(keep.index(i) if i in keep else None for i in range(len(kinds)))
    kind.typed = TypedEvent(kinds, _decoder(kind.names, kinds, tuple(keep)), row_type, unseen, slots)


class EventTypes:
    """:func:`event_type` per stream, rebuilt when the spec changes."""

    def __init__(self) -> None:
        self._spec: Spec | None = None
        self._types: dict[str, EventType] = {}
        self.streams: frozenset[str] = frozenset()

    def get(self, spec: Spec, stream: str) -> EventType:
        if spec is not self._spec:
            self._spec = spec
            self._types = {}
            self.streams = frozenset(b.stream for b in bound_slis(spec))
        found = self._types.get(stream)
        if found is None:
            found = self._types[stream] = event_type(spec, stream)
        return found


@dataclass(slots=True)
class Decoded:
    """A request's events as columns, with the request index of each row and early problems."""

    received: int
    table: pa.Table
    #: Request index of each table row (None: row i is request element i).
    index: npt.NDArray[np.int64] | None
    problems: list[tuple[int, str]]


def decode_fast(data: bytes, kind: EventType) -> Decoded | None:
    """A JSON array of objects decoded into the stream's Struct and columns; None when the
    body needs the general path (not an array of objects, a column of mixed types, ...).

    The typed decoder (learned from an earlier batch) is tried first (None from it: the untyped
    decoder takes the batch); a value of another type
    than learned (a float in an int column, a string in a number column, an int beyond int64)
    fails it in C, and the batch is decoded untyped, which learns the new types for the next.
    """
    typed = kind.typed
    if typed is not None:
        try:
            items = typed.decoder.decode(data)
        except msgspec.ValidationError:
            items = None  # another type than learned: untyped below
        except msgspec.DecodeError:
            return None  # not JSON: the general path says where
        if items is not None:
            decoded = _typed_columns(items, kind, typed, data)
            if decoded is not None:
                if typed.unseen and not typed.unseen.isdisjoint(decoded.table.column_names):
                    learn(kind, decoded.table)  # a field not seen before has come
                return decoded
    try:
        items = kind.decoder.decode(data)
    except msgspec.DecodeError:  # ValidationError included: the general path says what is wrong
        return None
    decoded = _untyped_columns(items, kind, data)
    if decoded is not None:
        learn(kind, decoded.table)
    return decoded


def _untyped_columns(items: list[Any], kind: EventType, data: bytes) -> Decoded | None:
    def column(i: int) -> pa.Array | None:
        return arrow_column(list(map(kind.getters[i], items)))  # None: mixed types

    return _assemble(kind, len(items), column, data)


def _typed_columns(items: list[Any], kind: EventType, typed: TypedEvent, data: bytes) -> Decoded | None:
    """The columns of structs from the typed decoder: the events as tuples, converted by Arrow
    into one struct array (its fields are the columns) in one pass; the same table the untyped
    path builds, except that a float column whose values are all whole numbers stays float64."""
    columns: list[pa.Array] | None = None
    if typed.row_type is not None and items:
        try:
            columns = pa.array(list(map(astuple, items)), typed.row_type).flatten()
        except _ARROW_ERRORS:
            columns = None  # a field first seen with a value now (Arrow null type): one by one

    def column(i: int) -> pa.Array | None:
        slot = typed.slots[i]
        if slot is None:
            return None  # a timestamp name left out, needed since the earlier ones are empty
        if columns is not None:
            return columns[slot]
        arrow = _KINDS[typed.kinds[i]][1] if typed.kinds[i] in _KINDS else None
        values = list(map(kind.getters[i], items))
        if arrow is None or arrow == pa.null():  # not checked by msgspec: typed by Arrow
            return arrow_column(values)
        return pa.array(values, arrow)

    return _assemble(kind, len(items), column, data)


def _assemble(
    kind: EventType, n: int, column: Callable[[int], pa.Array | None], data: bytes
) -> Decoded | None:
    """The table of the fields' columns as the store would convert the events as dicts: a
    field no event has is absent; of the timestamp names only the first present is converted
    (the store reads that one) unless an indicator reads another. None: the general path."""
    if not n:
        return None
    arrays: list[pa.Array] = []
    names: list[str] = []
    have_time = False
    for i, name in enumerate(kind.names):
        if have_time and name in kind.spare_times:
            continue
        try:
            array = column(i)
        except _ARROW_ERRORS:
            return None
        if array is None:
            return None
        if array.null_count == n:
            if not have_time and name in TIMESTAMP_FIELDS and _may_hold_name(data, name):
                # Null in every event, absent or sent as null? Dicts would hold a null
                # timestamp column the store reads first (every event missing_timestamp).
                return None
            continue
        arrays.append(array)
        names.append(name)
        have_time = have_time or name in TIMESTAMP_FIELDS
    if not arrays:
        return None
    return Decoded(n, pa.Table.from_arrays(arrays, names=names), None, [])


def _may_hold_name(data: bytes, name: str) -> bool:
    """Whether ``"name"`` may be a key in the JSON text (escaped text could spell any key)."""
    return f'"{name}"'.encode() in data or b"\\u" in data


def decode_general(data: bytes, ndjson: bool, kind: EventType) -> Decoded:
    """Any body: elements that are not objects and NDJSON lines that do not parse are problems."""
    items, problems = decode_events(data, ndjson)
    wanted = set(kind.names)
    keep = [i for i, e in enumerate(items) if e is not None]
    rows = [{k: v for k, v in items[i].items() if k in wanted} for i in keep]
    table = to_table(rows)
    index = np.array(keep, np.int64)
    return Decoded(len(items), table, index, problems)


def decode(data: bytes, ndjson: bool, kind: EventType, max_events: int) -> Decoded:
    """The fast path when it applies, else the general one; 413 above ``max_events``."""
    decoded = None if ndjson else decode_fast(data, kind)
    if decoded is None:
        decoded = decode_general(data, ndjson, kind)
    if decoded.received > max_events:
        raise ApiError(
            413,
            f"{decoded.received} events in one request; at most {max_events} are accepted",
            {"limit_events": max_events},
        )
    return decoded


def accept(
    decoded: Decoded, now_s: float, stored_newest: int | None, lateness_seconds: float | None
) -> tuple[pa.Table, list[tuple[int, str]], int | None]:
    """The accepted events' table, every rejection ``(request index, reason)`` (decoding problems
    included) and the stream's newest minute row afterwards."""
    table = decoded.table
    rejections = list(decoded.problems)
    if not table.num_rows:
        return table, rejections, stored_newest
    code, newest = admit(timestamps(table), now_s, stored_newest, lateness_seconds)
    rejected = np.flatnonzero(code)
    if rejected.size:
        where = rejected if decoded.index is None else decoded.index[rejected]
        rejections += [(int(i), _REASON_NAMES[c]) for i, c in zip(where, code[rejected], strict=True)]
        ok = code == 0
        table = keep_rows(table, ok)
    return table, rejections, newest


# --- the endpoint ---


def _answer(
    stream: str,
    key: str | None,
    received: int,
    accepted: int,
    rejections: list[tuple[int, str]],
    unknown: bool,
    duplicate: bool,
) -> Response:
    rejections.sort()
    counts: dict[str, int] = {}
    for _, reason in rejections:
        name = reason.split(":")[0]
        counts[name] = counts.get(name, 0) + 1
    body = {
        "stream": stream,
        "batch_id": key,
        "received": received,
        "accepted": accepted,
        "duplicate": duplicate,
        "unknown_stream": unknown,
        "rejected_counts": counts,
        "rejected": [{"index": i, "reason": r} for i, r in rejections],
    }
    return Response(_encode(body), 200, media_type="application/json")


async def ingest_events(request: Request) -> Response:
    state: ServerState = request.app.state.slokit
    pipeline: IngestPipeline = request.app.state.pipeline
    types: EventTypes = request.app.state.event_types
    check_bearer(request, state.config.token)
    stream = request.path_params["stream"]
    if not _STREAM.match(stream):
        raise ApiError(
            400, "stream names are 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit"
        )
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise ApiError(400, f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
    if pipeline.broken is not None:
        raise ApiError(503, f"ingest is stopped: {pipeline.broken}")
    if not await pipeline.wait_for_room():
        raise ApiError(
            503, "ingest is behind: the store has not taken the logged events in time; retry later"
        )
    data = await read_body(request, state.config.max_body_bytes)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    query = bool(request.scope.get("query_string"))  # parsed only when there is one
    ndjson = ctype in NDJSON_TYPES or (query and request.query_params.get("format") == "ndjson")
    kind = types.get(state.spec, stream)
    unknown = stream not in types.streams
    decoded = decode(data, ndjson, kind, state.config.max_events)
    if key is not None:
        seen = pipeline.keys.get(stream, key)
        if seen is not None:
            if not isinstance(seen, float):
                try:
                    await asyncio.shield(seen)  # the first request with this key is being logged
                except LogBroken as exc:
                    raise ApiError(503, f"ingest is stopped: {exc}") from None
            return _answer(stream, key, decoded.received, 0, decoded.problems, unknown, True)
    table, rejections, newest = accept(
        decoded, time.time(), pipeline.newest.get(stream), state.config.lateness_seconds
    )
    pipeline.newest[stream] = newest
    try:
        # Shielded: a client that goes away does not stop its batch from being logged.
        await asyncio.shield(pipeline.enqueue(stream, key, table))
    except LogBroken as exc:
        raise ApiError(503, f"ingest is stopped: {exc}") from None
    state.touch()
    return _answer(stream, key, decoded.received, table.num_rows, rejections, unknown, False)
