"""``slokit validate``: check specs and report every problem with its location."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from slokit.cli.output import dump_json, dump_yaml, output_option
from slokit.errors import Diagnostic, SpecError, UsageError
from slokit.spec.loader import load_paths
from slokit.spec.model import Spec


def check_paths(paths: tuple[str, ...]) -> None:
    """Missing paths are a usage mistake (exit 2), not an invalid spec (exit 1)."""
    if not paths:
        ctx = click.get_current_context(silent=True)
        command = ctx.command_path if ctx is not None else "slokit validate"
        raise UsageError(f"give at least one spec file or folder, e.g. {command} examples/")
    for path in paths:
        if not Path(path).exists():
            raise UsageError(f"no such file or folder: {path}")


def counts(spec: Spec) -> dict[str, int]:
    return {
        "services": len(spec.services),
        "slis": len(spec.slis),
        "slos": len(spec.slos),
        "data_sources": len(spec.data_sources),
        "alert_policies": len(spec.alert_policies),
        "alert_conditions": len(spec.alert_conditions),
        "notification_targets": len(spec.notification_targets),
        "corrections": len(spec.corrections),
        "budget_policies": len(spec.budget_policies),
    }


@click.command(
    "validate",
    epilog="""\b
Examples:
  slokit validate examples/
  slokit validate slos/checkout.yaml slos/common/ --output json
""",
)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--lenient", is_flag=True, help="Report unknown fields and slokit-only rules as warnings.")
@output_option()
def validate(paths: tuple[str, ...], lenient: bool, output: str) -> None:
    """Check OpenSLO (v1, v1alpha) and slokit/v1 specs in files or folders.

    Every problem is reported with file:line:column, the field path and what is allowed.
    Exit code 0 when valid, 1 when not, 2 on wrong usage.
    """
    check_paths(paths)
    spec: Spec | None = None
    try:
        spec, diagnostics = load_paths(paths, strict=not lenient)
    except SpecError as exc:
        diagnostics = exc.diagnostics
        if output == "table":
            raise
    result: dict[str, Any] = {
        "valid": spec is not None,
        "files": list(spec.files) if spec else [],
        "counts": counts(spec) if spec else None,
        "errors": sum(1 for d in diagnostics if d.severity == "error"),
        "warnings": sum(1 for d in diagnostics if d.severity == "warning"),
        "diagnostics": [d.to_dict() for d in diagnostics],
    }
    if output == "json":
        sys.stdout.write(dump_json(result) + "\n")
    elif output == "yaml":
        sys.stdout.write(dump_yaml(result))
    else:
        _print_table(spec, diagnostics)
    if spec is None:
        click.get_current_context().exit(1)


def _print_table(spec: Spec | None, diagnostics: list[Diagnostic]) -> None:
    for d in diagnostics:
        click.secho(d.format(), fg="yellow" if d.severity == "warning" else "red", err=True)
    if spec is not None:
        c = counts(spec)
        parts = [f"{n} {k.replace('_', ' ')}" for k, n in c.items() if n]
        files = len(spec.files)
        click.echo(f"valid: {', '.join(parts) or 'no objects'} in {files} file{'s' if files != 1 else ''}")
