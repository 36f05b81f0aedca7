"""``slokit generate prometheus --format sloth``: the rules Sloth v0.16 writes for the same input.

The expected groups below were written by hand from Sloth's documented behaviour and sources
(rule names, label sets, expression layout, factor arithmetic ``percent · period_h / 100 /
long_h`` and Go's float printing), not produced by slokit. The option tests check the
structural effect of each ``sloth generate`` flag.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from slokit.cli.main import cli
from slokit.exporters.promql import go_float, prom_duration

SPEC = """\
version: prometheus/v1
service: shop
labels:
  owner: team-a
slos:
  - name: orders
    objective: 99.5
    labels:
      tier: "1"
    sli:
      events:
        error_query: sum(rate(orders_total{code="500"}[{{.window}}]))
        total_query: sum(rate(orders_total[{{ .window }}]))
    alerting:
      name: OrdersBurn
      labels:
        team: shop
      annotations:
        runbook: https://runbooks/orders
      page_alert:
        labels:
          severity: critical
      ticket_alert:
        disable: true
"""

FLT = '{sloth_id="shop-orders", sloth_service="shop", sloth_slo="orders"}'
IDS = {"sloth_id": "shop-orders", "sloth_service": "shop", "sloth_slo": "orders"}
SLO_LABELS = {"owner": "team-a", "tier": "1"}


def _sli(window: str) -> dict[str, Any]:
    return {
        "record": f"slo:sli_error:ratio_rate{window}",
        "expr": f'(sum(rate(orders_total{{code="500"}}[{window}])))\n/\n'
        f"(sum(rate(orders_total[{window}])))\n",
        "labels": {**IDS, "sloth_window": window, **SLO_LABELS},
    }


def _meta(record: str, expr: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
    return {"record": record, "expr": expr, "labels": {**IDS, **SLO_LABELS, **(extra or {})}}


EXPECTED_30D: list[dict[str, Any]] = [
    {
        "name": "sloth-slo-sli-recordings-shop-orders",
        "rules": [_sli(w) for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d")]
        + [
            {
                "record": "slo:sli_error:ratio_rate30d",
                "expr": f"sum_over_time(slo:sli_error:ratio_rate5m{FLT}[30d])\n/ ignoring (sloth_window)\n"
                f"count_over_time(slo:sli_error:ratio_rate5m{FLT}[30d])\n",
                "labels": {**IDS, "sloth_window": "30d", **SLO_LABELS},
            }
        ],
    },
    {
        "name": "sloth-slo-meta-recordings-shop-orders",
        "rules": [
            _meta("slo:objective:ratio", "vector(0.995)"),
            _meta("slo:error_budget:ratio", "vector(1-0.995)"),
            _meta("slo:time_period:days", "vector(30)"),
            _meta(
                "slo:current_burn_rate:ratio",
                f"slo:sli_error:ratio_rate5m{FLT}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
                f"slo:error_budget:ratio{FLT}\n",
            ),
            _meta(
                "slo:period_burn_rate:ratio",
                f"slo:sli_error:ratio_rate30d{FLT}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
                f"slo:error_budget:ratio{FLT}\n",
            ),
            _meta("slo:period_error_budget_remaining:ratio", f"1 - slo:period_burn_rate:ratio{FLT}"),
            _meta(
                "sloth_slo_info",
                "vector(1)",
                {
                    "sloth_mode": "cli-gen-prom",
                    "sloth_objective": "99.5",
                    "sloth_spec": "prometheus/v1",
                    "sloth_version": "v0.16.0",
                },
            ),
        ],
    },
    {
        "name": "sloth-slo-alerts-shop-orders",
        "rules": [
            {
                "alert": "OrdersBurn",
                "expr": (
                    "(\n"
                    f"    max(slo:sli_error:ratio_rate5m{FLT} > (14.4 * 0.005)) without (sloth_window)\n"
                    "    and\n"
                    f"    max(slo:sli_error:ratio_rate1h{FLT} > (14.4 * 0.005)) without (sloth_window)\n"
                    ")\nor\n(\n"
                    f"    max(slo:sli_error:ratio_rate30m{FLT} > (6 * 0.005)) without (sloth_window)\n"
                    "    and\n"
                    f"    max(slo:sli_error:ratio_rate6h{FLT} > (6 * 0.005)) without (sloth_window)\n"
                    ")\n"
                ),
                "labels": {"severity": "critical", "sloth_severity": "page", "team": "shop"},
                "annotations": {
                    "runbook": "https://runbooks/orders",
                    "summary": "{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate "
                    "is over expected.",
                    "title": "(page) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn "
                    "rate is too fast.",
                },
            }
        ],
    },
]


def _run(tmp_path: Path, *args: str, spec: str = SPEC) -> Any:
    path = tmp_path / "shop.yml"
    path.write_text(spec, encoding="utf-8")
    result = CliRunner().invoke(cli, ["generate", "prometheus", "--format", "sloth", str(path), *args])
    return result


def _groups(tmp_path: Path, *args: str, spec: str = SPEC) -> list[dict[str, Any]]:
    result = _run(tmp_path, *args, spec=spec)
    assert result.exit_code == 0, result.output
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert len(docs) == 1
    groups: list[dict[str, Any]] = docs[0]["groups"]
    return groups


def test_default_output_matches_hand_written_sloth_rules(tmp_path: Path) -> None:
    assert _groups(tmp_path) == EXPECTED_30D


def test_period_28d_uses_sloths_28d_windows_and_prometheus_duration_names(tmp_path: Path) -> None:
    groups = _groups(tmp_path, "--period", "28d")
    sli = groups[0]["rules"]
    # Prometheus prints 28 days as 4w; the period rule is named after it.
    assert sli[-1]["record"] == "slo:sli_error:ratio_rate4w"
    assert sli[-1]["labels"]["sloth_window"] == "4w"
    assert "[4w]" in sli[-1]["expr"]
    meta = {r["record"]: r["expr"] for r in groups[1]["rules"]}
    assert meta["slo:time_period:days"] == "vector(28)"
    alert = groups[2]["rules"][0]["expr"]
    # 2 % · 672 h / 100 / 1 h = 13.44; 5 % · 672 h / 100 / 6 h = 5.6000000000000005 in float64.
    assert "(13.44 * 0.005)" in alert
    assert "(5.6000000000000005 * 0.005)" in alert


def test_windows_catalog_file_replaces_the_defaults(tmp_path: Path) -> None:
    catalog = tmp_path / "7d.yaml"
    catalog.write_text(
        """\
