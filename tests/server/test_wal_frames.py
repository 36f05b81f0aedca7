"""Records are written in pieces with ``writev`` (no joined copy): every kind of table reads
back equal, a short write continues where it stopped, and the bytes of the events are an
Arrow IPC stream that Arrow's own stream reader takes (the oracle for the format)."""

from __future__ import annotations

import os
import zlib
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from slokit.sources import wal
from slokit.sources.wal import WriteAheadLog, encode_record, read_segment

TABLES = [
    pa.table({"ts": [1, 2, 3], "route": ["/a", None, "/c"], "latency_ms": [1.5, None, 3.0]}),
    pa.table({"route": pa.array(["/a", "/b", "/a"]).dictionary_encode()}),  # dictionary messages
    pa.concat_tables([pa.table({"n": [1, 2]}), pa.table({"n": [3]})]),  # two record batches
    pa.table({"n": pa.array([], pa.int64())}),  # no rows
    pa.table({"x": pa.array([{"a": 1}, None])}),  # nested
]


def joined(frame: wal.Frame) -> bytes:
    return b"".join(bytes(memoryview(p).cast("B")) for p in frame)


@pytest.mark.parametrize("table", TABLES)
def test_the_events_are_an_arrow_ipc_stream(table: pa.Table) -> None:
    data = joined(encode_record(9, {"stream": "s"}, table))
    length, _, seq = wal._FRAME.unpack_from(data, 0)
    assert (seq, length) == (9, len(data) - wal._FRAME.size)
    (head,) = wal._U32.unpack_from(data, wal._FRAME.size)
    events = data[wal._FRAME.size + 4 + head :]
    assert pa.ipc.open_stream(pa.py_buffer(events)).read_all().equals(table)


def test_short_writes_continue_where_they_stopped(tmp_path: Path, monkeypatch: Any) -> None:
    real = os.writev
    calls: list[int] = []

    def stingy(fd: int, buffers: list[Any]) -> int:
        # at most 7 bytes per call, so every piece is cut, frame headers included
        budget = 7
        out: list[bytes] = []
        for b in buffers:
            take = bytes(b[:budget])
            out.append(take)
            budget -= len(take)
            if not budget:
                break
        calls.append(1)
        return real(fd, out)

    monkeypatch.setattr(os, "writev", stingy)
    log = WriteAheadLog(tmp_path / "log")
    log.reset(1)
    log.append([encode_record(i + 1, {"stream": "s", "i": i}, t) for i, t in enumerate(TABLES)], len(TABLES))
    log.close()
    records = list(log.replay())
    assert [r.seq for r in records] == list(range(1, len(TABLES) + 1))
    assert [r.header["i"] for r in records] == list(range(len(TABLES)))
    assert all(r.table.equals(t) for r, t in zip(records, TABLES, strict=True))
    assert len(calls) > 100  # the writes really were short


def test_a_record_of_the_earlier_writer_still_reads(tmp_path: Path) -> None:
    # The format is unchanged: a record whose events were written by a stream writer (as
    # before the pieces) is read back by the same reader.
    table = TABLES[0]
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    head = b'{"stream":"s"}'
    payload = wal._U32.pack(len(head)) + head + sink.getvalue().to_pybytes()
    path = tmp_path / "00000000000000000001.wal"
    path.write_bytes(wal._FRAME.pack(len(payload), zlib.crc32(payload), 1) + payload)
    (record,) = read_segment(path)
    assert record.table.equals(table) and record.header == {"stream": "s"}
