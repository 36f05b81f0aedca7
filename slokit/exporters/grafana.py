"""Grafana dashboards over the series slokit's native Prometheus rules record.

The dashboards are derived from the rule groups themselves
(:func:`slokit.exporters.prometheus_rules.native_groups`), not from a second copy of their
naming scheme: every panel queries a recorded series that the generated rules define, with the
label set the rules give it (``slokit_slo``, ``slokit_service``, ``slokit_objective`` for SLOs with
several objectives), and the alert panels read Prometheus' ``ALERTS`` series of the generated
alerting rules. If the rule layout changes, the dashboards follow (and the test that checks
every panel query against the rules catches a dangling one).

Two kinds of dashboard:

* **overview** (one): every SLO's SLI over its period, objective, error budget remaining
  (now and over time) and the SLO alerts firing, with links to the per-SLO dashboards;
* **per SLO**: per objective, the SLI over the period against its objective, the budget
  remaining and its burn-down over the time range, the error ratio over each alert window, the
  burn rates of the multiwindow tiers with each tier's factor drawn as a threshold line, and the
  SLO's alerts (a table, and annotations on every graph).

The data source is a dashboard variable (``${datasource}``, any Prometheus-type source), so one
file works in every Grafana without editing UIDs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slokit.engine.allowance import allowed_bad_fraction
from slokit.exporters.prometheus_rules import (
    BURN_ALERT,
    NO_DATA_ALERT,
    OBJECTIVE_LABEL,
    SERVICE_LABEL,
    SLO_LABEL,
    NativeOptions,
    native_groups,
)
from slokit.exporters.promql import go_float, go_quote
from slokit.spec.model import Spec

SCHEMA_VERSION = 39
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
TAG = "slokit"
OVERVIEW_UID = "slokit-overview"
ALERTS = "ALERTS"
_RATE_RECORD = re.compile(r"^slokit:error_ratio:rate(?P<window>.+)$")
_VECTOR = re.compile(r"^vector\((?P<n>[0-9.e+-]+)\)$")


@dataclass(frozen=True, slots=True)
class _TierShape:
    """One burn-rate alert as its rule states it: windows, severity, factor, burn form."""

    long: str
    short: str
    severity: str
    factor: float
    #: Traffic-aware (``slokit:budget_burn:rate<w>``) rather than the window's error ratio.
    aware: bool


#: The factor of a burn alert: the first comparison of its expression, in either form
#: (``budget_burn:rate1h{...} >= 14.4`` or ``error_ratio:rate1h{...} >= (14.4 * 0.001)``).
_FACTOR = re.compile(r">= \(?(?P<f>[0-9.e+-]+)")


@dataclass(slots=True)
class _Objective:
    """One objective's recorded series, read from its rule groups."""

    labels: dict[str, str]
    windows: list[tuple[int, str]] = field(default_factory=list)  # (seconds, record window text)
    records: set[str] = field(default_factory=set)
    target: float | None = None
    period_seconds: int | None = None
    alerts: set[str] = field(default_factory=set)
    #: The burn-rate tiers of its alerts, read from the alerting rules.
    tiers: list[_TierShape] = field(default_factory=list)

    @property
    def selector(self) -> str:
        keys = [k for k in (SLO_LABEL, SERVICE_LABEL, OBJECTIVE_LABEL) if k in self.labels]
        return "{" + ", ".join(f"{k}={go_quote(self.labels[k])}" for k in keys) + "}"

    @property
    def name(self) -> str:
        return self.labels.get(OBJECTIVE_LABEL, "")


@dataclass(frozen=True, slots=True)
class Dashboards:
    """File name -> dashboard JSON (a dict ready for ``json.dumps``); notes for the user."""

    files: dict[str, dict[str, Any]]
    notes: list[str]


def _seconds(text: str) -> int:
    total = 0
    for number, unit in re.findall(r"(\d+)(ms|[smhdwy])", text):
        total += (
            int(number) * {"ms": 0, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}[unit]
        )
    return total


def _tier_shape(rule: Mapping[str, Any]) -> _TierShape | None:
    labels = rule.get("labels") or {}
    expr = str(rule["expr"])
    found = _FACTOR.search(expr.splitlines()[0]) if expr else None
    if "slokit_long_window" not in labels or found is None:
        return None
    return _TierShape(
        str(labels["slokit_long_window"]),
        str(labels["slokit_short_window"]),
        str(labels.get("severity", "")),
        float(found["f"]),
        expr.startswith("slokit:budget_burn:rate"),
    )


