"""``slokit simulate``: realistic events for the example platforms, with ground-truth incidents."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from slokit.cli.budget import parse_instant
from slokit.cli.output import console
from slokit.errors import SlokitError
from slokit.simulator.files import FORMATS, Format, write
from slokit.simulator.generate import simulation
from slokit.simulator.scenarios import SCENARIOS

#: The longest range one run generates; longer ranges are almost always a typo.
MAX_DAYS = 400


def default_end(now: datetime | None = None) -> datetime:
    """Midnight UTC of today: the default is the same all day, so reruns give the same bytes."""
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@click.command(
    "simulate",
    epilog="""\b
Examples:
  slokit simulate --example mtogo --days 3 --out sim/
  slokit simulate --example cnc-quote --days 7 --seed 7 --format jsonl --out sim-cnc/
  slokit simulate --example mtogo --days 1 --end 2026-03-01 --rate-scale 0.1 --out small/ --quiet

\b
Exit codes: 0 written, 1 the folder could not be written, 2 wrong usage.
""",
)
@click.option(
    "--example", type=click.Choice(sorted(SCENARIOS)), required=True, help="Which seed platform to simulate."
)
@click.option("--days", type=float, default=30.0, show_default=True, help="Length of the simulated range.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for one file per stream, incidents.json and manifest.json.",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Same seed, same bytes."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="parquet",
    show_default=True,
    help="File format: Parquet (columnar, fast to ingest) or JSON Lines (readable).",
)
@click.option(
    "--end",
    "end_text",
    metavar="TIME",
    help="End of the range (RFC 3339 or a date, UTC without an offset); default: today 00:00 UTC.",
)
@click.option(
    "--rate-scale",
    type=float,
    default=1.0,
    show_default=True,
    help="Multiply every request rate (not probes).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def simulate(
    example: str,
    days: float,
    out: Path,
    seed: int,
    fmt: Format,
    end_text: str | None,
    rate_scale: float,
    quiet: bool,
) -> None:
    """Generate realistic events for the example platforms.

    \b
    Writes OUT/<stream>.parquet (or .jsonl) for every event stream of the example, OUT/incidents.json
    (the injected incidents: service, start, end, kind, SLOs affected) and OUT/manifest.json.
    Timestamps are epoch milliseconds in the field `ts`; each file's name is its stream. Then:
      slokit ingest OUT/*.parquet --spec examples/mtogo --store slo.duckdb
      slokit report examples/mtogo --store slo.duckdb
    Progress goes to stderr; the summary of the files written to stdout.
    """
    if not 0 < days <= MAX_DAYS:
        raise click.BadParameter(
            f"must be more than 0 and at most {MAX_DAYS} days, got {days:g}", param_hint="'--days'"
        )
    if not 0 < rate_scale <= 1000:
        raise click.BadParameter(
            f"must be more than 0 and at most 1000, got {rate_scale:g}", param_hint="'--rate-scale'"
        )
    try:
        end = default_end() if end_text is None else parse_instant(end_text, UTC)  # type: ignore[arg-type]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--end'") from None
    if out.exists() and not out.is_dir():
        raise click.BadParameter(f"{out} exists and is not a folder", param_hint="'--out'")
    sim = simulation(SCENARIOS[example], int(end.timestamp() * 1000), days, seed, rate_scale)
    began = time.perf_counter()
    err = console(stderr=True)
    try:
        with Progress(
            TextColumn(f"simulating {example}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} chunks of 6 h"),
            TimeRemainingColumn(),
            console=err,
            disable=quiet,
            transient=True,
        ) as bar:
            task = bar.add_task("chunks", total=len(sim.chunks()))
            manifest = write(sim, out, fmt, lambda done, _total: bar.update(task, completed=done), example)
    except OSError as exc:
        raise SlokitError(f"cannot write to {out}: {exc.strerror or exc}") from None
    seconds = time.perf_counter() - began
    total = manifest["events"]
    click.echo(f"{example}: {total:,} events, {manifest['start']} .. {manifest['end']}, seed {seed} -> {out}")
    for info in manifest["streams"].values():
        click.echo(f"  {info['file']:<24} {info['events']:>12,}")
    click.echo(f"  {manifest['incidents']['file']:<24} {manifest['incidents']['count']:>12} incidents")
    if not quiet:
        err.print(f"{seconds:.1f} s, {total / max(seconds, 1e-9) / 1e6:.2f} M events/s")
        # The range ends before now, so a report at "now" finds its short burn-rate windows empty.
        err.print(
            f"next: slokit ingest {out}/*.{fmt} --spec examples/{example} --store slo.duckdb\n"
            f"      slokit report examples/{example} --store slo.duckdb --at {manifest['end']}",
            soft_wrap=True,
        )
