"""``slokit generate prometheus``: recording and alerting rules from SLO specs.

Three shapes: slokit's native rules (``--format rules`` or a prometheus-operator
``PrometheusRule``), and Sloth v0.16's rules for Sloth specs (``--format sloth``). Output goes to
standard output or, with ``-o``, to a temporary file renamed over the target (missing folders
created), so a failed run never leaves half a rule file behind.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from slokit import __version__
from slokit.alerting.policy import BUILTIN, EXTRA_BUILTIN, AlertSettings, settings_named
from slokit.cli.convert import _write_atomically, output_file
from slokit.cli.generate_grafana import grafana
from slokit.engine.burn import DEFAULT_MIN_BAD_EVENTS
from slokit.errors import SlokitError, UsageError
from slokit.exporters.prometheus_rules import NativeOptions, check_names, native_groups
from slokit.exporters.promql import is_label_name
from slokit.exporters.rulefile import check_rules_text, prometheus_rule, render_groups, render_objects
from slokit.exporters.sloth_rules import (
    DEFAULT_CATALOG,
    SlothOptions,
    load_sloth_spec,
    load_windows,
    parse_windows_period,
    sloth_groups,
)

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group("generate", context_settings=_CONTEXT)
def generate() -> None:
    """Generate rules and dashboards for other tools from SLO specs."""


@generate.command(
    "prometheus",
    context_settings=_CONTEXT,
    epilog="""\b
Examples:
  slokit generate prometheus slos/ -o slo-rules.yml --check
  slokit generate prometheus slos/ --format prometheus-operator --name checkout-slos
  slokit generate prometheus slos/ --dialect victoriametrics -o vmalert-rules.yml
  slokit generate prometheus --format sloth sloth/api.yaml --period 28d -l env=prod

