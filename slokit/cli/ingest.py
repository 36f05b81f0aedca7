"""``slokit ingest``: read event files into the embedded store, aggregated per SLO objective.

Each chunk of a file is one batch with a batch id made from the file's path, size and
modification time and the chunk's number, so running the same command twice on an unchanged
file counts its events once (the second run reports the chunks as duplicates). Standard input
(``-``) and pipes (``<(zcat x.gz)``) have no such identity: their batch ids are made from the
content of each chunk, so piping the same bytes twice counts them once, while overlapping but
different inputs are not merged.

Files (and standard input) may be compressed with gzip, bzip2 or zstd. A file that cannot be
read on (damaged compressed data, say) keeps the batches read before the damage, is reported
with the line where it broke, and the other files are still read; the exit code is then 1.

With ``--keep-raw DIR`` accepted events are also archived as Parquet, and objectives that
appeared in the spec after their stream already had events are first rebuilt from that archive
(the summary says, per objective, since when its numbers are complete).
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from slokit.cli.output import console, dump_json, emit, output_option
from slokit.errors import SlokitError, UsageError
from slokit.sources.bound import fields_needed
from slokit.sources.readers import (
    FORMATS,
    STDIN,
    STDIN_NAME,
    ErrorSink,
    UnreadableInput,
    is_readable,
    is_stream,
    read_events,
)
from slokit.sources.store import Store
from slokit.spec.durations import parse_duration

#: Rejected events and malformed lines listed one by one in the summary (the rest are counted).
SHOWN = 10


def _lateness(text: str) -> float | None:
    if text.lower() == "none":
        return None
    try:
        duration = parse_duration(text)
        return float(duration.seconds)
    except ValueError as exc:
        raise UsageError(f"--lateness {text!r}: {exc}; use a duration such as 48h or 7d, or none") from None


def _batch_prefix(path: str) -> str | None:
    if is_stream(path):
        return None  # batch ids come from each chunk's content (Chunk.digest)
    stat = os.stat(path)
    ident = f"{Path(path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha256(ident.encode()).hexdigest()[:20]


@click.command(
    "ingest",
    epilog="""\b
Examples:
  slokit ingest events.jsonl --stream orders --store slo.duckdb --spec slos/
  slokit ingest access.log --format nginx --stream web --store slo.duckdb --spec slos/ --keep-raw raw/
  slokit ingest access.log.1.gz access.log.2.zst --stream web --store slo.duckdb --spec slos/
  kubectl logs deploy/api | slokit ingest - --stream web --format envoy --store slo.duckdb --spec slos/
