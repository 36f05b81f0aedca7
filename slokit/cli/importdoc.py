"""``slokit import doc`` and ``slokit lint doc``: Markdown SLO documents in, OpenSLO or findings out."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from slokit.cli.output import dump_json, dump_yaml, output_folder, output_option
from slokit.errors import SlokitError, SpecError, UsageError
from slokit.importers.markdown import MAX_BYTES, ParseResult, analyse
from slokit.spec.durations import parse_duration


def read_document(path: str) -> str:
    """The document's text; binary files, missing files and oversized files are clear errors."""
    file = Path(path)
    if file.is_dir():
        raise UsageError(f"{path} is a folder; give the Markdown document itself, e.g. {file / 'SLO.md'}")
    if not file.is_file():
        raise UsageError(f"no such file: {path}")
    size = file.stat().st_size
    if size > MAX_BYTES:
        raise SlokitError(
            f"{path}: {size // (1024 * 1024)} MB is too large for an SLO document "
            f"(the limit is {MAX_BYTES // (1024 * 1024)} MB); split it"
        )
    data = file.read_bytes()
    if b"\x00" in data[:65536]:
        raise SlokitError(f"{path}: this is binary data, not a Markdown document")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SlokitError(f"{path}: byte {exc.start} is not UTF-8; save the document as UTF-8 text") from None


def _analyse(path: str) -> ParseResult:
    return analyse(read_document(path))


def _window_default(text: str) -> tuple[str, bool]:
    try:
        duration = parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"--window-default: {exc}") from None
    return str(duration), not duration.is_calendar


def _echo_err(text: str) -> None:
    click.echo(text, err=True)


@click.group("import")
def import_group() -> None:
    """Import SLOs from other formats."""


