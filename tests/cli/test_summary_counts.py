"""Summaries count SLOs, objectives, groups and series apart, on the real CLI.

The spec below mixes an ungrouped SLO, a grouped SLO of two objectives, a grouped SLO of one
objective and an SLO whose stream is never ingested; the events are written here, ingested
with ``slokit ingest``, and read back by ``slokit backtest`` and ``slokit report`` with one more
SLO added to the spec after the ingest.

Oracle: counted by hand from the spec and the events (see ``EXPECTED``), not by slokit:

* ``checkout-ok``: 1 objective, no groupBy: 1 series.
* ``latency-by-route``: 2 objectives, groupBy route, the events have 3 routes: 3 groups,
  2 × 3 = 6 series.
* ``uptime-by-region``: 1 objective, groupBy region, 2 regions: 2 groups, 2 series.
* ``never-ingested``: its stream has no events, but it was in the spec at ingest, so the store
  counts it (zero events): 1 objective, 1 series, replayed as history without data.
* ``added-later``: not in the spec at ingest; the store never counted it, so it is not replayed.

Replayed: 4 SLOs, 1 + 2 + 1 + 1 = 5 objectives, 3 + 2 = 5 groups, 1 + 6 + 2 + 1 = 10 series.
Before the fix the backtest title called the 10 series "10 objectives".
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from slokit.cli.main import cli

ROUTES = ("/a", "/b", "/c")
REGIONS = ("eu", "us")
T0 = 1_780_000_020 // 60 * 60
HOURS = 3


def _ratio_slo(name: str, stream: str, group_by: str | None) -> str:
    grouped = "" if group_by is None else f"\n              groupBy: [{group_by}]"
    return f"""\
apiVersion: openslo/v1
kind: SLO
metadata: {{name: {name}}}
spec:
  service: shop
  timeWindow: [{{duration: 1d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: 0.99}}]
  indicator:
    metadata: {{name: {name}-sli}}
    spec:
      ratioMetric:
        counter: false
        good:
          metricSource:
            type: slokit
            spec: {{stream: {stream}, where: "status < 500"}}
        total:
          metricSource:
            type: slokit
            spec:
              stream: {stream}{grouped}
"""


LATENCY_BY_ROUTE = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: latency-by-route}
spec:
  service: shop
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives:
    - {displayName: fast, op: lt, value: 300, target: 0.9}
    - {displayName: bounded, op: lt, value: 1000, target: 0.99}
  indicator:
    metadata: {name: latency-by-route-sli}
    spec:
      thresholdMetric:
        metricSource:
          type: slokit
          spec: {stream: api, value: latency_ms, groupBy: [route]}
"""

SPEC = "---\n".join(
    [
        _ratio_slo("checkout-ok", "api", None),
        LATENCY_BY_ROUTE,
        _ratio_slo("uptime-by-region", "api", "region"),
        _ratio_slo("never-ingested", "other", None),
    ]
)
#: What the backtest reads: SPEC and one SLO the ingest did not know.
SPEC_LATER = SPEC + "---\n" + _ratio_slo("added-later", "api", None)

