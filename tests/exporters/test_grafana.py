"""Grafana dashboards: valid structure, templated data source, and every query on a recorded series.

The oracle for "the query reads something that exists" is the rule file the same spec
generates (:func:`native_groups`): every ``slokit:`` series a panel reads must be recorded by a
rule whose labels include each equality matcher of the panel's selector, and every ``ALERTS``
query must name alerting rules of that file. promtool (when installed) parses every query.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import slokit
from slokit.alerting.policy import settings_named
from slokit.cli.main import cli
from slokit.exporters.grafana import OVERVIEW_UID, dashboards, slo_uid
from slokit.exporters.prometheus_rules import NativeOptions, native_groups
from slokit.spec.model import Spec

DATA = Path(__file__).resolve().parent.parent / "data" / "promtool"
CHECKOUT = DATA / "checkout.yaml"

LATENCY = """\
apiVersion: openslo/v1
kind: Service
metadata: {name: search}
spec: {description: Search API}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: "search-latency", displayName: Search latency}
spec:
  service: search
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives:
    - {displayName: p90 under 300 ms, target: 0.9, op: lt, value: 0.3}
    - {displayName: p99 under 1 s, target: 0.99, op: lt, value: 1}
  indicator:
    metadata: {name: search-fast}
    spec:
      thresholdMetric:
        metricSource:
          type: prometheus
          spec: {histogram: http_request_duration_seconds, selector: '{job="search"}'}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: embedded-only}
spec:
  service: search
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
  indicator:
    metadata: {name: embedded-ok}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: slokit, spec: {stream: api, where: "code < 500"}}}
        total: {metricSource: {type: slokit, spec: {stream: api}}}
