"""Compressed files and standard input through the readers.

Oracles: the rows and line numbers the reader gives for the same text uncompressed, and for
damaged data the text the standard library's own decompressors recover from the same bytes.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import os
import random
import sys
import threading
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from slokit.errors import SlokitError, UsageError
from slokit.sources import readers
from slokit.sources.readers import ErrorSink, UnreadableInput, read_events


def zstd(data: bytes) -> bytes:
    return bytes(pa.compress(data, "zstd", asbytes=True))


CODECS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "gzip": (".gz", gzip.compress),
    "bzip2": (".bz2", bz2.compress),
    "zstd": (".zst", zstd),
}


def jsonl_text(n: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        lines.append(
            json.dumps({"ts": 1_700_000_000 + i, "i": i, "latency_ms": round(rng.random() * 900, 3)})
        )
        if i % 13 == 5:
            lines.append("")  # blank lines count as lines
        if i % 97 == 50:
            lines.append("{broken")  # malformed lines are reported with their decoded line number
    return ("\n".join(lines) + "\n").encode()


def nginx_text(n: int) -> bytes:
    lines = [
        f"10.0.0.{i % 250} - - [10/Oct/2023:13:{i // 60 % 60:02d}:{i % 60:02d} +0000] "
        f'"GET /r/{i % 7} HTTP/1.1" '
        f'{200 if i % 11 else 503} {i} "-" "curl" 0.{i % 1000:03d}'
        for i in range(n)
    ]
    lines.insert(40, "not an access log line")
    return ("\n".join(lines) + "\n").encode()


def csv_text(n: int) -> bytes:
    lines = ["ts,status,latency_ms"]
    for i in range(n):
        lines.append(f"{1_700_000_000 + i},{200 if i % 9 else 500},{i % 400}.5")
        if i % 50 == 10:
            lines.append("")
        if i % 120 == 60:
            lines.append("1700000000,200")  # one cell short
    return ("\n".join(lines) + "\n").encode()


TEXTS = {"jsonl": jsonl_text(3000), "nginx": nginx_text(2500), "csv": csv_text(3000)}
SUFFIX = {"jsonl": ".jsonl", "nginx": ".log", "csv": ".csv"}


def read_all(
    path: Path | str, fmt: str = "auto", **kw: Any
) -> tuple[list[dict[str, Any]], list[int], ErrorSink]:
    sink = ErrorSink(strict=kw.pop("strict", False))
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    for chunk in read_events(path, fmt, errors=sink, **kw):
        rows.extend(chunk.table.to_pylist())
        lines.extend(int(n) for n in chunk.line_numbers)
    return rows, lines, sink


def bad_lines(sink: ErrorSink) -> list[int]:
    return [d.location.line for d in sink.diagnostics if d.location]


@pytest.mark.parametrize("codec", sorted(CODECS))
@pytest.mark.parametrize("fmt", sorted(TEXTS))
def test_compressed_reads_like_plain_text_in_small_chunks(
    tmp_path: Path, codec: str, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = TEXTS[fmt]
    plain = tmp_path / f"events{SUFFIX[fmt]}"
    plain.write_bytes(text)
    suffix, compress = CODECS[codec]
    packed = tmp_path / f"events{SUFFIX[fmt]}{suffix}"
    packed.write_bytes(compress(text))
    want_rows, want_lines, want_sink = read_all(plain)
    assert want_sink.count > 0 and len(want_rows) > 2000

    monkeypatch.setattr(readers, "_PIECE", 512)  # compressed bytes per read
    sink = ErrorSink()
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    positions: list[int] = []
    for chunk in read_events(packed, errors=sink, chunk_bytes=2048):
        # bounded memory: no chunk holds much more than chunk_bytes of decoded text
        assert chunk.table.num_rows <= 2 * 2048 // 30
        rows.extend(chunk.table.to_pylist())
        lines.extend(int(n) for n in chunk.line_numbers)
        positions.append(chunk.position)
    assert rows == want_rows
    assert lines == want_lines  # line numbers of the decompressed text
    assert bad_lines(sink) == bad_lines(want_sink)
    size = packed.stat().st_size
    assert len(positions) > 10
    assert positions == sorted(positions) and positions[-1] == size
    if codec == "gzip":  # bzip2 blocks hold 100-900 kB of text, pyarrow reads zstd 64 kB at a time
        assert positions[0] < size / 4  # streamed: the file was not read whole before the first chunk


def test_bzip2_streams_block_by_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = jsonl_text(12000)
    assert len(text) > 600_000
    path = tmp_path / "big.jsonl.bz2"
    path.write_bytes(bz2.compress(text, compresslevel=1))  # 100 kB blocks
    monkeypatch.setattr(readers, "_PIECE", 1024)
    chunks = read_events(path, chunk_bytes=8192)
    first = next(chunks)
    assert first.position < path.stat().st_size / 3
    rest = sum(c.table.num_rows for c in chunks)
    assert first.table.num_rows + rest == 12000


def test_concatenated_members_and_streams(tmp_path: Path) -> None:
    a, b = jsonl_text(300, seed=1), jsonl_text(200, seed=2)
    plain = tmp_path / "ab.jsonl"
    plain.write_bytes(a + b)
    want = read_all(plain)[0]
    for suffix, compress in CODECS.values():
        path = tmp_path / f"ab.jsonl{suffix}"
        path.write_bytes(compress(a) + compress(b))  # cat a.gz b.gz > ab.gz
        assert read_all(path, chunk_bytes=1024)[0] == want


def test_compression_found_by_magic_bytes_whatever_the_name(tmp_path: Path) -> None:
    text = nginx_text(100)
    rotated = tmp_path / "access.log.1"  # logrotate's delaycompress names vary
    rotated.write_bytes(gzip.compress(text))
    plain = tmp_path / "access.log"
    plain.write_bytes(text)
    assert read_all(rotated)[0] == read_all(plain)[0]


def test_name_promising_compression_the_data_lacks(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(b'{"ts": 1}\n')
    with pytest.raises(UnreadableInput, match="not gzip") as info:
        list(read_events(path))
    assert str(path) in str(info.value)


def test_compressed_parquet_and_unsupported_codecs_are_clear_errors(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"ts": [1, 2]}), buffer)
    packed = tmp_path / "events.parquet.gz"
    packed.write_bytes(gzip.compress(buffer.getvalue()))
    with pytest.raises(UsageError, match="Parquet is compressed inside the file"):
        list(read_events(packed))
    zipped = tmp_path / "events.jsonl.zip"
    zipped.write_bytes(b"PK\x03\x04rest")
    with pytest.raises(SlokitError, match="unzip"):
        list(read_events(zipped))


def damaged_prefix(codec: str, data: bytes) -> bytes:
    """What the standard library's incremental decompressor recovers from damaged data."""
    if codec == "gzip":
        return zlib.decompressobj(31).decompress(data)
    decompressor = bz2.BZ2Decompressor()
    try:
        return decompressor.decompress(data)
    except OSError:
        return b""