#: Counted by hand from SPEC and the routes and regions the events carry (module docstring).
EXPECTED = {"slos": 4, "objectives": 5, "groups": 5, "series": 10}


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The spec file to read (SPEC_LATER) and a store holding three hours of events of every
    route and region, ingested with SPEC."""
    tmp = tmp_path_factory.mktemp("counts")
    spec_file = tmp / "slos.yaml"
    spec_file.write_text(SPEC)
    lines = []
    for second in range(0, HOURS * 3600, 30):
        for i, route in enumerate(ROUTES):
            for j, region in enumerate(REGIONS):
                # region us fails for 20 minutes in the second hour: alerts to attribute
                failing = region == "us" and 3600 <= second < 4800
                event = {
                    "ts": T0 + second,
                    "route": route,
                    "region": region,
                    "status": 503 if failing else 200,
                    "latency_ms": 100 + 50 * i + 10 * j,
                }
                lines.append(json.dumps(event))
    events = tmp / "api.jsonl"
    events.write_text("\n".join(lines) + "\n")
    db = tmp / "store.duckdb"
    result = CliRunner().invoke(
        cli,
        [
            "ingest",
            str(events),
            "--stream",
            "api",
            "--spec",
            str(spec_file),
            "--store",
            str(db),
            "--lateness",
            "none",
        ],
    )
    assert result.exit_code == 0, result.output
    later = tmp / "later.yaml"
    later.write_text(SPEC_LATER)
    return later, db


def _run(args: list[str]) -> Result:
    # tables as wide as their rows, whatever the environment's COLUMNS, so no cell wraps
    result = CliRunner().invoke(cli, args, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result


def _backtest(setup: tuple[Path, Path], output: str, *extra: str) -> Result:
    spec_file, db = setup
    args = ["backtest", str(spec_file), "--store", str(db), "--policy", "default", "--policy", "single-1h"]
    return _run([*args, "--from", iso(T0 + 1800), "--to", iso(T0 + HOURS * 3600), "--output", output, *extra])


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_backtest_data_counts_objectives_groups_and_series_apart(
    setup: tuple[Path, Path], output: str
) -> None:
    result = _backtest(setup, output)
    data: dict[str, Any] = json.loads(result.stdout) if output == "json" else yaml.safe_load(result.stdout)
    assert {k: data[k] for k in EXPECTED} == EXPECTED
    # the fields scripts already read are still there
    assert data["from"] == iso(T0 + 1800) and data["to"] == iso(T0 + HOURS * 3600)
    assert [p["name"] for p in data["policies"]] == ["default", "single-1h"]
    # us failing: half of checkout-ok's events (1h burn 50 % x 20/60 / 1 % = 16.7 > 14.4) and all
    # of uptime-by-region's us group; latency is fine everywhere and eu never fails
    alerted = {(a["slo"], a["group"]) for p in data["policies"] for a in p["alert_list"]}
    assert alerted == {("checkout-ok", ""), ("uptime-by-region", '{region="us"}')}
    assert "not replayed: added-later objective 0" in result.stderr


def test_backtest_title_says_objectives_groups_and_series(setup: tuple[Path, Path]) -> None:
    result = _backtest(setup, "table")
    out = " ".join(result.stdout.split())  # the table may wrap the title
    title = re.search(r"(\d+) SLOs, (\d+) objectives, (\d+) groups \((\d+) series\)", out)
    assert title is not None, result.stdout
    assert dict(zip(EXPECTED, map(int, title.groups()), strict=True)) == EXPECTED
    assert f"{EXPECTED['series']} objectives" not in out


def test_backtest_alert_table_names_the_group_of_each_alert(setup: tuple[Path, Path]) -> None:
    listed = json.loads(_backtest(setup, "json").stdout)
    table = _backtest(setup, "table", "--alerts").stdout
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in table.splitlines() if line.count("│") == 8]
    alert_rows = [r for r in rows if len(r) == 7 and r[0] in ("default", "single-1h")]
    # every alert a row, its series named as the report names a group's row
    assert len(alert_rows) == sum(len(p["alert_list"]) for p in listed["policies"])
    assert {r[1] for r in alert_rows} == {"checkout-ok", 'uptime-by-region{region="us"}'}


def test_report_counts_slos_and_groups_apart(setup: tuple[Path, Path]) -> None:
    spec_file, db = setup
    args = ["report", str(spec_file), "--store", str(db), "--at", iso(T0 + HOURS * 3600)]
    # all five SLOs of SPEC_LATER; groups: 3 routes + 2 regions
    n_slos, n_groups = 5, len(ROUTES) + len(REGIONS)
    table = _run([*args, "--output", "table"]).stdout
    assert f"{n_slos} SLOs, {n_groups} groups at " in table
    rows = [line for line in table.splitlines() if line.startswith("│ shop ")]
    assert len(rows) == n_slos + n_groups
    data = json.loads(_run([*args, "--output", "json"]).stdout)
    assert len(data) == n_slos + n_groups
    overall = {d["name"]: d["groups"] for d in data if d["group"] is None}
    assert overall == {
        "checkout-ok": None,
        "latency-by-route": len(ROUTES),
        "uptime-by-region": len(REGIONS),
        "never-ingested": None,
        "added-later": None,
    }
    one = _run([*args, "--slo", "checkout-ok", "--output", "table"]).stdout
    assert "1 SLOs at " in one and "groups" not in one
