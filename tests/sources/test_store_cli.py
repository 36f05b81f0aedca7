"""``slokit ingest`` end to end: summary numbers, exit codes, re-runs, strict mode, formats."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from slokit.cli.main import cli
from slokit.sources.store import Store

SPEC = """\
apiVersion: openslo/v1
kind: Service
metadata:
  name: api
spec:
  description: test service
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-latency
spec:
  service: api
  indicator:
    metadata:
      name: api-latency-sli
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
  name: api-availability
spec:
  service: api
  indicator:
    metadata:
      name: api-avail-sli
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


def setup(tmp_path: Path, n: int = 300) -> tuple[Path, Path, list[dict[str, Any]]]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    rng = random.Random(7)
    now = int(time.time())
    events = [
        {
            "ts": now - rng.randrange(6 * 3600),
            "route": rng.choice(["/orders", "/menu"]),
            "status": rng.choice([200, 200, 503]),
            "latency_ms": round(rng.lognormvariate(5.5, 0.7), 2),
        }
        for _ in range(n)
    ]
    lines = [json.dumps(e) for e in events]
    lines.insert(10, "{oops")  # line 11
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return spec, path, events


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_ingest_summary_matches_events_and_rerun_is_duplicate(tmp_path: Path) -> None:
    spec, path, events = setup(tmp_path)
    store = tmp_path / "s.duckdb"
    args = ("ingest", str(path), "--stream", "web", "--store", str(store), "--spec", str(spec))
    result = run(*args, "--output", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["received"] == len(events)
    assert data["accepted"] == len(events)
    assert data["malformed_lines"] == 1
    assert data["malformed_examples"][0]["line"] == 11
    orders = [e for e in events if e["route"] == "/orders"]
    assert data["slis"]["api-latency/0"]["valid"] == len(orders)
    assert data["slis"]["api-latency/0"]["good"] == sum(e["latency_ms"] < 400 for e in orders)
    assert data["slis"]["api-availability/0"]["good"] == sum(e["status"] < 500 for e in events)
    assert data["coverage"]["api-latency/0"].startswith("all events")

    again = run(*args, "--output", "json")
    assert again.exit_code == 0
    assert json.loads(again.output)["duplicate_batches"] == 1
    with Store.open(store) as opened:
        valid, _ = opened.window_counts([("api-availability/0", 0, 10**9)])
    assert int(valid[0]) == len(events)

    table = run(*args)
    assert "duplicate" in table.output


def test_strict_stops_with_exit_1_and_names_the_line(tmp_path: Path) -> None:
    spec, path, _ = setup(tmp_path)
    result = CliRunner().invoke(
        cli,
        [
            "ingest",
            str(path),
            "--stream",
            "web",
            "--store",
            str(tmp_path / "s.duckdb"),
            "--spec",
            str(spec),
            "--strict",
        ],
    )
    assert result.exit_code == 1
    assert "events.jsonl:11" in result.output


def test_unknown_stream_and_usage_errors(tmp_path: Path) -> None:
    spec, path, _ = setup(tmp_path)
    store = str(tmp_path / "s.duckdb")
    unknown = CliRunner().invoke(
        cli, ["ingest", str(path), "--stream", "nope", "--store", store, "--spec", str(spec)]
    )
    assert unknown.exit_code == 1
    assert "stream 'nope'" in unknown.output and "web" in unknown.output
    missing = CliRunner().invoke(
        cli, ["ingest", "no-such.jsonl", "--stream", "web", "--store", store, "--spec", str(spec)]
    )
    assert missing.exit_code == 2
    bad_lateness = CliRunner().invoke(
        cli,
        ["ingest", str(path), "--stream", "web", "--store", store, "--spec", str(spec), "--lateness", "soon"],
    )
    assert bad_lateness.exit_code == 2


def test_nothing_ingestable_exits_1(tmp_path: Path) -> None:
    spec, _, _ = setup(tmp_path)
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps({"ts": int(time.time()) + 86400, "status": 200}) + "\n")
    result = run(
        "ingest",
        str(path),
        "--stream",
        "web",
        "--store",
        str(tmp_path / "s.duckdb"),
        "--spec",
        str(spec),
        "--output",
        "json",
    )
    assert result.exit_code == 1
    assert json.loads(result.output)["rejected"] == {"in_future": 1}


def test_nginx_log_through_cli_with_raw_archive(tmp_path: Path) -> None:
    spec, _, _ = setup(tmp_path)
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(time.time() - 120))
    log = tmp_path / "access.log"
    log.write_text(
        f'10.0.0.1 - - [{stamp}] "GET /orders?id=1 HTTP/1.1" 200 12 "-" "curl" 0.120\n'
        f'10.0.0.1 - - [{stamp}] "GET /orders HTTP/1.1" 502 12 "-" "curl" 0.900\n'
        "not a log line\n"
    )
    raw = tmp_path / "raw"
    result = run(
        "ingest",
        str(log),
        "--stream",
        "web",
        "--store",
        str(tmp_path / "s.duckdb"),
        "--spec",
        str(spec),
        "--keep-raw",
        str(raw),
        "--output",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["accepted"] == 2 and data["malformed_lines"] == 1
    latency = data["slis"]["api-latency/0"]
    assert (latency["valid"], latency["good"]) == (2, 1)  # 120 ms < 400 ms, 900 ms is not
    assert list(raw.glob("web/*/*.parquet"))


def test_stream_defaults_to_each_file_name(tmp_path: Path) -> None:
    spec, path, events = setup(tmp_path)
    web = tmp_path / "web.jsonl"
    web.write_text(path.read_text())
    other = tmp_path / "misc.jsonl"
    other.write_text(json.dumps({"ts": int(time.time()), "x": 1}) + "\n")
    store = str(tmp_path / "s.duckdb")
    refused = CliRunner().invoke(cli, ["ingest", str(web), str(other), "--store", store, "--spec", str(spec)])
    assert refused.exit_code == 1 and "'misc'" in refused.output
    result = run("ingest", str(web), "--store", store, "--spec", str(spec), "--output", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["streams"]["web"]["accepted"] == len(events)
    assert data["slis"]["api-availability/0"]["valid"] == len(events)
