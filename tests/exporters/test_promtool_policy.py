"""Generated alert rules under ``promtool test rules``: the default policy's decisions, by hand.

Each case drives per-minute traffic of one 99.9 % / 30 d SLO through the rules ``slokit generate
prometheus`` writes, evaluated by promtool (Prometheus' own rule engine). The expected alerts are
worked out in each test's docstring from docs/alerting.md ("How the default evaluates a tier"):
a window's budget burn is its bad events over ``(1 − target) · Σvalid · w / span`` (the span: the
history since the first event here, all under a week), each window's own error ratio must be at
least ``min(factor, 1) · (1 − target)``, and the short window needs
``min(3, max(1, ⌈share · allowed⌉))`` bad events, ``allowed = (1 − target) · Σvalid / span · 30 d``.
The classic policy (window ratios, a fixed guard of 3) is run on the same input where the two
differ, so each case shows the difference it is about. The cross-check against slokit's own
backtest on a longer, noisier history is in test_prometheus_backtest_agree.py.

promtool evaluates every group at every step of ``evaluation_interval``; the cases use 5 minutes,
the tile length, so the tiles tile as in Prometheus (the outage case uses 1 minute to time the
page; its page tier reads raw windows only, see its docstring).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from slokit.cli.main import cli

SPEC = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: api
spec:
  service: shop
  budgetingMethod: Occurrences
  timeWindow: [{duration: 30d, isRolling: true}]
  objectives: [{target: 0.999}]
  indicator:
    metadata: {name: api-requests}
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: prometheus
            spec: {query: 'sum(increase(http_requests_total{code="500"}[{{window}}]))'}
        total:
          metricSource:
            type: prometheus
            spec: {query: 'sum(increase(http_requests_total[{{window}}]))'}
"""

PAGE_1H = ("page", "1h", "5m")
PAGE_6H = ("page", "6h", "30m")
TICKET_1D = ("ticket", "1d", "2h")
TICKET_3D = ("ticket", "3d", "6h")


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"integration: {name} is not installed (Debian package prometheus)")
    return path


