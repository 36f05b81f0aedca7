"""Prometheus rules in Sloth v0.16's shape, for SLOs converted from Sloth specs.

A drop-in path for Sloth users: the same groups (``sloth-slo-sli-recordings-<id>``,
``sloth-slo-meta-recordings-<id>``, ``sloth-slo-alerts-<id>``), rule names, labels and
expressions that ``sloth generate`` writes for the same spec, period, window catalog and flags,
so dashboards and alert routes built on Sloth's series keep working. Everything Sloth needs that
OpenSLO has no field for comes from the ``sloth.slok.dev/*`` annotations the importer keeps
(:func:`slokit.importers.sloth.sloth_info`).

What Sloth does, as read from its v0.16 sources (facts, not code): one SLI error-ratio rule per
distinct alert window plus one for the SLO period (that one averaged over the shortest window's
ratios), seven metadata rules, and a page and a ticket alert each joining two multiwindow
conditions with ``or``. Factors come from a window catalog: ``errorBudgetPercent · period /
100 / longWindow`` in hours. Numbers are printed as Go prints floats (``0.9990000000000001``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from slokit.errors import SlokitError
from slokit.exporters.promql import fill_window, go_float, label_filter, prom_duration
from slokit.importers.sloth import K8S_API_VERSION, K8S_METADATA_ANNOTATION, SlothInfo, sloth_info
from slokit.spec.durations import parse_duration
from slokit.spec.model import SLO, PrometheusQuery, Spec

#: The Sloth release whose output is reproduced; written in ``sloth_slo_info{sloth_version}``.
SLOTH_RELEASE = "v0.16.0"
WINDOWS_API_VERSION = "sloth.slok.dev/v1"
WINDOWS_KIND = "AlertWindows"

_ID = "sloth_id"
_SERVICE = "sloth_service"
_SLO = "sloth_slo"
_WINDOW = "sloth_window"
_SEVERITY = "sloth_severity"
_SLI_METRIC = "slo:sli_error:ratio_rate"
_OBJECTIVE_METRIC = "slo:objective:ratio"
_BUDGET_METRIC = "slo:error_budget:ratio"
_DAYS_METRIC = "slo:time_period:days"
_CURRENT_BURN_METRIC = "slo:current_burn_rate:ratio"
_PERIOD_BURN_METRIC = "slo:period_burn_rate:ratio"
_REMAINING_METRIC = "slo:period_error_budget_remaining:ratio"
_INFO_METRIC = "sloth_slo_info"

_NS_PER_SECOND = 1_000_000_000
_NS_PER_HOUR = 3600 * _NS_PER_SECOND


@dataclass(frozen=True, slots=True)
class SlothWindow:
    """One multiwindow condition of a catalog: share of budget (percent) and two windows (seconds)."""

    error_budget_percent: float
    short_seconds: int
    long_seconds: int


@dataclass(frozen=True, slots=True)
class SlothWindows:
    """Sloth's ``AlertWindows`` for one SLO period: page quick/slow and ticket quick/slow."""

    period_seconds: int
    page_quick: SlothWindow
    page_slow: SlothWindow
    ticket_quick: SlothWindow
    ticket_slow: SlothWindow

    def all(self) -> tuple[SlothWindow, ...]:
        return (self.page_quick, self.page_slow, self.ticket_quick, self.ticket_slow)

    def factor(self, window: SlothWindow) -> float:
        """Burn-rate factor with Sloth's float operations in Sloth's order (so the digits match)."""
        hours = _go_hours(self.period_seconds * _NS_PER_SECOND)
        return window.error_budget_percent * hours / 100 / _go_hours(window.long_seconds * _NS_PER_SECOND)


def _go_hours(ns: int) -> float:
    """Go's ``time.Duration.Hours``: whole hours plus the remainder, as two float64 parts."""
    hours, rem = divmod(ns, _NS_PER_HOUR)
    return float(hours) + rem / (60 * 60 * 1e9)


def _google(period_days: int) -> SlothWindows:
    """The SRE Workbook defaults Sloth ships for 30 d and 28 d.

    Page: 2 % in 1 h / 5 m and 5 % in 6 h / 30 m; ticket: 10 % in 1 d / 2 h and 10 % in 3 d / 6 h.
    """
    h = 3600
    return SlothWindows(
        period_days * 86400,
        SlothWindow(2, 5 * 60, h),
        SlothWindow(5, 30 * 60, 6 * h),
        SlothWindow(10, 2 * h, 24 * h),
        SlothWindow(10, 6 * h, 72 * h),
    )


