"""Rendering command results as a table for people or JSON/YAML for scripts.

Every command that prints results goes through :func:`emit`, so ``--output`` behaves the same
everywhere and JSON field names are the documented, stable ones.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import yaml

from slokit.errors import SlokitError

if TYPE_CHECKING:  # rich is imported where a table or console is made: JSON output never needs it
    from rich.console import Console

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "json", "yaml")


def output_option(*formats: str) -> Callable[[F], F]:
    """The ``--output`` flag; ``formats`` adds choices such as ``markdown``."""
    choices = list(FORMATS) + [f for f in formats if f not in FORMATS]
    return click.option(
        "--output",
        "output",
        type=click.Choice(choices),
        default="table",
        show_default=True,
        help="table for people; json or yaml for scripts (stable field names).",
    )


#: Width of tables written to a pipe or file: wide enough that no name is folded.
PIPE_WIDTH = 1000


def console(stderr: bool = False) -> Console:
    """A console for tables and messages.

    On a terminal tables fit its width. Into a pipe or file (``slokit list | grep checkout``)
    rich would fold cells at 80 columns and split names over lines, so there the width is
    unbounded unless COLUMNS says otherwise.
    """
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None
    if not stream.isatty() and "COLUMNS" not in os.environ:
        width = PIPE_WIDTH
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


def emit(
    data: Any,
    fmt: str,
    columns: Sequence[tuple[str, str]] = (),
    title: str | None = None,
    rows: Sequence[dict[str, Any]] | None = None,
) -> None:
    """Print ``data`` as JSON/YAML, or ``rows`` (default: ``data``) as a table of ``columns``.

    ``columns`` is a list of (key, header). Values are shown with ``str``; None shows as "-".
    """
    if fmt == "json":
        sys.stdout.write(dump_json(data) + "\n")
        return
    if fmt == "yaml":
        sys.stdout.write(dump_yaml(data))
        return
    from rich.table import Table

    table_rows = rows if rows is not None else data
    table = Table(title=title, show_lines=False, header_style="bold")
    for _, header in columns:
        table.add_column(header, overflow="fold")
    for row in table_rows:
        table.add_row(*("-" if row.get(key) is None else str(row.get(key)) for key, _ in columns))
    console().print(table)


def output_folder(path: str, flag: str = "-o") -> Path:
    """The folder ``flag`` names, created if missing; one that cannot be created is a clear error."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise SlokitError(f"{flag} {path}: is a file, not a folder; give a folder (it is created if missing)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SlokitError(
            f"{flag} {path}: cannot create the folder: {exc.strerror or exc}; choose a writable folder"
        ) from None
    return folder