def generate(spec: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["generate", "prometheus", str(spec), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def counters(valid: Sequence[int], bad: Sequence[int]) -> tuple[str, str]:
    """promtool values of the good and bad counters: row i's events are counted at minute i + 1."""
    v = np.asarray(valid, dtype=np.int64)
    b = np.asarray(bad, dtype=np.int64)
    good = np.concatenate(([0], np.cumsum(v - b)))
    failed = np.concatenate(([0], np.cumsum(b)))
    return " ".join(map(str, good.tolist())), " ".join(map(str, failed.tolist()))


def promtool_case(
    rules_text: str,
    valid: Sequence[int],
    bad: Sequence[int],
    expected: dict[int, set[tuple[str, str, str]]],
    tmp_path: Path,
    interval: str = "5m",
) -> subprocess.CompletedProcess[str]:
    """Run promtool test rules: at each minute of ``expected``, exactly those tiers fire.

    Labels and annotations of an expected alert are taken from its generated rule (promtool
    compares them all); which rules fire is what the case states.
    """
    promtool = tool("promtool")
    groups = yaml.safe_load(rules_text)["groups"]
    by_tier = {
        (r["labels"]["severity"], r["labels"]["slokit_long_window"], r["labels"]["slokit_short_window"]): r
        for g in groups
        for r in g["rules"]
        if r.get("alert") == "SLOErrorBudgetBurn"
    }
    good_values, bad_values = counters(valid, bad)
    checks = []
    for minute, tiers in sorted(expected.items()):
        exp = [
            {
                "exp_labels": {**by_tier[t]["labels"], "slokit_service": "shop", "slokit_slo": "api"},
                "exp_annotations": by_tier[t]["annotations"],
            }
            for t in sorted(tiers)
        ]
        checks.append({"eval_time": f"{minute}m", "alertname": "SLOErrorBudgetBurn", "exp_alerts": exp})
    test = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": interval,
        # tiles first: the windows that sum them read this step's tile
        "group_eval_order": [g["name"] for g in groups],
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": 'http_requests_total{code="200"}', "values": good_values},
                    {"series": 'http_requests_total{code="500"}', "values": bad_values},
                ],
                "alert_rule_test": checks,
            }
        ],
    }
    (tmp_path / "rules.yml").write_text(rules_text, encoding="utf-8")
    (tmp_path / "case.test.yml").write_text(yaml.safe_dump(test, sort_keys=False), encoding="utf-8")
    return subprocess.run(
        [promtool, "test", "rules", "case.test.yml"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )


def passes(done: subprocess.CompletedProcess[str]) -> bool:
    return done.returncode == 0 and "SUCCESS" in done.stdout


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "api.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def test_hard_outage_pages_one_minute_in(spec: Path, tmp_path: Path) -> None:
    """600 requests a minute for 2 h, then every request fails; 1-minute evaluation interval.

    At 121 m: Σvalid = 72 600 over 121 minutes, 600 a minute, so allowed(30 d) = 0.001 · 600 ·
    43 200 = 25 920 and an average 5 m window gets 3 bad events, an hour 36. The 5 m window holds
    600 bad (burn 200), the hour 600 (16.7): both ≥ 14.4; own ratios 0.2 and 0.017 ≥ 0.001; the
    guard is min(3, ⌈0.02 · 25 920⌉) = 3 ≤ 600. So page-1h fires one minute in (well within the
    2 minutes of issue 4). At 120 m nothing fails yet. (At this interval promtool re-records the
    tiles every minute, so only the page tier, whose windows are raw, is checked: the traffic
    estimate is a mean per tile, unchanged by the repetition.)
    """
    valid = [600] * 150
    bad = [0] * 120 + [600] * 30
    rules = generate(spec)
    groups = yaml.safe_load(rules)["groups"]
    # the 1-minute case checks the page tier only: keep the one alert
    for g in groups:
        g["rules"] = [
            r
            for r in g["rules"]
            if r.get("alert") != "SLOErrorBudgetBurn" or r["labels"]["slokit_long_window"] == "1h"
        ]
    text = yaml.safe_dump({"groups": groups}, sort_keys=False)
    done = promtool_case(text, valid, bad, {120: set(), 121: {PAGE_1H}}, tmp_path, interval="1m")
    assert passes(done), done.stdout + done.stderr


def _night(failure_minute: int) -> tuple[list[int], list[int]]:
    """12 h at 200 requests a minute, then a night of 1 a minute; one failure at ``failure_minute``."""
    valid = [200] * 720 + [1] * 180
    bad = [0] * 900
    bad[failure_minute] = 1
    return valid, bad


def test_single_failure_in_a_quiet_night_minute_stays_quiet(spec: Path, tmp_path: Path) -> None:
    """One failed request among one a minute at night, after a day of 200 a minute.

    At 800 m (the failure in the minute before): Σvalid = 144 080 over 800 minutes, 180.1 a
    minute; an average 5 m window gets 0.9 bad events, an hour 10.8: the failure burns 1.1 and
    0.09, far below 14.4 (and below every other tier's factor over its longer windows). The
    window ratios alone (1/5 over 5 m, 1/60 over an hour: ≥ 14.4 · 0.001) would page; the fixed
    guard of 3 keeps classic quiet, and classic without a guard pages, as the last run shows.
    The default stays quiet even with the guard off: the burn itself says the failure is small.
    """
    valid, bad = _night(799)
    quiet: dict[int, set[tuple[str, str, str]]] = {m: set() for m in (800, 805, 830, 860, 895)}
    for args in ((), ("--min-bad-events", "0"), ("--policy", "classic")):
        done = promtool_case(generate(spec, *args), valid, bad, quiet, tmp_path)
        assert passes(done), (args, done.stdout + done.stderr)
    # Window ratios without a guard: 1/5 and 1/60 page (≥ 0.0144). The other tiers' long windows
    # reach into the day (6 h: 1 of 56 080 requests, 1 d and 3 d: 1 of 144 080): quiet.
    naive = promtool_case(
        generate(spec, "--policy", "classic", "--min-bad-events", "0"), valid, bad, {800: {PAGE_1H}}, tmp_path
    )
    assert passes(naive), naive.stdout + naive.stderr


def _peak() -> tuple[list[int], list[int]]:
    """A day at 100 requests a minute, then a peak hour at 400 a minute with 5 failing each minute."""
    valid = [100] * 1440 + [400] * 60
    bad = [0] * 1440 + [5] * 60
    return valid, bad


def test_peak_hour_burn_under_the_classic_factor_pages(spec: Path, tmp_path: Path) -> None:
    """The case the default exists for: 1.25 % errors (12.5× the budget rate, under 14.4) in a
    peak hour at four times the usual traffic.

    At 1500 m: Σvalid = 168 000 over 1500 minutes (112 a minute), allowed(30 d) = 0.001 · 112 ·
    43 200 = 4838.4; the hour's 300 bad events spend 6.2 % of it (> 2 %). Average allowances:
    5 m 0.56, 30 m 3.36, 1 h 6.72, 2 h 13.44, 6 h 40.32, 1 d 161.28, 3 d (the 1500 minutes of
    history) 168.

    - page-1h: 25 / 0.56 = 44.6 and 300 / 6.72 = 44.6 ≥ 14.4; own ratios 0.0125 ≥ 0.001; guard
      min(3, ⌈96.8⌉) = 3 ≤ 25: fires.
    - page-6h: 300 / 40.32 = 7.4 and 150 / 3.36 = 44.6 ≥ 6; own ratios 300 / 54 000 and 0.0125:
      fires.
    - ticket-1d: 300 / 161.28 = 1.9 < 3: quiet.
    - ticket-3d: 300 / 168 = 1.8 and 7.4 ≥ 1; own ratios 300 / 168 000 = 0.0018 and 0.0056:
      fires.

    Classic: the hour's ratio 0.0125 < 14.4 · 0.001, 6 h 0.0056 < 0.006, 1 d 300 / 162 000 =
    0.0019 < 0.003: no page; 3 d 0.0018 and 6 h 0.0056 ≥ 0.001: only ticket-3d.
    """
    valid, bad = _peak()
    done = promtool_case(
        generate(spec), valid, bad, {1440: set(), 1500: {PAGE_1H, PAGE_6H, TICKET_3D}}, tmp_path
    )
    assert passes(done), done.stdout + done.stderr
    classic = promtool_case(
        generate(spec, "--policy", "classic"), valid, bad, {1440: set(), 1500: {TICKET_3D}}, tmp_path
    )
    assert passes(classic), classic.stdout + classic.stderr


def test_rare_stream_one_failure_beyond_the_page_share_alerts(spec: Path, tmp_path: Path) -> None:
    """A request every 10 minutes for a day, then one of them fails (at minute 1440).

    Σvalid = 145 over 1445 minutes; allowed(30 d) = 0.001 · 145 / 1445 · 43 200 = 4.34, so the one
    failure spends 23 % of the month's budget. Guard: min(3, max(1, ⌈0.02 · 4.34⌉)) = 1 for every
    tier. At 1445 m an average minute is allowed 1.0e-4 bad events: 5 m 0.0005 (burn 2000), 1 h
    0.006 (167), 30 m 0.003, 6 h 0.036 (28), 2 h 0.012, 1 d 0.144 (6.9), 3 d (the 1445 minutes of
    history) 0.1445 (6.9): every window burns above its factor; own ratios (1/1 over 5 m, 1/6 over
    an hour, 1/145 over the history) ≥ 0.001: all four tiers fire. Classic's guard of 3 keeps
    it quiet.
    """
    valid = [1 if m % 10 == 0 else 0 for m in range(1450)]
    bad = [0] * 1450
    bad[1440] = 1
    everything = {PAGE_1H, PAGE_6H, TICKET_1D, TICKET_3D}
    done = promtool_case(generate(spec), valid, bad, {1440: set(), 1445: everything}, tmp_path)
    assert passes(done), done.stdout + done.stderr
    classic = promtool_case(generate(spec, "--policy", "classic"), valid, bad, {1445: set()}, tmp_path)
    assert passes(classic), classic.stdout + classic.stderr


def test_promtool_check_rules_on_every_output(spec: Path, tmp_path: Path) -> None:
    """Every native output passes promtool check rules: default, classic, a settings file."""
    promtool = tool("promtool")
    settings = tmp_path / "team.yaml"
    settings.write_text("tiers:\n  - {severity: page, long: 2h, short: 10m, factor: 10, for: 2m}\n")
    outputs: dict[str, Any] = {
        "default": generate(spec),
        "classic": generate(spec, "--policy", "classic"),
        "settings": generate(spec, "--policy", str(settings)),
        "operator": generate(spec, "--format", "prometheus-operator"),
    }
    outputs["operator"] = yaml.safe_dump(
        {"groups": yaml.safe_load(outputs["operator"])["spec"]["groups"]}, sort_keys=False
    )
    for name, text in outputs.items():
        path = tmp_path / f"{name}.yml"
        path.write_text(text, encoding="utf-8")
        done = subprocess.run(
            [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, (name, done.stdout + done.stderr)
    team = yaml.safe_load(outputs["settings"])["groups"]
    alert = next(r for g in team for r in g["rules"] if r.get("alert") == "SLOErrorBudgetBurn")
    assert alert["for"] == "2m" and alert["labels"]["slokit_long_window"] == "2h"


def test_vmalert_accepts_both_policies(spec: Path, tmp_path: Path) -> None:
    """The VictoriaMetrics dialect of the default and classic rules passes vmalert -dryRun."""
    vmalert = shutil.which("vmalert")
    if vmalert is None:
        pytest.skip("integration: vmalert is not installed (Debian package victoria-metrics)")
    for policy in ("default", "classic"):
        path = tmp_path / f"{policy}.yml"
        path.write_text(generate(spec, "--dialect", "victoriametrics", "--policy", policy), encoding="utf-8")
        done = subprocess.run(
            [vmalert, "-dryRun", f"-rule={path}", "-loggerLevel=ERROR"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (policy, done.stdout + done.stderr)
