"""slokit's native Prometheus rules: structure, thresholds, bindings and bad input.

Thresholds are checked against the SRE Workbook numbers of DESIGN.md (30 d: 14.4, 6, 3, 1) and
against ``share · period / long`` worked out here for 28 d; the le pattern against the spellings
Prometheus 2 and 3 store. promtool itself runs in tests/integration/test_promtool.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from slokit import load
from slokit.alerting.policy import AlertSettings, load_settings, settings_named
from slokit.cli.main import cli
from slokit.errors import SlokitError
from slokit.exporters.prometheus_rules import NativeOptions, native_groups
from slokit.exporters.promql import le_pattern, shape_problem

DATA = Path(__file__).resolve().parent.parent / "data" / "promtool"
CHECKOUT = DATA / "checkout.yaml"


def _slo(name: str, indicator: str, window: str = "30d", target: str = "0.999", extra: str = "") -> str:
    return f"""\
apiVersion: openslo/v1
kind: Service
metadata: {{name: shop}}
spec: {{}}
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: {name}
{extra}spec:
  service: shop
  budgetingMethod: Occurrences
  timeWindow: [{{duration: {window}, isRolling: true}}]
  objectives: [{{target: {target}}}]
  indicator:
    metadata: {{name: {name}-sli}}
    spec:
{indicator}"""


EVENTS = """\
      ratioMetric:
        counter: true
        bad:
          metricSource: {type: prometheus, spec: {query: 'sum(rate(req_total{code="500"}[{{window}}]))'}}
        total:
          metricSource: {type: prometheus, spec: {query: 'sum(rate(req_total[{{window}}]))'}}
