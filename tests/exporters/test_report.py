"""``slokit report`` and its renderings, on the hand-worked example of docs/arithmetic.md.

Occurrences, target 99 % over a rolling 5-minute window evaluated at 12:05; the rows ending at
12:01 … 12:05 hold (valid/good) 200/199, 180/180, 220/216, 0/0 and 400/397. The doc works out:
SLI 99.2 %, consumed 80 %, remaining 20 % (2 events, 0.6 s of 3 s), 5-minute burn 0.8.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import slokit
from slokit.cli.main import cli
from slokit.exporters.report import FIELDS, OBJECTIVE_FIELDS, report_json, report_markdown, schema_problems
from slokit.sources.status import evaluate_all
from slokit.sources.store import Store

SPEC = """\
apiVersion: openslo/v1
kind: SLI
metadata: {name: api-ok}
spec:
  ratioMetric:
    counter: true
    good: {metricSource: {type: slokit, spec: {stream: api, where: "status < 500"}}}
    total: {metricSource: {type: slokit, spec: {stream: api}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: worked}
spec:
  service: shop
  timeWindow: [{duration: 5m, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
  indicatorRef: api-ok
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: monthly}
spec:
  service: shop
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar: {startTime: '2024-01-01 00:00:00', timeZone: UTC}
  budgetingMethod: Occurrences
  objectives: [{target: 0.999}]
  indicatorRef: api-ok
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: slow}
spec:
  service: shop
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.95, op: lt, value: 400}]
  indicator:
    metadata: {name: api-latency}
    spec:
      thresholdMetric: {metricSource: {type: slokit, spec: {stream: api, value: latency_ms}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: elsewhere}
spec:
  service: web
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.999}]
  indicator:
    metadata: {name: prom-ok}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: prometheus, spec: {query: 'sum(rate(ok[{{window}}]))'}}}
        total: {metricSource: {type: prometheus, spec: {query: 'sum(rate(all[{{window}}]))'}}}
"""

NOON = int(datetime(2024, 5, 14, 12, 0, tzinfo=UTC).timestamp())
ROWS = [(200, 199), (180, 180), (220, 216), (0, 0), (400, 397)]


def worked_events() -> list[dict[str, object]]:
    """Events whose minute rows are the worked example's; latency 100 ms good, 1000 ms bad."""
    events: list[dict[str, object]] = []
    for minute, (valid, good) in enumerate(ROWS):
        for i in range(valid):
            ts = NOON + 60 * minute + 1 + (i % 59)  # inside (12:0m, 12:0m+1]
            ok = i < good
            events.append({"ts": ts, "status": 200 if ok else 503, "latency_ms": 100.0 if ok else 1000.0})
    return events


@pytest.fixture
def spec_path(tmp_path: Path) -> Path:
    path = tmp_path / "slos.yaml"
    path.write_text(SPEC)
    return path


@pytest.fixture
def store_path(tmp_path: Path, spec_path: Path) -> Path:
    spec = slokit.load(spec_path)
    path = tmp_path / "store.duckdb"
    with Store.open(path) as store:
        store.ingest("api", worked_events(), spec=spec, now=NOON + 3600)
    return path


AT = "2024-05-14T12:05:00Z"


def test_worked_example_numbers(spec_path: Path, store_path: Path) -> None:
    spec = slokit.load(spec_path)
    with Store.open(store_path, read_only=True) as store:
        data = report_json(evaluate_all(spec, store, NOON + 300))
    assert schema_problems(data) == []
    worked = next(d for d in data if d["name"] == "worked")
    assert worked["sli"] == pytest.approx(0.992)
    assert worked["budget_consumed"] == pytest.approx(0.8)
    assert worked["budget_remaining"] == pytest.approx(0.2)
    assert worked["budget_remaining_events"] == pytest.approx(2.0)
    assert worked["budget_allowed_seconds"] == pytest.approx(3.0)
    assert worked["budget_remaining_seconds"] == pytest.approx(0.6)
    assert worked["burn_rates"]["5m"] == pytest.approx(0.8)
    # every event is inside the last 5 minutes, so every longer window burns the same
    assert all(v == pytest.approx(0.8) for v in worked["burn_rates"].values())
    assert worked["status"] == "ok"  # 1 h burn 0.8 <= 1
    assert worked["forecast"] is None  # rolling window, 1 d burn below 1: never runs out
    assert (worked["window_start"], worked["window_end"]) == ("2024-05-14T12:00:00Z", AT)
    assert worked["objectives"][0]["valid"] == 1000 and worked["objectives"][0]["good"] == 992


