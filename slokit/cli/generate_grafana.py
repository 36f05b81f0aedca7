"""``slokit generate grafana``: Grafana dashboards over the series of the generated Prometheus rules.

Every dashboard is rendered before any file is written, and each file is replaced atomically,
so a failed run never leaves a half dashboard behind.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from slokit.cli.convert import _write_atomically
from slokit.cli.output import output_folder
from slokit.errors import UsageError

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.command(
    "grafana",
    context_settings=_CONTEXT,
    epilog="""\b
Examples:
  slokit generate grafana slos/ -o dashboards/
  slokit generate prometheus slos/ -o slo-rules.yml && slokit generate grafana slos/ -o dashboards/

\b
Writes slokit-overview.json and one slo-<name>.json per SLO that the native rules cover
(SLIs bound 'type: prometheus'). Panels query the series those rules record; the data
source is the dashboard variable ${datasource}. Import them in Grafana (Dashboards > New >
Import) or provision the folder. See docs/grafana.md.
Exit codes: 0 written, 1 invalid spec or nothing to generate, 2 wrong usage.""",
)
@click.argument("specs", metavar="SPEC...", nargs=-1, required=True)
@click.option("-o", "--out", "out_dir", required=True, metavar="DIR", help="Folder for the dashboard files.")
@click.option(
    "--policy",
    "policy_name",
    default=None,
    metavar="NAME|FILE",
    help="The alert policy the rules were generated with (slokit generate prometheus --policy).",
)
def grafana(specs: tuple[str, ...], out_dir: str, policy_name: str | None) -> None:
    """Grafana dashboards (overview and one per SLO) for the SLOs in SPEC (files or folders)."""
    from slokit.cli.generate import policy_settings
    from slokit.exporters.grafana import dashboards
    from slokit.exporters.prometheus_rules import NativeOptions
    from slokit.spec.loader import load_paths

    for spec_path in specs:
        if not Path(spec_path).exists():
            raise UsageError(f"SPEC {spec_path!r} does not exist")
    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"-o {out_dir!r}: not a folder")
    spec, _ = load_paths(list(specs))
    result = dashboards(spec, NativeOptions(settings=policy_settings(policy_name)))
    for message in result.notes:
        click.secho(f"note: {message}", fg="yellow", err=True)
    texts = {
        name: json.dumps(board, indent=2, ensure_ascii=False) + "\n" for name, board in result.files.items()
    }
    folder = output_folder(out_dir)
    for name, text in texts.items():
        _write_atomically(folder / name, text)
    click.echo(f"wrote {len(texts)} dashboards to {out_dir}", err=True)
