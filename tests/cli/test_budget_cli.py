"""``slokit budget``: the seed's numbers, target forms, exact windows, spec mode and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from slokit.cli.main import cli

# Gregorian average month by hand: 146,097 days per 400 years / 4,800 months = 30.436875 days.
AVERAGE_MONTH_SECONDS = 30.436875 * 86400


def run(*args: str) -> Result:
    # A wide terminal, so table cells are not folded and can be searched.
    return CliRunner().invoke(cli, ["budget", *args], catch_exceptions=False, env={"COLUMNS": "200"})


def run_json(*args: str) -> Any:
    result = run(*args, "--output", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize(("target", "minutes"), [("99.9", 43.8), ("99.95", 21.9)])
def test_cnc_seed_minutes_per_month(target: str, minutes: float) -> None:
    # The CNC seed: "99.9% (monthly) - maximum allowed downtime: 43.8 minutes/month", 99.95% -> 21.9.
    data = run_json("--target", target, "--window", "1M")
    window = data["window"]
    assert window["length"] == "average"
    assert window["length_seconds"] == AVERAGE_MONTH_SECONDS
    assert round(window["allowed_bad_seconds"] / 60, 1) == minutes
    assert round(window["allowed_bad_minutes"], 1) == minutes
    table = run("--target", target, "--window", "1M")
    assert table.exit_code == 0
    assert f"{minutes} min" in table.output
    assert "Gregorian average" in table.output


def test_table_shows_human_durations() -> None:
    out = run("--target", "99.9", "--window", "1M").output
    assert "43m 50s" in out  # 2,629.746 s
    assert "8h 45m 57s" in out  # year: 31,556.952 s
    assert "43m 12s" in out  # 30 days: 2,592 s


@pytest.mark.parametrize("form", ["99.9", "99.9%", "0.999", " 99.9 % "])
def test_target_forms_are_the_same(form: str) -> None:
    data = run_json("--target", form, "--window", "30d")
    assert data["target"] == 0.999
    assert data["allowed_bad_fraction"] == 0.001
    assert data["window"]["allowed_bad_seconds"] == pytest.approx(2592.0)


def test_small_percent_with_sign() -> None:
    assert run_json("--target", "0.5%", "--window", "1d")["target"] == 0.005


def test_period_table_by_hand() -> None:
    periods = {p["period"]: p for p in run_json("--target", "99.5", "--window", "7d")["periods"]}
    assert list(periods) == ["1h", "1d", "7d", "30d", "month", "quarter", "year"]
    assert periods["1h"]["allowed_bad_seconds"] == pytest.approx(18.0)
    assert periods["30d"]["allowed_bad_seconds"] == pytest.approx(12960.0)  # 3h 36m
    assert periods["30d"]["allowed_bad_time"] == "3h 36m"
    assert periods["quarter"]["length"] == "average"
    assert periods["quarter"]["length_seconds"] == 3 * AVERAGE_MONTH_SECONDS


def test_exact_month_at_an_instant() -> None:
    data = run_json(
        "--target", "99.9", "--window", "1M", "--at", "2024-02-10", "--time-zone", "Europe/Copenhagen"
    )
    window = data["window"]
    assert window["length"] == "exact"
    assert window["start"] == "2024-02-01T00:00:00+01:00"
    assert window["end"] == "2024-03-01T00:00:00+01:00"
    assert window["length_seconds"] == 29 * 86400
    assert window["allowed_bad_seconds"] == pytest.approx(2505.6)
    assert window["elapsed_fraction"] == pytest.approx(9 / 29)  # 9 whole days of 29 have passed


def test_calendar_day_across_dst() -> None:
    data = run_json(
        "--target", "99", "--window", "1d", "--calendar", "--at", "2024-10-27T12:00", "--time-zone",
        "Europe/Copenhagen",
    )  # fmt: skip
    assert data["window"]["length_seconds"] == 25 * 3600
    assert data["window"]["allowed_bad_seconds"] == pytest.approx(900.0)


def test_events() -> None:
    events = run_json("--target", "99.9", "--window", "30d", "--events", "1234567")["events"]
    # Largest b with (N - b) / N >= 0.999, i.e. 1000·b <= N: b = 1234.
    assert events == {
        "valid": 1234567,
        "allowed_bad_events": pytest.approx(1234.567),
        "whole_bad_events": 1234,
    }
    out = run("--target", "90", "--events", "10").output
    assert "up to 1 bad events" in out  # 1 - 0.9 in floats is 0.0999...; still 1 of 10


def test_yaml_output() -> None:
    result = run("--target", "99", "--window", "1Q", "--output", "yaml")
    assert result.exit_code == 0
    assert yaml.safe_load(result.output)["window"]["length_seconds"] == 3 * AVERAGE_MONTH_SECONDS


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "101"], "below 100 %"),
        (["--target", "100%"], "below 100 %"),
        (["--target", "1"], "below 100 %"),
        (["--target", "0"], "above 0 %"),
        (["--target", "-5"], "above 0 %"),
        (["--target", "abc"], "is not a number"),
        (["--target", "nan"], "is not a number"),
        (["--target", "99.9", "--window", "30x"], "is not a duration"),
        (["--target", "99.9", "--window", "0d"], "is not a duration"),
        (["--target", "99.9", "--time-zone", "Mars/Olympus"], "unknown time zone"),
        (["--target", "99.9", "--at", "yesterday-ish"], "ISO 8601"),
        (["--target", "99.9", "--start", "soon"], "ISO 8601"),
        (["--target", "99.9", "--events", "-1"], "--events"),
        (["--window", "1M"], "give --target"),
        ([], "give --target"),
    ],
)
def test_bad_flags_exit_2_with_a_clear_message(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_help_has_examples() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "slokit budget --target 99.9 --window 1M" in result.output
    assert "Examples" in result.output


SPEC = """\
apiVersion: openslo/v1
kind: Service
metadata:
  name: shop
