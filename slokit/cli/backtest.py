"""``slokit backtest``: replay stored history through alert policies and score them.

This module reads flags and prints; replay and scoring live in :mod:`slokit.alerting.backtest`,
the history in :mod:`slokit.alerting.measure`, the policies in :mod:`slokit.alerting.policy`.
"""

from __future__ import annotations

import math
from datetime import UTC
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from slokit.alerting.backtest import (
    DEFAULT_MIN_SHARE,
    Replayed,
    parse_incidents,
    rfc3339,
    run_backtest,
)
from slokit.alerting.measure import load_series, unmeasured
from slokit.alerting.policy import (
    BUILTIN,
    AlertSettings,
    alerting_slos,
    fitting_policy,
    load_settings,
    period_seconds,
)
from slokit.cli.budget import parse_instant
from slokit.cli.common import load_spec, open_store_read_only
from slokit.cli.output import console, emit, output_option
from slokit.errors import SlokitError, UsageError
from slokit.sources.store import Store
from slokit.spec.yamlnodes import read_text

COLUMNS = (
    ("policy", "Policy"),
    ("alerts", "Alerts"),
    ("precision", "Precision"),
    ("recall", "Recall"),
    ("detection", "Detection (mean)"),
    ("median", "(median)"),
    ("reset", "Reset"),
    ("budget", "Budget before detection"),
)
ALERT_COLUMNS = (
    ("policy", "Policy"),
    ("slo", "SLO"),
    ("rule", "Rule"),
    ("severity", "Severity"),
    ("start", "Start"),
    ("end", "End"),
    ("peak_burn", "Peak burn"),
)
DEFAULT_DAYS = 30


