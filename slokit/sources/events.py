"""Turning a batch of events (dicts or an Arrow table) into columns with a minute index.

An event is a timestamp plus fields. The timestamp is the first of ``ts``, ``timestamp`` or
``time`` present in the batch and may be

* an Arrow timestamp (a zone-less one is taken as UTC),
* an RFC 3339 string with a zone offset (``2024-05-01T12:00:00.250Z``, ``...+02:00``),
* a number of seconds since the Unix epoch, or of **milliseconds** when its magnitude is at
  least 1e11: 1e11 seconds is the year 5138 while 1e11 milliseconds is March 1973, so no real
  event is ambiguous.

Everything here is columnar (pyarrow compute and numpy): a batch costs a few passes over its
arrays, never a Python loop per event, except on the error path of a malformed column.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from slokit.engine.series import minute_of

#: Candidate timestamp field names, in order of preference.
TIMESTAMP_FIELDS = ("ts", "timestamp", "time")

#: Epoch numbers at or above this magnitude are milliseconds (see the module docstring).
EPOCH_MS_THRESHOLD = 1e11

#: Timestamps at or beyond this many seconds from the epoch (about 317,000 years) are not times.
MAX_EPOCH_SECONDS = 1e13

#: Field metadata key listing the rows of a mixed-type column that held no number.
NOT_NUMBERS_KEY = b"slokit.not_numbers"

#: Field metadata key of a mixed-type numeric column naming the column beside it that holds,
#: for each row whose value was not a number, that value's text (null on the other rows): a
#: column beside it, not metadata, so it stays aligned when rows are filtered out (the request
#: path drops rejected rows) and lines up with nulls when tables are concatenated.
LABEL_TEXTS_KEY = b"slokit.label_texts"

#: Rejection reasons, stable names used in summaries and JSON output.
MISSING_TIMESTAMP = "missing_timestamp"
BAD_TIMESTAMP = "bad_timestamp"
TOO_LATE = "too_late"
IN_FUTURE = "in_future"
REASONS = (MISSING_TIMESTAMP, BAD_TIMESTAMP, TOO_LATE, IN_FUTURE)
REASON_CODE = {name: code for code, name in enumerate(REASONS, start=1)}

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
#: A chunk length and (lowest, highest) minute row of each chunk of that many rows.
ChunkRanges = tuple[int, list[tuple[int, int]]]


class Timestamps:
    """Event times of one batch: minute rows, a reason code, and seconds since the epoch.

    ``minute`` is the row of :func:`slokit.engine.series.minute_of` (``(60·m, 60·m + 60]``),
    computed in exact integer arithmetic for integer and Arrow timestamp columns. ``reason``
    is 0 for a usable timestamp, otherwise ``REASON_CODE[MISSING_TIMESTAMP]`` or
    ``REASON_CODE[BAD_TIMESTAMP]``; unusable rows have NaN seconds and minute row 0.
    ``latest`` is the largest usable timestamp in seconds (-inf when there is none); the
    float ``seconds`` of an integer column are only computed when asked for, since the usual
    batch needs nothing but ``latest`` to check for events in the future.
    """

    __slots__ = (
        "_raw",
        "_scale",
        "_seconds",
        "chunk_ranges",
        "field",
        "latest",
        "minute",
        "minute_range",
        "reason",
    )

    def __init__(
        self,
        field: str | None,
        minute: IntArray,
        reason: npt.NDArray[np.int8],
        latest: float,
        seconds: FloatArray | None = None,
        raw: IntArray | None = None,
        scale: float = 1.0,
        minute_range: tuple[int, int] | None = None,
        chunk_ranges: ChunkRanges | None = None,
    ) -> None:
        self.field = field
        #: With ``minute_range``: a chunk length and the lowest and highest minute row of each
        #: chunk of that many rows in turn (:meth:`slokit.sources.aggregate.Batch.count_cells`
        #: counts in such chunks and needs their bounds; the reader had them for free).
        self.chunk_ranges = chunk_ranges
        #: (lowest, highest) minute row when every timestamp is usable and the reader knew them
        #: without another pass (None otherwise).
        self.minute_range = minute_range
        self.minute = minute
        self.reason = reason
        self.latest = latest
        self._seconds = seconds
        self._raw = raw
        self._scale = scale

    @property
    def seconds(self) -> FloatArray:
        if self._seconds is None:
            assert self._raw is not None
            self._seconds = self._raw / self._scale
        return self._seconds


def to_table(batch: pa.Table | pa.RecordBatch | Sequence[Mapping[str, Any]]) -> pa.Table:
    """An Arrow table with nested records flattened to dotted names (``http.status``).

    A column whose values have mixed types (``12`` and ``"slow"``) cannot be one Arrow type;
    it becomes a string column so the bad values can be reported instead of failing the batch.
    """
    if isinstance(batch, pa.RecordBatch):
        table = pa.Table.from_batches([batch])
    elif isinstance(batch, pa.Table):
        table = batch
    else:
        table = _table_from_dicts(batch)
    return flatten(table)


def flatten(table: pa.Table) -> pa.Table:
    """Nested records as dotted columns; an empty record (``{}``) becomes a null column."""
    while any(pa.types.is_struct(f.type) for f in table.schema):
        for i, f in enumerate(table.schema):
            if pa.types.is_struct(f.type) and f.type.num_fields == 0:
                table = table.set_column(i, f.name, pa.nulls(table.num_rows))
        if any(pa.types.is_struct(f.type) for f in table.schema):
            table = table.flatten()
    return table


def _table_from_dicts(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    keys: dict[str, None] = {}
    for row in rows:
        if not isinstance(row, Mapping):
            raise TypeError(f"an event must be a mapping of field names to values, got {type(row).__name__}")
        keys.update(dict.fromkeys(row))
    columns: list[tuple[str, pa.Array, dict[bytes, bytes] | None, list[str | None] | None]] = []
    for key in keys:
        _add_columns(str(key), [row.get(key) for row in rows], columns)
    if not columns:
        return pa.table({"_": pa.nulls(len(rows))}).drop_columns(["_"])
    taken = {name for name, _, _, _ in columns}
    fields: list[pa.Field] = []
    arrays: list[pa.Array] = []
    for name, array, metadata, texts in columns:
        arrays.append(array)
        if texts is not None:
            sibling = f"{name}\x00text"
            while sibling in taken:
                sibling += "\x00"
            taken.add(sibling)
            metadata = {**(metadata or {}), LABEL_TEXTS_KEY: sibling.encode()}
            fields.append(pa.field(name, array.type, metadata=metadata))
            arrays.append(pa.array(texts, pa.string()))
            fields.append(pa.field(sibling, pa.string()))
        else:
            fields.append(pa.field(name, array.type, metadata=metadata))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _add_columns(
    name: str,
    values: list[Any],
    out: list[tuple[str, pa.Array, dict[bytes, bytes] | None, list[str | None] | None]],
) -> None:
    """The column(s) of one field: ``(name, array, field metadata, label texts)`` appended to ``out``.

    Records whose fields mix types, or records mixed with other values, are taken apart here
    (``http.code`` from the records, ``http`` from the other values), as :func:`flatten` does
    for records Arrow can convert: otherwise one odd event would turn every record of the batch
    into text, and ``http.code`` would be missing from all of them.
    """
    array = arrow_column(values)
    if array is not None:
        out.append((name, array, None, None))
        return
    if name not in TIMESTAMP_FIELDS and any(isinstance(v, Mapping) for v in values):
        records = [v if isinstance(v, Mapping) else None for v in values]
        inner: dict[str, None] = {}
        for record in records:
            if record is not None:
                inner.update(dict.fromkeys(record))
        for key in inner:
            _add_columns(f"{name}.{key}", [None if r is None else r.get(key) for r in records], out)
        rest = [None if isinstance(v, Mapping) else v for v in values]
        if any(v is not None for v in rest):
            _add_columns(name, rest, out)
        return
    out.append((name, *_mixed_column(values, as_text=name in TIMESTAMP_FIELDS)))


def arrow_column(values: list[Any]) -> pa.Array | None:
    """Arrow's column of one field's values, None when they mix types (then the caller takes
    them apart). Arrow's own inference reads ``true`` as ``1.0`` once a float came first (in
    a record or list too) though it refuses ``true`` before a float: such a column is mixed
    here whatever the order, so a boolean is never counted as a number."""
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        return None
    if _has_float(array.type) and any(_holds_bool(v) for v in values):
        return None
    return array


def _has_float(kind: pa.DataType) -> bool:
    if pa.types.is_floating(kind):
        return True
    if pa.types.is_struct(kind):
        return any(_has_float(kind.field(i).type) for i in range(kind.num_fields))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _has_float(kind.value_type)
    return False


def _holds_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, Mapping):
        return any(_holds_bool(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_bool(v) for v in value)
    return False


def _mixed_column(
    values: list[Any], as_text: bool
) -> tuple[pa.Array, dict[bytes, bytes] | None, list[str | None] | None]:
    """A column whose values have several types (``12`` and ``"slow"``), and label texts.

    When some values are numbers, the column is numeric (so ``status < 500`` still applies to
    the other events): numeric text is converted, and the rows whose value is not a number
    become null and are listed in the field's metadata under :data:`NOT_NUMBERS_KEY`, so an
    indicator reading the field reports them as not numbers rather than as missing. The text
    of every value that was not a number is returned too (None on the other rows): a group
    label must read ``"/a"`` or ``" 7"`` as the event wrote it, not as the null or the number
    the conversion made of it (see :data:`LABEL_TEXTS_KEY`). Otherwise every value becomes
    text (:func:`value_text`: ``true``, not Python's ``True``), as timestamp fields always do
    (each value is then parsed on its own: RFC 3339 text or an epoch number).
    """
    if not as_text and any(_is_number(v) for v in values):
        numbers: list[float | None] = []
        bad: list[int] = []
        texts: list[str | None] = []
        for i, v in enumerate(values):
            if v is None or _is_number(v):
                numbers.append(None if v is None else as_float(v))
                texts.append(None)
            else:
                number = _number_or_none(v)
                numbers.append(number)
                if number is None:
                    bad.append(i)
                texts.append(value_text(v))
        metadata = {NOT_NUMBERS_KEY: json.dumps(bad).encode()}
        has_text = any(t is not None for t in texts)
        return pa.array(numbers, pa.float64()), metadata, texts if has_text else None
    text = [None if v is None else str(v) if _is_number(v) else value_text(v) for v in values]
    return pa.array(text, pa.string()), None, None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_float(value: int | float) -> float:
    """A JSON number as a 64-bit float (the nearest one; an integer too large for any is ±inf)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


#: Integers up to this magnitude are exact as 64-bit floats; beyond it a JSON reader may round
#: them (Arrow's and msgspec's do when the column also holds floats), so labels round them too.
EXACT_INTEGERS = 2**53

#: Whole numbers below this magnitude are written in digits (``200``), larger ones as floats
#: are (``1e+16``): where Python and JSON switch to an exponent.
_DIGITS_BELOW = 1e16


def number_text(value: int | float) -> str:
    """A number's label text, from its value as a 64-bit float (what JSON readers keep, so
    ``200`` and ``200.0`` read alike whatever the column's type): a whole number below 1e16 in
    digits (``200``), any other in the shortest form that reads back the same (``0.5``,
    ``1e+16``, ``NaN``)."""
    if isinstance(value, int) and -EXACT_INTEGERS <= value <= EXACT_INTEGERS:
        return str(value)
    number = as_float(value)
    if number.is_integer() and abs(number) < _DIGITS_BELOW:
        return str(int(number))
    return json.dumps(number)


def value_text(value: Any) -> str:
    """The text of a value that is not a number, as JSON would write it: a string as is,
    ``true``/``false``, lists and records as JSON (their numbers as :func:`number_text`
    writes them, so ``[1, 2.0]`` reads as ``[1, 2]`` in a column of integers or of floats)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | dict):
        return json.dumps(_numbers_by_value(value), ensure_ascii=False, default=str)
    return str(value)


def _numbers_by_value(value: Any) -> Any:
    """``value`` with every number inside replaced by one JSON writes as :func:`number_text` does."""
    if _is_number(value):
        number = as_float(value)
        return int(number) if number.is_integer() and abs(number) < _DIGITS_BELOW else number
    if isinstance(value, list | tuple):
        return [_numbers_by_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _numbers_by_value(v) for k, v in value.items()}
    return value


def _number_or_none(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def label_texts(table: pa.Table, name: str) -> pa.ChunkedArray | None:
    """Of a mixed-type column, the text of each row's value that was not a number (null on the
    other rows; see :data:`LABEL_TEXTS_KEY`); None for any other column."""
    index = table.schema.get_field_index(name)
    if index < 0:
        return None
    sibling = (table.schema.field(index).metadata or {}).get(LABEL_TEXTS_KEY)
    if sibling is None or sibling.decode() not in table.column_names:
        return None
    return table.column(sibling.decode())


def not_numbers(table: pa.Table, name: str) -> list[int]:
    """Rows of a mixed-type column whose value was not a number (see :func:`_mixed_column`)."""
    metadata = table.schema.field(name).metadata or {}
    raw = metadata.get(NOT_NUMBERS_KEY)
    return [] if raw is None else [int(i) for i in json.loads(raw)]


def keep_rows(table: pa.Table, ok: npt.NDArray[np.bool_]) -> pa.Table:
    """The rows where ``ok``; a mixed column's list of rows holding no number
    (:data:`NOT_NUMBERS_KEY`) renumbered to the kept rows (a plain filter would keep the old
    row numbers). Not converted again from the events: a subset of a mixed column (only its
    text values) would get another type."""
    kept = table.filter(pa.array(ok))
    if not any(f.metadata and NOT_NUMBERS_KEY in f.metadata for f in table.schema):
        return kept
    position = np.cumsum(ok) - 1
    fields = []
    for f in table.schema:
        if f.metadata and NOT_NUMBERS_KEY in f.metadata:
            bad = [int(position[i]) for i in not_numbers(table, f.name) if ok[i]]
            f = f.with_metadata({**f.metadata, NOT_NUMBERS_KEY: json.dumps(bad).encode()})
        fields.append(f)
    return pa.Table.from_arrays(kept.columns, schema=pa.schema(fields, table.schema.metadata))


def timestamp_field(table: pa.Table) -> str | None:
    names = set(table.column_names)
    return next((name for name in TIMESTAMP_FIELDS if name in names), None)


def timestamps(table: pa.Table) -> Timestamps:
    """Minute rows for every row, with a reason for unusable ones (see :class:`Timestamps`)."""
    n = table.num_rows
    name = timestamp_field(table)
    if name is None:
        missing = np.full(n, REASON_CODE[MISSING_TIMESTAMP], np.int8)
        return Timestamps(None, np.zeros(n, np.int64), missing, -math.inf, np.full(n, np.nan))
    column = table.column(name)
    exact = _integer_minutes(name, column)
    if exact is not None:
        return exact
    seconds = _seconds(column)
    reason = np.zeros(n, np.int8)
    with np.errstate(invalid="ignore"):
        usable = np.abs(seconds) < MAX_EPOCH_SECONDS  # False for NaN too
    seconds[~usable] = np.nan
    reason[~usable] = REASON_CODE[BAD_TIMESTAMP]
    if column.null_count:
        reason[_null_mask(column)] = REASON_CODE[MISSING_TIMESTAMP]
    latest = float(np.max(seconds, where=usable, initial=-math.inf))
    return Timestamps(name, minutes(seconds), reason, latest, seconds)


def _integer_minutes(name: str, column: pa.ChunkedArray) -> Timestamps | None:
    """Exact minute rows of a null-free integer or timestamp column (else None)."""
    if column.null_count or len(column) == 0:
        return None
    kind = column.type
    reason = np.zeros(len(column), np.int8)
    if pa.types.is_timestamp(kind):
        per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[kind.unit]
        raw = np.asarray(column.cast(pa.int64()).to_numpy(), dtype=np.int64)
        minute = (raw - 1) // (60 * per_second)
        return Timestamps(name, minute, reason, int(raw.max()) / per_second, raw=raw, scale=per_second)
    if not pa.types.is_integer(kind):
        return None
    raw = np.asarray(column.cast(pa.int64()).to_numpy(), dtype=np.int64)
    threshold = int(EPOCH_MS_THRESHOLD)
    # One pass in the unit the first value has: a column is all seconds or all milliseconds
    # (a logger writes one), and a guess the rest contradicts costs the mixed reading below.
    per_second = 1_000 if abs(int(raw[0])) >= threshold else 1
    minute, bottom, top, chunks = _chunk_minutes(raw, 60 * per_second)
    if (
        top < threshold and bottom > -threshold
        if per_second == 1
        else bottom >= threshold and top < MAX_EPOCH_SECONDS * 1000
    ):  # every value in the unit guessed: the minute rows are right
        step = 60 * per_second
        span = ((bottom - 1) // step, (top - 1) // step)  # floor division is monotone
        ranges = (_CHUNK, [((low - 1) // step, (high - 1) // step) for low, high in chunks])
        return Timestamps(
            name,
            minute,
            reason,
            top / per_second,
            raw=raw,
            scale=float(per_second),
            minute_range=span,
            chunk_ranges=ranges,
        )
    if top >= MAX_EPOCH_SECONDS * 1000 or bottom <= -MAX_EPOCH_SECONDS * 1000:
        return None  # absurd values: the general path marks them as bad timestamps
    is_ms = (raw >= threshold) | (raw <= -threshold)
    seconds = np.where(is_ms, raw / 1000.0, raw.astype(np.float64))
    minute = np.where(is_ms, (raw - 1) // 60_000, (raw - 1) // 60)
    return Timestamps(name, minute, reason, float(seconds.max()), seconds)


#: Rows per chunk of :func:`_chunk_minutes` (its steps run on data in the CPU cache).
_CHUNK = 1 << 15


def _chunk_minutes(raw: IntArray, step: int) -> tuple[IntArray, int, int, list[tuple[int, int]]]:
    """Minute rows ``(raw - 1) // step`` (``step``: 60 for epoch seconds, 60,000 for epoch
    milliseconds) with the lowest and highest ``raw`` overall and of each chunk of
    :data:`_CHUNK` rows, in one pass over memory: each chunk is reduced and divided while it
    is in the cache."""
    minute = np.empty(raw.size, np.int64)
    chunks = []
    for start in range(0, raw.size, _CHUNK):
        chunk = raw[start : start + _CHUNK]
        part = minute[start : start + _CHUNK]
        chunks.append((int(chunk.min()), int(chunk.max())))
        np.subtract(chunk, 1, out=part)
        np.floor_divide(part, step, out=part)
    bottom = min(low for low, _ in chunks)
    top = max(high for _, high in chunks)
    return minute, bottom, top, chunks


def _null_mask(column: pa.ChunkedArray) -> BoolArray:
    if column.null_count == 0:
        return np.zeros(len(column), np.bool_)
    return np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)


def _seconds(column: pa.ChunkedArray) -> FloatArray:
    kind = column.type
    if pa.types.is_timestamp(kind):
        per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[kind.unit]
        raw = column.cast(pa.int64()).to_numpy(zero_copy_only=False)
        return np.asarray(raw, dtype=np.float64) / per_second
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return epoch_seconds(float64_values(column))
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _text_seconds(column)
    if pa.types.is_date(kind):
        days = column.cast(pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False)
        return np.asarray(days, dtype=np.float64) * 86400.0
    return np.full(len(column), np.nan)


def float64_values(column: pa.ChunkedArray) -> FloatArray:
    """A numeric column as float64 (zero-copy for a float64 column of one chunk); an integer
    beyond 2^53 becomes the nearest double, as JSON readers make it, instead of failing the cast."""
    if column.type == pa.float64() and column.num_chunks == 1:
        return np.asarray(column.chunk(0).to_numpy(zero_copy_only=False), np.float64)
    return np.asarray(column.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False), np.float64)


def epoch_seconds(values: FloatArray) -> FloatArray:
    """Epoch seconds, or milliseconds when ``|value| >= 1e11``; NaN/inf stay NaN."""
    with np.errstate(invalid="ignore"):
        scaled = np.where(np.abs(values) >= EPOCH_MS_THRESHOLD, values / 1000.0, values)
    scaled[~np.isfinite(scaled)] = np.nan
    return scaled


def _text_seconds(column: pa.ChunkedArray) -> FloatArray:
    """RFC 3339 strings; numeric strings as epoch values; anything else NaN.

    The whole column is parsed by Arrow in one cast. Only when that fails (some value is not a
    timestamp) is the column parsed value by value, so a clean batch never pays for the bad path.
    """
    try:
        parsed = column.cast(pa.timestamp("us", tz="UTC"))
        raw = parsed.cast(pa.int64()).to_numpy(zero_copy_only=False)
        values = np.asarray(raw, dtype=np.float64) / 1e6
        values[_null_mask(column)] = np.nan
        return values
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    out = np.full(len(column), np.nan)
    for i, text in enumerate(column.to_pylist()):
        if text is not None:
            out[i] = parse_timestamp_text(text)
    return out


def parse_timestamp_text(text: str) -> float:
    """One timestamp string to epoch seconds; NaN when it is neither RFC 3339 nor a number."""
    stripped = text.strip()
    try:
        number = float(stripped)
    except ValueError:
        number = math.nan
    if not math.isnan(number):
        return float(epoch_seconds(np.array([number]))[0])
    try:
        scalar = pa.scalar(stripped).cast(pa.timestamp("us", tz="UTC"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return math.nan
    value = scalar.value
    return math.nan if value is None else value / 1e6


def minutes(seconds: FloatArray) -> IntArray:
    """Minute row of each timestamp (:func:`slokit.engine.series.minute_of`: ``(60·m, 60·m + 60]``).

    Rows with NaN seconds get row 0; callers have already rejected them.
    """
    return minute_of(np.where(np.isfinite(seconds), seconds, 0.0))