"""


def _groups(text: str, **options: Any) -> list[dict[str, Any]]:
    return native_groups(load(text), NativeOptions(**options)).groups


def _rules(groups: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        r.get("record") or f"{r['alert']}/{r['labels'].get('slokit_long_window', '')}": r
        for g in groups
        for r in g["rules"]
    }


def test_groups_period_tiles_and_event_weighted_period_ratio() -> None:
    groups = _groups(_slo("api", EVENTS))
    assert [g["name"] for g in groups] == ["slokit-period-api", "slokit-api"]
    assert groups[0]["interval"] == "5m" and "interval" not in groups[1]
    rules = _rules(groups)
    sel = '{slokit_service="shop",slokit_slo="api"}'
    assert (
        rules["slokit:tile_bad_events:increase5m"]["expr"] == '(sum(rate(req_total{code="500"}[5m]))) * 300'
    )
    # The period ratio divides sums of counts: an event-weighted ratio, never a mean of ratios.
    period = rules["slokit:error_ratio:period"]["expr"]
    assert period == (
        f"sum_over_time(slokit:tile_bad_events:increase5m{sel}[29d23h59m59s])\n/\n"
        f"sum_over_time(slokit:tile_total_events:increase5m{sel}[29d23h59m59s])\n"
    )
    assert "avg_over_time" not in period
    assert (
        rules["slokit:error_budget_remaining:ratio"]["expr"] == f"1 - slokit:error_ratio:period{sel} / 0.001"
    )
    assert rules["slokit:objective:ratio"]["expr"] == "vector(0.999)"
    assert rules["slokit:period:seconds"]["expr"] == "vector(2592000)"
    # Windows up to an hour from the raw query, longer ones from the tiles.
    assert "req_total" in rules["slokit:error_ratio:rate1h"]["expr"]
    assert "sum_over_time(slokit:tile_bad_events:increase5m" in rules["slokit:error_ratio:rate6h"]["expr"]
    assert rules["slokit:bad_events:increase5m"]["expr"] == '(sum(rate(req_total{code="500"}[5m]))) * 300'


CLASSIC = settings_named("classic")
SEL = '{slokit_service="shop",slokit_slo="api"}'


def _thresholds(groups: list[dict[str, Any]]) -> dict[tuple[str, str, str], str]:
    """The factor of each tier, read from either form of its alert (each form checked whole)."""
    out = {}
    for rule in (r for g in groups for r in g["rules"] if r.get("alert") == "SLOErrorBudgetBurn"):
        labels = rule["labels"]
        lw, sw = labels["slokit_long_window"], labels["slokit_short_window"]
        classic = re.findall(r">= \(([0-9.e+-]+) \* ([0-9.e+-]+)\)", rule["expr"])
        if "budget_burn" not in rule["expr"]:
            assert len(classic) == 2 and classic[0] == classic[1]
            factor = classic[0][0]
            assert rule["expr"].rstrip().endswith(f"slokit:bad_events:increase{sw}{SEL} >= 3")
        else:
            aware = re.findall(
                rf"slokit:budget_burn:rate({lw}|{sw}){re.escape(SEL)} >= ([0-9.e+-]+)\n", rule["expr"]
            )
            assert [w for w, _ in aware] == [lw, sw] and aware[0][1] == aware[1][1]
            factor = aware[0][1]
            # the own-ratio floor min(factor, 1) on both windows, then the budget-aware guard
            floor = "1" if float(factor) >= 1 else factor
            for w in (lw, sw):
                assert f"slokit:error_ratio:rate{w}{SEL} >= ({floor} * 0.001)\n" in rule["expr"]
            share = {"1h": "0.02", "6h": "0.05", "1d": "0.1", "3d": "0.1"}[lw]
            assert (
                rule["expr"]
                .rstrip()
                .endswith(
                    f"slokit:bad_events:increase{sw}{SEL} >= clamp_max(clamp_min(ceil({share} * "
                    f"slokit:allowed_bad_events:period{SEL} - 1e-09), 1), 3)"
                )
            )
        out[(labels["severity"], lw, sw)] = factor
    return out


WORKBOOK_30D = {
    ("page", "1h", "5m"): "14.4",
    ("page", "6h", "30m"): "6",
    ("ticket", "1d", "2h"): "3",
    ("ticket", "3d", "6h"): "1",
}


@pytest.mark.parametrize("settings", [None, CLASSIC], ids=["default", "classic"])
def test_burn_alert_thresholds_30d_are_the_workbook_factors(settings: AlertSettings | None) -> None:
    assert _thresholds(_groups(_slo("api", EVENTS), settings=settings)) == WORKBOOK_30D


@pytest.mark.parametrize("settings", [None, CLASSIC], ids=["default", "classic"])
def test_burn_alert_thresholds_28d_scale_with_the_period(settings: AlertSettings | None) -> None:
    found = _thresholds(_groups(_slo("api", EVENTS, window="28d"), settings=settings))
    hours = 28 * 24
    expected = {
        ("page", "1h", "5m"): 0.02 * hours / 1,
        ("page", "6h", "30m"): 0.05 * hours / 6,
        ("ticket", "1d", "2h"): 0.10 * hours / 24,
        ("ticket", "3d", "6h"): 0.10 * hours / 72,
    }
    assert {k: pytest.approx(float(v), rel=1e-12) for k, v in found.items()} == expected


def test_guard_can_be_changed_and_turned_off() -> None:
    five = _rules(_groups(_slo("api", EVENTS), min_bad_events=5, settings=CLASSIC))["SLOErrorBudgetBurn/1h"]
    assert five["expr"].rstrip().endswith(">= 5")
    aware = _rules(_groups(_slo("api", EVENTS), min_bad_events=5))["SLOErrorBudgetBurn/1h"]["expr"]
    assert aware.rstrip().endswith(" - 1e-09), 1), 5)")
    for settings in (None, CLASSIC):
        off = _rules(_groups(_slo("api", EVENTS), min_bad_events=0, settings=settings))
        assert "bad_events" not in off["SLOErrorBudgetBurn/1h"]["expr"]


def test_slo_labels_carried_onto_alerts() -> None:
    extra = "  labels:\n    team: [payments, checkout]\n    cost-center: cc1\n"
    rules = _rules(_groups(_slo("api", EVENTS, extra=extra)))
    labels = rules["SLOErrorBudgetBurn/1h"]["labels"]
    assert labels["team"] == "payments,checkout"
    assert labels["cost_center"] == "cc1"  # made a valid Prometheus label name
    assert labels["severity"] == "page"
    assert rules["SLONoData/"]["labels"]["team"] == "payments,checkout"


def test_good_over_total_keeps_groups_without_good_series() -> None:
    indicator = """\
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: prometheus
            spec: {query: 'sum by (route) (increase(req_total{code!="500"}[{{window}}]))'}
        total:
          metricSource: {type: prometheus, spec: {query: 'sum by (route) (increase(req_total[{{window}}]))'}}
"""
    rules = _rules(_groups(_slo("api", indicator)))
    bad = rules["slokit:tile_bad_events:increase5m"]["expr"]
    # increase() counts need no scaling; a route with no good series is kept (all bad).
    assert "* 300" not in bad
    assert " or (sum by (route) (increase(req_total[5m]))) * 0" in bad


def test_raw_ratio_has_no_counts_and_a_time_weighted_period() -> None:
    indicator = """\
      ratioMetric:
        counter: false
        rawType: success
        raw:
          metricSource: {type: prometheus, spec: {query: 'avg(avg_over_time(ok_ratio[{{window}}]))'}}
