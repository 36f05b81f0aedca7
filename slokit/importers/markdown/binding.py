"""OpenSLO documents for imported objectives: one Service per service, one SLO per objective.

Every SLO gets a data binding that validates as generated, so ``slokit validate`` passes before
the user has touched anything; the names in it (stream, fields, metrics) are conventions the user
edits. ``slokit`` bindings read one event stream per service; ``prometheus`` bindings use the
usual ``http_requests_total`` / ``http_request_duration_seconds`` metrics with a ``job`` label.

What the document does not say is never invented silently: an objective without a window gets
the default window, an objective without a target share (a throughput floor, an RTO) gets an
assumed target; both are recorded in the SLO's annotations. Objectives that cannot become an SLO
(a 100 % target leaves no error budget; a percentile without a threshold) are returned as
reasons, not written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from slokit.importers.markdown.model import ImportedObjective
from slokit.importers.markdown.numbers import format_number
from slokit.importers.markdown.reader import slugify
from slokit.importers.markdown.units import TIME_UNIT_MS
from slokit.spec.reader import DISPLAY_NAME_MAX

BindKind = Literal["slokit", "prometheus"]
ANNOTATION = "slokit.dev/"
#: Share of samples assumed when the document states a threshold but no share (throughput, RTO).
ASSUMED_TARGET_PERCENT = 99.0
CALENDAR_START = "2026-01-01 00:00:00"

_VALUE_FIELD = {
    "latency": "latency_ms",
    "freshness": "lag_ms",
    "durability": "age_ms",
    "other": "duration_ms",
    "availability": "duration_ms",
    "error_rate": "duration_ms",
}
_PROM_HISTOGRAM = {
    "latency": "http_request_duration_seconds",
    "freshness": "lag_seconds",
    "durability": "backup_age_seconds",
    "other": "duration_seconds",
    "availability": "http_request_duration_seconds",
    "error_rate": "http_request_duration_seconds",
}


@dataclass(frozen=True, slots=True)
class NotGenerated:
    objective: ImportedObjective
    reason: str


def _window(obj: ImportedObjective, default: tuple[str, bool]) -> tuple[dict[str, Any], str | None]:
    duration, rolling = (obj.window, obj.window_type == "rolling") if obj.window else default
    note = (
        None
        if obj.window
        else f"the document states no window: {duration} {'rolling' if rolling else 'calendar'} assumed"
    )
    window: dict[str, Any] = {"duration": duration, "isRolling": rolling}
    if not rolling:
        window["calendar"] = {"startTime": CALENDAR_START, "timeZone": "UTC"}
    return window, note


def _slokit_source(stream: str, where: str | None = None, value: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"stream": stream}
    if where:
        spec["where"] = where
    if value:
        spec["value"] = value
    return {"metricSource": {"type": "slokit", "spec": spec}}


def _prom_source(spec: dict[str, Any]) -> dict[str, Any]:
    return {"metricSource": {"type": "prometheus", "spec": spec}}


def _counter(metric: str, selector: str) -> str:
    return f"sum(rate({metric}{{{selector}}}[{{{{window}}}}]))"


def _indicator(
    obj: ImportedObjective, bind: BindKind, value: float | None
) -> tuple[dict[str, Any], float | None]:
    """The SLI spec and the objective value in the binding's unit (ms for slokit, s for histograms)."""
    stream = obj.service.replace("-", "_")
    job = f'job="{obj.service}"'
    if obj.threshold is not None and obj.unit is not None and obj.unit in TIME_UNIT_MS:
        ms = obj.threshold * TIME_UNIT_MS[obj.unit]
        if bind == "slokit":
            return {"thresholdMetric": _slokit_source(stream, None, _VALUE_FIELD[obj.sli_kind])}, ms
        return {
            "thresholdMetric": _prom_source(
                {"histogram": _PROM_HISTOGRAM[obj.sli_kind], "selector": f"{{{job}}}"}
            )
        }, ms / 1000
    if obj.threshold is not None:  # a rate: one sample per minute of the service's request count
        per = obj.unit.split("/")[-1] if obj.unit else "min"
        field = f"{(obj.unit or 'requests/min').split('/')[0]}_per_{per}"
        if bind == "slokit":
            return {"thresholdMetric": _slokit_source(f"{stream}_minutes", None, field)}, obj.threshold
        seconds = {"s": 1, "min": 60, "h": 3600}.get(per, 60)
        query = f"sum(rate(http_requests_total{{{job}}}[1m])) * {seconds}"
        return {"thresholdMetric": _prom_source({"query": query})}, obj.threshold
    if obj.sli_kind == "error_rate":
        if bind == "slokit":
            ratio = {
                "counter": True,
                "bad": _slokit_source(stream, "status >= 500"),
                "total": _slokit_source(stream),
            }
        else:
            ratio = {
                "counter": True,
                "bad": _prom_source({"query": _counter("http_requests_total", job + ',code=~"5.."')}),
                "total": _prom_source({"query": _counter("http_requests_total", job)}),
            }
        return {"ratioMetric": ratio}, None
    if obj.sli_kind == "durability":
        if bind == "slokit":
            good, total = (
                _slokit_source(f"{stream}_backups", "outcome = 'success'"),
                _slokit_source(f"{stream}_backups"),
            )
        else:
            good = _prom_source({"query": _counter("backup_runs_total", job + ',result="success"')})
            total = _prom_source({"query": _counter("backup_runs_total", job)})
        return {"ratioMetric": {"counter": True, "good": good, "total": total}}, None
    if bind == "slokit":
        ratio = {
            "counter": True,
            "good": _slokit_source(stream, "status < 500"),
            "total": _slokit_source(stream),
        }
    else:
        ratio = {
            "counter": True,
            "good": _prom_source({"query": _counter("http_requests_total", job + ',code!~"5.."')}),
            "total": _prom_source({"query": _counter("http_requests_total", job)}),
        }
    return {"ratioMetric": ratio}, None