@import_group.command(
    "doc",
    epilog="""\b
Examples:
  slokit import doc SLO.md                      OpenSLO YAML on stdout
  slokit import doc SLO.md -o slos/ --explain   one file per service, and how each field was read
  slokit import doc SLO.md --output json        the objectives as JSON
  slokit import doc SLO.md --bind prometheus    PromQL bindings instead of the embedded event store
""",
)
@click.argument("file", type=click.Path())
@click.option(
    "-o", "--out", "out_dir", type=click.Path(file_okay=False), help="Write one YAML file per service here."
)
@click.option(
    "--explain", is_flag=True, help="For each objective, the text it came from and how each field was read."
)
@click.option(
    "--output",
    "output",
    type=click.Choice(["openslo", "json", "yaml", "table"]),
    default="openslo",
    show_default=True,
    help="openslo: OpenSLO YAML; json/yaml: the objectives as data; table: a summary.",
)
@click.option(
    "--bind",
    type=click.Choice(["slokit", "prometheus"]),
    default="slokit",
    show_default=True,
    help="Data binding of the generated SLIs.",
)
@click.option(
    "--window-default",
    default="30d",
    show_default=True,
    help="Window for objectives whose document states none (30d rolling; 1M is a calendar month).",
)
def import_doc(
    file: str, out_dir: str | None, explain: bool, output: str, bind: str, window_default: str
) -> None:
    """Read the SLOs of a Markdown document (tables, bullets, sentences; several languages).

    Statements that are not objectives (alert thresholds, burn-rate rules, budget arithmetic,
    measured values, benchmarks, improvement targets) and statements that could not be read are
    listed on stderr, never silently dropped. Exit code 0 when SLOs were written, 1 when the
    document has no objectives or none can become an SLO, 2 on wrong usage (a missing FILE).
    """
    from slokit.importers.markdown.binding import build_documents

    default = _window_default(window_default)
    result = _analyse(file)
    if not result.objectives:
        raise SlokitError(
            f"{file}: no objectives found (looked for targets such as '99.9 %' and thresholds "
            "such as 'p95 < 400 ms' in tables, lists and sentences)"
        )
    explain_to_stdout = out_dir is not None
    for statement in result.skipped:
        _echo_err(
            f"{file}:{statement.line}: skipped ({statement.category}: {statement.reason}): "
            f"{statement.text[:120]}"
        )
    if explain:
        lines = []
        for obj in result.objectives:
            lines.append(
                f"{file}:{obj.source_line}: {obj.service} / {obj.name}  (confidence {obj.confidence:.2f})"
            )
            lines.append(f"    text: {obj.source_text[:200]}")
            lines.extend(f"    - {note}" for note in obj.explanation)
        click.echo("\n".join(lines), err=not explain_to_stdout)
    if output in ("json", "yaml"):
        data = [obj.to_dict() for obj in result.objectives]
        sys.stdout.write(dump_json(data) + "\n" if output == "json" else dump_yaml(data))
        return
    if output == "table":
        from slokit.cli.output import emit

        rows = [obj.to_dict() for obj in result.objectives]
        columns = [
            ("source_line", "line"),
            ("service", "service"),
            ("name", "name"),
            ("sli_kind", "kind"),
            ("target_percent", "target %"),
            ("op", "op"),
            ("threshold", "threshold"),
            ("unit", "unit"),
            ("percentile", "pct"),
            ("window", "window"),
            ("window_type", "type"),
            ("confidence", "conf"),
        ]
        emit(rows, "table", columns)
        return
    from slokit.spec.dump import dump_documents

    by_service, not_generated = build_documents(
        result.objectives,
        source=Path(file).name,
        bind="prometheus" if bind == "prometheus" else "slokit",
        window_default=default,
    )
    for item in not_generated:
        _echo_err(
            f"{file}:{item.objective.source_line}: not imported: '{item.objective.name}': {item.reason}"
        )
    if not by_service:
        raise SlokitError(
            f"{file}: none of the {len(result.objectives)} objectives can become an SLO (see above)"
        )
    texts = {service: dump_documents(docs) for service, docs in by_service.items()}
    _check_generated("".join(texts.values()))
    if out_dir is None:
        sys.stdout.write("".join(texts.values()))
        return
    target = output_folder(out_dir)
    for service, text in texts.items():
        (target / f"{service}.yaml").write_text(text, encoding="utf-8")
    count = sum(len(docs) - 1 for docs in by_service.values())
    services = len(texts)
    click.echo(
        f"wrote {count} SLO{'s' if count != 1 else ''} for {services} "
        f"service{'s' if services != 1 else ''} to {target}/"
    )


def _check_generated(text: str) -> None:
    """What import writes must load; if it does not, that is slokit's bug and is said plainly."""
    from slokit import load

    try:
        load(text)
    except SpecError as exc:
        raise SlokitError(
            "internal error: the generated OpenSLO does not validate (please report this)", exc.diagnostics
        ) from None


@click.group("lint")
def lint_group() -> None:
    """Check documents for contradictions and gaps."""


@lint_group.command(
    "doc",
    epilog="""\b
Examples:
  slokit lint doc SLO.md
  slokit lint doc SLO.md --output json
""",
)
@click.argument("file", type=click.Path())
@output_option()
def lint_doc(file: str, output: str) -> None:
    """Find contradictions, wrong budget arithmetic, missing windows and unmeasurable targets.

    Exit 1 when there is at least one error (warnings alone exit 0), 2 on wrong usage.
    """
    from slokit.importers.markdown.lint import lint

    result = _analyse(file)
    findings = lint(result, file)
    errors = sum(1 for d in findings if d.severity == "error")
    warnings = len(findings) - errors
    if output in ("json", "yaml"):
        data = {
            "file": file,
            "objectives": len(result.objectives),
            "errors": errors,
            "warnings": warnings,
            "problems": [d.to_dict() for d in findings],
        }
        sys.stdout.write(dump_json(data) + "\n" if output == "json" else dump_yaml(data))
    else:
        for diagnostic in findings:
            click.echo(diagnostic.format())
        click.echo(f"{file}: {len(result.objectives)} objectives, {errors} errors, {warnings} warnings")
    if errors:
        sys.exit(1)
