"""``slokit backtest`` and ``slokit gate`` end to end on a small store.

Oracle: a 10-minute hard outage placed by the test on a 99.9 % SLO with 20 requests a minute.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner

from slokit.cli.main import cli
from slokit.sources.store import Store

T0 = 1_780_000_020 // 60 * 60
OUTAGE = T0 + 120 * 60
GATE = """\
apiVersion: slokit/v1
kind: ErrorBudgetPolicy
metadata: {name: deploy-gate}
spec:
  slos: [api-availability]
  states:
    - {name: healthy, below: 100}
    - {name: exhausted, below: 0, blockDeploys: true}
"""


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def setup(tmp_path: Path, specs: dict[str, Callable[..., Any]]) -> tuple[Path, Path]:
    text = "---\n".join([specs["slo"](), GATE])
    spec_file = tmp_path / "slo.yaml"
    spec_file.write_text(text)
    spec = specs["load"](specs["slo"](), GATE)
    ts = np.arange(T0 * 1000, (T0 + 240 * 60) * 1000, 3000, dtype=np.int64)
    status = np.where((ts > OUTAGE * 1000) & (ts <= (OUTAGE + 600) * 1000), 500, 200)
    db = tmp_path / "store.duckdb"
    with Store.open(db, lateness_seconds=None) as store:
        store.ingest("requests", pa.table({"ts": ts, "status": status}), spec=spec, now=T0 + 250 * 60)
    return spec_file, db


def test_backtest_json(setup: tuple[Path, Path], tmp_path: Path) -> None:
    spec_file, db = setup
    incidents = tmp_path / "incidents.json"
    incidents.write_text(json.dumps([{"service": "api", "start": iso(OUTAGE), "end": iso(OUTAGE + 600)}]))
    args = [
        "backtest",
        str(spec_file),
        "--store",
        str(db),
        "--from",
        iso(T0 + 3600),
        "--to",
        iso(T0 + 240 * 60),
    ]
    result = CliRunner().invoke(cli, [*args, "--incidents", str(incidents), "--output", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_name = {p["name"]: p for p in data["policies"]}
    assert set(by_name) == {
        "configured",
        "default",
        "classic",
        "default-traffic-aware",
        "single-1h",
        "pyrra",
    }
    d = by_name["default"]
    assert d["recall"] == 1.0 and d["precision"] == 1.0
    assert d["detection_seconds"] == 60.0  # the first complete bad minute
    assert d["alerts"] == len(d["alert_list"]) >= 1
    # the ticket tiers' 2 h and 6 h short windows still see the outage when the history ends:
    # an alert without an end has no reset time
    assert d["reset_seconds"] is None
    # single-window 1 h at 14.4: fires at +60 s too, and stays until the last bad minute (ending
    # at +10 min) leaves the 1 h window at +70 min: reset 60 min after the incident's end
    s = by_name["single-1h"]
    assert s["detection_seconds"] == 60.0
    assert s["reset_seconds"] == 3600.0


def test_backtest_bad_incidents_file(setup: tuple[Path, Path], tmp_path: Path) -> None:
    spec_file, db = setup
    bad = tmp_path / "incidents.json"
    bad.write_text('[{"service": "api",\n  "start": 12,,}]')
    result = CliRunner().invoke(
        cli, ["backtest", str(spec_file), "--store", str(db), "--incidents", str(bad)]
    )
    assert result.exit_code == 1
    assert "incidents.json:2:15" in result.output and "not valid JSON" in result.output


def test_backtest_table(setup: tuple[Path, Path]) -> None:
    spec_file, db = setup
    result = CliRunner().invoke(cli, ["backtest", str(spec_file), "--store", str(db), "--alerts"])
    assert result.exit_code == 0, result.output
    assert "pyrra" in result.output and "page-1h" in result.output


def test_gate_blocks_after_the_outage_and_allows_before(setup: tuple[Path, Path]) -> None:
    spec_file, db = setup
    base = ["gate", str(spec_file), "--store", str(db)]
    after = CliRunner().invoke(cli, [*base, "--at", iso(OUTAGE + 900)])
    assert after.exit_code == 1
    assert "exhausted" in after.output and "blocks deploys" in after.output
    before = CliRunner().invoke(cli, [*base, "--at", iso(OUTAGE - 60), "--output", "json"])
    assert before.exit_code == 0, before.output
    data = json.loads(before.stdout)
    assert data["blocked"] is False and data["slos"][0]["state"] == "healthy"


def test_backtest_says_which_objectives_it_cannot_replay(
    setup: tuple[Path, Path], tmp_path: Path, specs: dict[str, Callable[..., Any]]
) -> None:
    _, db = setup
    spec_file = tmp_path / "two.yaml"
    spec_file.write_text("---\n".join([specs["slo"](), specs["slo"]("never-ingested")]))
    result = CliRunner().invoke(cli, ["backtest", str(spec_file), "--store", str(db), "--output", "json"])
    assert result.exit_code == 0, result.output
    assert "not replayed: never-ingested objective 0" in result.stderr
