"""``slokit budget``: the error budget a target allows, as time and as events.

Two uses: an ad-hoc target (``--target 99.9 --window 1M``) to see what a promise costs, and a
spec (``slokit budget PATH``) to see every SLO's budget side by side. The arithmetic lives in
:mod:`slokit.engine.allowance` and :mod:`slokit.engine.windows`; this module only reads flags
and prints.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from slokit.cli.output import console, emit, output_option
from slokit.engine.allowance import (
    allowed_bad_events,
    allowed_bad_fraction,
    allowed_bad_seconds,
    allowed_bad_slices,
    format_seconds,
    period_table,
    target_fraction,
)
from slokit.engine.windows import DEFAULT_ANCHOR, Window, elapsed_fraction, window_at
from slokit.errors import UsageError
from slokit.spec.durations import AVERAGE_MONTH_SECONDS, Duration, parse_duration

LENGTH_NOTES = {
    "exact": "exact length",
    "average": "Gregorian average (1 month = 30.436875 days); give --at for a specific one",
    "nominal": "nominal length (days of 24 h); give --at for the exact window, DST included",
}


def parse_target(text: str) -> float:
    """``99.9``, ``99.9%`` and ``0.999`` all mean 0.999: values above 1, or with ``%``, are percents."""
    raw = text.strip()
    is_percent = raw.endswith("%")
    number_text = raw.removesuffix("%").strip()
    try:
        number = Decimal(number_text)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a number; write e.g. 99.9, 99.9% or 0.999") from None
    if not number.is_finite():
        raise ValueError(f"'{text}' is not a number; write e.g. 99.9, 99.9% or 0.999")
    fraction = number / 100 if is_percent or number > 1 else number
    if fraction >= 1:
        raise ValueError(
            f"a target must be below 100 % (100 % allows no errors at all), got {text}; e.g. 99.9"
        )
    if fraction <= 0:
        raise ValueError(f"a target must be above 0 %, got {text}")
    return float(fraction)


def percent_text(target: float) -> str:
    """0.999 -> '99.9 %' using the decimal the target was written as."""
    return f"{float(target_fraction(target) * 100):.10g} %"


def parse_instant(text: str, zone: ZoneInfo) -> datetime:
    """ISO 8601 date or date-time; without an offset it is a wall time in ``zone``; 'now' is now."""
    if text.strip().lower() == "now":
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"'{text}' is not an ISO 8601 date or time; write e.g. 2024-02-10 or 2024-02-10T13:00:00+01:00"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=zone)


def parse_zone(text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone '{text}'; use an IANA name such as UTC or Europe/Copenhagen"
        ) from None


def window_summary(window: Window, target: float, at: datetime | None) -> dict[str, Any]:
    """Length and allowed bad time of ``window``: the exact window at ``at``, else a stated nominal length."""
    duration = window.duration
    data: dict[str, Any] = {
        "duration": str(duration),
        "kind": "rolling" if window.rolling else "calendar",
        "time_zone": window.time_zone,
        "description": _describe(duration, window.rolling),
    }
    if at is not None:
        bounds = window_at(window, at)
        seconds = bounds.seconds
        data.update(
            length="exact",
            start=bounds.start.isoformat(),
            end=bounds.end.isoformat(),
            elapsed_fraction=None if window.rolling else elapsed_fraction(window, at),
        )
    else:
        seconds = duration.nominal_seconds
        if duration.is_calendar:
            data["length"] = "average"
        else:
            data["length"] = "nominal" if not window.rolling and duration.unit in "dw" else "exact"
    allowed = allowed_bad_seconds(target, seconds)
    data.update(
        length_seconds=seconds,
        length_days=seconds / 86400,
        allowed_bad_seconds=allowed,
        allowed_bad_minutes=allowed_bad_seconds(target, seconds / 60),
        allowed_bad_time=format_seconds(allowed),
    )
    return data


def _describe(duration: Duration, rolling: bool) -> str:
    if rolling:
        return f"{duration.describe()} rolling"
    return duration.describe() if duration.is_calendar else f"{duration.describe()} calendar-aligned"


def _events(target: float, events: int | None) -> dict[str, Any] | None:
    if events is None:
        return None
    allowance = allowed_bad_events(target, events)
    return {
        "valid": allowance.valid,
        "allowed_bad_events": allowance.allowed_bad,
        "whole_bad_events": allowance.whole_bad,
    }


def ad_hoc_report(target: float, window: Window, at: datetime | None, events: int | None) -> dict[str, Any]:
    """What ``slokit budget --target ... --window ...`` prints as JSON/YAML."""
    report: dict[str, Any] = {
        "target": target,
        "target_percent": float(target_fraction(target) * 100),
        "allowed_bad_fraction": allowed_bad_fraction(target),
        "window": window_summary(window, target, at),
        "periods": [
            {
                "period": period.name,
                "length": period.length,
                "length_seconds": period.seconds,
                "allowed_bad_seconds": seconds,
                "allowed_bad_time": format_seconds(seconds),
            }
            for period, seconds in period_table(target)
        ],
    }
    event_data = _events(target, events)
    if event_data is not None:
        report["events"] = event_data
    return report


def spec_report(path: Path, at: datetime | None, events: int | None) -> list[dict[str, Any]]:
    """One row per SLO objective of the spec at ``path``."""
    import slokit

    spec = slokit.load(path)
    rows: list[dict[str, Any]] = []
    for slo in spec:
        window = Window.of(slo.time_window)
        for index, objective in enumerate(slo.objectives):
            target = objective.target
            summary = window_summary(window, target, at)
            row: dict[str, Any] = {
                "service": slo.service,
                "slo": slo.name,
                "objective": objective.display_name or str(index),
                "target": target,
                "target_percent": float(target_fraction(target) * 100),
                "budgeting_method": slo.budgeting_method,
                "window": summary,
                "allowed_bad_fraction": allowed_bad_fraction(target),
                "allowed_bad_seconds": summary["allowed_bad_seconds"],
                "allowed_bad_time": summary["allowed_bad_time"],
            }
            if slo.budgeting_method != "Occurrences" and objective.time_slice_window is not None:
                slices = allowed_bad_slices(
                    target, summary["length_seconds"], objective.time_slice_window.nominal_seconds
                )
                row["slices"] = {
                    "slice": str(objective.time_slice_window),
                    "slices_in_window": slices.slices,
                    "allowed_bad_slices": slices.allowed_bad,
                    "whole_bad_slices": slices.whole_bad,
                }
            # Events are what Occurrences counts; Timeslices budgets slices, not events.
            event_data = _events(target, events) if slo.budgeting_method == "Occurrences" else None
            if event_data is not None:
                row["events"] = event_data
            rows.append(row)
    return rows


def _window_line(summary: dict[str, Any]) -> str:
    length = summary["length"]
    seconds = summary["length_seconds"]
    if length == "exact" and "start" in summary:
        span = f"{summary['start']} → {summary['end']}, {format_seconds(seconds)} ({seconds:,.0f} s)"
    else:
        span = f"{summary['length_days']:.10g} days = {seconds:,.10g} s, {LENGTH_NOTES[length]}"
    return (
        f"Window {summary['duration']} ({summary['description']}, {summary['time_zone']}): {span}\n"
        f"Allowed bad time in this window: [bold]{summary['allowed_bad_time']}[/bold]"
        f" ({summary['allowed_bad_minutes']:.1f} min, {summary['allowed_bad_seconds']:.6g} s)"
    )


def _say(text: str) -> None:
    """Prose lines are not wrapped: a number and its unit stay on one line for people and grep."""
    console().print(text, soft_wrap=True)


def _print_ad_hoc(report: dict[str, Any]) -> None:
    target = report["target"]
    _say(
        f"Target {percent_text(target)}: error budget {report['allowed_bad_fraction'] * 100:.10g} % "
        "of valid events (or of the window's time, for a full outage)."
    )
    summary = report["window"]
    _say(_window_line(summary))
    fraction = summary.get("elapsed_fraction")
    if fraction is not None:
        _say(
            f"{fraction * 100:.1f} % of this calendar window has passed at --at. slokit measures the "
            "budget over the events so far in the window; the time above is the whole window's allowance."
        )
    rows = [
        {
            "period": row["period"],
            "length": format_seconds(row["length_seconds"])
            + (" (average)" if row["length"] == "average" else ""),
            "time": row["allowed_bad_time"],
            "seconds": f"{row['allowed_bad_seconds']:.10g}",
        }
        for row in report["periods"]
    ]
    emit(
        report,
        "table",
        [("period", "Period"), ("length", "Length"), ("time", "Allowed bad time"), ("seconds", "Seconds")],
        title="Allowed bad time per period",
        rows=rows,
    )
    events = report.get("events")
    if events is not None:
        _say(
            f"Out of {events['valid']:,} valid events: {events['allowed_bad_events']:,.10g} may be bad; "
            f"the SLO holds with up to [bold]{events['whole_bad_events']:,}[/bold] bad events."
        )


def _slices_text(slices: dict[str, Any]) -> str:
    return f"{slices['whole_bad_slices']:,} of {slices['slices_in_window']:,.0f} × {slices['slice']}"


def _print_spec(rows: list[dict[str, Any]], events: int | None) -> None:
    short_length = {"exact": "", "average": " avg", "nominal": " nominal"}
    table_rows = []
    for row in rows:
        summary = row["window"]
        slices = row.get("slices")
        table_rows.append(
            {
                "service": row["service"],
                "slo": row["slo"],
                "objective": row["objective"],
                "target": percent_text(row["target"]),
                "window": f"{summary['duration']} {summary['kind']}, "
                f"{summary['length_days']:.4g} d{short_length[summary['length']]}",
                "time": row["allowed_bad_time"],
                "slices": None if slices is None else _slices_text(slices),
                "events": f"{row['events']['whole_bad_events']:,}" if "events" in row else None,
            }
        )
    columns = [
        ("service", "Service"),
        ("slo", "SLO"),
        ("objective", "Objective"),
        ("target", "Target"),
        ("window", "Window"),
        ("time", "Allowed bad time"),
    ]
    if any(r["slices"] is not None for r in table_rows):
        columns.append(("slices", "Bad slices (Timeslices)"))
    if events is not None:
        columns.append(("events", f"Bad of {events:,} events"))
    emit(rows, "table", columns, title="Error budget per SLO", rows=table_rows)
    if any(r["window"]["length"] == "average" for r in rows):
        _say(
            "avg: calendar months, quarters and years use the Gregorian average length "
            f"({AVERAGE_MONTH_SECONDS / 86400:g} days a month); give --at for the exact window."
        )


def _option_value(parse: Any) -> Any:
    """A click callback that turns our ValueError into click's exit-2 usage error."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None

    return callback


