"""``slokit report --windows`` over the embedded store: the chosen burn windows, with the full run's numbers.

The oracle is the same report without ``--windows``: choosing windows must only leave the
others out (1 h and 1 d always stay: status and forecast read them), never change a number.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import slokit
from slokit.cli.main import cli
from slokit.sources.store import Store

SPEC = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout}
spec:
  service: shop
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
  indicator:
    metadata: {name: checkout-ok}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: slokit, spec: {stream: api, where: "status < 500"}}}
        total: {metricSource: {type: slokit, spec: {stream: api}}}
"""
#: 2024-05-14 12:00 UTC; two days of traffic before it, errors rising in the last hours.
NOON = 1715688000


def test_store_report_shows_only_the_chosen_windows(tmp_path: Path) -> None:
    spec_path = tmp_path / "slos.yaml"
    spec_path.write_text(SPEC, encoding="utf-8")
    events = [
        {"ts": NOON - 60 * m - 7, "status": 503 if (m < 300 and m % 4 == 0) or m % 97 == 0 else 200}
        for m in range(2 * 1440)
    ]
    store_path = tmp_path / "store.duckdb"
    with Store.open(store_path) as store:
        store.ingest("api", events, spec=slokit.load(spec_path), now=NOON + 60)
    base = [
        "report",
        str(spec_path),
        "--store",
        str(store_path),
        "--at",
        "2024-05-14T12:00:00Z",
        "--output",
        "json",
    ]
    full = CliRunner().invoke(cli, base)
    chosen = CliRunner().invoke(cli, [*base, "--windows", "30m,6h"])
    assert full.exit_code == 0 and chosen.exit_code == 0, full.output + chosen.output
    (f,), (c,) = json.loads(full.stdout), json.loads(chosen.stdout)
    assert list(f["burn_rates"]) == ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]
    assert list(c["burn_rates"]) == ["30m", "1h", "6h", "1d"]
    assert c["burn_rates"] == {k: f["burn_rates"][k] for k in c["burn_rates"]}
    assert len(set(c["burn_rates"].values())) == 4  # four different numbers, not one repeated
    assert {k: v for k, v in c.items() if k not in ("burn_rates", "objectives")} == {
        k: v for k, v in f.items() if k not in ("burn_rates", "objectives")
    }
