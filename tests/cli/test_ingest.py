"""``slokit ingest`` on the command line: standard input, compressed files, damaged files and
the issue's list of bad input, end to end into a store.

Oracles: counts worked out by hand per line of small files (each line says what it is), counts
brute-forced from the generated events, and for damaged gzip data what :mod:`zlib` itself
recovers from the same bytes.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import os
import random
import threading
import time
import zlib
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner, Result

from slokit.cli.main import cli
from slokit.sources.store import Store

SPEC = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: latency
spec:
  service: api
  indicator:
    metadata:
      name: latency-sli
    spec:
      thresholdMetric:
        metricSource:
          type: slokit
          spec:
            stream: web
            where: "route = '/orders'"
            value: latency_ms
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - op: lt
      value: 400
      target: 0.95
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
spec:
  service: api
  indicator:
    metadata:
      name: availability-sli
    spec:
      ratioMetric:
        counter: false
        good:
          metricSource:
            type: slokit
            spec:
              stream: web
              where: "status < 500"
        total:
          metricSource:
            type: slokit
            spec:
              stream: web
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
"""

NOW = int(time.time())


def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return path


def ingest(tmp_path: Path, *args: str, store: str = "s.duckdb", stdin: bytes | None = None) -> Result:
    argv = ["ingest", *args, "--store", str(tmp_path / store), "--spec", str(spec_file(tmp_path))]
    return CliRunner().invoke(cli, argv, input=stdin)


def as_json(result: Result) -> dict[str, Any]:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def stored(tmp_path: Path, key: str, store: str = "s.duckdb") -> tuple[int, int]:
    with Store.open(tmp_path / store) as opened:
        valid, good = opened.window_counts([(key, 0, 10**9)])
    return int(valid[0]), int(good[0])


def events(n: int, seed: int = 5) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "ts": NOW - 3 * 3600 + i,
            "route": rng.choice(["/orders", "/menu"]),
            "status": rng.choice([200, 200, 200, 503]),
            "latency_ms": round(rng.lognormvariate(5.5, 0.7), 2),
        }
        for i in range(n)
    ]


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return ("\n".join(json.dumps(r) for r in rows) + "\n").encode()


