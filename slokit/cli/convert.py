"""``slokit convert``: Sloth specs to OpenSLO YAML.

The output file is written to a temporary file beside it and renamed into place, so a failed or
interrupted conversion never leaves a half-written spec where a valid one was expected. Missing
folders on the way to it are created (as every ``-o`` of slokit does).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import click

from slokit.errors import SlokitError, UsageError
from slokit.importers.sloth import (
    DEFAULT_PERIOD,
    PERIOD_UNITS,
    convert_sloth,
    convert_sloth_files,
    expand_paths,
)
from slokit.spec.dump import dump_documents
from slokit.spec.durations import parse_duration
from slokit.spec.yamlnodes import decode


@click.command(
    "convert",
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="""\b
Examples:
  slokit convert --from sloth --to openslo sloth/api.yaml
  slokit convert --from sloth sloth/api.yaml -o slos/api.yaml --period 28d
  slokit convert --from sloth sloth/ -o slos/all.yaml
  cat api.yaml | slokit convert --from sloth -

\b
Reads Sloth 'version: prometheus/v1' specs and 'sloth.slok.dev/v1'
PrometheusServiceLevel resources, one or several documents per file.
Folders are searched for .yml/.yaml files. Convert all files of a
service in one run: each output defines its services, so outputs
converted separately clash when loaded together.
Sloth's alerting settings are kept as sloth.slok.dev/... annotations
(see docs/sloth.md). Exit codes: 0 converted, 1 the input is not a valid
Sloth spec (every problem is listed with file:line:column), 2 wrong usage.""",
)
@click.argument("files", metavar="FILE...", nargs=-1, required=True)
@click.option(
    "--from",
    "source_format",
    type=click.Choice(["sloth"]),
    required=True,
    help="Format of FILE.",
)
@click.option(
    "--to",
    "target_format",
    type=click.Choice(["openslo"]),
    default="openslo",
    show_default=True,
    help="Format to write.",
)
@click.option(
    "-o",
    "--out",
    "out",
    metavar="OUT",
    default=None,
    help="Write to this file instead of standard output (replaced atomically; missing folders are created).",
)
@click.option(
    "--period",
    default=DEFAULT_PERIOD,
    show_default=True,
    help="SLO period (rolling window) for every SLO; Sloth takes it from a flag, not the spec.",
)
def convert(
    files: tuple[str, ...], source_format: str, target_format: str, out: str | None, period: str
) -> None:
    """Convert SLOs from another format (Sloth) to OpenSLO v1 YAML.

    FILE is a Sloth spec file, a folder of them, or '-' for standard input; all FILEs are
    converted into one OpenSLO spec.
    """
    del source_format, target_format  # one choice each for now; the flags keep scripts explicit
    try:
        parse_duration(period, PERIOD_UNITS)
    except ValueError as exc:
        raise UsageError(f"--period {period!r}: {exc}") from None
    if "-" in files:
        if len(files) > 1:
            raise UsageError("'-' (standard input) cannot be combined with other FILEs")
        text = decode(sys.stdin.buffer.read(), "<stdin>")
        conversion = convert_sloth(text, period=period, source_name="<stdin>")
    else:
        for file in files:
            path = Path(file)
            if not path.exists():
                raise UsageError(f"FILE {file!r} does not exist")
            if path.is_dir() and not expand_paths([path]):
                raise UsageError(f"folder {file!r} holds no .yml or .yaml files")
        conversion = convert_sloth_files(files, period=period)
    for warning in conversion.warnings:
        click.secho(warning.format(), fg="yellow", err=True)
    text = dump_documents(conversion.documents)
    if out is None or out == "-":
        sys.stdout.write(text)
        return
    _write_atomically(output_file(out), text)
    count = sum(1 for d in conversion.documents if d["kind"] == "SLO")
    click.echo(f"wrote {count} SLO{'s' if count != 1 else ''} to {out}", err=True)


def output_file(out: str, flag: str = "-o") -> Path:
    """The file ``flag`` names. A name ending in a slash means a folder, which would otherwise be
    taken silently as a file of that name."""
    if out.endswith(("/", os.sep)):
        raise UsageError(f"{flag} {out}: names a folder; give the path of the file to write")
    return Path(out)


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file in the target's folder, then rename it over ``path``.

    Missing folders on the way are created, as ``import doc -o`` and ``generate grafana -o`` do,
    and removed again when the write fails, so a failed run leaves nothing behind. An existing
    folder at ``path``, or a regular file where a folder is needed, is a usage error (exit 2).
    """
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(
            f"cannot write {str(path)!r}: it is a folder; give the path of the file to write in it"
        )
    lineage = [folder, *folder.parents]
    missing = [p for p in lineage if not p.exists()]  # deepest first, each a folder to create
    blocker = next((p for p in lineage if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise UsageError(
            f"cannot write {str(path)!r}: {str(blocker)!r} is a file, not a folder; "
            "choose another output path"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_empty(missing)
        raise SlokitError(
            f"cannot write {str(path)!r}: cannot create the folder {str(folder)!r}: "
            f"{exc.strerror or exc}; choose a writable folder"
        ) from None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        _remove_empty(missing)
        raise SlokitError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp_name, path.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_name, 0o666 & ~umask)
        os.replace(tmp_name, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        _remove_empty(missing)
        if isinstance(exc, OSError):
            raise SlokitError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
        raise


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders this write created (deepest first), if they are still empty."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()