@pytest.mark.parametrize("codec", sorted(CODECS))
@pytest.mark.parametrize("cut", [0.3, 0.7, -5])
def test_truncated_file_keeps_every_line_before_the_damage(tmp_path: Path, codec: str, cut: float) -> None:
    text = jsonl_text(4000)
    plain = tmp_path / "whole.jsonl"
    plain.write_bytes(text)
    all_rows, all_lines, _ = read_all(plain)
    suffix, compress = CODECS[codec]
    packed = compress(text)
    end = int(len(packed) * cut) if cut > 0 else len(packed) + int(cut)
    path = tmp_path / f"cut.jsonl{suffix}"
    path.write_bytes(packed[:end])

    sink = ErrorSink()
    rows: list[dict[str, Any]] = []
    with pytest.raises(UnreadableInput) as info:
        for chunk in read_events(path, errors=sink, chunk_bytes=4096):
            rows.extend(chunk.table.to_pylist())
    assert rows == all_rows[: len(rows)]  # a prefix, in order
    where = info.value.diagnostics[0].location
    assert where is not None and where.file == str(path)
    if codec != "zstd":
        recovered = damaged_prefix(codec, packed[:end])
        complete_lines = recovered.count(b"\n")
        assert where.line == complete_lines + 1
        assert len(rows) == sum(1 for n in all_lines if n <= complete_lines)
        assert f"decoded byte {len(recovered):,}" in info.value.message
    else:
        assert len(rows) == sum(1 for n in all_lines if n < where.line)
        assert len(rows) > 0 or cut < 0.5
    assert "compressed byte" in info.value.message