def _duration(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    s = round(seconds)
    sign = "-" if s < 0 else ""
    s = abs(s)
    if s < 3600:
        return f"{sign}{s // 60}m{s % 60:02d}s"
    return f"{sign}{s // 3600}h{s % 3600 // 60:02d}m"


def _ratio(x: float | None) -> str | None:
    return None if x is None else f"{x:.2f}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def replayed_text(r: Replayed) -> str:
    """``2 SLOs, 3 objectives, 4 groups (6 series)``: groups are not objectives, and a series
    (what alerts are evaluated on) is one objective of one group, so all four are said apart."""
    return (
        f"{_count(r.slos, 'SLO')}, {_count(r.objectives, 'objective')}, {_count(r.groups, 'group')} "
        f"({r.series} series)"
    )


def series_name(slo: str, group: str) -> str:
    """``checkout{route="/a"}`` as ``slokit report`` names a group's row, ``latency fast`` for an
    objective of several: alerts of two groups of one SLO must not read as the same series twice."""
    if not group:
        return slo
    return slo + group if group.startswith("{") else f"{slo} {group}"


def _instant(text: str, flag: str) -> float:
    try:
        return parse_instant(text, ZoneInfo("UTC")).astimezone(UTC).timestamp()
    except ValueError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def _data_end(store: Store) -> float | None:
    newest = [s["newest_minute"] for s in store.streams().values() if s["newest_minute"] is not None]
    return None if not newest else (max(int(n) for n in newest) + 1) * 60.0


@click.command(
    "backtest",
    epilog="""\b
Examples:
  slokit backtest examples/mtogo --store mtogo.duckdb --incidents sim/incidents.json
  slokit backtest examples/mtogo --store mtogo.duckdb --policy default --policy mine.yaml --output json
""",
)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--store", "store_path", required=True, type=click.Path(), help="The store file (slokit ingest)."
)
@click.option(
    "--from",
    "from_text",
    default=None,
    help=f"Start (ISO 8601, UTC without offset); default: {DEFAULT_DAYS} days before --to.",
)
@click.option(
    "--to", "to_text", default=None, help="End (ISO 8601); default: the newest minute in the store."
)
@click.option(
    "--incidents",
    "incidents_path",
    type=click.Path(),
    default=None,
    help="Ground truth: JSON list of {service, start, end}.",
)
@click.option(
    "--policy",
    "policy_names",
    multiple=True,
    help="A settings file or a built-in (configured, default, classic, default-traffic-aware, "
    "single-1h, pyrra); repeatable. Default: all six.",
)
@click.option(
    "--settings",
    "settings_path",
    type=click.Path(),
    default=None,
    help="Alert settings for the 'configured' policy.",
)
@click.option(
    "--min-incident-budget",
    "min_budget",
    type=click.FloatRange(0, 100),
    default=DEFAULT_MIN_SHARE * 100,
    show_default=True,
    help="Recall counts incidents that consumed at least this percent of the budget.",
)
@click.option("--alerts", "show_alerts", is_flag=True, help="Also list every alert (table output).")
@output_option()
def backtest(
    paths: tuple[str, ...],
    store_path: str,
    from_text: str | None,
    to_text: str | None,
    incidents_path: str | None,
    policy_names: tuple[str, ...],
    settings_path: str | None,
    min_budget: float,
    show_alerts: bool,
    output: str,
) -> None:
    """Replay history through alert policies; list every alert and score each policy.

    With --incidents each policy is scored on precision, recall, detection time, reset time and
    the budget consumed before detection (docs/alerting.md). Exit 0 when the backtest ran, 1
    when the spec, the store, the incidents or a settings file is unusable, 2 on wrong usage.
    """
    spec = load_spec(paths)
    configured = load_settings(settings_path) if settings_path else AlertSettings()
    chosen: dict[str, AlertSettings] = {}
    for name in policy_names or ("configured", *BUILTIN):
        if name == "configured":
            chosen[name] = configured
        elif name in BUILTIN:
            chosen[name] = BUILTIN[name]
        elif Path(name).is_file():
            s = load_settings(name)
            chosen[s.name if s.name not in chosen else name] = s
        else:
            raise UsageError(
                f"--policy {name!r}: no such file and no built-in policy of that name "
                f"(configured, {', '.join(BUILTIN)})"
            )
    incidents = None
    if incidents_path is not None:
        incidents = parse_incidents(read_text(Path(incidents_path), incidents_path), incidents_path)
    with open_store_read_only(store_path) as store:
        end = _instant(to_text, "--to") if to_text else _data_end(store)
        if end is None:
            raise SlokitError(f"the store {store_path} holds no events yet; ingest some first")
        start = _instant(from_text, "--from") if from_text else end - DEFAULT_DAYS * 86400
        if end <= start:
            to_said = f"--to {to_text}" if to_text else f"the newest data in the store ({rfc3339(end)})"
            raise UsageError(f"--from {rfc3339(start)} is not before {to_said}: give an earlier --from")
        slos = alerting_slos(spec, configured)
        policies = {name: [fitting_policy(slo, st) for slo in slos] for name, st in chosen.items()}
        warnings = list(dict.fromkeys(w for ps in policies.values() for p in ps for w in p.warnings))
        for warning in warnings[:3]:
            click.echo(f"slokit: {warning}", err=True)
        if len(warnings) > 3:
            click.echo(f"slokit: ... and {len(warnings) - 3} more warnings like these", err=True)
        # as far back as the live evaluator reads (windows, or the traffic estimate) so the
        # first replayed instants decide exactly as a live pass would
        longest = max(
            (
                p.history_seconds(period_seconds(slo))
                for ps in policies.values()
                for slo, p in zip(slos, ps, strict=True)
            ),
            default=0,
        )
        first_row = math.floor(start / 60) - longest // 60 - 1
        for note in unmeasured(spec, store, slos):
            click.echo(f"slokit: not replayed: {note}", err=True)
        # A spinner on a terminal (nothing when stderr is a pipe): a month of 1,000 SLOs takes a while.
        with console(stderr=True).status(f"backtest: {len(slos)} SLOs, {len(chosen)} policies …"):
            all_series = load_series(spec, store, slos, first_row, math.floor(end / 60) + 1)
            by_slo = {slo.name: i for i, slo in enumerate(slos)}
            per_series = {name: [ps[by_slo[s.slo]] for s in all_series] for name, ps in policies.items()}
            result = run_backtest(all_series, per_series, start, end, incidents, min_budget / 100)
    data = result.to_json()
    if output != "table":
        emit(data, output)
        return
    rows: list[dict[str, Any]] = []
    for name, alerts in result.alerts.items():
        sc = result.scores[name] if result.scores is not None else None
        rows.append(
            {
                "policy": name,
                "alerts": len(alerts),
                "precision": _ratio(sc.precision) if sc else None,
                "recall": _ratio(sc.recall) if sc else None,
                "detection": _duration(sc.detection_seconds) if sc else None,
                "median": _duration(sc.detection_median_seconds) if sc else None,
                "reset": _duration(sc.reset_seconds) if sc else None,
                "budget": None
                if sc is None or sc.budget_before_detection is None
                else f"{sc.budget_before_detection:.1%}",
            }
        )
    title = f"{replayed_text(result.replayed)}, {rfc3339(start)} to {rfc3339(end)}"
    emit(data, "table", COLUMNS, title=title, rows=rows)
    if incidents is not None and result.scores:
        any_score = next(iter(result.scores.values()))
        console().print(
            f"{any_score.incidents} incidents, {any_score.significant_incidents} of them consumed "
            f"≥ {min_budget:g} % of a budget (recall counts those)."
        )
        for name, sc in result.scores.items():
            if sc.missed:
                console().print(f"{name} missed: {', '.join(sc.missed)}")
    if show_alerts:
        alert_rows = [
            {
                **a.to_json(),
                "slo": series_name(a.slo, a.group),
                "start": rfc3339(a.start)[:16],
                "end": None if a.end is None else rfc3339(a.end)[:16],
            }
            for alerts in result.alerts.values()
            for a in alerts
        ]
        emit(alert_rows, "table", ALERT_COLUMNS, title="Alerts")