"""

PANEL_TYPES = {"stat", "table", "timeseries", "bargauge"}
_NAME = re.compile(r"(?<![\w:\"'])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?")
_MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
_FUNCTIONS = {"sum", "vector", "on", "ignoring", "and", "or", "unless", "by", "without"}


def _spec() -> Spec:
    return slokit.load(CHECKOUT.read_text(encoding="utf-8") + "\n---\n" + LATENCY)


def _exprs(board: dict[str, Any]) -> list[str]:
    found = [t["expr"] for p in board["panels"] for t in p["targets"]]
    found += [a["expr"] for a in board["annotations"]["list"]]
    return found


def _selectors(expr: str) -> list[tuple[str, dict[str, tuple[str, str]]]]:
    """Every ``name{matchers}`` in a PromQL text: (name, {label: (op, value)})."""
    out = []
    for name, body in _NAME.findall(expr):
        if name in _FUNCTIONS or re.fullmatch(r"[0-9.e]+", name):
            continue
        matchers = {k: (op, json.loads(f'"{v}"')) for k, op, v in _MATCHER.findall(body or "")}
        out.append((name, matchers))
    return out


def test_files_and_structure() -> None:
    spec = _spec()
    result = dashboards(spec)
    covered = {
        r["labels"]["slokit_slo"] for g in native_groups(spec).groups for r in g["rules"] if "record" in r
    }
    assert set(result.files) == {"slokit-overview.json"} | {f"slo-{name}.json" for name in covered}
    assert "embedded-only" not in covered and any("embedded-only" in n for n in result.notes)
    uids = set()
    for name, board in result.files.items():
        json.loads(json.dumps(board))  # plain JSON values only
        assert len(board["uid"]) <= 40 and board["uid"] not in uids
        uids.add(board["uid"])
        assert isinstance(board["schemaVersion"], int) and board["title"]
        (var,) = board["templating"]["list"]
        assert (var["name"], var["type"], var["query"]) == ("datasource", "datasource", "prometheus")
        cells: set[tuple[int, int]] = set()
        for panel in board["panels"]:
            assert panel["type"] in PANEL_TYPES, name
            assert panel["datasource"]["uid"] == "${datasource}"
            assert panel["targets"], panel["title"]
            refs = [t["refId"] for t in panel["targets"]]
            assert len(set(refs)) == len(refs)
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == "${datasource}" and target["expr"].strip()
            grid = panel["gridPos"]
            assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= 24 and grid["h"] > 0
            mine = {
                (x, y)
                for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])
            }
            assert not cells & mine, f"{name}: panel {panel['title']!r} overlaps another"
            cells |= mine
        ids = [p["id"] for p in board["panels"]]
        assert len(set(ids)) == len(ids)
    overview = result.files["slokit-overview.json"]
    assert overview["uid"] == OVERVIEW_UID
    assert {link["url"].split("?")[0] for link in overview["links"]} == {f"/d/{slo_uid(n)}" for n in covered}


def test_every_query_reads_a_series_the_rules_define() -> None:
    spec = _spec()
    groups = native_groups(spec).groups
    records: dict[str, list[dict[str, str]]] = {}
    alerts: set[str] = set()
    for group in groups:
        for rule in group["rules"]:
            if "record" in rule:
                records.setdefault(rule["record"], []).append(rule["labels"])
            else:
                alerts.add(rule["alert"])
    checked = 0
    for name, board in dashboards(spec).files.items():
        for expr in _exprs(board):
            for metric, matchers in _selectors(expr):
                checked += 1
                if metric == "ALERTS":
                    op, value = matchers["alertname"]
                    assert op == "=~" and set(value.split("|")) <= alerts, expr
                    if "slokit_slo" in matchers and matchers["slokit_slo"][0] == "=":
                        slo = matchers["slokit_slo"][1]
                        assert any(r.get("slokit_slo") == slo for rs in records.values() for r in rs)
                    continue
                assert metric in records, f"{name}: {metric} is not recorded by the rules ({expr})"
                equal = {k: v for k, (op, v) in matchers.items() if op == "="}
                assert any(equal.items() <= labels.items() for labels in records[metric]), (
                    f"{name}: no {metric} rule has labels {equal}"
                )
    assert checked > 50


def test_per_slo_dashboard_content() -> None:
    board = dashboards(_spec()).files["slo-search-latency.json"]
    assert board["title"] == "SLO: Search latency"
    titles = [p["title"] for p in board["panels"]]
    for objective in ("p90 under 300 ms", "p99 under 1 s"):
        for kind in ("SLI over the period", "Error budget burn-down", "Burn rates", "Alerts firing"):
            assert f"{kind} ({objective})" in titles
    burn = next(p for p in board["panels"] if p["title"] == "Burn rates (p99 under 1 s)")
    steps = [s["value"] for s in burn["fieldConfig"]["defaults"]["thresholds"]["steps"][1:]]
    # DESIGN.md: factor = share · P / long window; P = 168 h, tiers 2 %/1h, 5 %/6h, 10 %/1d, 10 %/3d.
    expected = sorted({0.02 * 168 / 1, 0.05 * 168 / 6, 0.1 * 168 / 24, 0.1 * 168 / 72})
    assert steps == pytest.approx(expected)
    # The default policy's alerts compare the traffic-aware burn with the factors: the panel shows it.
    assert all(t["expr"].startswith("slokit:budget_burn:rate") for t in burn["targets"])
    assert 'slokit_objective="p99 under 1 s"' in burn["targets"][0]["expr"]
    assert "traffic-aware" in burn["description"]
    # With the classic policy the alerts compare window ratios: the panel shows ratio / budget.
    classic = dashboards(_spec(), NativeOptions(settings=settings_named("classic"))).files
    burn = next(
        p for p in classic["slo-search-latency.json"]["panels"] if p["title"] == "Burn rates (p99 under 1 s)"
    )
    assert [s["value"] for s in burn["fieldConfig"]["defaults"]["thresholds"]["steps"][1:]] == pytest.approx(
        expected
    )
    assert all(t["expr"].endswith(" / 0.01") for t in burn["targets"])


def test_promtool_parses_every_query(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("integration: promtool is not installed (Debian package prometheus)")
    rules = []
    for board in dashboards(_spec()).files.values():
        rules += [{"record": f"grafana:check:{i}", "expr": e} for i, e in enumerate(_exprs(board))]
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}), encoding="utf-8")
    done = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_cli_writes_the_dashboards(tmp_path: Path) -> None:
    spec_path = tmp_path / "slos.yaml"
    spec_path.write_text(CHECKOUT.read_text(encoding="utf-8") + "\n---\n" + LATENCY, encoding="utf-8")
    out = tmp_path / "boards"
    result = CliRunner().invoke(cli, ["generate", "grafana", str(spec_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(dashboards(slokit.load(spec_path.read_text(encoding="utf-8"))).files)
    assert all(json.loads((out / n).read_text(encoding="utf-8"))["panels"] for n in written)
    assert "embedded-only" in result.stderr


def test_cli_nothing_to_generate_writes_nothing(tmp_path: Path) -> None:
    spec_path = tmp_path / "slos.yaml"
    service, _, rest = LATENCY.partition("---\n")
    spec_path.write_text(service + "---\n" + rest.split("---\n", 1)[1], encoding="utf-8")
    out = tmp_path / "boards"
    result = CliRunner().invoke(cli, ["generate", "grafana", str(spec_path), "-o", str(out)])
    assert result.exit_code == 1 and "no SLO in the spec" in result.output
    assert not out.exists()
    missing = CliRunner().invoke(cli, ["generate", "grafana", str(tmp_path / "nope.yaml"), "-o", str(out)])
    assert missing.exit_code == 2


def _hand_worked(expr: str) -> float | None:
    """What a checkout-availability panel shows for 1000 requests a minute, 1 % failing.

    Error ratio 10 / 1000 = 0.01 over every window; objective 0.999, so the budget is 0.001,
    every burn rate is 0.01 / 0.001 = 10, the SLI 0.99 and the budget remaining 1 − 10 = −9.
    The traffic-aware burn is 10 too: steady traffic, so every window gets the average allowance
    (0.001 · 1000 a minute; windows longer than the 3 h of history get 3 h's worth, and hold 3 h
    of bad events).
    """
    if expr.startswith("ALERTS"):
        return None
    if expr.startswith("1 - slokit:error_ratio:"):
        return 0.99
    if expr.startswith("slokit:objective:ratio"):
        return 0.999
    if expr.startswith("slokit:error_budget_remaining:ratio"):
        return -9.0
    if expr.startswith("slokit:error_ratio:rate") and expr.endswith(" / 0.001"):
        return 10.0
    if expr.startswith("slokit:budget_burn:rate"):
        return 10.0
    raise AssertionError(f"no hand-worked value for {expr}")


def test_panels_read_the_rules_values_in_promtool(tmp_path: Path) -> None:
    """The generated rules run over synthetic counters (promtool test rules) give each panel its value."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("integration: promtool is not installed (Debian package prometheus)")
    from slokit.exporters.rulefile import render_groups

    spec = slokit.load(CHECKOUT.read_text(encoding="utf-8"))
    (tmp_path / "rules.yml").write_text(render_groups(native_groups(spec).groups), encoding="utf-8")
    board = dashboards(spec).files["slo-checkout-availability.json"]
    ident = '{slokit_service="checkout",slokit_slo="checkout-availability"}'
    period = '{slokit_period="30d",slokit_service="checkout",slokit_slo="checkout-availability"}'
    cases = []
    for expr in _exprs(board):
        value = _hand_worked(expr)
        if value is None:
            continue
        labels = period if ("period" in expr or "budget_remaining" in expr) else ident
        cases.append(
            {
                "expr": f"abs(({expr}) - ({value!r})) < bool 1e-9",
                "eval_time": "180m",
                "exp_samples": [{"labels": labels, "value": 1}],
            }
        )
    assert len(cases) >= 10
    groups = native_groups(spec).groups
    test = {
        "rule_files": ["rules.yml"],
        # the tile length, tiles first: the tiles tile as in Prometheus (docs/prometheus.md)
        "evaluation_interval": "5m",
        "group_eval_order": [g["name"] for g in groups],
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": 'http_requests_total{job="checkout",code="200"}', "values": "0+990x200"},
                    {"series": 'http_requests_total{job="checkout",code="500"}', "values": "0+10x200"},
                ],
                "promql_expr_test": cases,
            }
        ],
    }
    (tmp_path / "panels.test.yml").write_text(yaml.safe_dump(test, sort_keys=False), encoding="utf-8")
    done = subprocess.run(
        [promtool, "test", "rules", "panels.test.yml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