spec:
  description: A web shop
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
spec:
  service: shop
  indicator:
    metadata:
      name: checkout-ok
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: slokit
            spec:
              stream: requests
              where: "route = '/checkout' AND status < 500"
        total:
          metricSource:
            type: slokit
            spec:
              stream: requests
              where: "route = '/checkout'"
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: available
      target: 0.995
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-uptime
spec:
  service: shop
  indicator:
    metadata:
      name: checkout-probe
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: slokit
            spec:
              stream: probes
              where: "ok = true"
        total:
          metricSource:
            type: slokit
            spec:
              stream: probes
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar:
        startTime: "2024-01-01 00:00:00"
        timeZone: Europe/Copenhagen
  budgetingMethod: Timeslices
  objectives:
    - displayName: up
      targetPercent: 99.9
      timeSliceTarget: 0.9
      timeSliceWindow: 1m
"""


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(SPEC)
    return path


def test_spec_rows(spec_file: Path) -> None:
    rows = {r["slo"]: r for r in run_json(str(spec_file), "--events", "1000")}
    avail = rows["checkout-availability"]
    assert (avail["service"], avail["objective"], avail["target"]) == ("shop", "available", 0.995)
    assert avail["window"]["length_seconds"] == 28 * 86400
    assert avail["allowed_bad_seconds"] == pytest.approx(0.005 * 28 * 86400)  # 12,096 s = 3h 21m 36s
    assert avail["allowed_bad_time"] == "3h 21m 36s"
    assert avail["events"]["whole_bad_events"] == 5
    uptime = rows["checkout-uptime"]
    assert uptime["target"] == 0.999
    assert uptime["window"]["length"] == "average"
    assert uptime["allowed_bad_seconds"] == pytest.approx(2629.746)
    assert "events" not in uptime  # Timeslices budgets slices, not events
    assert uptime["slices"]["slices_in_window"] == pytest.approx(AVERAGE_MONTH_SECONDS / 60)


def test_spec_rows_at_an_instant(spec_file: Path) -> None:
    rows = {r["slo"]: r for r in run_json(str(spec_file), "--at", "2024-03-15T12:00:00Z")}
    uptime = rows["checkout-uptime"]
    # March 2024 in Copenhagen: 31 days minus the spring-forward hour = 2,674,800 s = 44,580 minutes.
    assert uptime["window"]["length_seconds"] == 31 * 86400 - 3600
    assert uptime["slices"]["slices_in_window"] == 44580
    assert uptime["slices"]["whole_bad_slices"] == 44  # 0.1 % of 44,580 = 44.58
    table = run(str(spec_file), "--at", "2024-03-15T12:00:00Z")
    assert table.exit_code == 0
    assert "44 of 44,580 × 1m" in table.output
    assert "30.96 d" in table.output  # 2,674,800 s


def test_spec_mode_usage_errors(spec_file: Path, tmp_path: Path) -> None:
    assert run(str(spec_file), "--target", "99.9").exit_code == 2
    missing = run(str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 2
    assert "no such file" in missing.output


def test_invalid_spec_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.replace("target: 0.995", "target: 1.5"))
    result = run(str(bad))
    assert result.exit_code == 1
    assert "bad.yaml" in result.output
    assert "Traceback" not in result.output