\b
Native rules cover SLOs whose SLIs are bound 'type: prometheus'; others are skipped
with a note on stderr. --format sloth reads Sloth 'prometheus/v1' specs (or OpenSLO
converted from them) and writes what Sloth v0.16 writes. See docs/prometheus.md.
Exit codes: 0 written, 1 invalid spec or rules rejected by --check, 2 wrong usage.""",
)
@click.argument("specs", metavar="SPEC...", nargs=-1, required=True)
@click.option(
    "-o",
    "--out",
    default=None,
    metavar="FILE",
    help="Write here instead of stdout (replaced atomically; missing folders are created).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["rules", "prometheus-operator", "sloth"]),
    default="rules",
    show_default=True,
    help="rules: rule groups YAML; prometheus-operator: a PrometheusRule; sloth: Sloth v0.16's rules.",
)
@click.option(
    "--dialect",
    type=click.Choice(["prometheus", "victoriametrics"]),
    default="prometheus",
    show_default=True,
    help="Query engine the rules are for (victoriametrics: rules vmalert accepts).",
)
@click.option("--period", default=None, help="[sloth] SLO period of Sloth specs (default 30d).")
@click.option(
    "--windows",
    "windows_path",
    default=None,
    metavar="FILE",
    help="[sloth] Custom AlertWindows catalog: a file or a folder of them (replaces the built-in one).",
)
@click.option(
    "-l",
    "--extra-labels",
    "extra_labels",
    multiple=True,
    metavar="K=V",
    help="Label added to every generated rule (repeatable).",
)
@click.option("--disable-alerts", is_flag=True, help="Leave out the alerting rules.")
@click.option("--disable-recordings", is_flag=True, help="Leave out the recording rules.")
@click.option(
    "--policy",
    "policy_name",
    default=None,
    metavar="NAME|FILE",
    help="Alert policy of native rules: a built-in (" + ", ".join(BUILTIN) + ") or an alert settings "
    "file. Default: each SLO's OpenSLO alert policies, else slokit's default (docs/alerting.md).",
)
@click.option(
    "--min-bad-events",
    type=click.IntRange(min=0),
    default=None,
    help=f"Low-traffic guard of native alerts: bad events needed in the short window (0: off; "
    f"default: the policy's, {DEFAULT_MIN_BAD_EVENTS}).",
)
@click.option(
    "--check", is_flag=True, help="Check the result with promtool (vmalert -dryRun for victoriametrics)."
)
@click.option("--name", default="slokit-slos", show_default=True, help="[prometheus-operator] Object name.")
@click.option("--namespace", default=None, help="[prometheus-operator] Object namespace.")
def prometheus(
    specs: tuple[str, ...],
    out: str | None,
    fmt: str,
    dialect: str,
    period: str | None,
    windows_path: str | None,
    extra_labels: tuple[str, ...],
    disable_alerts: bool,
    disable_recordings: bool,
    policy_name: str | None,
    min_bad_events: int | None,
    check: bool,
    name: str,
    namespace: str | None,
) -> None:
    """Prometheus recording and alerting rules for the SLOs in SPEC (files or folders)."""
    for spec_path in specs:
        if not Path(spec_path).exists():
            raise UsageError(f"SPEC {spec_path!r} does not exist")
    labels = _labels(extra_labels)
    if fmt != "sloth" and (period is not None or windows_path is not None):
        raise UsageError(
            "--period and --windows apply to --format sloth (native rules take the SLO's own window)"
        )
    if fmt == "sloth" and (policy_name is not None or min_bad_events is not None):
        raise UsageError(
            "--policy and --min-bad-events apply to native rules (--format sloth writes Sloth's alerts)"
        )
    if fmt == "sloth":
        text = _sloth(specs, period or "30d", windows_path, labels, disable_alerts, disable_recordings)
    else:
        settings = policy_settings(policy_name)
        text = _native(
            specs,
            fmt,
            dialect,
            labels,
            disable_alerts,
            disable_recordings,
            NativeOptions(
                dialect="victoriametrics" if dialect == "victoriametrics" else "prometheus",
                extra_labels=labels,
                min_bad_events=min_bad_events,
                settings=settings,
            ),
            name,
            namespace,
        )
    if check:
        check_rules_text(_checkable(text), dialect)
    if out is None or out == "-":
        sys.stdout.write(text)
        return
    _write_atomically(output_file(out), text)
    click.echo(f"wrote {out}", err=True)


def policy_settings(name: str | None) -> AlertSettings | None:
    """``--policy``: a built-in policy by name, or an alert settings file (as ``slokit backtest``)."""
    if name is None:
        return None
    if name in BUILTIN or name in EXTRA_BUILTIN or Path(name).is_file():
        return settings_named(name)
    raise UsageError(
        f"--policy {name!r}: no such file and no built-in policy of that name ({', '.join(BUILTIN)})"
    )


def _labels(pairs: tuple[str, ...]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not is_label_name(key):
            raise UsageError(f"--extra-labels {pair!r}: write NAME=VALUE with a Prometheus label name")
        labels[key] = value
    return labels


def _header(specs: tuple[str, ...], what: str) -> str:
    names = ", ".join(Path(s).name for s in specs)
    return (
        f"{what} generated by slokit {__version__} from {names}.\n"
        "DO NOT EDIT: regenerate with 'slokit generate prometheus'."
    )


def _native(
    specs: tuple[str, ...],
    fmt: str,
    dialect: str,
    labels: dict[str, str],
    disable_alerts: bool,
    disable_recordings: bool,
    options: NativeOptions,
    name: str,
    namespace: str | None,
) -> str:
    from slokit.spec.loader import load_paths

    spec, _ = load_paths(list(specs))
    result = native_groups(spec, options)
    for message in result.skipped + result.notes:
        click.secho(f"note: {message}", fg="yellow", err=True)
    drop = [key for key, off in (("alert", disable_alerts), ("record", disable_recordings)) if off]
    groups = []
    for group in result.groups:
        rules = [r for r in group["rules"] if not any(key in r for key in drop)]
        if rules:
            groups.append({**group, "rules": rules})
    if not groups:
        raise SlokitError("0 rules left: alerts and recordings are both disabled")
    check_names(groups)
    header = _header(specs, "Prometheus rules")
    if fmt == "prometheus-operator":
        obj = prometheus_rule(groups, name, namespace, {"app.kubernetes.io/managed-by": "slokit"})
        return render_objects([obj], header)
    return render_groups(groups, header)


def _sloth(
    specs: tuple[str, ...],
    period: str,
    windows_path: str | None,
    labels: dict[str, str],
    disable_alerts: bool,
    disable_recordings: bool,
) -> str:
    try:
        parse_windows_period(period)
    except ValueError as exc:
        raise UsageError(f"--period {period!r}: {exc}") from None
    catalog = load_windows(windows_path) if windows_path else dict(DEFAULT_CATALOG)
    spec = load_sloth_spec(list(specs), period)
    output = sloth_groups(
        spec,
        SlothOptions(
            windows=catalog,
            extra_labels=labels,
            disable_alerts=disable_alerts,
            disable_recordings=disable_recordings,
        ),
    )
    return output.render(_header(specs, "Sloth v0.16-compatible Prometheus rules"))


def _checkable(text: str) -> str:
    """The rule groups of the output as one plain rule file (PrometheusRule objects unwrapped)."""
    import yaml

    groups: list[Any] = []
    for doc in yaml.safe_load_all(text):
        if not isinstance(doc, dict):
            continue
        groups.extend(doc["spec"]["groups"] if doc.get("kind") == "PrometheusRule" else doc.get("groups", []))
    return render_groups(groups)


generate.add_command(grafana)