def test_corrupt_gzip_bytes_in_the_middle(tmp_path: Path) -> None:
    """deflate has no checksum per block, only a CRC at the end of the member: text decoded
    after the damage but before zlib notices may be garbled, as any gzip reader would give it."""
    text = jsonl_text(4000)
    packed = bytearray(gzip.compress(text))
    middle = len(packed) // 2
    packed[middle : middle + 64] = bytes(64)
    path = tmp_path / "bad.jsonl.gz"
    path.write_bytes(bytes(packed))
    decoded = zlib.decompressobj(31)
    garbled = b""
    with pytest.raises(zlib.error):
        for at in range(0, len(packed), 256):
            garbled += decoded.decompress(bytes(packed[at : at + 256]))
    rows: list[dict[str, Any]] = []
    with pytest.raises(UnreadableInput, match="corrupt gzip data"):
        for chunk in read_events(path, chunk_bytes=4096):
            rows.extend(chunk.table.to_pylist())
    plain = tmp_path / "whole.jsonl"
    plain.write_bytes(text)
    all_rows = read_all(plain)[0]
    intact = 0
    for a, b in zip(text.split(b"\n"), garbled.split(b"\n"), strict=False):
        if a != b:
            break
        intact += 1
    same = sum(1 for line in text.split(b"\n")[:intact] if line.startswith(b'{"ts"'))
    assert 0 < same <= len(rows)
    # a garbled line later in a chunk may add a column: the intact rows hold null there
    assert [{k: v for k, v in r.items() if v is not None} for r in rows[:same]] == all_rows[:same]


def test_corrupt_bzip2_block_keeps_the_blocks_before(tmp_path: Path) -> None:
    text = jsonl_text(12000)
    packed = bytearray(bz2.compress(text, compresslevel=1))  # 100 kB blocks, each with a CRC
    middle = len(packed) // 2
    packed[middle : middle + 64] = bytes(64)
    path = tmp_path / "bad.jsonl.bz2"
    path.write_bytes(bytes(packed))
    plain = tmp_path / "whole.jsonl"
    plain.write_bytes(text)
    all_rows = read_all(plain)[0]
    rows: list[dict[str, Any]] = []
    with pytest.raises(UnreadableInput, match="corrupt bzip2 data"):
        for chunk in read_events(path, chunk_bytes=4096):
            rows.extend(chunk.table.to_pylist())
    assert 0 < len(rows) < len(all_rows)
    assert rows == all_rows[: len(rows)]