#: Sloth's built-in catalog (replaced entirely by a custom one, as ``--slo-period-windows-path`` does).
DEFAULT_CATALOG: Mapping[int, SlothWindows] = {w.period_seconds: w for w in (_google(30), _google(28))}


# --- window catalogs ---


def parse_prom_duration(text: str) -> int:
    """Seconds of a Prometheus duration such as ``5m``, ``1h30m`` or ``4w`` (whole seconds only)."""
    import re

    units = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
    match = re.fullmatch(r"((?:[0-9]+(?:y|w|d|h|ms|m|s))+)", text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration (e.g. 5m, 1h, 30d)")
    total_ms = 0
    for count, unit in re.findall(r"([0-9]+)(y|w|d|h|ms|m|s)", text):
        total_ms += int(count) * (1 if unit == "ms" else units[unit] * 1000)
    if total_ms % 1000 or total_ms == 0:
        raise ValueError(f"{text!r} must be a positive whole number of seconds")
    return total_ms // 1000


def load_windows(path: str | Path) -> dict[int, SlothWindows]:
    """A custom window catalog: one ``AlertWindows`` file, or every ``.yml``/``.yaml`` under a folder.

    Like Sloth, a custom catalog replaces the built-in one; two files for the same period must
    agree. Errors name the file and the field.
    """
    root = Path(path)
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml"))
    elif root.is_file():
        files = [root]
    else:
        raise SlokitError(f"window catalog {str(root)!r} does not exist")
    catalog: dict[int, SlothWindows] = {}
    for file in files:
        windows = _read_windows(file)
        seen = catalog.get(windows.period_seconds)
        if seen is not None and seen != windows:
            raise SlokitError(
                f"{file}: SLO period {prom_duration(windows.period_seconds)} is already defined by "
                "another file of the window catalog with different windows"
            )
        catalog[windows.period_seconds] = windows
    if not catalog:
        raise SlokitError(f"window catalog {str(root)!r} holds no .yml or .yaml files")
    return catalog


def _read_windows(file: Path) -> SlothWindows:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SlokitError(f"{file}: cannot read the window catalog: {exc}") from None
    hint = f"a catalog file has apiVersion: {WINDOWS_API_VERSION}, kind: {WINDOWS_KIND} and spec"
    if not isinstance(data, dict):
        raise SlokitError(f"{file}: not an {WINDOWS_KIND} document ({hint})")
    if data.get("apiVersion") != WINDOWS_API_VERSION or data.get("kind") != WINDOWS_KIND:
        raise SlokitError(f"{file}: invalid spec version: {hint}")
    spec = data.get("spec")
    if not isinstance(spec, dict):
        raise SlokitError(f"{file}: spec is required ({hint})")

    def duration(where: str, value: Any) -> int:
        try:
            return parse_prom_duration(str(value))
        except ValueError as exc:
            raise SlokitError(f"{file}: {where}: {exc}") from None

    def window(severity: str, speed: str) -> SlothWindow:
        where = f"spec.{severity}.{speed}"
        node = (spec.get(severity) or {}).get(speed) if isinstance(spec.get(severity), dict) else None
        if not isinstance(node, dict):
            raise SlokitError(f"{file}: {where} is required (errorBudgetPercent, shortWindow, longWindow)")
        percent = node.get("errorBudgetPercent")
        if isinstance(percent, bool) or not isinstance(percent, int | float) or percent <= 0:
            raise SlokitError(f"{file}: {where}.errorBudgetPercent must be a positive number")
        for key in ("shortWindow", "longWindow"):
            if key not in node:
                raise SlokitError(f"{file}: {where}.{key} is required")
        return SlothWindow(
            float(percent),
            duration(f"{where}.shortWindow", node["shortWindow"]),
            duration(f"{where}.longWindow", node["longWindow"]),
        )

    if "sloPeriod" not in spec:
        raise SlokitError(f"{file}: spec.sloPeriod is required")
    return SlothWindows(
        duration("spec.sloPeriod", spec["sloPeriod"]),
        window("page", "quick"),
        window("page", "slow"),
        window("ticket", "quick"),
        window("ticket", "slow"),
    )


# --- generation ---


@dataclass(frozen=True, slots=True)
class SlothOptions:
    """The ``sloth generate`` flags slokit reproduces."""

    windows: Mapping[int, SlothWindows] = field(default_factory=lambda: dict(DEFAULT_CATALOG))
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    disable_alerts: bool = False
    disable_recordings: bool = False
    sloth_version: str = SLOTH_RELEASE


@dataclass(frozen=True, slots=True)
class SlothOutput:
    """Rule groups per output document, as Sloth writes one document per input document.

    A ``prometheus/v1`` input document is one service, so consecutive SLOs of one service form
    one ``groups:`` document (two documents of the same service in a row merge into one); a
    Kubernetes resource becomes one ``PrometheusRule``.
    """

    #: (Kubernetes metadata or None, rule groups) in input order.
    documents: list[tuple[dict[str, Any] | None, list[dict[str, Any]]]]

    def render(self, header: str) -> str:
        """YAML as ``sloth generate`` lays it out: each document starts with ``---`` and a comment."""
        parts: list[str] = []
        for meta, groups in self.documents:
            if not groups:
                continue
            comment = "".join(f"# {line}\n" for line in header.splitlines())
            if meta is None:
                parts.append(f"---\n{comment}\n{sloth_yaml({'groups': groups})}")
                continue
            metadata = {k: meta[k] for k in ("annotations", "labels", "name", "namespace") if meta.get(k)}
            # Sloth marks every object it writes with these two labels.
            metadata["labels"] = {
                **metadata.get("labels", {}),
                "app.kubernetes.io/component": "SLO",
                "app.kubernetes.io/managed-by": "sloth",
            }
            body = {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "PrometheusRule",
                "metadata": metadata,
                "spec": {"groups": groups},
            }
            # Kubernetes' encoder writes every mapping's keys in sorted order.
            parts.append(f"---\n{comment}\n{sloth_yaml(body, sort_keys=True)}")
        return "".join(parts)


class _GoYAML(yaml.SafeDumper):
    """yaml.v2's layout: list items not indented under their key, strings quoted like Go does."""


def _go_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    tag = dumper.resolve(yaml.ScalarNode, data, (True, False))  # type: ignore[no-untyped-call]
    if tag != "tag:yaml.org,2002:str":
        # A string that would read as a number, boolean or null: yaml.v2 double-quotes it ("2").
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_GoYAML.add_representer(str, _go_str)


def sloth_yaml(data: Mapping[str, Any], sort_keys: bool = False) -> str:
    """YAML in the layout Sloth's writer (yaml.v2) produces."""
    return yaml.dump(
        dict(data), Dumper=_GoYAML, sort_keys=sort_keys, allow_unicode=True, default_flow_style=False
    )


@dataclass(frozen=True, slots=True)
class _SlothSLO:
    info: SlothInfo
    objective: float
    period_seconds: int
    labels: dict[str, str]
    error_query: str | None
    total_query: str | None
    ratio_query: str | None


def sloth_groups(spec: Spec, options: SlothOptions | None = None) -> SlothOutput:
    """Sloth v0.16's rule groups for every SLO of ``spec`` that was converted from Sloth."""
    options = options or SlothOptions()
    documents: list[tuple[dict[str, Any] | None, list[dict[str, Any]]]] = []
    keys: list[str] = []
    count = 0
    for slo in spec:
        item = _read_slo(slo)
        groups = _slo_groups(item, options)
        count += 1
        raw_meta = slo.metadata.annotations.get(K8S_METADATA_ANNOTATION)
        key = f"k8s:{raw_meta}" if item.info.source == K8S_API_VERSION else f"service:{item.info.service}"
        if documents and keys[-1] == key:
            documents[-1][1].extend(groups)
        else:
            meta = json.loads(raw_meta) if item.info.source == K8S_API_VERSION and raw_meta else None
            documents.append((meta, groups))
            keys.append(key)
    if count == 0:
        raise SlokitError("the spec holds no SLO")
    if not any(groups for _, groups in documents):
        raise SlokitError("0 SLO Prometheus rules generated (alerts and recordings are both disabled)")
    return SlothOutput(documents)


def _read_slo(slo: SLO) -> _SlothSLO:
    labels = {k: v for k, v in slo.metadata.labels.items()}
    info = sloth_info(slo.metadata.annotations, labels)
    if info is None:
        raise SlokitError(
            f"SLO {slo.name!r} was not converted from a Sloth spec (no sloth.slok.dev/slo annotation)",
            [],
        )
    if len(slo.objectives) != 1 or slo.indicator is None or slo.indicator.ratio_metric is None:
        raise SlokitError(f"SLO {slo.name!r}: a Sloth SLO has one objective and a ratio SLI")
    if not slo.time_window.is_rolling or slo.time_window.duration.is_calendar:
        raise SlokitError(f"SLO {slo.name!r}: Sloth periods are rolling windows of fixed length")
    ratio = slo.indicator.ratio_metric

    def query(source: Any) -> str | None:
        if source is None:
            return None
        binding = source.binding
        if not isinstance(binding, PrometheusQuery) or binding.query is None:
            raise SlokitError(f"SLO {slo.name!r}: Sloth SLIs are PromQL queries (type: prometheus, query)")
        return binding.query

    objective = float(info.objective) if info.objective else slo.objectives[0].target * 100
    return _SlothSLO(
        info=info,
        objective=objective,
        period_seconds=slo.time_window.duration.seconds,
        labels=dict(info.labels),
        error_query=query(ratio.bad),
        total_query=query(ratio.total),
        ratio_query=query(ratio.raw),
    )


def _merge(*maps: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in maps:
        out.update(m)
    return dict(sorted(out.items()))


def _slo_groups(slo: _SlothSLO, options: SlothOptions) -> list[dict[str, Any]]:
    info = slo.info
    windows = options.windows.get(slo.period_seconds)
    if windows is None:
        raise SlokitError(
            f"SLO {info.sloth_id!r}: the {prom_duration(slo.period_seconds)} SLO period time window is not "
            "supported by the window catalog",
            [],
        )
    labels = _merge(slo.labels, options.extra_labels)
    ids = {_ID: info.sloth_id, _SLO: info.slo, _SERVICE: info.service}
    flt = label_filter(ids)
    alert_windows = sorted({s for w in windows.all() for s in (w.short_seconds, w.long_seconds)})
    short = windows.page_quick.short_seconds
    groups: list[dict[str, Any]] = []

    if not options.disable_recordings:
        sli_rules = [
            _rule(
                f"{_SLI_METRIC}{prom_duration(w)}",
                _sli_expr(slo, prom_duration(w)),
                _merge(ids, {_WINDOW: prom_duration(w)}, labels),
            )
            for w in alert_windows
        ]
        period = prom_duration(slo.period_seconds)
        if slo.period_seconds == short:
            raise SlokitError(f"SLO {info.sloth_id!r}: the SLO period equals the shortest alert window")
        short_metric = f"{_SLI_METRIC}{prom_duration(short)}{flt}"
        sli_rules.append(
            _rule(
                f"{_SLI_METRIC}{period}",
                f"sum_over_time({short_metric}[{period}])\n/ ignoring ({_WINDOW})\n"
                f"count_over_time({short_metric}[{period}])\n",
                _merge(ids, {_WINDOW: period}, labels),
            )
        )
        groups.append({"name": f"sloth-slo-sli-recordings-{info.sloth_id}", "rules": sli_rules})

        meta = _merge(ids, labels)
        ratio = go_float(slo.objective / 100)
        burn_tpl = "{metric}{flt}\n/ on({i}, {s}, {v}) group_left\n{budget}{flt}\n"
        on = {"i": _ID, "s": _SLO, "v": _SERVICE, "budget": _BUDGET_METRIC, "flt": flt}
        objective_text = format(Decimal(repr(slo.objective)).normalize(), "f")
        mode, spec_label = (
            ("cli-gen-k8s", K8S_API_VERSION)
            if info.source == K8S_API_VERSION
            else ("cli-gen-prom", "prometheus/v1")
        )
        meta_rules = [
            _rule(_OBJECTIVE_METRIC, f"vector({ratio})", meta),
            _rule(_BUDGET_METRIC, f"vector(1-{ratio})", meta),
            _rule(
                _DAYS_METRIC, f"vector({go_float(_go_hours(slo.period_seconds * _NS_PER_SECOND) / 24)})", meta
            ),
            _rule(
                _CURRENT_BURN_METRIC,
                burn_tpl.format(metric=f"{_SLI_METRIC}{prom_duration(short)}", **on),
                meta,
            ),
            _rule(_PERIOD_BURN_METRIC, burn_tpl.format(metric=f"{_SLI_METRIC}{period}", **on), meta),
            _rule(_REMAINING_METRIC, f"1 - {_PERIOD_BURN_METRIC}{flt}", meta),
            _rule(
                _INFO_METRIC,
                "vector(1)",
                _merge(
                    meta,
                    {
                        "sloth_version": options.sloth_version,
                        "sloth_mode": mode,
                        "sloth_spec": spec_label,
                        "sloth_objective": objective_text,
                    },
                ),
            ),
        ]
        groups.append({"name": f"sloth-slo-meta-recordings-{info.sloth_id}", "rules": meta_rules})

    if not options.disable_alerts:
        budget = (100 - slo.objective) / 100
        alert_rules: list[dict[str, Any]] = []
        for severity, alert, quick, slow in (
            ("page", info.page_alert, windows.page_quick, windows.page_slow),
            ("ticket", info.ticket_alert, windows.ticket_quick, windows.ticket_slow),
        ):
            if alert.disable:
                continue
            who = f"{{{{$labels.{_SERVICE}}}}} {{{{$labels.{_SLO}}}}}"
            annotations = _merge(
                {
                    "title": f"({severity}) {who} SLO error budget burn rate is too fast.",
                    "summary": f"{who} SLO error budget burn rate is over expected.",
                },
                info.alert_annotations_for(alert),
            )
            alert_rules.append(
                {
                    "alert": info.alert_name,
                    "expr": _alert_expr(flt, budget, windows, quick, slow),
                    "labels": _merge({_SEVERITY: severity}, info.alert_labels_for(alert)),
                    "annotations": annotations,
                }
            )
        if alert_rules:
            groups.append({"name": f"sloth-slo-alerts-{info.sloth_id}", "rules": alert_rules})
    return groups


def _rule(record: str, expr: str, labels: Mapping[str, str]) -> dict[str, Any]:
    return {"record": record, "expr": expr, "labels": dict(labels)}


def _sli_expr(slo: _SlothSLO, window: str) -> str:
    if slo.ratio_query is not None:
        return f"({fill_window(slo.ratio_query, window)})"
    assert slo.error_query is not None and slo.total_query is not None
    return f"({fill_window(slo.error_query, window)})\n/\n({fill_window(slo.total_query, window)})\n"


def _alert_expr(flt: str, budget: float, windows: SlothWindows, quick: SlothWindow, slow: SlothWindow) -> str:
    def cond(window: SlothWindow, seconds: int) -> str:
        factor = go_float(windows.factor(window))
        return (
            f"    max({_SLI_METRIC}{prom_duration(seconds)}{flt} > ({factor} * {go_float(budget)})) "
            f"without ({_WINDOW})\n"
        )

    return (
        "(\n"
        + cond(quick, quick.short_seconds)
        + "    and\n"
        + cond(quick, quick.long_seconds)
        + ")\nor\n(\n"
        + cond(slow, slow.short_seconds)
        + "    and\n"
        + cond(slow, slow.long_seconds)
        + ")\n"
    )


# --- reading Sloth or converted specs ---


def load_sloth_spec(paths: Sequence[str | Path], period: str) -> Spec:
    """Sloth specs (converted on the fly) or OpenSLO specs converted earlier (with their annotations)."""
    from slokit.importers.sloth import convert_sloth_files, expand_paths
    from slokit.spec.dump import dump_documents
    from slokit.spec.loader import load_paths

    files = expand_paths(paths)
    openslo = [p for p in files if _is_openslo(p)]
    if openslo and len(openslo) == len(files):
        spec, _ = load_paths([str(p) for p in files])
        return spec
    if openslo:
        raise SlokitError(
            "give either Sloth specs or OpenSLO specs converted from Sloth, not both: "
            + ", ".join(str(p) for p in openslo)
            + " hold OpenSLO"
        )
    conversion = convert_sloth_files(list(paths), period=period)
    from slokit import load

    return load(dump_documents(conversion.documents))


def _is_openslo(path: Path) -> bool:
    import re

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"^apiVersion:\s*['\"]?openslo/", text, re.MULTILINE) is not None


def parse_windows_period(period: str) -> int:
    """Seconds of a ``--period`` value (rolling, fixed units)."""
    return parse_duration(period, "mhdw").seconds


def iter_group_names(output: SlothOutput) -> Iterable[str]:
    for _, groups in output.documents:
        for group in groups:
            yield str(group["name"])