apiVersion: sloth.slok.dev/v1
kind: AlertWindows
spec:
  sloPeriod: 7d
  page:
    quick: {errorBudgetPercent: 8, shortWindow: 5m, longWindow: 1h}
    slow: {errorBudgetPercent: 12.5, shortWindow: 30m, longWindow: 6h}
  ticket:
    quick: {errorBudgetPercent: 20, shortWindow: 2h, longWindow: 1d}
    slow: {errorBudgetPercent: 42, shortWindow: 6h, longWindow: 3d}
""",
        encoding="utf-8",
    )
    groups = _groups(tmp_path, "--period", "7d", "--windows", str(catalog))
    assert groups[0]["rules"][-1]["record"] == "slo:sli_error:ratio_rate1w"
    alert = groups[2]["rules"][0]["expr"]
    # 8 % of 168 h in 1 h: 13.44; 12.5 % of 168 h in 6 h: 3.5.
    assert f"({go_float(8 * 168 / 100 / 1)} * 0.005)" in alert and "(13.44 * 0.005)" in alert
    assert "(3.5 * 0.005)" in alert
    # The custom catalog replaces the built-in one: 30 d is no longer known.
    result = _run(tmp_path, "--windows", str(catalog))
    assert result.exit_code == 1
    assert "30d SLO period time window is not supported" in result.output


def test_extra_labels_go_on_every_recording_rule_but_alerts_inherit_them(tmp_path: Path) -> None:
    groups = _groups(tmp_path, "--extra-labels", "env=prod", "-l", "owner=override")
    for group in groups[:2]:
        for rule in group["rules"]:
            assert rule["labels"]["env"] == "prod"
            assert rule["labels"]["owner"] == "override"  # extra labels win over the spec's
    assert "env" not in groups[2]["rules"][0]["labels"]


def test_disable_alerts_and_recordings(tmp_path: Path) -> None:
    names = [g["name"] for g in _groups(tmp_path, "--disable-alerts")]
    assert names == ["sloth-slo-sli-recordings-shop-orders", "sloth-slo-meta-recordings-shop-orders"]
    names = [g["name"] for g in _groups(tmp_path, "--disable-recordings")]
    assert names == ["sloth-slo-alerts-shop-orders"]
    result = _run(tmp_path, "--disable-alerts", "--disable-recordings")
    assert result.exit_code == 1 and "0 SLO Prometheus rules generated" in result.output


def test_ticket_alert_and_raw_sli(tmp_path: Path) -> None:
    spec = """\
version: prometheus/v1
service: search
slos:
  - name: freshness
    objective: 97.5
    sli:
      raw:
        error_ratio_query: 1 - avg(avg_over_time(fresh_ratio[{{.window}}]))
    alerting:
      name: Stale
      page_alert: {disable: true}
      ticket_alert:
        labels: {severity: low}
