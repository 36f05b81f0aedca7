"""A write-ahead log of event batches: durable in one sync, folded into the store later.

Why: a store transaction costs a fixed ~10 ms (statements, the synced commit) plus aggregation
whose cost per event falls with the batch size, so committing each HTTP request (or each
small group of them) to the store caps ingest far below what decoding allows. Appending the
request's accepted columns to this log and syncing it is cheap and one sync covers every
record written since the last (group commit); the records are then folded into the store in
large batches, and a record is released once the store transaction that folded it committed.

Layout: a directory of segment files named by the sequence number of their first record
(``00000000000000000001.wal``); a new segment starts past :data:`SEGMENT_BYTES`. A record is

    u32 payload length | u32 CRC-32 of the payload | u64 sequence number | payload
    payload = u32 header length | header (JSON object) | Arrow IPC stream of the events

Sequence numbers increase by one per record across segments. Reading stops at the first
record that is short or fails its checksum: a crash in the middle of a write leaves a torn
tail, and that record was never acknowledged (the sync had not returned).
"""

from __future__ import annotations

import contextlib
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa

#: A segment is closed and a new one started once it holds this many bytes.
SEGMENT_BYTES = 64 * 1024 * 1024

_FRAME = struct.Struct("<IIQ")
_U32 = struct.Struct("<I")
_SUFFIX = ".wal"
_IPC_OPTIONS = pa.ipc.IpcWriteOptions()
#: Most pieces one ``writev`` takes (the usual IOV_MAX).
_IOV_MAX = 1024


@dataclass(frozen=True, slots=True)
class Record:
    """One logged batch: its sequence number, a small JSON header and the events' columns."""

    seq: int
    header: dict[str, Any]
    table: pa.Table


#: One record ready to append: its bytes in pieces (frame, header, Arrow messages), written
#: with one ``writev`` rather than joined into one copy first.
Frame = tuple[bytes | pa.Buffer, ...]

_EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"  # the end-of-stream marker of the Arrow IPC format


def encode_record(seq: int, header: dict[str, Any], table: pa.Table) -> Frame:
    """The pieces of one record (frame included), ready to append.

    The events are an Arrow IPC stream: the schema message, one message per record batch and
    the end marker, each serialized on its own (cheaper than a stream writer per request).
    """
    head = msgspec.json.encode(header)
    if any(pa.types.is_dictionary(f.type) for f in table.schema):
        sink = pa.BufferOutputStream()  # dictionaries need the writer's dictionary messages
        with pa.ipc.new_stream(sink, table.schema, options=_IPC_OPTIONS) as writer:
            writer.write_table(table)
        events: list[bytes | pa.Buffer] = [sink.getvalue()]
    else:
        events = [table.schema.serialize()]
        events += [batch.serialize() for batch in table.to_batches()]
        events.append(_EOS)
    pieces: list[bytes | pa.Buffer] = [_U32.pack(len(head)), head, *events]
    crc = 0
    length = 0
    for piece in pieces:
        crc = zlib.crc32(piece, crc)
        length += len(piece)
    return (_FRAME.pack(length, crc, seq), *pieces)


def _decode_payload(seq: int, payload: bytes) -> Record:
    (n,) = _U32.unpack_from(payload, 0)
    header = msgspec.json.decode(payload[4 : 4 + n])
    table = pa.ipc.open_stream(pa.py_buffer(payload[4 + n :])).read_all()
    return Record(seq, header, table)


def read_segment(path: Path) -> Iterator[Record]:
    """The intact records of one segment file, in order; stops at a torn or corrupt tail."""
    data = path.read_bytes()
    pos = 0
    while pos + _FRAME.size <= len(data):
        length, crc, seq = _FRAME.unpack_from(data, pos)
        start = pos + _FRAME.size
        payload = data[start : start + length]
        if len(payload) < length or zlib.crc32(payload) != crc:
            return
        yield _decode_payload(seq, payload)
        pos = start + length


class WriteAheadLog:
    """Segment files in ``directory``; :meth:`append` writes and syncs, :meth:`release` deletes.

    One thread appends; :meth:`release` may be called from another (the one that folds): it
    only deletes closed segments, and the list of them is guarded by a lock.
    """

    def __init__(self, directory: str | os.PathLike[str], segment_bytes: int = SEGMENT_BYTES) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.segment_bytes = segment_bytes
        self._fd: int | None = None
        self._size = 0
        #: Closed segments: (path, sequence number of their last record).
        self._closed: list[tuple[Path, int]] = []
        self._current: Path | None = None
        self._last_seq = 0
        self._lock = threading.Lock()

    def segments(self) -> list[Path]:
        return sorted(p for p in self.directory.iterdir() if p.suffix == _SUFFIX)

    def replay(self) -> Iterator[Record]:
        """Every intact record of every segment, in sequence order (before any append)."""
        for path in self.segments():
            yield from read_segment(path)

    def reset(self, next_seq: int) -> None:
        """Delete every segment (all folded) and start a fresh one at ``next_seq``."""
        self.close()
        for path in self.segments():
            path.unlink()
        with self._lock:
            self._closed = []
        self._last_seq = next_seq - 1
        self._open(next_seq)

    def _open(self, first_seq: int) -> None:
        self._current = self.directory / f"{first_seq:020d}{_SUFFIX}"
        self._fd = os.open(self._current, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._size = 0
        _sync_directory(self.directory)  # the new file's name is durable before it holds records

    def append(self, frames: list[Frame], last_seq: int) -> None:
        """Write records (from :func:`encode_record`, in sequence order) and sync them."""
        if self._fd is None:
            raise RuntimeError("the log is not open; call reset() first")
        pieces = [memoryview(p).cast("B") for frame in frames for p in frame]
        size = sum(len(p) for p in pieces)
        first = 0
        while first < len(pieces):
            written = os.writev(self._fd, pieces[first : first + _IOV_MAX])
            while first < len(pieces) and written >= len(pieces[first]):  # written whole
                written -= len(pieces[first])
                first += 1
            if written:  # a short write: the rest of this piece next
                pieces[first] = pieces[first][written:]
        os.fdatasync(self._fd)
        self._size += size
        self._last_seq = last_seq
        if self._size >= self.segment_bytes:
            assert self._current is not None
            os.close(self._fd)
            with self._lock:
                self._closed.append((self._current, last_seq))
            self._open(last_seq + 1)

    def release(self, folded_seq: int) -> int:
        """Delete closed segments whose records are all folded; how many were deleted."""
        with self._lock:
            done = [p for p, last in self._closed if last <= folded_seq]
            self._closed = [c for c in self._closed if c[1] > folded_seq]
        for path in done:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        return len(done)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
