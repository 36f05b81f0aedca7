"""Event files → Arrow tables in chunks: JSON Lines, CSV, Parquet, nginx and Envoy access logs.

Every reader yields :class:`Chunk` objects (a table of at most about ``chunk_bytes`` of input,
how far into the file it reaches, and a way to turn a row back into its line number), so a
10 GB file streams through bounded memory and a progress bar can follow the bytes read.

Bad input never stops a reader with a traceback. A malformed line (not JSON, not an object,
not an access-log line) is reported as a :class:`~slokit.errors.Diagnostic` with its file and
line number and skipped — the good lines of the same chunk are kept — or, with ``strict``,
raises :class:`~slokit.errors.SlokitError` at the first one.

Fast paths are columnar: a JSON Lines chunk is parsed by Arrow's JSON reader in one call and
only a chunk that fails is re-read line by line; access-log lines are matched by one Arrow
regex kernel over the whole chunk.

Field names produced by the access-log readers:

* nginx ``combined`` with ``$request_time`` appended: ``remote_addr``, ``remote_user``, ``ts``
  (from ``$time_local``), ``method``, ``path``, ``route`` (the path without its query string),
  ``protocol``, ``status``, ``bytes``, ``referer``, ``user_agent``, ``request_time`` (seconds)
  and ``latency_ms`` (``request_time × 1000``).
* Envoy JSON access log: every key of the line, plus ``ts`` from ``start_time``, ``status``
  from ``response_code``, ``latency_ms`` from ``duration`` (Envoy's ``%DURATION%`` is in
  milliseconds) and ``route`` from ``path``, when those keys are present.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from slokit.errors import Diagnostic, Location, SlokitError, UsageError
from slokit.sources.events import TIMESTAMP_FIELDS, flatten, to_table

Format = Literal["jsonl", "csv", "parquet", "nginx", "envoy"]
FORMATS: tuple[str, ...] = ("auto", "jsonl", "csv", "parquet", "nginx", "envoy")

DEFAULT_CHUNK_BYTES = 16 << 20
_COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zip")

_NGINX_LINE = (
    r"^(?P<remote_addr>\S+) \S+ (?P<remote_user>\S+) \[(?P<time_local>[^\]]+)\] "
    r'"(?P<request>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) (?P<bytes>\d+|-) '
    r'"(?P<referer>(?:[^"\\]|\\.)*)" "(?P<user_agent>(?:[^"\\]|\\.)*)" (?P<request_time>\d+(?:\.\d+)?)\s*$'
)
_REQUEST = r"^(?P<method>\S+) (?P<path>\S+)(?: (?P<protocol>\S+))?$"


@dataclass(slots=True)
class Chunk:
    """Rows of one piece of a file.

    ``position`` is the number of bytes of the file consumed once this chunk is read (for a
    progress bar). ``line_numbers`` gives the 1-based line (JSON Lines, access logs, CSV) or
    row number (Parquet) of each row of ``table``.
    """

    table: pa.Table
    position: int
    _lines: Callable[[], npt.NDArray[np.int64]] = field(repr=False)
    _cache: npt.NDArray[np.int64] | None = field(default=None, repr=False)

    @property
    def line_numbers(self) -> npt.NDArray[np.int64]:
        if self._cache is None:
            self._cache = self._lines()
        return self._cache


class ErrorSink:
    """Collects malformed-input diagnostics, or raises at the first one when ``strict``."""

    def __init__(self, strict: bool = False, keep: int = 1000) -> None:
        self.strict = strict
        self.keep = keep
        self.count = 0
        self.diagnostics: list[Diagnostic] = []

    def report(self, path: str, line: int, message: str, hint: str = "") -> None:
        self.count += 1
        diagnostic = Diagnostic(message, Location(path, line), hint=hint)
        if self.strict:
            raise SlokitError(
                "stopped at the first malformed line (--strict); nothing from this file was ingested "
                "after the previous chunk",
                [diagnostic],
            )
        if len(self.diagnostics) < self.keep:
            self.diagnostics.append(diagnostic)


def detect_format(path: str | os.PathLike[str]) -> Format:
    """The format of a file from its name, or from its first line for ``.log``/unknown names."""
    name = os.fspath(path).lower()
    for suffix, fmt in (
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".json", "jsonl"),
        (".csv", "csv"),
        (".parquet", "parquet"),
        (".pq", "parquet"),
    ):
        if name.endswith(suffix):
            return "envoy" if fmt == "jsonl" and _looks_like_envoy(path) else fmt  # type: ignore[return-value]
    with open(path, "rb") as handle:
        head = handle.read(4)
        handle.seek(0)
        first = handle.readline(65536).strip()
    if head == b"PAR1":
        return "parquet"
    if first.startswith(b"{"):
        return "envoy" if _looks_like_envoy(path) else "jsonl"
    return "nginx"


def _looks_like_envoy(path: str | os.PathLike[str]) -> bool:
    with open(path, "rb") as handle:
        first = handle.readline(65536)
    try:
        obj = json.loads(first)
    except ValueError:
        return False
    return isinstance(obj, dict) and "start_time" in obj and "response_code" in obj


def read_events(
    path: str | os.PathLike[str],
    fmt: str = "auto",
    *,
    errors: ErrorSink | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    columns: Collection[str] | None = None,
) -> Iterator[Chunk]:
    """Chunks of events from one file (see the module docstring).

    ``columns`` (field names, dotted for nested ones) lets columnar formats read only what is
    needed; timestamp fields are always read. Line formats read everything regardless.
    """
    sink = errors if errors is not None else ErrorSink()
    if not Path(path).is_file():
        raise UsageError(f"{os.fspath(path)}: no such file")
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if os.fspath(path).lower().endswith(_COMPRESSED):
        raise UsageError(
            f"{os.fspath(path)}: compressed files are not read directly; decompress it first "
            "(for example: gunzip -k FILE) and ingest the result"
        )
    kind: str = detect_format(path) if fmt == "auto" else fmt
    if kind == "jsonl":
        return read_jsonl(path, sink, chunk_bytes)
    if kind == "envoy":
        return (
            Chunk(envoy_fields(c.table), c.position, c._lines) for c in read_jsonl(path, sink, chunk_bytes)
        )
    if kind == "csv":
        return read_csv(path, sink, chunk_bytes)
    if kind == "parquet":
        return read_parquet(path, columns)
    return read_nginx(path, sink, chunk_bytes)


# --- line-oriented files ---


def _blocks(path: str | os.PathLike[str], chunk_bytes: int) -> Iterator[tuple[bytes, int, int]]:
    """Whole-line blocks: (bytes, number of the block's first line, file position after it)."""
    line = 1
    with open(path, "rb") as handle:
        rest = b""
        while True:
            data = handle.read(chunk_bytes)
            if not data:
                break
            data = rest + data
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            block, rest = data[: cut + 1], data[cut + 1 :]
            yield block, line, handle.tell() - len(rest)
            line += block.count(b"\n")
        if rest:
            yield rest, line, handle.tell()


def _line_numbers(block: bytes, first_line: int) -> npt.NDArray[np.int64]:
    """Line number of every non-blank line of a block (blank lines hold no event)."""
    lines = block.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return np.array([first_line + i for i, text in enumerate(lines) if text.strip()], np.int64)


def read_jsonl(
    path: str | os.PathLike[str], sink: ErrorSink, chunk_bytes: int = DEFAULT_CHUNK_BYTES
) -> Iterator[Chunk]:
    name = os.fspath(path)
    for block, first_line, position in _blocks(path, chunk_bytes):
        try:
            table = pajson.read_json(
                io.BytesIO(block), read_options=pajson.ReadOptions(block_size=max(len(block) + 1, 1 << 20))
            )
            numbers = _lazy_lines(block, first_line)
        except pa.ArrowInvalid:
            table, numbers_array = _jsonl_slow(block, first_line, name, sink)
            numbers = _fixed(numbers_array)
        if table.num_rows:
            yield Chunk(flatten(table), position, numbers)


def _lazy_lines(block: bytes, first_line: int) -> Callable[[], npt.NDArray[np.int64]]:
    return lambda: _line_numbers(block, first_line)


def _fixed(numbers: npt.NDArray[np.int64]) -> Callable[[], npt.NDArray[np.int64]]:
    return lambda: numbers


def _jsonl_slow(
    block: bytes, first_line: int, name: str, sink: ErrorSink
) -> tuple[pa.Table, npt.NDArray[np.int64]]:
    """Line-by-line parse of a block Arrow rejected: report bad lines, keep the rest."""
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    for offset, raw in enumerate(block.split(b"\n")):
        if not raw.strip():
            continue
        line = first_line + offset
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            sink.report(
                name, line, f"not valid JSON ({exc.__class__.__name__}: {exc})", "the line was skipped"
            )
            continue
        if not isinstance(obj, dict):
            sink.report(
                name, line, f"expected a JSON object, got {type(obj).__name__}", "the line was skipped"
            )
            continue
        rows.append(obj)
        numbers.append(line)
    return to_table(rows), np.array(numbers, np.int64)


def read_nginx(
    path: str | os.PathLike[str], sink: ErrorSink, chunk_bytes: int = DEFAULT_CHUNK_BYTES
) -> Iterator[Chunk]:
    name = os.fspath(path)
    for block, first_line, position in _blocks(path, chunk_bytes):
        text = block.decode("utf-8", errors="replace").split("\n")
        if text and text[-1] == "":
            text.pop()
        numbers = np.arange(first_line, first_line + len(text), dtype=np.int64)
        lines = pa.array(text, pa.string())
        blank = np.asarray(pc.equal(pc.utf8_trim_whitespace(lines), "").to_numpy(zero_copy_only=False), bool)
        parts = pc.extract_regex(lines, _NGINX_LINE)
        bad = np.asarray(parts.is_null().to_numpy(zero_copy_only=False), bool) & ~blank
        for i in np.flatnonzero(bad):
            sink.report(
                name,
                int(numbers[i]),
                "not an nginx 'combined' line with $request_time appended",
                "the line was skipped",
            )
        keep = ~bad & ~blank
        if not keep.any():
            continue
        parts = parts.filter(pa.array(keep))
        table = nginx_fields(parts)
        kept = numbers[keep]
        yield Chunk(table, position, _fixed(kept))


def nginx_fields(parts: pa.StructArray) -> pa.Table:
    """Typed columns from the regex groups of nginx lines."""
    get = {name: parts.field(name) for name in (f.name for f in parts.type)}
    request = pc.extract_regex(get["request"], _REQUEST)
    path = pc.if_else(request.is_null(), pa.scalar(None, pa.string()), request.field("path"))
    method = pc.if_else(request.is_null(), pa.scalar(None, pa.string()), request.field("method"))
    protocol = pc.if_else(request.is_null(), pa.scalar(None, pa.string()), request.field("protocol"))
    seconds = pc.cast(get["request_time"], pa.float64())
    return pa.table(
        {
            "remote_addr": get["remote_addr"],
            "remote_user": get["remote_user"],
            "ts": pc.strptime(get["time_local"], format="%d/%b/%Y:%H:%M:%S %z", unit="s", error_is_null=True),
            "method": method,
            "path": path,
            "route": pc.replace_substring_regex(path, r"\?.*$", ""),
            "protocol": protocol,
            "status": pc.cast(get["status"], pa.int64()),
            "bytes": pc.cast(pc.if_else(pc.equal(get["bytes"], "-"), None, get["bytes"]), pa.int64()),
            "referer": get["referer"],
            "user_agent": get["user_agent"],
            "request_time": seconds,
            "latency_ms": pc.multiply(seconds, 1000.0),
        }
    )


def envoy_fields(table: pa.Table) -> pa.Table:
    """Envoy's access-log keys under the names slokit predicates use (originals kept)."""
    renames = (("start_time", "ts"), ("response_code", "status"), ("duration", "latency_ms"))
    for source, target in renames:
        if source in table.column_names and target not in table.column_names:
            table = table.append_column(target, table.column(source))
    if "path" in table.column_names and "route" not in table.column_names:
        path = table.column("path")
        if pa.types.is_string(path.type):
            table = table.append_column("route", pc.replace_substring_regex(path, r"\?.*$", ""))
    return table


# --- CSV and Parquet ---


def read_csv(
    path: str | os.PathLike[str], sink: ErrorSink, chunk_bytes: int = DEFAULT_CHUNK_BYTES
) -> Iterator[Chunk]:
    """CSV with a header line; empty cells are missing values.

    Types are inferred from the first block. When a later block does not fit them, the rest of
    the file is re-read with every column as text: values are then checked per indicator, so a
    stray ``slow`` in a latency column is counted as not a number instead of failing the file.
    """
    name = os.fspath(path)
    done = 0
    for as_text in (False, True):
        try:
            for table, position in _csv_batches(path, chunk_bytes, as_text, skip=done):
                first = done + 2  # line 1 is the header; rows are assumed to hold no line breaks
                done += table.num_rows
                yield Chunk(table, position, _fixed(np.arange(first, first + table.num_rows, dtype=np.int64)))
            return
        except pa.ArrowInvalid as exc:
            if as_text:
                raise SlokitError(f"{name}: cannot read as CSV: {exc}") from None


def _csv_batches(
    path: str | os.PathLike[str], chunk_bytes: int, as_text: bool, skip: int
) -> Iterator[tuple[pa.Table, int]]:
    read = pacsv.ReadOptions(block_size=chunk_bytes)
    convert = pacsv.ConvertOptions(strings_can_be_null=True)
    if as_text:
        with open(path, "rb") as head:
            header = pacsv.read_csv(io.BytesIO(head.readline())).column_names
        types = dict.fromkeys(header, pa.string())
        convert = pacsv.ConvertOptions(strings_can_be_null=True, column_types=types)
    seen = 0
    with (
        open(path, "rb") as handle,
        pacsv.open_csv(handle, read_options=read, convert_options=convert) as reader,
    ):
        for batch in reader:
            table = pa.Table.from_batches([batch])
            start = seen
            seen += table.num_rows
            if seen <= skip:
                continue
            if start < skip:
                table = table.slice(skip - start)
            yield flatten(table), handle.tell()


def read_parquet(path: str | os.PathLike[str], columns: Collection[str] | None = None) -> Iterator[Chunk]:
    """One chunk per row group, so memory stays bounded by the writer's row-group size."""
    try:
        handle = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise SlokitError(f"{os.fspath(path)}: not a readable Parquet file: {exc}") from None
    size = os.path.getsize(path)
    meta = handle.metadata
    total = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)) or 1
    done_bytes = 0
    first = 1
    selected: list[str] | None = None
    if columns is not None:
        wanted = set(columns) | set(TIMESTAMP_FIELDS)
        selected = [
            name
            for name in handle.schema_arrow.names
            if name in wanted or any(w.startswith(name + ".") for w in wanted)
        ]
    for i in range(meta.num_row_groups):
        table = flatten(handle.read_row_group(i, columns=selected))
        done_bytes += meta.row_group(i).total_byte_size
        numbers = np.arange(first, first + table.num_rows, dtype=np.int64)
        first += table.num_rows
        yield Chunk(table, int(size * done_bytes / total), _fixed(numbers))