@click.command(
    "budget",
    epilog="""\b
Examples:
  slokit budget --target 99.9 --window 1M
      43m 50s a month (Gregorian average month of 30.436875 days), and per hour, day, ..., year
  slokit budget --target 99.95% --window 30d --events 2000000
      time allowed in 30 days, and how many of 2,000,000 events may fail
  slokit budget --target 0.999 --window 1M --at 2024-02-10 --time-zone Europe/Copenhagen
      the exact February 2024 window in Copenhagen (29 days)
  slokit budget examples/cnc-quote/ --output json
      every SLO of a spec with its allowed bad time

\b
Targets: 99.9, 99.9% and 0.999 are the same; numbers above 1 (or with %) are percents.
Windows: 5m 1h 1d 4w 30d are rolling unless --calendar; 1M 1Q 1Y are calendar periods.
Exit codes: 0 printed, 1 the spec PATH is not valid, 2 wrong usage (a bad --target, --window, --at).
""",
)
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--target", callback=_option_value(parse_target), help="Target: 99.9, 99.9% or 0.999.")
@click.option(
    "--window",
    "window_text",
    callback=_option_value(parse_duration),
    help="Window length: 30d, 4w, 1M (calendar month), 1Q, 1Y. Default 30d.",
)
@click.option(
    "--calendar",
    "calendar_aligned",
    is_flag=True,
    help="Treat a day/week window as calendar-aligned (matters with --at: DST days are 23/25 h).",
)
@click.option(
    "--at",
    "at_text",
    help="An instant (ISO 8601 or 'now'): use the exact window containing it instead of a nominal length.",
)
@click.option(
    "--time-zone",
    "zone_text",
    default="UTC",
    show_default=True,
    help="IANA time zone of calendar windows and of --at/--start without an offset.",
)
@click.option(
    "--start",
    "start_text",
    help="Calendar anchor (startTime) as a local date-time; default 2001-01-01 00:00, a Monday.",
)
@click.option(
    "--events",
    type=click.IntRange(min=0),
    help="Number of valid events in the window: also show how many may be bad.",
)
@output_option()
def budget(
    path: Path | None,
    target: float | None,
    window_text: Duration | None,
    calendar_aligned: bool,
    at_text: str | None,
    zone_text: str,
    start_text: str | None,
    events: int | None,
    output: str,
) -> None:
    """Error budget a target allows: bad time per window and per period, bad events.

    Give a target and a window, or a spec PATH (file or folder) to list every SLO's budget.
    """
    try:
        zone = parse_zone(zone_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--time-zone'") from None
    try:
        at = parse_instant(at_text, zone) if at_text is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--at'") from None

    if path is not None:
        if target is not None or window_text is not None or start_text is not None or calendar_aligned:
            raise UsageError(
                "with a spec PATH, targets and windows come from the spec: drop --target, --window, "
                "--start and --calendar (or drop PATH to compute an ad-hoc target)"
            )
        if not path.exists():
            raise UsageError(f"no such file or folder: {path}")
        rows = spec_report(path, at, events)
        if output == "table":
            _print_spec(rows, events)
        else:
            emit(rows, output)
        return

    if target is None:
        raise UsageError("give --target (e.g. --target 99.9 --window 1M) or a spec PATH")
    duration = window_text or parse_duration("30d")
    try:
        anchor = datetime.fromisoformat(start_text) if start_text is not None else DEFAULT_ANCHOR
    except ValueError:
        raise click.BadParameter(
            f"'{start_text}' is not an ISO 8601 date-time; write e.g. 2024-01-01 or '2024-01-01 09:00'",
            param_hint="'--start'",
        ) from None
    rolling = not duration.is_calendar and not calendar_aligned
    window = Window(duration, rolling=rolling, anchor=anchor, time_zone=zone.key)
    report = ad_hoc_report(target, window, at, events)
    if output == "table":
        _print_ad_hoc(report)
    else:
        emit(report, output)