def _objectives(groups: Sequence[Mapping[str, Any]]) -> dict[str, list[_Objective]]:
    """SLO name -> its objectives, in rule order, from the native rule groups."""
    found: dict[tuple[tuple[str, str], ...], _Objective] = {}
    for group in groups:
        for rule in group.get("rules", []):
            labels = {str(k): str(v) for k, v in (rule.get("labels") or {}).items()}
            if SLO_LABEL not in labels:
                continue
            ident = {k: labels[k] for k in (SLO_LABEL, SERVICE_LABEL, OBJECTIVE_LABEL) if k in labels}
            key = tuple(sorted(ident.items()))
            if "record" in rule:
                obj = found.setdefault(key, _Objective(ident))
                record = str(rule["record"])
                obj.records.add(record)
                match = _RATE_RECORD.match(record)
                if match:
                    obj.windows.append((_seconds(match["window"]), match["window"]))
                value = _VECTOR.match(str(rule["expr"]).strip())
                if value and record == "slokit:objective:ratio":
                    obj.target = float(value["n"])
                if value and record == "slokit:period:seconds":
                    obj.period_seconds = int(float(value["n"]))
    # Alerting rules carry the SLO's labels, not the objective label: attach by SLO name.
    for group in groups:
        for rule in group.get("rules", []):
            if "alert" in rule:
                slo = _slo_of(str(rule["expr"]))
                shape = _tier_shape(rule)
                for obj in found.values():
                    if obj.labels[SLO_LABEL] == slo:
                        obj.alerts.add(str(rule["alert"]))
                        if shape is not None and shape not in obj.tiers:
                            obj.tiers.append(shape)
    out: dict[str, list[_Objective]] = {}
    for obj in found.values():
        obj.windows.sort()
        out.setdefault(obj.labels[SLO_LABEL], []).append(obj)
    return out


def _slo_of(expr: str) -> str | None:
    """The ``slokit_slo`` value an alert expression matches (written with JSON-style escapes)."""
    match = re.search(SLO_LABEL + r'=("(?:[^"\\]|\\.)*")', expr)
    return None if match is None else str(json.loads(match.group(1)))


# --- panels ---


def _target(expr: str, legend: str = "", ref: str = "A", instant: bool = False) -> dict[str, Any]:
    target: dict[str, Any] = {
        "datasource": DATASOURCE,
        "refId": ref,
        "expr": expr,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "instant": instant,
    }
    if instant:
        target["format"] = "table"
    return target


def _steps(*pairs: tuple[float | None, str]) -> dict[str, Any]:
    return {"mode": "absolute", "steps": [{"value": v, "color": c} for v, c in pairs]}


def _panel(
    kind: str,
    title: str,
    targets: list[dict[str, Any]],
    grid: tuple[int, int, int, int],
    *,
    unit: str = "percentunit",
    thresholds: dict[str, Any] | None = None,
    description: str = "",
    custom: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    decimals: int | None = None,
) -> dict[str, Any]:
    x, y, w, h = grid
    defaults: dict[str, Any] = {"unit": unit}
    if thresholds is not None:
        defaults["thresholds"] = thresholds
        defaults["color"] = {"mode": "thresholds"}
    if custom is not None:
        defaults["custom"] = custom
    if decimals is not None:
        defaults["decimals"] = decimals
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options or {},
    }


def _budget_steps() -> dict[str, Any]:
    return _steps((None, "red"), (0.0, "orange"), (0.25, "yellow"), (0.5, "green"))


def _dashboard(uid: str, title: str, panels: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    for i, panel in enumerate(panels, start=1):
        panel["id"] = i
    return {
        "uid": uid,
        "title": title,
        "tags": [TAG, *extra.pop("tags", [])],
        "timezone": "utc",
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": True,
        "refresh": "1m",
        "time": extra.pop("time", {"from": "now-7d", "to": "now"}),
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Data source",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {},
                    "hide": 0,
                    "refresh": 1,
                    "regex": "",
                    "options": [],
                }
            ]
        },
        "annotations": {"list": extra.pop("annotations", [])},
        "links": extra.pop("links", []),
        "panels": panels,
    }