def test_zstd_streams(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    lines = [json.dumps({"ts": 1_700_000_000 + i, "id": rng.randbytes(24).hex()}) for i in range(12000)]
    path = tmp_path / "big.jsonl.zst"
    path.write_bytes(zstd(("\n".join(lines) + "\n").encode()))
    assert path.stat().st_size > 300_000  # pyarrow reads 64 kB of compressed data at a time
    chunks = read_events(path, chunk_bytes=8192)
    first = next(chunks)
    assert first.position < path.stat().st_size / 3
    assert first.table.num_rows + sum(c.table.num_rows for c in chunks) == 12000


class FakeStdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


@pytest.mark.parametrize("codec", [None, "gzip", "zstd"])
def test_standard_input_plain_or_compressed_with_sniffed_format(
    tmp_path: Path, codec: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = jsonl_text(500)
    plain = tmp_path / "e.jsonl"
    plain.write_bytes(text)
    want = read_all(plain)
    data = text if codec is None else CODECS[codec][1](text)
    monkeypatch.setattr(sys, "stdin", FakeStdin(data))
    rows, lines, sink = read_all("-", chunk_bytes=2048)
    assert (rows, lines) == want[:2]
    assert bad_lines(sink) == bad_lines(want[2])
    assert all(d.location is not None and d.location.file == "<stdin>" for d in sink.diagnostics)


def test_standard_input_chunk_digests_follow_the_content(monkeypatch: pytest.MonkeyPatch) -> None:
    def digests(data: bytes) -> list[str | None]:
        monkeypatch.setattr(sys, "stdin", FakeStdin(data))
        return [c.digest for c in read_events("-", "jsonl", chunk_bytes=1024)]

    text = jsonl_text(200)
    first = digests(text)
    assert len(first) > 3 and None not in first
    assert digests(text) == first  # the same bytes again: the same batch ids
    changed = digests(text.replace(b'"i": 150,', b'"i": 151,'))
    assert changed != first and changed[0] == first[0]


def test_standard_input_format_must_be_told_when_the_first_line_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", FakeStdin(b"hello world\n"))
    with pytest.raises(UsageError, match="--format"):
        list(read_events("-"))


def test_standard_input_parquet_is_spooled(monkeypatch: pytest.MonkeyPatch) -> None:
    table = pa.table({"ts": list(range(1000)), "v": [float(i) for i in range(1000)]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=400)
    monkeypatch.setattr(sys, "stdin", FakeStdin(buffer.getvalue()))
    chunks = list(read_events("-"))
    assert [c.table.num_rows for c in chunks] == [400, 400, 200]
    assert pa.concat_tables([c.table for c in chunks]).equals(table)
    assert [int(c.line_numbers[0]) for c in chunks] == [1, 401, 801]


@pytest.mark.parametrize(
    ("fmt", "text", "bad"),
    [
        ("jsonl", b'{"ts": 1, "i": 0}\n{"ts": 2, "i": 1}\n\n{oops\n{"ts": 3, "i": 2}\n', 4),
        ("csv", b"ts,i\n1,0\n2,1\n\n3\n4,3\n", 5),
        ("nginx", nginx_text(60), 41),
    ],
)
def test_strict_delivers_the_lines_before_the_first_bad_one(
    tmp_path: Path, fmt: str, text: bytes, bad: int
) -> None:
    path = tmp_path / f"strict{SUFFIX[fmt]}.gz"
    path.write_bytes(gzip.compress(text))
    sink = ErrorSink(strict=True)
    lines: list[int] = []
    with pytest.raises(SlokitError, match="strict") as info:
        for chunk in read_events(path, errors=sink, chunk_bytes=64):
            lines.extend(int(n) for n in chunk.line_numbers)
    where = info.value.diagnostics[0].location
    assert where is not None and where.line == bad
    text_lines = text.decode().split("\n")
    assert lines == [n for n in range(1, bad) if text_lines[n - 1].strip() and not (fmt == "csv" and n == 1)]


def test_csv_wrong_cell_counts_and_blank_lines_keep_true_line_numbers(tmp_path: Path) -> None:
    text = csv_text(400).decode().split("\n")
    path = tmp_path / "e.csv"
    path.write_text("\n".join(text))
    rows, lines, sink = read_all(path, chunk_bytes=512)
    short = [n + 1 for n, t in enumerate(text) if t == "1700000000,200"]
    data = [n + 1 for n, t in enumerate(text) if n > 0 and t and t != "1700000000,200"]
    assert lines == data
    assert bad_lines(sink) == short
    assert [r["ts"] for r in rows] == [int(text[n - 1].split(",")[0]) for n in data]


def test_csv_with_windows_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(b"ts,status\r\n1,200\r\n\r\n2,500\r\n3\r\n4,200")  # no final line break
    rows, lines, sink = read_all(path)
    assert [(r["ts"], r["status"]) for r in rows] == [(1, 200), (2, 500), (4, 200)]
    assert lines == [2, 4, 6]
    assert bad_lines(sink) == [5]


def test_named_pipe_reads_like_standard_input(tmp_path: Path) -> None:
    """``slokit ingest <(zcat x.gz)`` hands over a pipe such as /dev/fd/63."""
    text = jsonl_text(300)
    plain = tmp_path / "e.jsonl"
    plain.write_bytes(text)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(gzip.compress(text),))
    writer.start()
    try:
        chunks = list(read_events(fifo, chunk_bytes=1024))
    finally:
        writer.join()
    assert pa.concat_tables([c.table for c in chunks]).to_pylist() == read_all(plain)[0]
    assert all(c.digest is not None for c in chunks)  # no file identity: ids from the content


def test_compressed_envoy_log_is_recognised_from_its_first_line(tmp_path: Path) -> None:
    entries = [
        {
            "start_time": f"2023-10-10T13:55:{i:02d}.000Z",
            "path": f"/a?{i}",
            "response_code": 200 + i,
            "duration": i,
        }
        for i in range(30)
    ]
    path = tmp_path / "envoy.log.zst"
    path.write_bytes(zstd(("\n".join(json.dumps(e) for e in entries) + "\n").encode()))
    assert readers.detect_format(path) == "envoy"
    rows = read_all(path, chunk_bytes=256)[0]
    assert [(r["status"], r["latency_ms"], r["route"]) for r in rows] == [
        (200 + i, i, "/a") for i in range(30)
    ]