"""
    groups = _groups(tmp_path, spec=spec)
    sli = groups[0]["rules"][0]
    assert sli["expr"] == "(1 - avg(avg_over_time(fresh_ratio[5m])))"
    alert = groups[2]["rules"]
    assert len(alert) == 1 and alert[0]["labels"] == {"severity": "low", "sloth_severity": "ticket"}
    budget = go_float((100 - 97.5) / 100)
    assert "max(slo:sli_error:ratio_rate2h{" in alert[0]["expr"]
    assert f"(3 * {budget})" in alert[0]["expr"] and f"(1 * {budget})" in alert[0]["expr"]
    assert "1h" not in alert[0]["expr"]


def test_converted_openslo_spec_gives_the_same_rules(tmp_path: Path) -> None:
    sloth = tmp_path / "shop.yml"
    sloth.write_text(SPEC, encoding="utf-8")
    converted = tmp_path / "openslo.yaml"
    result = CliRunner().invoke(cli, ["convert", "--from", "sloth", str(sloth), "-o", str(converted)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["generate", "prometheus", "--format", "sloth", str(converted)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["groups"] == EXPECTED_30D


def test_bad_windows_catalog_is_a_clear_error(tmp_path: Path) -> None:
    catalog = tmp_path / "w.yaml"
    catalog.write_text("apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec:\n  sloPeriod: 30d\n")
    result = _run(tmp_path, "--windows", str(catalog))
    assert result.exit_code == 1
    assert "spec.page.quick is required" in result.output


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(300, "5m"), (5400, "1h30m"), (86400, "1d"), (7 * 86400, "1w"), (28 * 86400, "4w"), (30 * 86400, "30d")],
)
def test_prom_duration(seconds: int, text: str) -> None:
    assert prom_duration(seconds) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (14.4, "14.4"),
        (6.0, "6"),
        (0.9990000000000001, "0.9990000000000001"),
        (1e-5, "1e-05"),
        (1e6, "1e+06"),
        (123456.0, "123456"),
    ],
)
def test_go_float(value: float, text: str) -> None:
    assert go_float(value) == text


def test_text_layout_is_sloths(tmp_path: Path) -> None:
    """Sloth writes with yaml.v2: list items flush with their key, "1" double-quoted, one
    ``---`` document with a comment per input document."""
    other = SPEC.replace("service: shop", "service: shelf")
    result = _run(tmp_path, spec=SPEC + "---\n" + other)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("---\n# ")
    assert (
        "\ngroups:\n- name: sloth-slo-sli-recordings-shop-orders\n  rules:\n"
        "  - record: slo:sli_error:ratio_rate5m\n" in text
    )
    assert '      tier: "1"\n' in text
    assert (
        "  - record: slo:period_error_budget_remaining:ratio\n    expr: 1 - slo:period_burn_rate:ratio{"
        in text
    )
    docs = [d for d in yaml.safe_load_all(text) if d]
    assert [d["groups"][0]["name"] for d in docs] == [
        "sloth-slo-sli-recordings-shop-orders",
        "sloth-slo-sli-recordings-shelf-orders",
    ]


def test_kubernetes_input_becomes_a_prometheus_rule(tmp_path: Path) -> None:
    spec = """\
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata:
  name: shop-slos
  namespace: monitoring
  labels: {team: shop}
spec:
  service: shop
  slos:
    - name: orders
      objective: 99.5
      sli:
        events:
          errorQuery: sum(rate(orders_total{code="500"}[{{.window}}]))
          totalQuery: sum(rate(orders_total[{{.window}}]))
      alerting:
        pageAlert: {disable: true}
        ticketAlert: {disable: true}
"""
    result = _run(tmp_path, spec=spec)
    assert result.exit_code == 0, result.output
    obj = yaml.safe_load(result.stdout)
    assert (obj["apiVersion"], obj["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
    assert obj["metadata"] == {
        "labels": {
            "app.kubernetes.io/component": "SLO",
            "app.kubernetes.io/managed-by": "sloth",
            "team": "shop",
        },
        "name": "shop-slos",
        "namespace": "monitoring",
    }
    info = next(r for r in obj["spec"]["groups"][1]["rules"] if r["record"] == "sloth_slo_info")
    assert (info["labels"]["sloth_mode"], info["labels"]["sloth_spec"]) == (
        "cli-gen-k8s",
        "sloth.slok.dev/v1",
    )
    # Kubernetes' encoder sorts keys: expr comes before record.
    assert "\n    - expr: |\n" in result.stdout
