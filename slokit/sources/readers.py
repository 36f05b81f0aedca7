"""Event files → Arrow tables in chunks: JSON Lines, CSV, Parquet, nginx and Envoy access logs.

Every reader yields :class:`Chunk` objects (a table of at most about ``chunk_bytes`` of input,
how far into the file it reaches, and a way to turn a row back into its line number), so a
10 GB file streams through bounded memory and a progress bar can follow the bytes read.

Inputs are opened by :func:`open_input`: a file, or standard input for the name ``-``, either
possibly compressed with gzip, bzip2 or zstd. Compression is recognised by the magic bytes at
the start of the data (a file named ``.gz``/``.bz2``/``.zst`` must hold what its name says),
and undone while reading, a piece at a time: a compressed file is never held in memory whole.
Line numbers always count lines of the decompressed text. gzip and bzip2 go through the
standard library's incremental decompressors, so when the data is damaged or cut short every
line decoded before the damage is still delivered; zstd goes through pyarrow, whose decoder
may hold back up to one internal block (about 1 MB) of text decoded before the damage.

Bad input never stops a reader with a traceback. A malformed line (not JSON, not an object,
not an access-log line, a CSV row with the wrong number of cells) is reported as a
:class:`~slokit.errors.Diagnostic` with its file and line number and skipped — the good lines of
the same chunk are kept — or, with ``strict``, the lines before it are delivered and the reader
then raises :class:`~slokit.errors.SlokitError`. Damaged compressed data and files that cannot
be read at all raise :class:`UnreadableInput` (a ``SlokitError``) after delivering the complete
lines before the damage.

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

import bz2
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import zlib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, Protocol

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

#: The file name that means standard input, and how messages name it.
STDIN = "-"
STDIN_NAME = "<stdin>"

DEFAULT_CHUNK_BYTES = 16 << 20
#: Compressed bytes read from the file at a time (decoded text is bounded by the chunk size).
_PIECE = 1 << 18
#: How much decoded text format sniffing looks at, at most.
_SNIFF_BYTES = 1 << 16

#: Compression by magic bytes, and the file-name endings that promise it.
_MAGIC = (("gzip", b"\x1f\x8b"), ("bzip2", b"BZh"), ("zstd", b"\x28\xb5\x2f\xfd"))
_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bzip2", ".zst": "zstd", ".zstd": "zstd"}
_TOOL = {"gzip": "gunzip -k", "bzip2": "bunzip2 -k", "zstd": "unzstd"}
#: Compression slokit does not undo, with the command that does.
_UNSUPPORTED = (("xz", b"\xfd7zXZ\x00", ".xz", "unxz -k"), ("zip", b"PK\x03\x04", ".zip", "unzip"))

_NGINX_LINE = (
    r"^(?P<remote_addr>\S+) \S+ (?P<remote_user>\S+) \[(?P<time_local>[^\]]+)\] "
    r'"(?P<request>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) (?P<bytes>\d+|-) '
    r'"(?P<referer>(?:[^"\\]|\\.)*)" "(?P<user_agent>(?:[^"\\]|\\.)*)" (?P<request_time>\d+(?:\.\d+)?)\s*$'
)
#: Cells read as missing: Arrow's defaults except the spellings of NaN, which stay NaN so a
#: NaN latency is reported as such rather than as a missing field.
_CSV_NULLS = [
    v for v in pacsv.ConvertOptions().null_values if v.lower().lstrip("-") not in ("nan", "1.#qnan")
]
_REQUEST = r"^(?P<method>\S+) (?P<path>\S+)(?: (?P<protocol>\S+))?$"


class UnreadableInput(SlokitError):
    """A file (or standard input) that cannot be read on: damaged compressed data, a CSV or
    Parquet file its parser rejects. Rows delivered before it was raised are good."""


@dataclass(slots=True)
class Chunk:
    """Rows of one piece of a file.

    ``position`` is the number of bytes of the file consumed once this chunk is read (for a
    progress bar; compressed bytes for a compressed file). ``line_numbers`` gives the 1-based
    line (JSON Lines, access logs, CSV) or row number (Parquet) of each row of ``table``.
    ``digest`` identifies the chunk by its content (set only for standard input and pipes,
    which have no file identity to build batch ids from).
    """

    table: pa.Table
    position: int
    _lines: Callable[[], npt.NDArray[np.int64]] = field(repr=False)
    _cache: npt.NDArray[np.int64] | None = field(default=None, repr=False)
    digest: str | None = None

    @property
    def line_numbers(self) -> npt.NDArray[np.int64]:
        if self._cache is None:
            self._cache = self._lines()
        return self._cache


class ErrorSink:
    """Collects malformed-input diagnostics; with ``strict``, remembers the first one so the
    reader can deliver the lines before it and then stop (see :meth:`stop`)."""

    def __init__(self, strict: bool = False, keep: int = 1000) -> None:
        self.strict = strict
        self.keep = keep
        self.count = 0
        self.diagnostics: list[Diagnostic] = []
        self.first: Diagnostic | None = None

    def report(self, path: str, line: int, message: str, hint: str = "") -> None:
        self.count += 1
        diagnostic = Diagnostic(message, Location(path, line), hint=hint)
        if self.first is None:
            self.first = diagnostic
        if len(self.diagnostics) < self.keep:
            self.diagnostics.append(diagnostic)

    @property
    def stop_line(self) -> int | None:
        """In strict mode, the line of the first malformed line seen (None otherwise)."""
        if not self.strict or self.first is None or self.first.location is None:
            return None
        return self.first.location.line

    def stop(self) -> SlokitError:
        assert self.first is not None
        return SlokitError(
            "stopped at the first malformed line (--strict); the lines before it were ingested",
            [self.first],
        )


# --- opening inputs: files, standard input, compression ---


class DamagedData(Exception):
    """Raised by a decoder when compressed data is corrupt or cut short (internal)."""


class _Decoder(Protocol):
    def read(self, size: int) -> bytes: ...


class _Counted:
    """A raw byte source that counts what was read and can give back its first bytes."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._prefix = b""
        self.consumed = 0
        self.closed = False

    def peek(self, size: int) -> bytes:
        while len(self._prefix) < size:
            more = self._raw.read(size - len(self._prefix))
            if not more:
                break
            self._prefix += more
        return self._prefix[:size]

    def read(self, size: int = -1) -> bytes:
        if self._prefix and size < 0:
            data, self._prefix = self._prefix + self._raw.read(), b""
        elif self._prefix:
            data, self._prefix = self._prefix[:size], self._prefix[size:]
        else:
            data = self._raw.read(size)
        self.consumed += len(data)
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