"""
    groups = _groups(_slo("api", indicator))
    rules = _rules(groups)
    assert rules["slokit:error_ratio:rate5m"]["expr"] == "1 - (avg(avg_over_time(ok_ratio[5m])))"
    assert rules["slokit:error_ratio:period"]["expr"].startswith("avg_over_time(slokit:error_ratio:rate5m")
    assert "bad_events" not in rules["SLOErrorBudgetBurn/1h"]["expr"]


def _pattern_matches(value: float, le: str) -> bool:
    # The pattern is written for a PromQL string (backslashes doubled) and anchored like RE2 in =~.
    return re.fullmatch(le_pattern(value).replace("\\\\", "\\"), le) is not None


@pytest.mark.parametrize(
    ("value", "matching", "other"),
    [
        (0.4, ["0.4", "0.40", "0.400"], ["0.41", "10.4", "0.04", "4"]),
        (1.0, ["1", "1.0", "1.00"], ["10", "0.1", "1.5"]),
        (2.5, ["2.5", "2.50"], ["2.05", "25"]),
        (1e6, ["1000000", "1000000.0", "1e+06"], ["100000"]),
    ],
)
def test_le_pattern_matches_prometheus_2_and_3_spellings(
    value: float, matching: list[str], other: list[str]
) -> None:
    assert all(_pattern_matches(value, le) for le in matching)
    assert not any(_pattern_matches(value, le) for le in other)


def test_latency_classic_and_native_histograms() -> None:
    spec = load(CHECKOUT)
    rules = {
        (r["labels"].get("slokit_slo"), r.get("record")): r["expr"]
        for g in native_groups(spec).groups
        for r in g["rules"]
        if "record" in r
    }
    classic = rules[("checkout-latency", "slokit:tile_bad_events:increase5m")]
    assert classic == (
        'sum(increase(http_request_duration_seconds_count{job="checkout"}[5m]))\n  -\n'
        '  sum(increase(http_request_duration_seconds_bucket{job="checkout", le=~"0\\\\.40*"}[5m]))'
    )
    native = rules[("checkout-latency-native", "slokit:error_ratio:rate5m")]
    assert native == (
        "1 - histogram_fraction(0, 0.25, "
        'sum(increase(http_request_duration_native_seconds{job="checkout"}[5m])))'
    )


def test_every_generated_expression_is_balanced() -> None:
    for group in native_groups(load(CHECKOUT)).groups:
        for rule in group["rules"]:
            assert shape_problem(rule["expr"]) is None, rule


def test_victoriametrics_refuses_native_histograms() -> None:
    with pytest.raises(SlokitError, match="native histograms"):
        native_groups(load(CHECKOUT), NativeOptions(dialect="victoriametrics"))


def test_raw_query_without_window_placeholder_names_slo_and_field() -> None:
    indicator = """\
      ratioMetric:
        counter: false
        rawType: failure
        raw:
          metricSource: {type: prometheus, spec: {query: 'avg(error_ratio)'}}
"""
    with pytest.raises(SlokitError) as info:
        native_groups(load(_slo("api", indicator)))
    assert "SLO 'api'" in str(info.value)
    assert "ratioMetric.raw.metricSource.spec.query has no {{window}} placeholder" in str(info.value)


def test_slo_without_prometheus_binding_is_skipped_or_an_error() -> None:
    slokit_sli = """\
      ratioMetric:
        counter: true
        good:
          metricSource: {type: slokit, spec: {stream: orders, where: "ok = true"}}
        total:
          metricSource: {type: slokit, spec: {stream: orders}}