def test_calendar_budget_so_far_and_forecast(spec_path: Path, store_path: Path) -> None:
    spec = slokit.load(spec_path)
    with Store.open(store_path, read_only=True) as store:
        (monthly,) = report_json(evaluate_all(spec, store, NOON + 300, ["monthly"]))
    assert (monthly["window_start"], monthly["window_end"]) == (
        "2024-05-01T00:00:00Z",
        "2024-06-01T00:00:00Z",
    )
    elapsed = (NOON + 300 - datetime(2024, 5, 1, tzinfo=UTC).timestamp()) / (31 * 86400)
    assert monthly["elapsed_fraction"] == pytest.approx(elapsed)
    assert "events so far" in monthly["budget_basis"]
    # 8 bad of 1,000 against 0.1 %: 8 events allowed 1 -> consumed 8, exhausted
    assert monthly["budget_consumed"] == pytest.approx(8.0)
    assert monthly["status"] == "exhausted"
    assert monthly["forecast"] == "2024-05-14T12:05:00Z"  # already exhausted: the instant itself
    assert monthly["budget_allowed_seconds"] == pytest.approx(0.001 * 31 * 86400)


def test_percentiles_and_unbound(spec_path: Path, store_path: Path) -> None:
    spec = slokit.load(spec_path)
    with Store.open(store_path, read_only=True) as store:
        data = {d["name"]: d for d in report_json(evaluate_all(spec, store, NOON + 300))}
    slow = data["slow"]
    # 992 values of 100 ms, 8 of 1000 ms: p50…p99 are 100 ms (rank 990 <= 992), p99.9 is 1000 ms
    for label in ("p50", "p90", "p95", "p99"):
        assert slow["percentiles"][label] == pytest.approx(100.0, rel=0.01)
    assert slow["percentiles"]["p99.9"] == pytest.approx(1000.0, rel=0.01)
    assert slow["sli"] == pytest.approx(0.992)
    other = data["elsewhere"]
    assert other["status"] == "no data" and other["sli"] is None
    assert other["percentiles"] == {}
    assert "type: slokit" in other["notes"][0]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "250"}).invoke(cli, list(args))
    return result.exit_code, result.output


def test_cli_json_yaml_table_markdown(spec_path: Path, store_path: Path) -> None:
    code, out = run("report", str(spec_path), "--store", str(store_path), "--at", AT, "--output", "json")
    assert code == 0, out
    data = json.loads(out)
    assert schema_problems(data) == []
    assert [d["name"] for d in data] == ["worked", "monthly", "slow", "elsewhere"]
    code, out = run("report", str(spec_path), "--store", str(store_path), "--at", AT, "--output", "yaml")
    assert code == 0 and yaml.safe_load(out) == data
    code, out = run("report", str(spec_path), "--store", str(store_path), "--at", AT, "--slo", "worked")
    assert code == 0, out
    assert "worked" in out and "99.2 %" in out and "monthly" not in out
    code, out = run("report", str(spec_path), "--store", str(store_path), "--at", AT, "--output", "markdown")
    assert code == 0, out
    assert out.startswith("# SLO report at 2024-05-14T12:05:00Z")
    row = next(line for line in out.splitlines() if line.startswith("| shop | worked |"))
    assert "| 99.2 % |" in row and "| 20 % (600ms) |" in row and "| 0.80 |" in row
    assert "events so far" in out and "type: slokit" in out


def test_cli_errors(spec_path: Path, store_path: Path, tmp_path: Path) -> None:
    code, out = run("report", str(spec_path), "--store", str(tmp_path / "missing.duckdb"))
    assert code == 1 and "no store at" in out
    assert not (tmp_path / "missing.duckdb").exists()
    bad = tmp_path / "bad.duckdb"
    bad.write_text("not a database")
    code, out = run("report", str(spec_path), "--store", str(bad))
    assert code == 1 and "cannot open the store" in out and "Traceback" not in out
    code, out = run("report", str(spec_path), "--store", str(store_path), "--slo", "nope")
    assert code == 2 and "known SLOs" in out
    code, out = run("report", str(spec_path), "--store", str(store_path), "--at", "yesterday-ish")
    assert code == 2 and "--at" in out
    broken = tmp_path / "broken.yaml"
    broken.write_text(SPEC.replace("target: 0.99}", "target: 2}"))
    code, out = run("report", str(broken), "--store", str(store_path))
    assert code == 1 and "broken.yaml" in out