def slo_uid(slo: str) -> str:
    """A stable Grafana UID (at most 40 characters) for an SLO's dashboard."""
    digest = hashlib.sha256(slo.encode()).hexdigest()[:8]
    slug = re.sub(r"[^a-zA-Z0-9-]+", "-", slo).strip("-")[:22]
    return f"slokit-{slug}-{digest}"


def _alert_filter(slo: str, names: set[str]) -> str:
    alertnames = "|".join(sorted(names)) or f"{BURN_ALERT}|{NO_DATA_ALERT}"
    return f'{{alertname=~"{alertnames}", {SLO_LABEL}={go_quote(slo)}, alertstate="firing"}}'


def overview(by_slo: Mapping[str, list[_Objective]]) -> dict[str, Any]:
    legend = f"{{{{{SERVICE_LABEL}}}}} / {{{{{SLO_LABEL}}}}} {{{{{OBJECTIVE_LABEL}}}}}"
    names = sorted({a for objs in by_slo.values() for o in objs for a in o.alerts}) or [BURN_ALERT]
    alert_sel = f'{{alertname=~"{"|".join(names)}", alertstate="firing", {SLO_LABEL}!=""}}'
    panels = [
        _panel(
            "bargauge",
            "Error budget remaining",
            [_target("slokit:error_budget_remaining:ratio", legend, instant=True)],
            (0, 0, 12, 10),
            thresholds=_budget_steps(),
            description="Share of each objective's error budget left over its SLO period (< 0: overspent).",
            options={"displayMode": "basic", "orientation": "horizontal", "showUnfilled": True},
        ),
        _panel(
            "table",
            "SLI over the SLO period and objective",
            [
                _target("1 - slokit:error_ratio:period", legend, "A", instant=True),
                _target("slokit:objective:ratio", legend, "B", instant=True),
            ],
            (12, 0, 12, 10),
            decimals=4,
            description="Event-weighted SLI over each SLO's whole period (A) next to its objective (B).",
            options={"showHeader": True},
        ),
        _panel(
            "table",
            "SLO alerts firing",
            [_target(f"{ALERTS}{alert_sel}", "", instant=True)],
            (0, 10, 24, 7),
            unit="none",
            description="Burn-rate and no-data alerts of the generated rules that are firing now.",
            options={"showHeader": True},
        ),
        _panel(
            "timeseries",
            "Error budget remaining over time",
            [_target("slokit:error_budget_remaining:ratio", legend)],
            (0, 17, 24, 9),
            thresholds=_budget_steps(),
            custom={"thresholdsStyle": {"mode": "line"}},
        ),
    ]
    links = [
        {
            "title": f"SLO {name}",
            "type": "link",
            "url": f"/d/{slo_uid(name)}?${{__url_time_range}}&var-datasource=${{datasource}}",
            "targetBlank": False,
        }
        for name in sorted(by_slo)
    ]
    return _dashboard(
        OVERVIEW_UID, "SLOs: overview", panels, links=links, time={"from": "now-30d", "to": "now"}
    )