class _Gzip:
    """gzip members one after another (``cat a.gz b.gz`` is valid gzip) via :mod:`zlib`."""

    def __init__(self, raw: _Counted) -> None:
        self._raw = raw
        self._d = zlib.decompressobj(31)
        self._leftover = b""
        self._in_member = False

    def read(self, size: int) -> bytes:
        while True:
            if self._d.unconsumed_tail:
                data = self._d.unconsumed_tail
            elif self._leftover:
                data, self._leftover = self._leftover, b""
            else:
                data = self._raw.read(_PIECE)
            if not data:
                out = self._d.flush() if self._in_member else b""
                if self._d.eof:
                    self._next_member()
                elif self._in_member and not out:
                    raise DamagedData("the gzip data ends before its end marker (cut short?)")
                return out
            self._in_member = True
            try:
                out = self._d.decompress(data, size)
            except zlib.error as exc:
                raise DamagedData(f"corrupt gzip data ({exc})") from None
            if self._d.eof:
                self._next_member()
            if out:
                return out

    def _next_member(self) -> None:
        self._leftover = self._d.unused_data
        self._d = zlib.decompressobj(31)
        self._in_member = False


class _Bzip2:
    """bzip2 streams one after another (as ``pbzip2`` writes them) via :mod:`bz2`."""

    def __init__(self, raw: _Counted) -> None:
        self._raw = raw
        self._d = bz2.BZ2Decompressor()
        self._in_stream = False

    def read(self, size: int) -> bytes:
        while True:
            if self._d.eof:
                leftover = self._d.unused_data
                self._d = bz2.BZ2Decompressor()
                self._in_stream = False
            else:
                leftover = b""
            data = b""
            if self._d.needs_input:
                data = leftover or self._raw.read(_PIECE)
                if not data:
                    if self._in_stream:
                        raise DamagedData("the bzip2 data ends before its end marker (cut short?)")
                    return b""
                self._in_stream = True
            try:
                out = self._d.decompress(data, size)
            except (OSError, EOFError, ValueError) as exc:
                raise DamagedData(f"corrupt bzip2 data ({exc})") from None
            if out:
                return out


