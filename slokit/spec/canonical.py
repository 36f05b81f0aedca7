"""The model written back as OpenSLO documents, keys in the order the specification lists them.

``slokit fmt`` and the importers use this, so every spec slokit writes looks the same and loads
back into an equal model. Objects that were referenced by name (``indicatorRef``,
``alertPolicyRef``, ``conditionRef``, ``targetRef``, ``metricSourceRef``) are written as
references when the :class:`Spec` being written holds the very object; otherwise inline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from slokit.spec.model import (
    SLI,
    SLO,
    AlertCondition,
    AlertNotificationTarget,
    AlertPolicy,
    Correction,
    DataSource,
    ErrorBudgetPolicy,
    Metadata,
    MetricSource,
    Objective,
    RatioMetric,
    Selector,
    Service,
    Spec,
    TimeWindow,
)

API_V1 = "openslo/v1"
API_SLOKIT = "slokit/v1"

Object = (
    Service
    | DataSource
    | SLI
    | SLO
    | AlertPolicy
    | AlertCondition
    | AlertNotificationTarget
    | Correction
    | ErrorBudgetPolicy
)


def number(value: float) -> int | float:
    """400.0 is written 400; other values as the shortest float that reads back equal."""
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def duration_text(seconds: int) -> str:
    """A length in seconds as the largest exact shorthand unit (7200 → 2h)."""
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def metadata(meta: Metadata) -> dict[str, Any]:
    out: dict[str, Any] = {"name": meta.name}
    if meta.display_name is not None:
        out["displayName"] = meta.display_name
    if meta.labels:
        out["labels"] = {k: v[0] if len(v) == 1 else list(v) for k, v in meta.labels.items()}
    if meta.annotations:
        out["annotations"] = dict(meta.annotations)
    return out


def _doc(kind: str, meta: Metadata, spec: Mapping[str, Any] | None, api: str = API_V1) -> dict[str, Any]:
    out: dict[str, Any] = {"apiVersion": api, "kind": kind, "metadata": metadata(meta)}
    if spec is not None:
        out["spec"] = dict(spec)
    return out


def _inline(kind: str, meta: Metadata, spec: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "metadata": metadata(meta), "spec": spec}


def _described(description: str) -> dict[str, Any]:
    return {"description": description} if description else {}


class Writer:
    """Turns model objects into OpenSLO dicts; ``spec`` decides what is written as a reference."""

    def __init__(self, spec: Spec | None = None) -> None:
        self.spec = spec or Spec()

    def _is_shared(self, registry: Mapping[str, Any], obj: Any) -> bool:
        return registry.get(obj.name) is obj

    # --- one document per top-level object ---

    def document(self, obj: Object) -> dict[str, Any]:
        if isinstance(obj, Service):
            return _doc("Service", obj.metadata, _described(obj.description) or None)
        if isinstance(obj, DataSource):
            return _doc("DataSource", obj.metadata, self.data_source_spec(obj))
        if isinstance(obj, SLI):
            return _doc("SLI", obj.metadata, self.sli_spec(obj))
        if isinstance(obj, SLO):
            return _doc("SLO", obj.metadata, self.slo_spec(obj))
        if isinstance(obj, AlertPolicy):
            return _doc("AlertPolicy", obj.metadata, self.policy_spec(obj))
        if isinstance(obj, AlertCondition):
            return _doc("AlertCondition", obj.metadata, self.condition_spec(obj))
        if isinstance(obj, AlertNotificationTarget):
            return _doc("AlertNotificationTarget", obj.metadata, self.target_spec(obj))
        if isinstance(obj, Correction):
            return _doc("Correction", obj.metadata, self.correction_spec(obj), API_SLOKIT)
        return _doc("ErrorBudgetPolicy", obj.metadata, self.budget_policy_spec(obj), API_SLOKIT)

    def data_source_spec(self, ds: DataSource) -> dict[str, Any]:
        return {
            **_described(ds.description),
            "type": ds.type,
            "connectionDetails": dict(ds.connection_details),
        }

    # --- SLI ---

    def sli_spec(self, sli: SLI) -> dict[str, Any]:
        out = _described(sli.description)
        if sli.threshold_metric is not None:
            out["thresholdMetric"] = self.metric(sli.threshold_metric.source)
        if sli.ratio_metric is not None:
            out["ratioMetric"] = self.ratio(sli.ratio_metric)
        return out

    def ratio(self, ratio: RatioMetric) -> dict[str, Any]:
        out: dict[str, Any] = {"counter": ratio.counter}
        for key, source in (("good", ratio.good), ("bad", ratio.bad), ("total", ratio.total)):
            if source is not None:
                out[key] = self.metric(source)
        if ratio.raw is not None:
            out["rawType"] = ratio.raw_type
            out["raw"] = self.metric(ratio.raw)
        return out

    def metric(self, source: MetricSource) -> dict[str, Any]:
        ms: dict[str, Any] = {}
        if source.data_source_ref is not None:
            ms["metricSourceRef"] = source.data_source_ref
        ds = self.spec.data_sources.get(source.data_source_ref or "")
        if source.type is not None and not (ds is not None and ds.type == source.type):
            ms["type"] = source.type
        ms["spec"] = dict(source.spec)
        return {"metricSource": ms}

    def inline_sli(self, sli: SLI) -> dict[str, Any]:
        return {"metadata": metadata(sli.metadata), "spec": self.sli_spec(sli)}

    # --- SLO ---

    def slo_spec(self, slo: SLO) -> dict[str, Any]:
        out = _described(slo.description)
        out["service"] = slo.service
        out.update(self.indicator(slo.indicator, slo.indicator_ref))
        out["timeWindow"] = [self.time_window(slo.time_window)]
        out["budgetingMethod"] = slo.budgeting_method
        out["objectives"] = [self.objective(o) for o in slo.objectives]
        if slo.alert_policies:
            out["alertPolicies"] = [self.policy_entry(p) for p in slo.alert_policies]
        return out

    def indicator(self, sli: SLI | None, ref: str | None) -> dict[str, Any]:
        if sli is None:
            return {}
        if ref is not None and self._is_shared(self.spec.slis, sli):
            return {"indicatorRef": ref}
        return {"indicator": self.inline_sli(sli)}

    def time_window(self, window: TimeWindow) -> dict[str, Any]:
        out: dict[str, Any] = {"duration": str(window.duration)}
        if window.calendar is not None:
            start = window.calendar.start_time
            out["calendar"] = {
                "startTime": start.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S"),
                "timeZone": window.calendar.time_zone,
            }
        out["isRolling"] = window.is_rolling
        return out

    def objective(self, objective: Objective) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if objective.display_name is not None:
            out["displayName"] = objective.display_name
        if objective.op is not None:
            out["op"] = objective.op
        if objective.value is not None:
            out["value"] = number(objective.value)
        out["target"] = objective.target
        if objective.time_slice_target is not None:
            out["timeSliceTarget"] = number(objective.time_slice_target)
        if objective.time_slice_window is not None:
            out["timeSliceWindow"] = str(objective.time_slice_window)
        if objective.composite_weight is not None:
            out["compositeWeight"] = number(objective.composite_weight)
        out.update(self.indicator(objective.indicator, objective.indicator_ref))
        return out

    # --- alerting ---

    def policy_entry(self, policy: AlertPolicy) -> dict[str, Any]:
        if self._is_shared(self.spec.alert_policies, policy):
            return {"alertPolicyRef": policy.name}
        return {
            "kind": "AlertPolicy",
            "metadata": metadata(policy.metadata),
            "spec": self.policy_spec(policy),
        }

    def policy_spec(self, policy: AlertPolicy) -> dict[str, Any]:
        out = _described(policy.description)
        out["alertWhenNoData"] = policy.alert_when_no_data
        out["alertWhenResolved"] = policy.alert_when_resolved
        out["alertWhenBreaching"] = policy.alert_when_breaching
        out["conditions"] = [
            {"conditionRef": c.name}
            if self._is_shared(self.spec.alert_conditions, c)
            else _inline("AlertCondition", c.metadata, self.condition_spec(c))
            for c in policy.conditions
        ]
        out["notificationTargets"] = [
            {"targetRef": t.name}
            if self._is_shared(self.spec.notification_targets, t)
            else {
                "kind": "AlertNotificationTarget",
                "metadata": metadata(t.metadata),
                "spec": self.target_spec(t),
            }
            for t in policy.notification_targets
        ]
        return out

    def condition_spec(self, cond: AlertCondition) -> dict[str, Any]:
        out = _described(cond.description)
        out["severity"] = cond.severity
        condition: dict[str, Any] = {
            "kind": cond.kind,
            "op": cond.op,
            "threshold": number(cond.threshold),
            "lookbackWindow": str(cond.lookback_window),
        }
        if cond.alert_after.count:
            condition["alertAfter"] = str(cond.alert_after)
        out["condition"] = condition
        return out

    def target_spec(self, target: AlertNotificationTarget) -> dict[str, Any]:
        return {**_described(target.description), "target": target.target}

    # --- slokit/v1 ---

    def selector(self, selector: Selector) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if selector.slos:
            out["slos"] = list(selector.slos)
        if selector.match_labels:
            out["selector"] = {"matchLabels": dict(selector.match_labels)}
        return out

    def correction_spec(self, c: Correction) -> dict[str, Any]:
        out = _described(c.description)
        out["reason"] = c.reason
        out["start"] = _instant(c.start)
        out["duration"] = duration_text(c.duration_seconds)
        if c.rrule is not None:
            out["rrule"] = c.rrule
        if c.until is not None:
            out["until"] = _instant(c.until)
        out["timeZone"] = c.time_zone
        out.update(self.selector(c.selector))
        return out

    def budget_policy_spec(self, policy: ErrorBudgetPolicy) -> dict[str, Any]:
        out = _described(policy.description)
        out.update(self.selector(policy.selector))
        states = []
        for state in policy.states:
            entry: dict[str, Any] = {
                "name": state.name,
                "below": number(round(state.max_remaining * 100, 10)),
                "blockDeploys": state.block_deploys,
            }
            if state.description:
                entry["description"] = state.description
            states.append(entry)
        out["states"] = states
        return out


def _instant(when: datetime) -> str:
    return when.isoformat()


def objects(spec: Spec) -> list[Object]:
    """Every top-level object of a spec, in kind order."""
    out: list[Object] = []
    out.extend(spec.services.values())
    out.extend(spec.data_sources.values())
    out.extend(spec.slis.values())
    out.extend(spec.slos.values())
    out.extend(spec.alert_policies.values())
    out.extend(spec.alert_conditions.values())
    out.extend(spec.notification_targets.values())
    out.extend(spec.corrections.values())
    out.extend(spec.budget_policies.values())
    return out


def documents(spec: Spec, only: Iterable[Object] | None = None) -> list[dict[str, Any]]:
    """OpenSLO dicts for ``only`` (default: every object), in source order where known."""
    chosen = list(only) if only is not None else objects(spec)
    chosen.sort(key=lambda o: (o.location.file, o.location.line) if o.location else ("", 0))
    writer = Writer(spec)
    return [writer.document(o) for o in chosen]


def documents_by_file(spec: Spec) -> dict[str, list[dict[str, Any]]]:
    """The canonical documents of each source file, for rewriting files in place."""
    by_file: dict[str, list[Object]] = {name: [] for name in spec.files}
    for obj in objects(spec):
        if obj.location is not None:
            by_file.setdefault(obj.location.file, []).append(obj)
    return {name: documents(spec, objs) for name, objs in by_file.items()}
