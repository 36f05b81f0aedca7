"""``slokit list``: the SLOs of a spec as a table, JSON or YAML."""

from __future__ import annotations

from typing import Any

import click

from slokit.cli.output import emit, output_option
from slokit.cli.validate import check_paths
from slokit.spec.loader import load_paths
from slokit.spec.model import SLO, Objective

COLUMNS = [
    ("service", "service"),
    ("name", "SLO"),
    ("sli_kind", "SLI kind"),
    ("target_text", "target"),
    ("window_text", "window"),
    ("budgeting_method", "budgeting"),
]


def percent(fraction: float) -> str:
    """0.999 → '99.9 %' (up to 6 significant decimals, no float noise)."""
    return f"{round(fraction * 100, 6):g} %"


def _objective_text(slo: SLO, objective: Objective) -> str:
    text = percent(objective.target)
    if objective.op is not None and objective.value is not None:
        text += f" {objective.op} {objective.value:g}"
    return text


def slo_row(slo: SLO) -> dict[str, Any]:
    """One SLO as stable, documented fields (the JSON/YAML output of ``slokit list``)."""
    kinds = sorted({slo.indicator_for(o).kind for o in slo.objectives})
    window = slo.time_window
    return {
        "service": slo.service,
        "name": slo.name,
        "display_name": slo.metadata.display_name,
        "sli_kind": ("composite " if slo.is_composite else "") + "/".join(kinds),
        "objectives": [
            {
                "display_name": o.display_name,
                "target": o.target,
                "op": o.op,
                "value": o.value,
                "indicator": slo.indicator_for(o).name,
            }
            for o in slo.objectives
        ],
        "window": {
            "duration": str(window.duration),
            "rolling": window.is_rolling,
            "time_zone": window.calendar.time_zone if window.calendar else None,
        },
        "budgeting_method": slo.budgeting_method,
        "file": slo.location.file if slo.location else None,
        "target_text": ", ".join(_objective_text(slo, o) for o in slo.objectives),
        "window_text": window.describe(),
    }


@click.command(
    "list",
    epilog="""\b
Examples:
  slokit list examples/
  slokit list examples/mtogo --output json
""",
)
@click.argument("paths", nargs=-1, type=click.Path())
@output_option()
def list_command(paths: tuple[str, ...], output: str) -> None:
    """List the SLOs of specs: service, name, SLI kind, target, window and budgeting method.

    Targets are shown in percent; threshold objectives also show their op and value
    (e.g. "95 % lt 400" = 95 % of events below 400). Exit code 0 when listed, 1 when the spec
    is not valid (run slokit validate for every problem), 2 on wrong usage.
    """
    check_paths(paths)
    spec, _ = load_paths(paths)
    rows = sorted((slo_row(slo) for slo in spec), key=lambda r: (r["service"], r["name"]))
    data = [{k: v for k, v in row.items() if not k.endswith("_text")} for row in rows]
    emit(data, output, COLUMNS, title=f"{len(rows)} SLOs", rows=rows)