def expected(rows: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    orders = [r for r in rows if r["route"] == "/orders"]
    return {
        "latency/0": (len(orders), sum(r["latency_ms"] < 400 for r in orders)),
        "availability/0": (len(rows), sum(r["status"] < 500 for r in rows)),
    }


def sli_counts(data: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {k: (v["valid"], v["good"]) for k, v in data["slis"].items()}


# --- the bad-input list ---


def test_bad_jsonl_lines_are_counted_and_reported_by_line(tmp_path: Path) -> None:
    t = NOW - 60
    lines = [
        json.dumps({"ts": t, "route": "/orders", "status": 200, "latency_ms": 120}),  # 1 fine
        json.dumps({"ts": t, "status": 200, "latency_ms": 120}),  # 2 no route: invalid for latency
        json.dumps({"ts": t, "route": "/orders", "latency_ms": 120}),  # 3 no status: invalid for availability
        json.dumps({"ts": "yesterday", "route": "/orders", "status": 200, "latency_ms": 1}),  # 4 bad ts
        json.dumps(
            {"ts": "2024/01/01 10:00", "route": "/orders", "status": 200, "latency_ms": 1}
        ),  # 5 bad ts
        f'{{"ts": {t}, "route": "/orders", "status": 200, "latency_ms": NaN}}',  # 6 NaN latency
        json.dumps({"ts": t, "route": "/orders", "status": 200, "latency_ms": "NaN"}),  # 7 NaN as text
        json.dumps({"ts": t, "route": "/orders", "status": 200, "latency_ms": -5}),  # 8 negative
        json.dumps({"ts": t, "route": "/orders", "status": 200, "latency_ms": "slow"}),  # 9 not a number
        "{oops",  # 10 malformed
        "",  # 11 blank: no event, no complaint
        json.dumps({"route": "/orders", "status": 200, "latency_ms": 1}),  # 12 no timestamp
        json.dumps(
            {"ts": NOW - 5 * 86400, "route": "/orders", "status": 200, "latency_ms": 1}
        ),  # 13 too late
        json.dumps({"ts": NOW + 3600, "route": "/orders", "status": 200, "latency_ms": 1}),  # 14 future
        json.dumps({"ts": t, "route": "/orders", "status": 503, "latency_ms": 450.5}),  # 15 fine, bad both
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = ingest(tmp_path, str(path), "--stream", "web", "--output", "json")
    assert result.exit_code == 0, result.output
    data = as_json(result)
    assert data["received"] == 13  # 15 lines - malformed - blank
    assert data["rejected"] == {"bad_timestamp": 2, "missing_timestamp": 1, "too_late": 1, "in_future": 1}
    assert data["accepted"] == 8
    assert [(e["line"], e["reason"]) for e in data["rejection_examples"]] == [
        (4, "bad_timestamp"),
        (5, "bad_timestamp"),
        (12, "missing_timestamp"),
        (13, "too_late"),
        (14, "in_future"),
    ]
    assert data["malformed_lines"] == 1
    assert [(e["file"], e["line"]) for e in data["malformed_examples"]] == [(str(path), 10)]
    latency = data["slis"]["latency/0"]
    # accepted: 1 2 3 6 7 8 9 15; latency valid = 1, 3, 15; good = 1, 3
    assert (latency["valid"], latency["good"]) == (3, 2)
    assert latency["invalid"] == {"missing_fields": 1, "nan": 2, "negative": 1, "non_numeric": 1}
    availability = data["slis"]["availability/0"]
    assert (availability["valid"], availability["good"]) == (7, 6)
    assert availability["invalid"] == {"missing_fields": 1}
    assert stored(tmp_path, "latency/0") == (3, 2)
    assert stored(tmp_path, "availability/0") == (7, 6)

    table = "".join(ingest(tmp_path, str(path), "--stream", "web", store="t.duckdb").stdout.split())
    assert f"{path}:10:notvalidJSON" in table  # (the table wraps long lines)
    assert f"{path}:13:too_late" in table
    assert "nan2" in table and "negative1" in table


def test_bad_csv_cells_and_rows(tmp_path: Path) -> None:
    t = NOW - 60
    lines = [
        "ts,route,status,latency_ms",  # 1 header
        f"{t},/orders,200,120",  # 2 fine
        f"{t},/orders,,120",  # 3 empty status: invalid for availability
        f"{t},/orders,200,NaN",  # 4 NaN latency
        f"{t},/orders,200,-1",  # 5 negative
        f"{t},/orders,200",  # 6 a cell short: malformed
        "",  # 7 blank
        f"{t},,500,90",  # 8 empty route: invalid for latency
        f"{t},/orders,200,120,extra",  # 9 a cell too many: malformed
        f"{t},/orders,503,401",  # 10 fine, bad for both
    ]
    path = tmp_path / "web.csv.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    data = as_json(ingest(tmp_path, str(path), "--output", "json"))  # stream from the name: web
    assert data["streams"]["web"]["accepted"] == 6  # 10 lines - header - blank - 2 malformed
    assert data["malformed_lines"] == 2
    assert [e["line"] for e in data["malformed_examples"]] == [6, 9]
    latency = data["slis"]["latency/0"]
    assert (latency["valid"], latency["good"]) == (3, 2)  # lines 2, 3, 10
    assert latency["invalid"] == {"missing_fields": 1, "nan": 1, "negative": 1}
    availability = data["slis"]["availability/0"]
    assert (availability["valid"], availability["good"]) == (5, 3)  # all but 3; bad: 8, 10
    assert availability["invalid"] == {"missing_fields": 1}


def test_unknown_stream_is_refused_or_archived_and_flagged(tmp_path: Path) -> None:
    path = tmp_path / "payments.jsonl"
    path.write_bytes(jsonl(events(20)))
    refused = ingest(tmp_path, str(path))
    assert refused.exit_code == 1
    assert "'payments'" in refused.output and "web" in refused.output
    kept = ingest(tmp_path, str(path), "--keep-raw", str(tmp_path / "raw"), "--output", "json")
    assert kept.exit_code == 0, kept.output
    data = as_json(kept)
    assert data["unknown_stream"] is True
    assert data["streams"]["payments"] == {
        "received": 20,
        "accepted": 20,
        "rejected": 0,
        "duplicate_batches": 0,
        "unknown": True,
    }
    assert data["slis"] == {}


def test_strict_stops_at_the_first_bad_line_keeping_the_lines_before(tmp_path: Path) -> None:
    rows = events(100)
    text = jsonl(rows).split(b"\n")
    text[49] = b'{"ts": '  # line 50
    path = tmp_path / "web.jsonl.bz2"
    path.write_bytes(bz2.compress(b"\n".join(text)))
    result = ingest(tmp_path, str(path), "--strict")
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a message, no traceback
    assert f"{path}:50" in result.output
    before = expected(rows[:49])
    assert stored(tmp_path, "latency/0") == before["latency/0"]
    assert stored(tmp_path, "availability/0") == before["availability/0"]


# --- compressed files ---


def test_compressed_files_ingest_like_the_plain_file(tmp_path: Path) -> None:
    rows = events(3000)
    text = jsonl(rows)
    want = expected(rows)
    files = {
        "web.jsonl": text,
        "web.jsonl.gz": gzip.compress(text),
        "web.jsonl.bz2": bz2.compress(text),
        "web.jsonl.zst": bytes(pa.compress(text, "zstd", asbytes=True)),
    }
    for i, (name, data) in enumerate(files.items()):
        path = tmp_path / name
        path.write_bytes(data)
        result = ingest(tmp_path, str(path), "--output", "json", store=f"{i}.duckdb")  # stream from name
        assert result.exit_code == 0, result.output
        summary = as_json(result)
        assert summary["accepted"] == 3000
        assert sli_counts(summary) == want
        assert stored(tmp_path, "availability/0", store=f"{i}.duckdb") == want["availability/0"]
    again = as_json(ingest(tmp_path, str(tmp_path / "web.jsonl.gz"), "--output", "json", store="1.duckdb"))
    assert again["duplicate_batches"] == again["batches"] == 1


def test_damaged_gzip_keeps_what_came_before_and_the_next_file_is_read(tmp_path: Path) -> None:
    first, second = events(4000, seed=1), events(500, seed=2)
    packed = gzip.compress(jsonl(first))
    cut = packed[: len(packed) // 2]
    damaged = tmp_path / "a.jsonl.gz"
    damaged.write_bytes(cut)
    good = tmp_path / "b.jsonl.gz"
    good.write_bytes(gzip.compress(jsonl(second)))
    complete = zlib.decompressobj(31).decompress(cut).count(b"\n")  # lines zlib recovers whole
    assert 0 < complete < 4000

    result = ingest(tmp_path, str(damaged), str(good), "--stream", "web", "--output", "json")
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    data = as_json(result)
    assert data["accepted"] == complete + 500
    assert data["unreadable"] == [
        {"file": str(damaged), "line": complete + 1, "message": data["unreadable"][0]["message"]}
    ]
    assert "ends before its end marker" in data["unreadable"][0]["message"]
    assert f"{damaged}:{complete + 1}" in result.stderr
    want = expected(first[:complete] + second)
    assert stored(tmp_path, "latency/0") == want["latency/0"]
    assert stored(tmp_path, "availability/0") == want["availability/0"]


def test_compressed_parquet_is_a_usage_error(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(events(10)), buffer)
    path = tmp_path / "web.parquet.gz"
    path.write_bytes(gzip.compress(buffer.getvalue()))
    result = ingest(tmp_path, str(path))
    assert result.exit_code == 2
    assert "Parquet is compressed inside the file" in result.output


# --- standard input ---


def test_standard_input_compressed_and_idempotent(tmp_path: Path) -> None:
    rows = events(2000)
    data = gzip.compress(jsonl(rows))
    result = ingest(tmp_path, "-", "--stream", "web", "--output", "json", stdin=data)
    assert result.exit_code == 0, result.output
    summary = as_json(result)
    assert summary["files"] == ["<stdin>"]
    assert sli_counts(summary) == expected(rows)
    again = as_json(ingest(tmp_path, "-", "--stream", "web", "--output", "json", stdin=data))
    assert again["duplicate_batches"] == again["batches"] >= 1  # the same bytes: counted once
    more = events(10, seed=9)
    other = as_json(ingest(tmp_path, "-", "--stream", "web", "--output", "json", stdin=jsonl(more)))
    assert other["accepted"] == 10 and other["duplicate_batches"] == 0
    assert stored(tmp_path, "availability/0") == expected(rows + more)["availability/0"]


def test_standard_input_with_a_file_and_access_log_format(tmp_path: Path) -> None:
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(NOW - 120))
    log = (
        f'10.0.0.1 - - [{stamp}] "GET /orders?id=1 HTTP/1.1" 200 12 "-" "curl" 0.120\n'
        "garbage\n"
        f'10.0.0.1 - - [{stamp}] "GET /orders HTTP/1.1" 502 12 "-" "curl" 0.900\n'
    ).encode()
    path = tmp_path / "more.jsonl"
    path.write_bytes(jsonl(events(5)))
    result = ingest(tmp_path, str(path), "-", "--stream", "web", "--output", "json", stdin=log)
    assert result.exit_code == 0, result.output
    data = as_json(result)
    assert data["files"] == [str(path), "<stdin>"]
    assert data["accepted"] == 7  # format of standard input sniffed from its first line: nginx
    assert [(e["file"], e["line"]) for e in data["malformed_examples"]] == [("<stdin>", 2)]


def test_standard_input_usage_errors(tmp_path: Path) -> None:
    no_stream = ingest(tmp_path, "-", stdin=b"{}\n")
    assert no_stream.exit_code == 2 and "--stream" in no_stream.output
    twice = ingest(tmp_path, "-", "-", "--stream", "web", stdin=b"{}\n")
    assert twice.exit_code == 2 and "only once" in twice.output
    unknown = ingest(tmp_path, "-", "--stream", "web", stdin=b"hello world\n")
    assert unknown.exit_code == 2 and "--format" in unknown.output
    told = ingest(tmp_path, "-", "--stream", "web", "--format", "nginx", "--output", "json", stdin=b"hello\n")
    assert told.exit_code == 1  # nothing ingestable
    assert as_json(told)["malformed_lines"] == 1


def test_a_pipe_as_file_argument(tmp_path: Path) -> None:
    """``slokit ingest <(zcat web.jsonl.gz) --stream web``: a pipe, read once, ids from content."""
    rows = events(300)
    data = gzip.compress(jsonl(rows))
    fifo = tmp_path / "fd63"

    def once() -> dict[str, Any]:
        if not fifo.exists():
            os.mkfifo(fifo)
        writer = threading.Thread(target=fifo.write_bytes, args=(data,))
        writer.start()
        try:
            result = ingest(tmp_path, str(fifo), "--stream", "web", "--output", "json")
        finally:
            writer.join()
        assert result.exit_code == 0, result.output
        return as_json(result)

    first = once()
    assert first["files"] == [str(fifo)]
    assert sli_counts(first) == expected(rows)
    second = once()
    assert second["duplicate_batches"] == second["batches"] >= 1


def test_folders_where_files_belong_are_usage_errors(tmp_path: Path) -> None:
    spec = tmp_path / "slo.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    events = tmp_path / "events"
    events.mkdir()
    result = CliRunner().invoke(
        cli,
        [
            "ingest",
            str(events),
            "--stream",
            "web",
            "--spec",
            str(spec),
            "--store",
            str(tmp_path / "s.duckdb"),
        ],
    )
    assert result.exit_code == 2 and "is a folder; give the event files in it" in result.output
    (events / "a.jsonl").write_text('{"ts": 1700000000, "status": 200}\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["ingest", str(events / "a.jsonl"), "--stream", "web", "--spec", str(spec), "--store", str(events)],
    )
    assert result.exit_code == 2 and f"--store {events} is a folder" in result.output
    assert "Traceback" not in result.output


def test_a_file_that_is_not_a_store_is_named_with_what_to_do(tmp_path: Path) -> None:
    spec = tmp_path / "slo.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    events = tmp_path / "a.jsonl"
    events.write_text('{"ts": 1700000000, "status": 200}\n', encoding="utf-8")
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(bytes(range(256)) * 16)
    result = CliRunner().invoke(
        cli, ["ingest", str(events), "--stream", "web", "--spec", str(spec), "--store", str(junk)]
    )
    assert result.exit_code == 1
    assert f"{junk} is not a slokit store: give the store file written by slokit ingest" in result.output
    assert "Traceback" not in result.output
    assert junk.read_bytes() == bytes(range(256)) * 16  # left as it was