class _Zstd:
    """zstd frames through pyarrow's streaming decompressor (the standard library has none)."""

    def __init__(self, raw: _Counted) -> None:
        self._stream = pa.CompressedInputStream(pa.PythonFile(raw, mode="r"), "zstd")

    def read(self, size: int) -> bytes:
        try:
            return bytes(self._stream.read(size))
        except OSError as exc:
            raise DamagedData(f"corrupt zstd data ({exc})") from None


class Input:
    """An opened event source: decoded bytes a piece at a time, plus what the progress bar and
    messages need (the name, the compressed size and how much of it was consumed)."""

    def __init__(self, name: str, raw: IO[bytes], size: int | None, compression: str | None) -> None:
        self.name = name
        self.size = size
        self.compression = compression
        self.is_stdin = name == STDIN_NAME
        #: Standard input or a pipe (``<(zcat x.gz)``): read once, no size, no file identity.
        self.is_stream = size is None
        self._file = raw
        self._raw = _Counted(raw)
        self._decoder: _Decoder = self._raw
        self._head = b""
        self._head_done = False
        #: Decoded bytes handed out so far.
        self.decoded = 0

    @property
    def consumed(self) -> int:
        """Bytes of the (possibly compressed) input read so far."""
        return self._raw.consumed

    def read(self, size: int) -> bytes:
        """Up to ``size`` decoded bytes (fewer is not the end; ``b""`` is). May raise
        :class:`DamagedData`."""
        if self._head:
            data, self._head = self._head[:size], self._head[size:]
        else:
            self._head_done = True
            data = self._decoder.read(size)
        self.decoded += len(data)
        return data

    def head(self) -> bytes:
        """The first line of decoded text (up to 64 KiB), without consuming it."""
        if self._head_done:
            raise RuntimeError("head() after reading started")
        while b"\n" not in self._head and len(self._head) < _SNIFF_BYTES:
            more = self._decoder.read(_SNIFF_BYTES)
            if not more:
                break
            self._head += more
        return self._head

    def close(self) -> None:
        if not self.is_stdin:
            self._file.close()


