"""Determinism, ranges, chunking, file formats and the streaming mode of the simulator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from slokit.cli.main import cli
from slokit.simulator import scenario, simulation
from slokit.simulator.files import write
from slokit.simulator.generate import CHUNK_MS
from slokit.simulator.live import stream
from slokit.simulator.traffic import DAY_MS, HOUR_MS, MINUTE_MS

from .conftest import END_MS, planned, stream_tables


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_same_seed_same_bytes(tmp_path: Path, fmt: str) -> None:
    for run in ("a", "b"):
        sim = simulation(scenario("cnc-quote"), END_MS, days=0.5, seed=11)
        write(sim, tmp_path / run, fmt)  # type: ignore[arg-type]
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert first.keys() == second.keys()
    assert {f"{s}.{fmt}" for s in scenario("cnc-quote").streams} | {"incidents.json", "manifest.json"} == set(
        first
    )
    for name in first:
        assert first[name] == second[name], name


def test_different_seeds_differ() -> None:
    a = stream_tables("mtogo", 1, 3)
    b = stream_tables("mtogo", 1, 4)
    for name in ("http_requests", "orders", "probes"):
        assert not a[name].equals(b[name]), name
    assert planned("mtogo", 1, 3).incidents != planned("mtogo", 1, 4).incidents


def test_events_stay_inside_the_range_and_are_sorted(example: str) -> None:
    sim = planned(example, 1, 3)
    for name, table in stream_tables(example, 1, 3).items():
        ts = table.column("ts").to_numpy()
        if name in ("backups", "restore_drills") and not ts.size:
            continue
        assert ts.size, name
        assert ts.min() >= sim.start_ms, name
        assert ts.max() < sim.end_ms, name  # nothing at or after --end
        assert np.all(np.diff(ts) >= 0), name


def test_a_split_range_gives_the_same_events_as_one_run() -> None:
    """Chunks are keyed by time, not by the run: two halves concatenate to the whole."""
    whole = simulation(scenario("mtogo"), END_MS, days=1, seed=5)
    middle = END_MS - 9 * HOUR_MS - 17 * MINUTE_MS  # not on a chunk boundary
    first = simulation(
        scenario("mtogo"), middle, days=(middle - whole.start_ms) / DAY_MS, seed=5, incidents=whole.incidents
    )
    second = simulation(
        scenario("mtogo"), END_MS, days=(END_MS - middle) / DAY_MS, seed=5, incidents=whole.incidents
    )
    assert (first.start_ms, first.end_ms, second.start_ms) == (whole.start_ms, middle, middle)

    def concat(sim_: object) -> dict[str, pa.Table]:
        parts: dict[str, list[pa.Table]] = {}
        for batch in sim_.batches():  # type: ignore[attr-defined]
            for name, table in batch.items():
                parts.setdefault(name, []).append(table)
        return {name: pa.concat_tables(t) for name, t in parts.items()}

    a, b, c = concat(first), concat(second), concat(whole)
    for name in c:
        assert pa.concat_tables([a[name], b[name]]).equals(c[name]), name


def test_rates_scale_and_probes_do_not() -> None:
    base = simulation(scenario("mtogo"), END_MS, days=0.25, seed=2, incidents=[])
    double = simulation(scenario("mtogo"), END_MS, days=0.25, seed=2, rate_scale=2.0, incidents=[])
    counts = {}
    for sim in (base, double):
        totals: dict[str, int] = {}
        for batch in sim.batches():
            for name, table in batch.items():
                totals[name] = totals.get(name, 0) + table.num_rows
        counts[sim.rate_scale] = totals
    assert counts[2.0]["probes"] == counts[1.0]["probes"] == 8 * 2 * 4 * 60 * 6  # 8 targets, 2 places, 15 s
    n = counts[1.0]["orders"]
    # Poisson counts: doubling the rate doubles the expectation; 6 sigma of the sum of two runs
    assert abs(counts[2.0]["orders"] - 2 * n) < 6 * np.sqrt(3 * n)


def test_stream_mode_yields_the_same_events_as_a_file_run() -> None:
    """With a fake clock: 2 simulated hours at speed 3600 in 1-second ticks."""
    start = END_MS - 2 * HOUR_MS - CHUNK_MS // 2
    now = [1000.0]

    def clock() -> float:
        return now[0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    got: dict[str, list[pa.Table]] = {}
    batches = stream(
        scenario("cnc-quote"), start, speed=3600, seed=9, horizon_days=1, clock=clock, sleep=sleep
    )
    for batch in batches:
        assert batch.start_ms >= start
        got.setdefault(batch.stream, []).append(batch.table)
        if batch.end_ms >= start + 2 * HOUR_MS:
            break
    reference = simulation(scenario("cnc-quote"), start + DAY_MS, days=1, seed=9)
    limit = start + 2 * HOUR_MS
    for name, tables in got.items():
        table = pa.concat_tables(tables)
        ts = table.column("ts").to_numpy()
        assert np.all(np.diff(ts) >= 0)
        expected = [
            t.filter(pc.less(t.column("ts"), limit))
            for b in reference.batches()
            for n, t in b.items()
            if n == name
        ]
        want = pa.concat_tables(expected)
        assert table.equals(want.slice(0, table.num_rows)), name
    assert sum(len(t) for tables in got.values() for t in tables) > 1000


def test_manifest_counts_match_the_files(tmp_path: Path) -> None:
    sim = simulation(scenario("mtogo"), END_MS, days=0.25, seed=1)
    manifest = write(sim, tmp_path, "parquet")
    on_disk = json.loads((tmp_path / "manifest.json").read_text())
    assert on_disk == manifest
    for name, info in manifest["streams"].items():
        assert pq.read_metadata(tmp_path / info["file"]).num_rows == info["events"], name
    incidents = json.loads((tmp_path / "incidents.json").read_text())
    assert len(incidents) == manifest["incidents"]["count"]


def test_cli_writes_jsonl_that_parses(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "simulate",
            "--example",
            "cnc-quote",
            "--days",
            "0.25",
            "--out",
            str(tmp_path),
            "--seed",
            "3",
            "--format",
            "jsonl",
            "--end",
            "2026-11-01T00:00:00Z",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["end"] == "2026-11-01T00:00:00Z" and manifest["start"] == "2026-10-31T18:00:00Z"
    lines = (tmp_path / "http_requests.jsonl").read_text().splitlines()
    assert len(lines) == manifest["streams"]["http_requests"]["events"] > 0
    events = [json.loads(line) for line in lines]
    assert all(isinstance(e["ts"], int) and 1_793_469_600_000 <= e["ts"] < END_MS for e in events)
    assert {"service", "route", "method", "status", "latency_ms"} <= set(events[0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "--days"),
        (["--days", "1000"], "--days"),
        (["--rate-scale", "-1"], "--rate-scale"),
        (["--end", "yesterday-ish"], "--end"),
        (["--example", "nope"], "--example"),
        (["--seed", "-1"], "--seed"),
    ],
)
def test_cli_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    base = {"--example": "mtogo", "--days": "1", "--out": str(tmp_path / "o")}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    result = CliRunner().invoke(cli, ["simulate", *[x for kv in base.items() for x in kv]])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_parquet_row_groups_never_span_midnight(tmp_path: Path) -> None:
    """``slokit ingest`` reads a row group at a time; one day per group keeps it within lateness."""
    sim = simulation(scenario("cnc-quote"), END_MS - 5 * HOUR_MS, days=1.5, seed=1)
    write(sim, tmp_path, "parquet")
    for name in ("http_requests", "probes", "backups"):
        handle = pq.ParquetFile(tmp_path / f"{name}.parquet")
        days = set()
        for i in range(handle.num_row_groups):
            ts = handle.read_row_group(i, columns=["ts"]).column("ts").to_numpy()
            assert ts.size and ts[0] // DAY_MS == ts[-1] // DAY_MS, (name, i)
            days.add(int(ts[0] // DAY_MS))
        assert len(days) == handle.num_row_groups  # one group per day (these streams are small)
