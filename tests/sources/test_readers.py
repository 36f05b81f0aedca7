"""Readers on small files written here: every row's fields and line number, and bad lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from slokit.errors import SlokitError, UsageError
from slokit.sources.events import timestamps, to_table
from slokit.sources.readers import ErrorSink, detect_format, read_events


def rows_and_lines(
    path: Path, fmt: str = "auto", **kw: Any
) -> tuple[list[dict[str, Any]], list[int], ErrorSink]:
    sink = ErrorSink(strict=kw.pop("strict", False))
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    for chunk in read_events(path, fmt, errors=sink, **kw):
        rows.extend(chunk.table.to_pylist())
        lines.extend(int(n) for n in chunk.line_numbers)
    return rows, lines, sink


def test_jsonl_keeps_good_lines_and_reports_bad_ones_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = [
        json.dumps({"ts": 1_700_000_000, "status": 200}),
        "{not json",
        "",
        "[1, 2]",
        json.dumps({"ts": 1_700_000_060, "status": 500, "http": {"route": "/a"}}),
    ]
    path.write_text("\n".join(lines) + "\n")
    rows, numbers, sink = rows_and_lines(path)
    assert [r["status"] for r in rows] == [200, 500]
    assert numbers == [1, 5]
    assert rows[1]["http.route"] == "/a"  # nested objects become dotted fields
    assert [(d.location.line if d.location else None) for d in sink.diagnostics] == [2, 4]
    assert sink.count == 2
    assert "expected a JSON object" in sink.diagnostics[1].message


def test_jsonl_line_numbers_across_small_chunks(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    body = []
    for i in range(200):
        body.append(json.dumps({"ts": 1_700_000_000 + i, "i": i}))
        if i % 7 == 0:
            body.append("")  # blank lines hold no event but count as lines
    body.insert(150, '{"ts": 1, "i": ')  # malformed, in a later chunk
    path.write_text("\n".join(body) + "\n")
    rows, numbers, sink = rows_and_lines(path, chunk_bytes=256)
    assert [r["i"] for r in rows] == list(range(200))
    expected = [n + 1 for n, text in enumerate(body) if text and n != 150]
    assert numbers == expected
    assert sink.count == 1
    assert sink.diagnostics[0].location is not None and sink.diagnostics[0].location.line == 151


def test_jsonl_strict_stops_at_first_malformed_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"ts": 1}\n{oops\n{"ts": 2}\n')
    with pytest.raises(SlokitError) as info:
        rows_and_lines(path, strict=True)
    assert info.value.diagnostics[0].location is not None
    assert info.value.diagnostics[0].location.line == 2


def test_csv_types_empty_cells_and_late_type_change(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    lines = ["ts,status,latency_ms"]
    lines += [f"{1_700_000_000 + i},200,{i}.5" for i in range(50)]
    lines.append("1700000100,,slow")  # empty status, text latency after numeric blocks
    path.write_text("\n".join(lines) + "\n")
    rows, numbers, _ = rows_and_lines(path, chunk_bytes=128)
    assert len(rows) == 51
    assert numbers == list(range(2, 53))
    assert rows[-1]["status"] is None
    assert str(rows[-1]["latency_ms"]) == "slow"
    assert float(rows[0]["latency_ms"]) == 0.5


def test_parquet_row_groups(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    table = pa.table({"ts": list(range(1000)), "v": [float(i) for i in range(1000)]})
    pq.write_table(table, path, row_group_size=300)
    chunks = list(read_events(path))
    assert [c.table.num_rows for c in chunks] == [300, 300, 300, 100]
    assert [int(c.line_numbers[0]) for c in chunks] == [1, 301, 601, 901]
    assert chunks[-1].position == path.stat().st_size
    assert detect_format(path) == "parquet"


NGINX = (
    '203.0.113.9 - alice [10/Oct/2023:13:55:36 -0700] "GET /orders?id=3 HTTP/1.1" 200 2326 '
    '"https://example.test/" "Mozilla/5.0 (X11)" 0.153\n'
    "garbage line\n"
    '198.51.100.2 - - [10/Oct/2023:20:55:37 +0000] "POST /pay HTTP/2.0" 503 - "-" "curl/8.4" 1.5\n'
)


def test_nginx_combined_with_request_time(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    path.write_text(NGINX)
    assert detect_format(path) == "nginx"
    rows, numbers, sink = rows_and_lines(path)
    assert numbers == [1, 3]
    first, second = rows
    assert first["remote_addr"] == "203.0.113.9"
    assert first["remote_user"] == "alice"
    assert first["method"] == "GET"
    assert first["path"] == "/orders?id=3"
    assert first["route"] == "/orders"
    assert first["status"] == 200
    assert first["bytes"] == 2326
    assert first["latency_ms"] == pytest.approx(153.0)
    # 13:55:36 at -07:00 is 20:55:36 UTC
    assert first["ts"] == datetime(2023, 10, 10, 20, 55, 36, tzinfo=UTC)
    assert second["bytes"] is None
    assert second["status"] == 503
    assert second["latency_ms"] == pytest.approx(1500.0)
    assert [d.location.line for d in sink.diagnostics if d.location] == [2]


def test_envoy_json_access_log(tmp_path: Path) -> None:
    path = tmp_path / "envoy.log"
    entries = [
        {
            "start_time": "2023-10-10T13:55:36.123Z",
            "method": "GET",
            "path": "/a/b?x=1",
            "response_code": 404,
            "duration": 17,
            "upstream_host": "10.0.0.1:80",
        }
    ]
    path.write_text("\n".join(json.dumps(e) for e in entries) + "\n")
    assert detect_format(path) == "envoy"
    rows, _, _ = rows_and_lines(path)
    assert rows[0]["status"] == 404
    assert rows[0]["latency_ms"] == 17
    assert rows[0]["route"] == "/a/b"
    table = next(iter(read_events(path))).table
    ts = timestamps(table)
    assert ts.seconds[0] == pytest.approx(datetime(2023, 10, 10, 13, 55, 36, 123000, tzinfo=UTC).timestamp())


def test_missing_file_and_unknown_format_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        list(read_events(tmp_path / "nope.jsonl"))
    (tmp_path / "x.jsonl").write_text("{}\n")
    with pytest.raises(UsageError):
        list(read_events(tmp_path / "x.jsonl", "xml"))
    (tmp_path / "x.jsonl.xz").write_bytes(b"\xfd7zXZ\x00")
    with pytest.raises(SlokitError, match="unxz"):
        list(read_events(tmp_path / "x.jsonl.xz"))


def test_timestamp_forms() -> None:
    table = to_table(
        [
            {"ts": "2024-02-29T23:59:59.5+01:00"},
            {"ts": 1_709_247_599},
            {"ts": 1_709_247_599_500},  # milliseconds: magnitude >= 1e11
            {"ts": "yesterday"},
            {"other": 1},
            {"ts": "1709247599"},
        ]
    )
    ts = timestamps(table)
    expected = datetime(2024, 2, 29, 22, 59, 59, 500000, tzinfo=UTC).timestamp()
    assert ts.seconds[0] == pytest.approx(expected)
    assert ts.seconds[1] == 1_709_247_599
    assert ts.seconds[2] == pytest.approx(1_709_247_599.5)
    assert list(ts.reason) == [0, 0, 0, 2, 1, 0]
    assert ts.seconds[5] == 1_709_247_599