def open_input(path: str | os.PathLike[str]) -> Input:
    """Open a file, or standard input for ``-``, undoing any compression (see the module
    docstring). A missing file is a :class:`UsageError`; a file whose name promises a
    compression its bytes do not have, or a compression slokit does not read, is a
    :class:`UnreadableInput` naming the command that helps."""
    text = os.fspath(path)
    if text == STDIN:
        source = Input(STDIN_NAME, sys.stdin.buffer, None, None)
        claimed = None
    else:
        if not is_readable(text):
            raise UsageError(f"{text}: no such file")
        lower = text.lower()
        for kind, _, suffix, tool in _UNSUPPORTED:
            if lower.endswith(suffix):
                raise UnreadableInput(
                    f"{text}: {kind} files are not read directly; decompress it first ({tool} {text}) "
                    "or pipe it in: ... | slokit ingest - --stream S --format F"
                )
        claimed = next((c for s, c in _SUFFIXES.items() if lower.endswith(s)), None)
        size = os.path.getsize(text) if Path(text).is_file() else None
        source = Input(text, open(text, "rb"), size, None)  # noqa: SIM115 (closed by the reader)
    try:
        magic = source._raw.peek(6)
        for kind, signature, _, tool in _UNSUPPORTED:
            if magic.startswith(signature):
                raise UnreadableInput(
                    f"{source.name}: {kind} data is not read directly; decompress it first ({tool}) "
                    "and ingest the result"
                )
        actual = next((kind for kind, signature in _MAGIC if magic.startswith(signature)), None)
        if claimed is not None and actual != claimed:
            raise UnreadableInput(
                f"{source.name}: the name says {claimed} but the data is not {claimed} "
                f"(it starts with {magic[:4]!r}); rename the file to what it holds"
            )
    except BaseException:
        source.close()
        raise
    source.compression = actual
    if actual == "gzip":
        source._decoder = _Gzip(source._raw)
    elif actual == "bzip2":
        source._decoder = _Bzip2(source._raw)
    elif actual == "zstd":
        source._decoder = _Zstd(source._raw)
    return source


def is_readable(path: str) -> bool:
    """A file, a named pipe or a device (``<(zcat x.gz)`` gives ``/dev/fd/63``): not a folder."""
    return path == STDIN or (os.path.exists(path) and not os.path.isdir(path))


def is_stream(path: str) -> bool:
    """Standard input or a pipe: no size, read once (batch ids then come from the content)."""
    return path == STDIN or not Path(path).is_file()


def _damaged(source: Input, line: int, exc: DamagedData) -> UnreadableInput:
    return UnreadableInput(
        f"{source.name}:{line}: cannot read on: {exc} (after decoded byte {source.decoded:,}, "
        f"compressed byte {source.consumed:,}); the lines before {line} were read, the rest of this "
        "input was not",
        [Diagnostic(str(exc), Location(source.name, line), hint="the lines before it were kept")],
    )


# --- formats ---


def detect_format(path: str | os.PathLike[str]) -> Format:
    """The format of a file from its name (compression endings aside), or from its first line."""
    source = open_input(path)
    try:
        return _detect(source)
    finally:
        source.close()


def _detect(source: Input) -> Format:
    name = source.name.lower()
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    by_name = next(
        (
            fmt
            for suffix, fmt in (
                (".jsonl", "jsonl"),
                (".ndjson", "jsonl"),
                (".json", "jsonl"),
                (".csv", "csv"),
                (".parquet", "parquet"),
                (".pq", "parquet"),
            )
            if name.endswith(suffix)
        ),
        None,
    )
    if by_name == "parquet" or by_name == "csv":
        return by_name  # type: ignore[return-value]
    try:
        first = source.head()
    except DamagedData as exc:
        raise _damaged(source, 1, exc) from None
    if first.startswith(b"PAR1"):
        return "parquet"
    if not first.strip():
        return "jsonl"  # nothing to read: any line format reads no events
    line = first.split(b"\n", 1)[0].strip()
    if by_name == "jsonl" or line.startswith(b"{"):
        return "envoy" if _is_envoy_line(line) else "jsonl"
    text = line.decode("utf-8", errors="replace")
    if re.match(_NGINX_LINE, text):
        return "nginx"
    if source.is_stream:
        if "," in text:
            return "csv"
        raise UsageError(
            f"cannot tell the format of {source.name} from its first line ({text[:60]!r}); "
            f"give it with --format ({', '.join(FORMATS[1:])})"
        )
    return "nginx"