def test_markdown_without_slos() -> None:
    assert "No SLOs." in report_markdown([])


def test_docs_describe_every_field(repo_root: Path) -> None:
    text = (repo_root / "docs" / "report.md").read_text()
    documented = set(re.findall(r"^\| `([a-z_.\[\]]+)` \|", text, re.MULTILINE))
    assert set(FIELDS) <= documented
    assert {f"objectives[].{k}" for k in OBJECTIVE_FIELDS} <= documented


def test_objective_added_later_counts_from_then_and_says_so(tmp_path: Path) -> None:
    """An SLO added after its stream had events is counted from then on (no raw archive)."""
    docs = SPEC.split("---\n")
    first = slokit.load("---\n".join(docs[:2]))  # the SLI and 'worked' only
    full = slokit.load(SPEC)
    events = worked_events()
    early = [e for e in events if int(str(e["ts"])) <= NOON + 180]  # rows ending 12:01 … 12:03
    late = [e for e in events if int(str(e["ts"])) > NOON + 180]
    path = tmp_path / "store.duckdb"
    with Store.open(path) as store:
        store.ingest("api", early, spec=first, now=NOON + 3600)
        store.ingest("api", late, spec=full, now=NOON + 3600)
    with Store.open(path, read_only=True) as store:
        data = {d["name"]: d for d in report_json(evaluate_all(full, store, NOON + 300))}
    assert data["worked"]["coverage_kind"] == "complete"
    assert data["worked"]["objectives"][0]["valid"] == 1000
    monthly = data["monthly"]
    assert monthly["coverage_kind"] == "live"
    assert monthly["coverage"] == "from 2024-05-14T12:03Z onward"
    # rows ending 12:04 and 12:05 hold 0/0 and 400/397
    assert (monthly["objectives"][0]["valid"], monthly["objectives"][0]["good"]) == (400, 397)
    with Store.open(path, read_only=True) as store:
        page = report_markdown(evaluate_all(full, store, NOON + 300))
    assert "- **monthly**: data from 2024-05-14T12:03Z onward." in page
    assert "- **worked**" not in page.split("## Data coverage and notes")[1]


def test_objective_rebuilt_from_raw_archive(tmp_path: Path) -> None:
    docs = SPEC.split("---\n")
    first = slokit.load("---\n".join(docs[:2]))
    full = slokit.load(SPEC)
    path, raw = tmp_path / "store.duckdb", tmp_path / "raw"
    with Store.open(path, raw_dir=raw) as store:
        store.ingest("api", worked_events(), spec=first, now=NOON + 3600)
        store.backfill(full)
    with Store.open(path, read_only=True) as store:
        data = {d["name"]: d for d in report_json(evaluate_all(full, store, NOON + 300))}
    monthly = data["monthly"]
    assert monthly["coverage_kind"] == "raw_archive" and monthly["coverage"].startswith("from raw archive")
    assert (monthly["objectives"][0]["valid"], monthly["objectives"][0]["good"]) == (1000, 992)


def test_percentiles_outside_the_histogram_range_are_bounds(spec_path: Path, tmp_path: Path) -> None:
    """600 values below the range (1e-5 ms), 390 in range, 10 above it (2e6 ms)."""
    spec = slokit.load(spec_path)
    values = [1e-5] * 600 + [100.0] * 390 + [2e6] * 10
    events = [{"ts": NOON + 1 + i % 250, "status": 200, "latency_ms": v} for i, v in enumerate(values)]
    path = tmp_path / "clamped.duckdb"
    with Store.open(path) as store:
        store.ingest("api", events, spec=spec, now=NOON + 3600)
    with Store.open(path, read_only=True) as store:
        (slow,) = report_json(evaluate_all(spec, store, NOON + 300, ["slow"]))
    assert schema_problems([slow]) == []
    # p50 (rank 500) is an underflowed value, p90…p99 (ranks 900…990) are 100 ms, p99.9 overflowed
    assert slow["percentile_bounds"] == {"p50": "at most", "p99.9": "at least"}
    assert slow["percentiles"]["p95"] == pytest.approx(100.0, rel=0.01)
    assert slow["percentiles"]["p99.9"] < 2e6  # the top bucket's value: a lower bound only
    assert slow["objectives"][0]["percentile_bounds"] == slow["percentile_bounds"]
