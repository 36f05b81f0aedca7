"""``slokit report``: the state of every SLO at an instant, from the embedded store or Prometheus.

This module reads flags and prints; the numbers come from :mod:`slokit.sources.status` and the
renderings from :mod:`slokit.exporters.report`.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import click

from slokit.cli.common import load_spec, open_store_read_only, parse_at
from slokit.cli.output import emit, output_option
from slokit.errors import SlokitError, UsageError
from slokit.exporters.report import TABLE_COLUMNS, report_json, report_markdown, table_rows
from slokit.sources.status import DEFAULT_BURN_WINDOWS, SLOState, burn_windows, evaluate_all, window_label
from slokit.spec.durations import parse_duration
from slokit.spec.model import SLO


@click.command(
    "report",
    epilog="""\b
Examples:
  slokit report examples/mtogo --store mtogo.duckdb
  slokit report examples/mtogo --store mtogo.duckdb --at 2026-03-01T12:00:00Z --output json
  slokit report examples/cnc-quote --store cnc.duckdb --slo cnc-api-error-rate --output markdown
  slokit report slos/ --source prometheus --prometheus-url http://127.0.0.1:9090 --output json
  slokit report slos/ --source prometheus --prometheus-url http://127.0.0.1:9090 --windows 1h,6h,1d
""",
)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--store", "store_path", default=None, type=click.Path(), help="The store file (slokit ingest)."
)
@click.option(
    "--source",
    type=click.Choice(["store", "prometheus"]),
    default="store",
    show_default=True,
    help="Where the numbers come from: the embedded store, or a Prometheus-compatible query API.",
)
@click.option("--prometheus-url", default=None, help="[prometheus] Base URL, e.g. http://127.0.0.1:9090.")
@click.option(
    "--header", "headers", multiple=True, metavar="K=V", help="[prometheus] HTTP header (repeatable)."
)
@click.option(
    "--bearer-token-env",
    default=None,
    metavar="VAR",
    help="[prometheus] Read a bearer token from this variable.",
)
@click.option("--timeout", default=30.0, show_default=True, help="[prometheus] Seconds per HTTP request.")
@click.option(
    "--at",
    "at_text",
    default="now",
    show_default=True,
    help="Evaluation instant (ISO 8601; without an offset it is UTC), floored to the minute.",
)
@click.option("--slo", "slo_names", multiple=True, help="Only this SLO (repeatable).")
@click.option(
    "--windows",
    "windows_text",
    default=None,
    metavar="LIST",
    help="Only these burn-rate windows, e.g. 1h,6h,1d, among the default 5m,30m,1h,2h,6h,1d,3d and "
    "the alert policies' windows (1h and 1d are always included: status and forecast use them).",
)
@output_option("markdown")
def report(
    paths: tuple[str, ...],
    store_path: str | None,
    source: str,
    prometheus_url: str | None,
    headers: tuple[str, ...],
    bearer_token_env: str | None,
    timeout: float,
    at_text: str,
    slo_names: tuple[str, ...],
    windows_text: str | None,
    output: str,
) -> None:
    """The state of every SLO: SLI, error budget, burn rates, percentiles, status and forecast.

    Rolling windows end at the instant; a calendar window counts the events so far (the budget
    of the events seen since it began, not a projection), and the output says so.
    Exit 0 when the report was produced, 1 when the spec or the store is unusable (with
    --source prometheus: also when the engine was unreachable; the report is printed first).
    """
    at = parse_at(at_text)
    windows = None if windows_text is None else parse_windows(windows_text)
    spec = load_spec(paths, slo_names)
    if windows is not None:
        check_windows(windows, [spec.slo(n) for n in slo_names] if slo_names else list(spec))
    if source == "prometheus":
        from slokit.cli.prometheus_source import prometheus_states

        if store_path is not None:
            raise UsageError("--store and --source prometheus exclude each other: choose one source")

        states, problem = prometheus_states(
            spec, prometheus_url, headers, bearer_token_env, timeout, at.astimezone(UTC), slo_names, windows
        )
    else:
        if store_path is None:
            raise UsageError("--store FILE is required (or --source prometheus --prometheus-url URL)")
        with open_store_read_only(store_path) as store:
            states = evaluate_all(spec, store, at.astimezone(UTC), list(slo_names) or None)
        if windows is not None:
            from slokit.sources.prom_counts import chosen_windows, keep_burn_windows

            keep = chosen_windows(windows)
            states = [
                replace(s, groups=tuple(keep_burn_windows(s.groups, keep)))
                for s in keep_burn_windows(states, keep)
            ]
        problem = None
    _print(states, output, at)
    if problem is not None:
        raise SlokitError(problem)


def parse_windows(text: str) -> tuple[int, ...]:
    """``"1h,6h,1d"`` -> seconds; each a whole number of minutes, not a calendar unit."""
    out: list[int] = []
    for part in text.split(","):
        try:
            found = parse_duration(part.strip(), "mhdw")
        except ValueError as exc:
            raise UsageError(f"--windows {part.strip()!r}: {exc}") from None
        out.append(found.seconds)
    return tuple(sorted(set(out)))


def check_windows(windows: Sequence[int], slos: Sequence[SLO]) -> None:
    """Every chosen window must be one the report computes (the defaults and the alert windows)."""
    known = sorted(set(DEFAULT_BURN_WINDOWS).union(*(burn_windows(s) for s in slos)))
    unknown = [w for w in windows if w not in known]
    if unknown:
        raise UsageError(
            f"--windows {', '.join(window_label(w) for w in unknown)}: the report computes burn rates over "
            f"{', '.join(window_label(w) for w in known)} (the defaults and the SLOs' alert windows); "
            "choose among these"
        )


def _print(states: list[SLOState], output: str, at: datetime) -> None:
    if output == "markdown":
        sys.stdout.write(report_markdown(states))
        return
    data = report_json(states)
    at_utc = datetime.fromtimestamp(math.floor(at.timestamp() / 60) * 60, UTC)
    # the table has a row per group too: say how many of its rows are groups, not SLOs
    groups = sum(len(s.groups) for s in states)
    title = f"{len(states)} SLOs{f', {groups} groups' if groups else ''} at {at_utc:%Y-%m-%d %H:%M}Z"
    emit(data, output, TABLE_COLUMNS, title=title, rows=table_rows(states))