"""
    with pytest.raises(SlokitError, match="bound to type: prometheus"):
        native_groups(load(_slo("orders", slokit_sli)))


def test_cli_formats_and_atomic_output(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "rules.yml"
    result = runner.invoke(cli, ["generate", "prometheus", str(CHECKOUT), "-o", str(out)])
    assert result.exit_code == 0, result.output
    good = out.read_text()
    assert yaml.safe_load(good)["groups"]
    result = runner.invoke(
        cli,
        [
            "generate",
            "prometheus",
            str(CHECKOUT),
            "--format",
            "prometheus-operator",
            "--name",
            "shop",
            "--namespace",
            "monitoring",
        ],
    )
    obj = yaml.safe_load(result.stdout)
    assert (obj["kind"], obj["metadata"]["namespace"]) == ("PrometheusRule", "monitoring")
    assert [g["name"] for g in obj["spec"]["groups"]] == [g["name"] for g in yaml.safe_load(good)["groups"]]
    # A failing run (native histograms under victoriametrics) leaves the previous file intact.
    result = runner.invoke(
        cli, ["generate", "prometheus", str(CHECKOUT), "--dialect", "victoriametrics", "-o", str(out)]
    )
    assert result.exit_code == 1
    assert out.read_text() == good
    assert [p.name for p in tmp_path.iterdir()] == ["rules.yml"]


def test_cli_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["generate", "prometheus", str(CHECKOUT), "--period", "28d"])
    assert result.exit_code == 2 and "--format sloth" in result.output
    result = runner.invoke(cli, ["generate", "prometheus", str(CHECKOUT), "-l", "bad-name=1"])
    assert result.exit_code == 2 and "label name" in result.output
    result = runner.invoke(cli, ["generate", "prometheus", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2


def test_disable_alerts_keeps_only_recordings() -> None:
    result = CliRunner().invoke(cli, ["generate", "prometheus", str(CHECKOUT), "--disable-alerts"])
    assert result.exit_code == 0
    rules = [r for g in yaml.safe_load(result.stdout)["groups"] for r in g["rules"]]
    assert rules and all("record" in r for r in rules)


def test_several_objectives_get_their_own_groups_and_label() -> None:
    indicator = """\
      thresholdMetric:
        metricSource:
          type: prometheus
          spec: {histogram: http_request_duration_seconds}
"""
    text = _slo("api", indicator).replace(
        "objectives: [{target: 0.999}]",
        "objectives: [{displayName: fast, op: lte, value: 0.25, target: 0.9},"
        " {displayName: not slow, op: lte, value: 1, target: 0.99}]",
    )
    groups = _groups(text)
    assert [g["name"] for g in groups] == [
        "slokit-period-api-fast",
        "slokit-api-fast",
        "slokit-period-api-not-slow",
        "slokit-api-not-slow",
    ]
    ratio = next(r for r in groups[3]["rules"] if r.get("record") == "slokit:error_ratio:rate5m")
    assert ratio["labels"]["slokit_objective"] == "not slow"
    assert 'le=~"1(\\\\.0*)?"' in ratio["expr"]
    assert 'slokit_objective="not slow"' in groups[3]["rules"][-2]["expr"]


def test_calendar_window_is_a_rolling_window_of_its_average_length_with_a_note() -> None:
    text = _slo("api", EVENTS).replace(
        "timeWindow: [{duration: 30d, isRolling: true}]",
        "timeWindow: [{duration: 1M, isRolling: false,"
        " calendar: {startTime: '2024-01-01 00:00:00', timeZone: UTC}}]",
    )
    result = native_groups(load(text))
    assert any("calendar window" in note and "30d10h29m6s" in note for note in result.notes)
    rules = _rules(result.groups)
    assert rules["slokit:period:seconds"]["expr"] == "vector(2629746)"
    assert rules["slokit:error_ratio:period"]["labels"]["slokit_period"] == "30d10h29m6s"


def test_unbalanced_promql_is_reported_with_its_place_and_nothing_is_written(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        _slo("api", EVENTS.replace("[{{window}}]))'}}\n        total", "[{{window}}])'}}\n        total"))
    )
    out = tmp_path / "rules.yml"
    result = CliRunner().invoke(cli, ["generate", "prometheus", str(spec), "-o", str(out)])
    assert result.exit_code == 1
    assert "spec.indicator.spec.ratioMetric.bad.metricSource.spec.query" in result.output
    assert "is never closed" in result.output
    assert not out.exists()


def test_spec_without_prometheus_bindings_says_so_in_one_line() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "mtogo"
    result = CliRunner().invoke(cli, ["generate", "prometheus", str(examples)])
    assert result.exit_code == 1
    message = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert f"none of its {len(load(examples).slos)} SLOs has an SLI bound to type: prometheus" in message
    assert message.count("\n") <= 2


def test_cli_policy_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["generate", "prometheus", str(CHECKOUT), "--policy", "nope"])
    assert result.exit_code == 2 and "no built-in policy" in result.output and "classic" in result.output
    sloth = DATA.parent / "sloth"
    spec = next(iter(sorted(sloth.rglob("*.y*ml"))))
    result = runner.invoke(
        cli, ["generate", "prometheus", "--format", "sloth", str(spec), "--policy", "classic"]
    )
    assert result.exit_code == 2 and "--format sloth" in result.output
    broken = tmp_path / "team.yaml"
    broken.write_text("tiers:\n  - {severity: page, long: 1h, short: 2h, factor: 14.4}\n")
    result = runner.invoke(cli, ["generate", "prometheus", str(CHECKOUT), "--policy", str(broken)])
    assert result.exit_code == 1 and "tiers[0].short" in result.output


POLICY = """\
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: fast-burn}
spec:
  conditions:
    - kind: AlertCondition
      metadata: {name: fast}
      spec:
        severity: page
        condition: {kind: burnrate, op: gte, threshold: 10, lookbackWindow: 2h, alertAfter: 5m}
  notificationTargets: [{targetRef: oncall}]
