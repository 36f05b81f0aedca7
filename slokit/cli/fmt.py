"""``slokit fmt``: rewrite specs as canonical OpenSLO YAML."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from slokit.cli.validate import check_paths
from slokit.errors import UsageError
from slokit.spec.canonical import documents_by_file
from slokit.spec.dump import dump_documents
from slokit.spec.loader import TEXT_NAME, load_paths

_COMMENT_RE = re.compile(r"(^|\s)#")


def has_comments(text: str) -> bool:
    """Whether ``text`` has YAML comments (conservatively: a ``#`` after a space, outside quotes)."""
    for line in text.splitlines():
        quote: str | None = None
        for i, ch in enumerate(line):
            if quote:
                if ch == quote:
                    quote = None
            elif ch in "'\"" and (i == 0 or line[i - 1] in " :[{,-"):
                quote = ch
            elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
                return True
    return False


def canonical_texts(paths: tuple[str, ...]) -> dict[str, str]:
    """The canonical text of every file under ``paths``; raises SpecError if the spec is invalid."""
    spec, _ = load_paths(paths)
    return {name: dump_documents(docs) for name, docs in documents_by_file(spec).items() if name != TEXT_NAME}


@click.command(
    "fmt",
    epilog="""\b
Examples:
  slokit fmt slos/                 rewrite every spec file under slos/ in place
  slokit fmt --check slos/         exit 1 and list the files that are not canonical
  slokit fmt --stdout slo.yaml     print the canonical form, change nothing
""",
)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if any file is not canonical.")
@click.option(
    "--stdout", "to_stdout", is_flag=True, help="Print the canonical YAML instead of rewriting files."
)
@click.option("--drop-comments", is_flag=True, help="Rewrite files even though their comments will be lost.")
def fmt(paths: tuple[str, ...], check: bool, to_stdout: bool, drop_comments: bool) -> None:
    """Rewrite OpenSLO specs in canonical form: fixed key order, one object per document.

    The spec must be valid (see slokit validate). Formatting is idempotent and loads back into
    the same SLOs. YAML comments cannot be kept, so files with comments are left alone unless
    --drop-comments is given. openslo/v1alpha objects are written as openslo/v1. Exit code 0
    when done (with --check: when every file is canonical), 1 when a spec is not valid, a file
    with comments was left alone, or --check found files to rewrite, 2 on wrong usage.
    """
    check_paths(paths)
    if check and to_stdout:
        raise UsageError("--check and --stdout cannot be combined")
    texts = canonical_texts(paths)
    if to_stdout:
        for text in texts.values():
            sys.stdout.write(text)
        return
    changed = [name for name, text in texts.items() if Path(name).read_text(encoding="utf-8-sig") != text]
    if check:
        for name in changed:
            commented = has_comments(Path(name).read_text(encoding="utf-8-sig"))
            note = " (it has comments: fmt rewrites it only with --drop-comments)" if commented else ""
            click.echo(f"would reformat {name}{note}")
        click.echo(f"{len(changed)} of {len(texts)} files would be reformatted")
        if changed:
            click.get_current_context().exit(1)
        return
    skipped = 0
    for name in changed:
        path = Path(name)
        if has_comments(path.read_text(encoding="utf-8-sig")) and not drop_comments:
            click.echo(
                f"skipped {name}: it has comments, which fmt would drop (use --drop-comments)", err=True
            )
            skipped += 1
            continue
        path.write_text(texts[name], encoding="utf-8")
        click.echo(f"reformatted {name}")
    click.echo(f"{len(changed) - skipped} of {len(texts)} files reformatted")
    if skipped:
        click.get_current_context().exit(1)