""",
)
@click.argument("files", nargs=-1, type=click.Path())
@click.option(
    "--stream",
    help="Event stream of the files (as named in the spec); default: each file's name. "
    "Required when reading standard input (-).",
)
@click.option(
    "--store", "store_path", required=True, type=click.Path(), help="Store file (created if missing)."
)
@click.option("--spec", "spec_path", required=True, type=click.Path(), help="SLO spec file or folder.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="Input format; auto: from the file name, else from the first line.",
)
@click.option("--keep-raw", type=click.Path(file_okay=False), help="Archive accepted events as Parquet here.")
@click.option("--strict", is_flag=True, help="Stop at the first malformed line instead of skipping it.")
@click.option(
    "--lateness",
    default="48h",
    show_default=True,
    help="Reject events this far behind the newest minute of the stream ('none' accepts any age).",
)
@output_option()
def ingest(
    files: tuple[str, ...],
    stream: str | None,
    store_path: str,
    spec_path: str,
    fmt: str,
    keep_raw: str | None,
    strict: bool,
    lateness: str,
    output: str,
) -> None:
    """Ingest events from JSON Lines, CSV, Parquet, nginx or Envoy access logs.

    FILES may be compressed (.gz, .bz2, .zst; recognised by their first bytes too); `-` reads
    standard input, which needs --stream, and --format unless its first line tells.
    Events are aggregated per minute for every SLO objective that reads the stream. Without
    --stream, each file's stream is its name without extension (orders.parquet → orders), as
    `slokit simulate` writes them. Exit code 0 when events were ingested, 1 when none could be,
    a file could not be read to its end (or --strict stopped), 2 on wrong usage.
    """
    from slokit import load

    if not files:
        raise UsageError("give at least one event file, e.g. slokit ingest events.jsonl --stream orders ...")
    if files.count(STDIN) > 1:
        raise UsageError("standard input (-) can be read only once per run")
    if STDIN in files and stream is None:
        raise UsageError(
            "standard input (-) has no file name to take a stream name from; give it with --stream, "
            "e.g. zcat access.log.gz | slokit ingest - --stream web --format nginx ..."
        )
    for path in files:
        if path != STDIN and Path(path).is_dir():
            raise UsageError(
                f"{path} is a folder; give the event files in it, e.g. {Path(path) / '*.parquet'}"
            )
        if not is_readable(path):
            raise UsageError(f"no such file: {path}")
    if Path(store_path).is_dir():
        raise UsageError(
            f"--store {store_path} is a folder; give the store file, "
            f"e.g. --store {Path(store_path) / 'slo.duckdb'}"
        )
    if not Path(spec_path).exists():
        raise UsageError(f"--spec {spec_path}: no such file or folder")
    lateness_seconds = _lateness(lateness)
    by_stream: dict[str, list[str]] = {}
    for path in files:
        by_stream.setdefault(stream or _stream_of(path), []).append(path)
    spec = load(spec_path)
    store = Store.open(store_path, raw_dir=keep_raw, lateness_seconds=lateness_seconds)
    summary = Summary()
    stopped: SlokitError | None = None
    try:
        bounds = store.register(spec)
        known = sorted({b.stream for b in bounds})
        unknown = [name for name in by_stream if name not in known]
        if unknown and keep_raw is None:
            raise SlokitError(
                f"no SLO in {spec_path} reads stream {', '.join(repr(u) for u in unknown)} (streams with "
                f"type: slokit SLIs: {', '.join(known) or 'none'}); nothing would be stored. Name the "
                "stream with --stream, or pass --keep-raw DIR to archive the events for SLIs added later."
            )
        if keep_raw is not None:
            summary.backfilled = {k: c.describe() for k, c in store.backfill(spec).items()}
        for name, paths in by_stream.items():
            bound = [b for b in bounds if b.stream == name]
            columns = None if keep_raw is not None else fields_needed(bound)
            stopped = _run(store, spec, tuple(paths), fmt, strict, summary, name, columns)
            coverage = store.coverage()
            summary.coverage.update({b.sli_key: coverage[b.sli_key].describe() for b in bound})
            if stopped is not None:
                break
        if summary.first_minute is not None:
            store.compact(summary.first_minute)
    finally:
        store.close()
    _print(summary, output)
    if stopped is not None:
        raise stopped
    if summary.unreadable:
        raise SlokitError(
            f"{len(summary.unreadable)} input(s) could not be read to the end; the events before "
            "the line named were ingested",
            [d for e in summary.unreadable for d in e.diagnostics[:1]],
        )
    if summary.accepted == 0 and (
        summary.duplicates < summary.batches or (summary.batches == 0 and summary.malformed)
    ):
        click.get_current_context().exit(1)  # nothing new could be ingested (an empty input is fine)


def _stream_of(path: str) -> str:
    name = Path(path).name
    for suffix in (".gz", ".gzip", ".bz2", ".zst", ".zstd"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    for suffix in (".parquet", ".jsonl", ".ndjson", ".json", ".csv", ".log", ".pq"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return Path(name).stem


class Summary:
    """Totals over every batch of one ``slokit ingest`` run."""

    def __init__(self) -> None:
        self.streams: dict[str, dict[str, Any]] = {}
        self.files: list[str] = []
        self.received = 0
        self.accepted = 0
        self.batches = 0
        self.duplicates = 0
        self.rejected: Counter[str] = Counter()
        self.rejection_examples: list[dict[str, Any]] = []
        self.malformed = 0
        self.malformed_examples: list[dict[str, Any]] = []
        self.unreadable: list[UnreadableInput] = []
        self.slis: dict[str, dict[str, Any]] = {}
        self.warnings: set[str] = set()
        self.unknown_stream = False
        self.first_minute: int | None = None
        self.coverage: dict[str, str] = {}
        self.backfilled: dict[str, str] = {}
        #: Grouped objectives (groupBy): groups first seen, and valid events of groups past the
        #: store's cap (counted in the objective overall only).
        self.groups_added: Counter[str] = Counter()
        self.group_overflow: Counter[str] = Counter()

    def to_dict(self) -> dict[str, Any]:
        return {
            "streams": self.streams,
            "files": self.files,
            "received": self.received,
            "accepted": self.accepted,
            "batches": self.batches,
            "duplicate_batches": self.duplicates,
            "rejected": dict(self.rejected),
            "rejection_examples": self.rejection_examples,
            "malformed_lines": self.malformed,
            "malformed_examples": self.malformed_examples,
            "unreadable": [_unreadable(e) for e in self.unreadable],
            "unknown_stream": self.unknown_stream,
            "slis": self.slis,
            "coverage": self.coverage,
            "backfilled": self.backfilled,
            "groups_added": dict(self.groups_added),
            "group_overflow": dict(self.group_overflow),
            "warnings": sorted(self.warnings),
        }


def _unreadable(error: UnreadableInput) -> dict[str, Any]:
    where = error.diagnostics[0].location if error.diagnostics else None
    return {
        "file": where.file if where else None,
        "line": where.line if where else None,
        "message": error.message,
    }


def _run(
    store: Store,
    spec: Any,
    files: tuple[str, ...],
    fmt: str,
    strict: bool,
    summary: Summary,
    stream: str,
    columns: frozenset[str] | None,
) -> SlokitError | None:
    total = None if any(is_stream(f) for f in files) else sum(os.path.getsize(f) for f in files)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    done_before = 0
    with progress:
        task = progress.add_task("ingesting", total=total)
        for path in files:
            name = STDIN_NAME if path == STDIN else path
            summary.files.append(name)
            sink = ErrorSink(strict=strict, keep=SHOWN)
            prefix = _batch_prefix(path)
            try:
                for number, chunk in enumerate(read_events(path, fmt, errors=sink, columns=columns)):
                    batch_id = f"{prefix}:{number}" if prefix else f"content:{number}:{chunk.digest}"
                    result = store.ingest(stream, chunk.table, spec=spec, batch_id=batch_id)
                    _add(summary, result, chunk.line_numbers, name)
                    progress.update(task, completed=done_before + chunk.position)
            except UnreadableInput as exc:
                _add_malformed(summary, sink)
                summary.unreadable.append(exc)
                if strict:
                    return exc
            except SlokitError as exc:
                _add_malformed(summary, sink)
                if strict:
                    return exc
                raise
            _add_malformed(summary, sink)
            if not is_stream(path):
                done_before += os.path.getsize(path)
                progress.update(task, completed=done_before)
    return None


def _add(summary: Summary, result: Any, lines: Any, path: str) -> None:
    summary.batches += 1
    summary.received += result.received
    per = summary.streams.setdefault(
        result.stream, {"received": 0, "accepted": 0, "rejected": 0, "duplicate_batches": 0, "unknown": False}
    )
    per["received"] += result.received
    if result.duplicate:
        summary.duplicates += 1
        per["duplicate_batches"] += 1
        return
    summary.accepted += result.accepted
    per["accepted"] += result.accepted
    per["rejected"] += int(sum(result.rejected.values()))
    per["unknown"] = per["unknown"] or result.unknown_stream
    summary.unknown_stream = summary.unknown_stream or result.unknown_stream
    summary.rejected.update(result.rejected)
    room = SHOWN - len(summary.rejection_examples)
    if room > 0 and result.rejected_index.size:
        for index, reason in result.rejections[:room]:
            summary.rejection_examples.append({"file": path, "line": int(lines[index]), "reason": reason})
    if result.minute_range is not None:
        low = result.minute_range[0]
        summary.first_minute = low if summary.first_minute is None else min(summary.first_minute, low)
    for key, s in result.per_sli.items():
        entry = summary.slis.setdefault(key, {"valid": 0, "good": 0, "invalid": Counter()})
        entry["valid"] += s.valid
        entry["good"] += s.good
        entry["invalid"].update(s.invalid)
        summary.warnings.update(s.warnings)
    summary.groups_added.update(getattr(result, "groups_added", None) or {})
    summary.group_overflow.update(getattr(result, "group_overflow", None) or {})


def _add_malformed(summary: Summary, sink: ErrorSink) -> None:
    summary.malformed += sink.count
    room = SHOWN - len(summary.malformed_examples)
    for d in sink.diagnostics[: max(room, 0)]:
        loc = d.location
        summary.malformed_examples.append(
            {"file": loc.file if loc else None, "line": loc.line if loc else None, "message": d.message}
        )
    sink.diagnostics.clear()
    sink.count = 0


def _print(summary: Summary, output: str) -> None:
    data = summary.to_dict()
    for entry in data["slis"].values():
        entry["invalid"] = dict(entry["invalid"])
    if output in ("json", "yaml"):
        if output == "json":
            sys.stdout.write(dump_json(data) + "\n")
        else:
            emit(data, output)
        return
    out = console()
    for name, per in summary.streams.items():
        dup = f", {per['duplicate_batches']} duplicate batch(es) skipped" if per["duplicate_batches"] else ""
        out.print(
            f"stream [bold]{name}[/bold]: {per['received']} events read, "
            f"{per['accepted']} accepted, {per['rejected']} rejected{dup}"
        )
        if per["unknown"]:
            out.print("  no SLO reads this stream: events were only archived (--keep-raw)")
    for reason, count in sorted(summary.rejected.items()):
        out.print(f"  rejected {reason}: {count}")
    for ex in summary.rejection_examples:
        out.print(f"    {ex['file']}:{ex['line']}: {ex['reason']}")
    if summary.malformed:
        out.print(f"  malformed lines skipped: {summary.malformed}")
        for ex in summary.malformed_examples:
            out.print(f"    {ex['file']}:{ex['line']}: {ex['message']}")
    for entry in data["unreadable"]:
        out.print(f"  [red]not read to the end[/red]: {escape(entry['message'])}", highlight=False)
    rows = [
        {
            "sli": key,
            "valid": entry["valid"],
            "good": entry["good"],
            "invalid": ", ".join(f"{k} {v}" for k, v in sorted(entry["invalid"].items())) or None,
            "coverage": summary.coverage.get(key),
        }
        for key, entry in sorted(data["slis"].items())
    ]
    if rows:
        emit(
            rows,
            "table",
            [
                ("sli", "SLO/objective"),
                ("valid", "valid"),
                ("good", "good"),
                ("invalid", "left out"),
                ("coverage", "data"),
            ],
        )
    for key, count in sorted(summary.groups_added.items()):
        out.print(f"  {escape(key)}: {count} new group{'s' if count != 1 else ''} (groupBy)", highlight=False)
    for key, count in sorted(summary.group_overflow.items()):
        out.print(
            f"[yellow]warning:[/yellow] {escape(key)}: {count} valid events of groups past the store's "
            "group cap count in the SLO overall only",
            highlight=False,
        )
    for warning in sorted(summary.warnings):
        out.print(f"[yellow]warning:[/yellow] {warning}")