---
apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata: {name: oncall}
spec: {target: pagerduty}
"""


def test_openslo_alert_policy_is_honoured_as_the_evaluator_does() -> None:
    """An SLO's own AlertPolicy gives its alerts (threshold 10 over 2 h, short 2 h / 12 = 10 m,
    for 5 m); in a spec with alert policies an SLO that uses none gets no burn alerts."""
    with_policy = _slo("api", EVENTS, extra="").replace(
        "  budgetingMethod", "  alertPolicies: [{alertPolicyRef: fast-burn}]\n  budgetingMethod"
    )
    other = _slo("web", EVENTS).split("---\n", 1)[1]
    spec = load(with_policy + "---\n" + other + POLICY)
    result = native_groups(spec)
    alerts = [r for g in result.groups for r in g["rules"] if r.get("alert") == "SLOErrorBudgetBurn"]
    assert len(alerts) == 1
    (alert,) = alerts
    assert 'slokit_slo="api"' in alert["expr"]
    assert alert["for"] == "5m"
    assert (alert["labels"]["slokit_long_window"], alert["labels"]["slokit_short_window"]) == ("2h", "10m")
    assert alert["annotations"]["slokit_rule"] == "fast-burn"
    # the default evaluation (traffic-aware for a 30-day period) with the condition's factor
    assert alert["expr"].startswith(
        'slokit:budget_burn:rate2h{slokit_service="shop",slokit_slo="api"} >= 10\n'
    )
    share = 10 * 7200 / (30 * 86400)  # factor · long / period
    assert f"ceil({share!r} * slokit:allowed_bad_events:period" in alert["expr"]
    assert any("'web': no burn-rate alerts" in n for n in result.notes)
    # --policy default ignores the spec's policies, as slokit backtest's built-in does
    default = native_groups(spec, NativeOptions(settings=settings_named("default")))
    assert sum(r.get("alert") == "SLOErrorBudgetBurn" for g in default.groups for r in g["rules"]) == 8


def test_settings_file_per_service_and_one_day_period(tmp_path: Path) -> None:
    """A settings file switches the evaluation per service; a 1-day SLO gets the scaled windows
    of docs/alerting.md (2m/1m at 14.4, 12m/1m at 6, 48m/4m at 3, 144m/12m at 1) and, its period
    being under 7 days, window ratios with the budget-aware guard."""
    settings = tmp_path / "team.yaml"
    settings.write_text("services:\n  shop: {trafficAware: false, budgetGuard: false, minBadEvents: 4}\n")
    classic = native_groups(load(_slo("api", EVENTS)), NativeOptions(settings=load_settings(settings)))
    expr = _rules(classic.groups)["SLOErrorBudgetBurn/1h"]["expr"]
    assert "budget_burn" not in expr and expr.rstrip().endswith(">= 4")
    day = _rules(_groups(_slo("api", EVENTS, window="1d")))
    shapes = {
        (r["labels"]["slokit_long_window"], r["labels"]["slokit_short_window"]): re.findall(
            r">= \(([0-9.e+-]+) \* 0\.001\)", r["expr"]
        )[0]
        for k, r in day.items()
        if k.startswith("SLOErrorBudgetBurn/")
    }
    assert {k: float(v) for k, v in shapes.items()} == pytest.approx(
        {("2m", "1m"): 14.4, ("12m", "1m"): 6.0, ("48m", "4m"): 3.0, ("2h24m", "12m"): 1.0}
    )
    guard = day["SLOErrorBudgetBurn/2m"]["expr"]
    assert "clamp_min(ceil(0.02 * slokit:allowed_bad_events:period" in guard
    # the estimate spans the period (a day), not a week
    assert "[23h59m59s]" in day["slokit:allowed_bad_events:period"]["expr"]
