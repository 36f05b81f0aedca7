"""End to end through the CLI: events on disk → ``slokit ingest`` → ``slokit report --output json``.

The first test writes its own two-day event files (JSON Lines and CSV) and checks the report's
counts against the events it wrote; the second runs the simulator on the MToGo example when
``slokit simulate`` is available.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import slokit
from slokit.cli.main import COMMANDS, cli
from slokit.exporters.report import schema_problems

SPEC = """\
apiVersion: openslo/v1
kind: Service
metadata: {name: shop}
spec: {description: web shop}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-availability}
spec:
  service: shop
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
  indicator:
    metadata: {name: checkout-ok}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: slokit, spec: {stream: checkout, where: "status < 500"}}}
        total: {metricSource: {type: slokit, spec: {stream: checkout, where: "route = '/pay'"}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-latency}
spec:
  service: shop
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.95, op: lt, value: 400}]
  indicator:
    metadata: {name: checkout-fast}
    spec:
      thresholdMetric: {metricSource: {type: slokit, spec: {stream: checkout, value: latency_ms}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: probe-uptime}
spec:
  service: shop
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar: {startTime: '2024-01-01 00:00:00', timeZone: Europe/Copenhagen}
  budgetingMethod: Timeslices
  objectives: [{target: 0.99, timeSliceTarget: 0.5, timeSliceWindow: 1m}]
  indicator:
    metadata: {name: probes-ok}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: slokit, spec: {stream: probes, where: "ok = true"}}}
        total: {metricSource: {type: slokit, spec: {stream: probes}}}
"""

START = int(datetime(2024, 6, 10, tzinfo=UTC).timestamp())
END = START + 2 * 86400


def invoke(*args: str) -> str:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_generated_events_end_to_end(tmp_path: Path) -> None:
    rng = random.Random(5)
    spec = tmp_path / "slos.yaml"
    spec.write_text(SPEC)
    checkout: list[dict[str, Any]] = []
    for ts in sorted(rng.randrange(START, END) for _ in range(20_000)):
        checkout.append(
            {
                "ts": datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z"),
                "route": rng.choice(["/pay", "/pay", "/cart"]),
                "status": 503 if rng.random() < 0.004 else 200,
                "latency_ms": round(rng.lognormvariate(5.2, 0.5), 2),
            }
        )
    (tmp_path / "checkout.jsonl").write_text("".join(json.dumps(e) + "\n" for e in checkout))
    with (tmp_path / "probes.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["ts", "ok"])
        for ts in range(START + 15, END + 1, 30):
            writer.writerow([ts, "true" if rng.random() > 0.01 else "false"])
    store = tmp_path / "store.duckdb"
    for name in ("checkout.jsonl", "probes.csv"):
        invoke(
            "ingest",
            str(tmp_path / name),
            "--stream",
            name.split(".")[0],
            "--store",
            str(store),
            "--spec",
            str(spec),
            "--lateness",
            "none",
        )
    at = datetime.fromtimestamp(END, UTC).isoformat()
    data = json.loads(invoke("report", str(spec), "--store", str(store), "--at", at, "--output", "json"))
    assert schema_problems(data) == []
    by_name = {d["name"]: d for d in data}
    assert set(by_name) == {"checkout-availability", "checkout-latency", "probe-uptime"}
    assert all(d["status"] != "no data" and d["sli"] is not None for d in data)
    # the report's counts are the events written in the last day
    last_day = [e for e in checkout if START + 86400 < _epoch(e["ts"]) <= END]
    pay = [e for e in last_day if e["route"] == "/pay"]
    avail = by_name["checkout-availability"]["objectives"][0]
    assert (avail["valid"], avail["good"]) == (len(pay), sum(1 for e in pay if e["status"] < 500))
    lat = by_name["checkout-latency"]["objectives"][0]
    assert (lat["valid"], lat["good"]) == (len(last_day), sum(1 for e in last_day if e["latency_ms"] < 400))
    assert set(by_name["checkout-latency"]["percentiles"]) == {"p50", "p90", "p95", "p99", "p99.9"}
    uptime = by_name["probe-uptime"]
    assert "events so far" in uptime["budget_basis"]
    assert uptime["objectives"][0]["slices"]["with_data"] > 0
    table = invoke("report", str(spec), "--store", str(store), "--at", at)
    assert "checkout-availability" in table


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


@pytest.mark.skipif("simulate" not in COMMANDS, reason="slokit simulate is not in this tree yet")
def test_simulated_mtogo_end_to_end(tmp_path: Path, repo_root: Path) -> None:
    out = tmp_path / "sim"
    # a quarter of the request traffic keeps the test quick (probes keep their rate)
    invoke(
        "simulate", "--example", "mtogo", "--days", "2", "--rate-scale", "0.25", "--out", str(out), "--quiet"
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert (out / "incidents.json").is_file()
    spec = repo_root / "examples" / "mtogo"
    store = tmp_path / "mtogo.duckdb"
    for stream, entry in manifest["streams"].items():
        invoke(
            "ingest",
            str(out / entry["file"]),
            "--stream",
            stream,
            "--store",
            str(store),
            "--spec",
            str(spec),
            "--lateness",
            "none",
        )
    at = manifest["end"]
    data = json.loads(invoke("report", str(spec), "--store", str(store), "--at", at, "--output", "json"))
    assert schema_problems(data) == []
    assert len(data) == len(slokit.load(spec).slos)
    no_data = [d["name"] for d in data if d["status"] == "no data"]
    assert not no_data, f"SLOs without data after simulating every stream: {no_data}"
    assert all(d["burn_rates"]["1d"] is not None for d in data)
    latency = [d for d in data if d["objectives"][0]["op"] is not None]
    assert latency and all(d["percentiles"]["p95"] is not None for d in latency)