def _is_envoy_line(line: bytes) -> bool:
    try:
        obj = json.loads(line)
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
    """Chunks of events from one file, or from standard input for ``-`` (see the module
    docstring).

    ``columns`` (field names, dotted for nested ones) lets Parquet read only what is needed;
    timestamp fields are always read. Line formats read everything regardless. The input is
    opened (and its format sniffed) at once, so a missing file or an undecidable format is an
    error of this call, not of the first iteration.
    """
    sink = errors if errors is not None else ErrorSink()
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    source = open_input(path)
    try:
        kind: str = _detect(source) if fmt == "auto" else fmt
        if kind == "parquet":
            if source.compression is not None:
                raise UsageError(
                    f"{source.name}: Parquet is compressed inside the file; a {source.compression}-"
                    f"compressed Parquet file is not read. Decompress it first ({_TOOL[source.compression]})"
                )
            if not source.is_stream:
                source.close()
                return read_parquet(path, columns)
    except BaseException:
        source.close()
        raise
    return _closing(source, _reader(source, kind, sink, chunk_bytes, columns))


def _reader(
    source: Input, kind: str, sink: ErrorSink, chunk_bytes: int, columns: Collection[str] | None
) -> Iterator[Chunk]:
    if kind == "jsonl":
        return read_jsonl(source, sink, chunk_bytes)
    if kind == "envoy":
        return (
            Chunk(envoy_fields(c.table), c.position, c._lines, digest=c.digest)
            for c in read_jsonl(source, sink, chunk_bytes)
        )
    if kind == "csv":
        return read_csv(source, sink, chunk_bytes)
    if kind == "parquet":
        return _parquet_from_stream(source, columns)
    return read_nginx(source, sink, chunk_bytes)


def _closing(source: Input, chunks: Iterator[Chunk]) -> Iterator[Chunk]:
    try:
        yield from chunks
    finally:
        source.close()


# --- line-oriented files ---


@dataclass(slots=True)
class _Block:
    data: bytes
    first_line: int
    position: int
    digest: str | None


def _blocks(source: Input, chunk_bytes: int) -> Iterator[_Block]:
    """Whole-line blocks of about ``chunk_bytes`` decoded bytes.

    When the input turns out damaged, the complete lines before the damage are yielded and
    then :class:`UnreadableInput` is raised naming the first line that could not be read.
    """
    line = 1
    rest = b""
    while True:
        pieces = [rest]
        got = 0
        eof = False
        damage: DamagedData | None = None
        while got < chunk_bytes:
            try:
                piece = source.read(min(chunk_bytes - got, _PIECE * 4))
            except DamagedData as exc:
                damage = exc
                break
            if not piece:
                eof = True
                break
            pieces.append(piece)
            got += len(piece)
        data = b"".join(pieces)
        if eof:
            block, rest = data, b""  # a last line without a line break is still a line
        else:
            cut = data.rfind(b"\n")
            block, rest = (data[: cut + 1], data[cut + 1 :]) if cut >= 0 else (b"", data)
        if block:
            digest = hashlib.blake2b(block, digest_size=12).hexdigest() if source.is_stream else None
            yield _Block(block, line, source.consumed, digest)
            line += block.count(b"\n")
        if damage is not None:
            raise _damaged(source, line, damage)
        if eof:
            return


def _line_numbers(block: bytes, first_line: int) -> npt.NDArray[np.int64]:
    """Line number of every non-blank line of a block (blank lines hold no event)."""
    lines = block.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return np.array([first_line + i for i, text in enumerate(lines) if text.strip()], np.int64)


def _until(table: pa.Table, numbers: npt.NDArray[np.int64], stop: int | None) -> tuple[pa.Table, Any]:
    """The rows before line ``stop`` (all rows when ``stop`` is None)."""
    if stop is None:
        return table, numbers
    keep = int(np.searchsorted(numbers, stop))
    return table.slice(0, keep), numbers[:keep]


