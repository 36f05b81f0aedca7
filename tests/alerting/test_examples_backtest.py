"""``slokit backtest`` on both examples: one simulated day, the side-by-side table and its JSON.

Oracle for the counts: the simulator's own incidents.json (every policy is scored against the
same incidents) and the alert lists the JSON carries (its counts and precision must agree).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from slokit.cli.main import cli


@pytest.mark.parametrize("example", ["mtogo", "cnc-quote"])
def test_backtest_of_a_simulated_day(example: str, repo_root: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out, db = tmp_path / "sim", tmp_path / "store.duckdb"
    sim = runner.invoke(
        cli,
        [
            "simulate",
            "--example",
            example,
            "--days",
            "1",
            "--rate-scale",
            "0.2",
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert sim.exit_code == 0, sim.output
    spec = str(repo_root / "examples" / example)
    files = sorted(str(p) for p in out.glob("*.parquet"))
    ingest = runner.invoke(cli, ["ingest", *files, "--spec", spec, "--store", str(db)])
    assert ingest.exit_code == 0, ingest.output
    incidents = json.loads((out / "incidents.json").read_text())
    result = runner.invoke(
        cli,
        [
            "backtest",
            spec,
            "--store",
            str(db),
            "--incidents",
            str(out / "incidents.json"),
            "--output",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    names = [p["name"] for p in data["policies"]]
    assert names == [
        "configured",
        "default",
        "classic",
        "default-traffic-aware",
        "single-1h",
        "pyrra",
    ]

    def at(s: str) -> float:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()

    for p in data["policies"]:
        assert p["incidents"] == len([i for i in incidents if at(i["end"]) > at(data["from"])])
        assert p["alerts"] == len(p["alert_list"])
        if p["alerts"]:
            assert p["precision"] == pytest.approx(p["matching_alerts"] / p["alerts"])
        for a in p["alert_list"]:
            assert a["end"] is None or at(a["end"]) > at(a["start"])
    table = runner.invoke(
        cli, ["backtest", spec, "--store", str(db), "--incidents", str(out / "incidents.json")]
    )
    assert table.exit_code == 0
    assert all(name[:6] in table.output for name in names)