def _unique(name: str, used: set[str]) -> str:
    base = name[:60].rstrip("-") or "slo"
    candidate, n = base, 2
    while candidate in used:
        candidate = f"{base[:57].rstrip('-')}-{n}"
        n += 1
    used.add(candidate)
    return candidate


def build_documents(
    objectives: list[ImportedObjective],
    *,
    source: str,
    bind: BindKind = "slokit",
    window_default: tuple[str, bool] = ("30d", True),
) -> tuple[dict[str, list[dict[str, Any]]], list[NotGenerated]]:
    """OpenSLO documents grouped by service (Service first), and the objectives left out with why."""
    by_service: dict[str, list[dict[str, Any]]] = {}
    skipped: list[NotGenerated] = []
    used: set[str] = set()
    for obj in objectives:
        if obj.target_percent is not None and obj.target_percent >= 100:
            skipped.append(
                NotGenerated(
                    obj,
                    "a 100 % target leaves no error budget: nothing can be measured "
                    "against it (write the share you can actually promise, e.g. 99.9 %)",
                )
            )
            continue
        if obj.threshold is None and obj.percentile is not None:
            skipped.append(
                NotGenerated(
                    obj,
                    f"p{format_number(obj.percentile)} without a threshold: "
                    "say what the percentile must stay under (e.g. '< 400 ms')",
                )
            )
            continue
        if obj.target_percent is not None and obj.target_percent <= 0:
            skipped.append(NotGenerated(obj, "the target share is 0 % or less"))
            continue
        docs = by_service.setdefault(obj.service, [])
        if not docs:
            docs.append(
                {
                    "apiVersion": "openslo/v1",
                    "kind": "Service",
                    "metadata": {"name": obj.service},
                    "spec": {"description": f"Imported from {source}."},
                }
            )
        indicator, value = _indicator(obj, bind, obj.threshold)
        window, window_note = _window(obj, window_default)
        target = obj.target_percent
        annotations = {
            ANNOTATION + "source": f"{source}:"
            + ",".join(str(n) for n in (obj.source_lines or (obj.source_line,))),
            ANNOTATION + "confidence": f"{obj.confidence:.2f}",
            ANNOTATION + "source-text": obj.source_text[:500],
        }
        if target is None:
            target = ASSUMED_TARGET_PERCENT
            annotations[ANNOTATION + "assumed-target"] = (
                f"the document states no share for this threshold: {format_number(target)} % assumed, edit it"
            )
        if window_note:
            annotations[ANNOTATION + "assumed-window"] = window_note
        name = _unique(slugify(f"{obj.service}-{obj.name}") or obj.service, used)
        objective: dict[str, Any] = {"displayName": _short(_describe(obj))}
        if value is not None:
            objective["op"] = obj.op or "lte"
            objective["value"] = round(value, 9)
        objective["target"] = round(target / 100, 12)
        docs.append(
            {
                "apiVersion": "openslo/v1",
                "kind": "SLO",
                "metadata": {"name": name, "displayName": _short(obj.name), "annotations": annotations},
                "spec": {
                    "description": f"{obj.sli_kind} objective imported from {source} line {obj.source_line}.",
                    "service": obj.service,
                    "indicator": {"metadata": {"name": name}, "spec": indicator},
                    "timeWindow": [window],
                    "budgetingMethod": "Occurrences",
                    "objectives": [objective],
                },
            }
        )
    return by_service, skipped


def _short(text: str) -> str:
    """A display name within OpenSLO's limit, cut at a word where possible."""
    if len(text) <= DISPLAY_NAME_MAX:
        return text
    cut = text[: DISPLAY_NAME_MAX - 1].rsplit(" ", 1)[0]
    return cut + "…"


def _describe(obj: ImportedObjective) -> str:
    parts = []
    if obj.percentile is not None:
        parts.append(f"p{format_number(obj.percentile)}")
    if obj.threshold is not None:
        symbol = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[obj.op or "lte"]
        parts.append(f"{symbol} {format_number(obj.threshold)} {obj.unit or ''}".strip())
    if obj.target_percent is not None and obj.percentile is None:
        parts.append(f"{format_number(obj.target_percent)} %")
    return " ".join(parts) or obj.name