def read_jsonl(source: Input, sink: ErrorSink, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Iterator[Chunk]:
    for block in _blocks(source, chunk_bytes):
        try:
            table = pajson.read_json(
                io.BytesIO(block.data),
                read_options=pajson.ReadOptions(block_size=max(len(block.data) + 1, 1 << 20)),
            )
            numbers = _lazy_lines(block.data, block.first_line)
        except pa.ArrowInvalid:
            table, numbers_array = _jsonl_slow(block.data, block.first_line, source.name, sink)
            table, numbers_array = _until(table, numbers_array, sink.stop_line)
            numbers = _fixed(numbers_array)
        if table.num_rows:
            yield Chunk(flatten(table), block.position, numbers, digest=block.digest)
        if sink.stop_line is not None:
            raise sink.stop()


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
        else:
            if isinstance(obj, dict):
                rows.append(obj)
                numbers.append(line)
                continue
            sink.report(
                name, line, f"expected a JSON object, got {type(obj).__name__}", "the line was skipped"
            )
        if sink.strict:
            break
    return to_table(rows), np.array(numbers, np.int64)


def read_nginx(source: Input, sink: ErrorSink, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Iterator[Chunk]:
    for block in _blocks(source, chunk_bytes):
        text = block.data.decode("utf-8", errors="replace").split("\n")
        if text and text[-1] == "":
            text.pop()
        numbers = np.arange(block.first_line, block.first_line + len(text), dtype=np.int64)
        lines = pa.array(text, pa.string())
        blank = np.asarray(pc.equal(pc.utf8_trim_whitespace(lines), "").to_numpy(zero_copy_only=False), bool)
        parts = pc.extract_regex(lines, _NGINX_LINE)
        bad = np.asarray(parts.is_null().to_numpy(zero_copy_only=False), bool) & ~blank
        for i in np.flatnonzero(bad)[: 1 if sink.strict else None]:
            sink.report(
                source.name,
                int(numbers[i]),
                "not an nginx 'combined' line with $request_time appended",
                "the line was skipped",
            )
        keep = ~bad & ~blank
        stop = sink.stop_line
        if stop is not None:
            keep &= numbers < stop
        if keep.any():
            parts = parts.filter(pa.array(keep))
            yield Chunk(nginx_fields(parts), block.position, _fixed(numbers[keep]), digest=block.digest)
        if stop is not None:
            raise sink.stop()


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


def read_csv(source: Input, sink: ErrorSink, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Iterator[Chunk]:
    """CSV with a header line; empty cells are missing values; rows hold no line breaks.

    Types are inferred from the first block and kept for the next ones. When a later block
    does not fit them, it and the rest of the input are read with every column as text:
    values are then checked per indicator, so a stray ``slow`` in a latency column is counted
    as not a number instead of failing the file. A row with the wrong number of cells is a
    malformed line (reported and skipped).
    """
    header: list[str] | None = None
    types: dict[str, pa.DataType] | None = None
    as_text = False
    for block in _blocks(source, chunk_bytes):
        data, first_line = block.data, block.first_line
        if header is None:
            cut = data.find(b"\n")
            head_line, data = (data[: cut + 1], data[cut + 1 :]) if cut >= 0 else (data, b"")
            try:
                header = pacsv.read_csv(io.BytesIO(head_line)).column_names
            except pa.ArrowInvalid as exc:
                raise UnreadableInput(f"{source.name}:1: not a CSV header line: {exc}") from None
            first_line += 1
        if not data.strip():
            continue
        numbers, line_count = _filled_lines(data, first_line)
        invalid: list[int] = []
        table: pa.Table | None = None
        for attempt_text in (as_text, True):
            invalid.clear()
            try:
                table = _csv_block(data, header, types, attempt_text, invalid)
                as_text = attempt_text
                break
            except pa.ArrowInvalid as exc:
                if attempt_text:
                    raise UnreadableInput(
                        f"{source.name}: cannot read lines {first_line}–{first_line + line_count - 1} "
                        f"as CSV: {exc}"
                    ) from None
        assert table is not None
        if types is None and not as_text:
            types = {f.name: f.type for f in table.schema}
        for row in invalid[: 1 if sink.strict else None]:
            sink.report(
                source.name,
                int(numbers[row - 1]),
                f"a CSV row with {len(header)} cells expected, this one has another number",
                "the line was skipped",
            )
        if invalid:
            numbers = np.delete(numbers, [r - 1 for r in invalid])
        table, numbers = _until(table, numbers, sink.stop_line)
        if table.num_rows:
            yield Chunk(flatten(table), block.position, _fixed(numbers), digest=block.digest)
        if sink.stop_line is not None:
            raise sink.stop()


def _filled_lines(data: bytes, first_line: int) -> tuple[npt.NDArray[np.int64], int]:
    """Numbers of the lines that are not empty (Arrow skips empty lines, and its row numbers
    count the others), and how many lines the block has; vectorized over the bytes."""
    raw = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(raw == 10)
    if raw.size and raw[-1] != 10:
        ends = np.append(ends, raw.size)
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    length = ends - starts
    lone_cr = (length == 1) & (raw[np.minimum(starts, raw.size - 1)] == 13)
    return first_line + np.flatnonzero((length > 0) & ~lone_cr), int(ends.size)


def _csv_block(
    data: bytes,
    header: list[str],
    types: dict[str, pa.DataType] | None,
    as_text: bool,
    invalid: list[int],
) -> pa.Table:
    def skip(row: Any) -> str:
        invalid.append(int(row.number))
        return "skip"

    column_types = dict.fromkeys(header, pa.string()) if as_text else (types or {})
    return pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=header, use_threads=False, block_size=len(data) + 1),
        parse_options=pacsv.ParseOptions(invalid_row_handler=skip),
        convert_options=pacsv.ConvertOptions(
            strings_can_be_null=True, column_types=column_types, null_values=_CSV_NULLS
        ),
    )


def _parquet_from_stream(source: Input, columns: Collection[str] | None) -> Iterator[Chunk]:
    """Parquet keeps its index at the end, so standard input is copied to a temporary file
    first (on disk, not in memory)."""
    digest = hashlib.blake2b(digest_size=12)
    with tempfile.TemporaryFile(prefix="slokit-stdin-", suffix=".parquet") as spool:
        while piece := source.read(_PIECE):
            digest.update(piece)
            spool.write(piece)
        spool.flush()
        spool.seek(0)
        for chunk in _parquet_chunks(spool, source.name, columns):
            chunk.digest = digest.hexdigest()
            yield chunk


def read_parquet(path: str | os.PathLike[str], columns: Collection[str] | None = None) -> Iterator[Chunk]:
    """One chunk per row group, so memory stays bounded by the writer's row-group size."""
    with open(path, "rb") as handle:
        yield from _parquet_chunks(handle, os.fspath(path), columns)


def _parquet_chunks(handle: IO[bytes], name: str, columns: Collection[str] | None) -> Iterator[Chunk]:
    size = handle.seek(0, io.SEEK_END)
    handle.seek(0)
    try:
        parquet = pq.ParquetFile(handle)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UnreadableInput(f"{name}: not a readable Parquet file: {exc}") from None
    meta = parquet.metadata
    total = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)) or 1
    done_bytes = 0
    first = 1
    selected: list[str] | None = None
    if columns is not None:
        wanted = set(columns) | set(TIMESTAMP_FIELDS)
        selected = [
            name
            for name in parquet.schema_arrow.names
            if name in wanted or any(w.startswith(name + ".") for w in wanted)
        ]
    for i in range(meta.num_row_groups):
        try:
            table = flatten(parquet.read_row_group(i, columns=selected))
        except (pa.ArrowInvalid, OSError) as exc:
            raise UnreadableInput(
                f"{name}: row group {i + 1} of {meta.num_row_groups} (rows from {first}) "
                f"cannot be read: {exc}"
            ) from None
        done_bytes += meta.row_group(i).total_byte_size
        numbers = np.arange(first, first + table.num_rows, dtype=np.int64)
        first += table.num_rows
        yield Chunk(table, int(size * done_bytes / total), _fixed(numbers))