def slo_dashboard(slo: str, objectives: Sequence[_Objective], display: str | None) -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    y = 0
    for obj in objectives:
        sel = obj.selector
        suffix = f" ({obj.name})" if obj.name else ""
        target = obj.target if obj.target is not None else 0.0
        budget = allowed_bad_fraction(target) if obj.target is not None else 1.0
        sli_steps = _steps((None, "red"), (target, "green"))
        panels += [
            _panel(
                "stat",
                f"SLI over the period{suffix}",
                [_target(f"1 - slokit:error_ratio:period{sel}", "SLI", instant=True)],
                (0, y, 6, 5),
                thresholds=sli_steps,
                decimals=4,
                description=f"Event-weighted over the SLO period; objective {go_float(target * 100)} %.",
            ),
            _panel(
                "stat",
                f"Objective{suffix}",
                [_target(f"slokit:objective:ratio{sel}", "objective", instant=True)],
                (6, y, 6, 5),
                decimals=4,
            ),
            _panel(
                "stat",
                f"Error budget remaining{suffix}",
                [_target(f"slokit:error_budget_remaining:ratio{sel}", "remaining", instant=True)],
                (12, y, 6, 5),
                thresholds=_budget_steps(),
                decimals=1,
            ),
            _panel(
                "table",
                f"Alerts firing{suffix}",
                [_target(f"{ALERTS}{_alert_filter(slo, obj.alerts)}", "", instant=True)],
                (18, y, 6, 5),
                unit="none",
                options={"showHeader": True},
            ),
        ]
        y += 5
        panels.append(
            _panel(
                "timeseries",
                f"Error budget burn-down{suffix}",
                [_target(f"slokit:error_budget_remaining:ratio{sel}", "budget remaining")],
                (0, y, 12, 8),
                thresholds=_steps((None, "red"), (0.0, "green")),
                custom={"thresholdsStyle": {"mode": "line"}, "fillOpacity": 10},
                description="Budget left over the rolling SLO period at each instant; 0 is exhausted.",
            )
        )
        panels.append(
            _panel(
                "timeseries",
                f"SLI by window{suffix}",
                [
                    _target(f"1 - slokit:error_ratio:rate{text}{sel}", text, chr(ord("A") + i))
                    for i, (_, text) in enumerate(obj.windows)
                ],
                (12, y, 12, 8),
                thresholds=sli_steps,
                custom={"thresholdsStyle": {"mode": "line"}},
            )
        )
        y += 8
        tiers = obj.tiers
        aware = any(t.aware for t in tiers)
        have = {text for _, text in obj.windows}
        factors = sorted({t.factor for t in tiers})
        burn_targets: list[dict[str, Any]] = []
        for tier in tiers:
            for text in (tier.long, tier.short):
                if text in have and all(t["legendFormat"] != text for t in burn_targets):
                    expr = (
                        f"slokit:budget_burn:rate{text}{sel}"
                        if aware
                        else f"slokit:error_ratio:rate{text}{sel} / {go_float(budget)}"
                    )
                    burn_targets.append(_target(expr, text, chr(ord("A") + len(burn_targets))))
        tier_text = ", ".join(f"{t.long}/{t.short} ≥ {go_float(t.factor)} ({t.severity})" for t in tiers)
        meaning = (
            "Bad events in each alert window over the allowance an average window of that length gets "
            "in the SLO period (traffic-aware burn, estimated from the last week's traffic). An alert "
            "fires when both windows of a tier are at or above its factor, each window's own error "
            "ratio misses the objective and the short window holds enough bad events"
            if aware
            else "Error ratio over each alert window divided by the error budget (1 − objective). "
            "An alert fires when both windows of a tier are at or above its factor"
        )
        panels.append(
            _panel(
                "timeseries",
                f"Burn rates{suffix}",
                burn_targets,
                (0, y, 24, 9),
                unit="none",
                thresholds=_steps((None, "green"), *((f, "red") for f in factors)),
                custom={"thresholdsStyle": {"mode": "line"}},
                description=f"{meaning}: {tier_text}." if tier_text else meaning + ".",
            )
        )
        y += 9
    names: set[str] = set().union(*(o.alerts for o in objectives)) if objectives else set()
    annotations = [
        {
            "name": "SLO alerts",
            "datasource": DATASOURCE,
            "enable": True,
            "iconColor": "red",
            "expr": f"{ALERTS}{_alert_filter(slo, names)}",
            "step": "60s",
            "titleFormat": "{{alertname}} {{severity}}",
            "textFormat": "{{slokit_long_window}}/{{slokit_short_window}}",
            "tagKeys": "severity",
        }
    ]
    links = [{"title": "SLO overview", "type": "link", "url": f"/d/{OVERVIEW_UID}?${{__url_time_range}}"}]
    title = f"SLO: {display or slo}"
    return _dashboard(slo_uid(slo), title, panels, annotations=annotations, links=links, tags=["slo"])


def dashboards(spec: Spec, options: NativeOptions | None = None) -> Dashboards:
    """The overview and one dashboard per SLO the native rules cover."""
    result = native_groups(spec, options)
    by_slo = _objectives(result.groups)
    files = {"slokit-overview.json": overview(by_slo)}
    for name, objectives in by_slo.items():
        slo = spec.slos.get(name)
        display = slo.metadata.display_name if slo is not None else None
        safe = re.sub(r"[^a-zA-Z0-9_.-]+", "-", name)
        files[f"slo-{safe}.json"] = slo_dashboard(name, objectives, display)
    return Dashboards(files, list(result.skipped) + list(result.notes))
