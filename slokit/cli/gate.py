"""``slokit gate``: exit non-zero when an error-budget policy blocks deploys (for CI pipelines).

The remaining budget comes from :mod:`slokit.sources.status` (as ``slokit report`` shows it), the
verdict from :mod:`slokit.alerting.gate`.
"""

from __future__ import annotations

import click

from slokit.alerting.gate import decide, least_remaining
from slokit.alerting.groups import labels_text
from slokit.cli.common import load_spec, open_store_read_only, parse_at
from slokit.cli.output import emit, output_option
from slokit.sources.status import evaluate_all

COLUMNS = (
    ("slo", "SLO"),
    ("remaining", "Budget left"),
    ("state", "State"),
    ("verdict", "Verdict"),
    ("reason", "Why"),
)


@click.command(
    "gate",
    epilog="""\b
Examples:
  slokit gate examples/mtogo --store mtogo.duckdb
  slokit gate examples/mtogo --store mtogo.duckdb --slo order-service-uptime --output json
""",
)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--store", "store_path", required=True, type=click.Path(), help="The store file (slokit ingest)."
)
@click.option("--slo", "slo_names", multiple=True, help="Only this SLO (repeatable); default: every SLO.")
@click.option(
    "--at",
    "at_text",
    default="now",
    show_default=True,
    help="Instant to judge (ISO 8601; UTC without offset).",
)
@output_option()
def gate(
    paths: tuple[str, ...], store_path: str, slo_names: tuple[str, ...], at_text: str, output: str
) -> None:
    """Exit 1 when an ErrorBudgetPolicy state with blockDeploys applies to a selected SLO, else 0.

    Prints every selected SLO's budget state and why it blocks or allows deploys. An SLO with
    no data has no budget state and does not block. A grouped SLO (groupBy) is judged by the
    least remaining budget of the SLO overall and each of its groups. Exit 2 on wrong usage
    (an unknown --slo, a bad --at); 1 also when the spec or the store is unusable.
    """
    at = parse_at(at_text)
    spec = load_spec(paths, slo_names)
    with open_store_read_only(store_path) as store:
        states = evaluate_all(spec, store, at, list(slo_names) or None)
    # A grouped SLO is judged by its least remaining budget: the overall's or a group's.
    worst = {
        s.slo: least_remaining(s.remaining, [(g.group or {}, g.remaining) for g in s.groups]) for s in states
    }
    verdicts = decide(
        spec,
        {name: rem for name, (rem, _) in worst.items()},
        groups={name: g for name, (_, g) in worst.items()},
    )
    blocked = [v for v in verdicts if v.blocks]
    data = {"blocked": bool(blocked), "slos": [v.to_json() for v in verdicts]}
    rows = [
        {
            "slo": v.slo + ("" if v.group is None else labels_text(v.group)),
            "remaining": None if v.remaining is None else f"{v.remaining:.2%}",
            "state": None if v.state is None else v.state.name,
            "verdict": "BLOCKED" if v.blocks else "ok",
            "reason": v.reason,
        }
        for v in verdicts
    ]
    emit(data, output, COLUMNS, title="Deploy gate", rows=rows)
    if blocked:
        for v in blocked:
            click.echo(f"slokit gate: {v.slo}: {v.reason}", err=True)
        raise SystemExit(1)
