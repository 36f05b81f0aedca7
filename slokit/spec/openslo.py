"""OpenSLO v1 objects: validation and construction of the model.

The rules are those of the OpenSLO v1 specification as its reference implementation (the Go SDK)
enforces them, plus what that SDK cannot check because it validates one object at a time:
references resolve, time zones exist, names are unique per kind, and objectives agree with the
indicator they measure. Each builder reads every field before giving up, so one run reports all
problems of a file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from slokit.errors import Location
from slokit.spec.bindings import PROMETHEUS_TYPE, SLOKIT_TYPE, check_group_pair, parse_binding
from slokit.spec.durations import Duration
from slokit.spec.model import (
    SLI,
    SLO,
    AlertCondition,
    AlertNotificationTarget,
    AlertPolicy,
    Binding,
    BudgetingMethod,
    Calendar,
    DataSource,
    Metadata,
    MetricSource,
    Objective,
    Operator,
    RatioMetric,
    RawType,
    Service,
    SlokitQuery,
    ThresholdMetric,
    TimeWindow,
)
from slokit.spec.reader import DISPLAY_NAME_MAX, Context, Fields, index, join, suggest
from slokit.spec.yamlnodes import Node

#: Source types slokit evaluates itself (exact, lowercase).
MEASURED_TYPES = (SLOKIT_TYPE, PROMETHEUS_TYPE)

API_V1 = "openslo/v1"
V1_KINDS = ("Service", "SLI", "SLO", "DataSource", "AlertPolicy", "AlertCondition", "AlertNotificationTarget")
OPERATORS = ("lt", "lte", "gt", "gte")
BUDGETING_METHODS = ("Occurrences", "Timeslices", "RatioTimeslices")
RAW_TYPES = ("success", "failure")
ALERT_CONDITION_KINDS = ("burnrate",)
Role = Literal["good", "bad", "total", "raw", "threshold"]

LABEL_KEY_RE = re.compile(r"^[a-zA-Z0-9]([-._a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$")
ANNOTATION_KEY_RE = re.compile(
    r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*/)?"
    r"[a-zA-Z0-9]([-._a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$"
)
#: ``calendar.startTime`` as OpenSLO writes it: a local date and time, no zone (Go's time.DateTime).
CALENDAR_START_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
ZERO_DURATION_RE = re.compile(r"^0[mhdwMQY]$")

METADATA_FIELDS = ("name", "displayName", "labels", "annotations")
METRIC_SOURCE_FIELDS = ("metricSourceRef", "type", "spec")
OBJECTIVE_FIELDS = (
    "displayName",
    "op",
    "value",
    "target",
    "targetPercent",
    "timeSliceTarget",
    "timeSliceWindow",
    "indicator",
    "indicatorRef",
    "compositeWeight",
)


@dataclass(slots=True)
class Entry:
    """One top-level object found in a file, not yet validated."""

    api_version: str
    kind: str
    name: str
    node: Node
    file: str


def is_valid_time_zone(name: str) -> bool:
    if not name or name != name.strip() or name.startswith("/") or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


_ZONES: list[str] = []


def zone_hint(name: str) -> str:
    if not _ZONES:
        _ZONES.extend(sorted(available_timezones()))
    guess = suggest(name, _ZONES)
    prefix = f"did you mean '{guess}'? " if guess else ""
    return prefix + "use an IANA time zone name such as UTC, Europe/Berlin or America/New_York"


class Builder:
    """Builds model objects from registered entries; each entry is built once, on first use."""

    def __init__(self, ctx: Context, entries: Mapping[str, Mapping[str, Entry]]) -> None:
        self.ctx = ctx
        self.entries = entries
        self.cache: dict[tuple[str, str], Any] = {}

    # --- references ---

    def resolve(self, kind: str, name: str, where: Node | Location | None, path: str) -> Any:
        """The built object ``kind``/``name``, or None (reported) when it does not exist or is invalid."""
        key = (kind, name)
        if key in self.cache:
            return self.cache[key]
        entry = self.entries.get(kind, {}).get(name)
        if entry is None:
            known = list(self.entries.get(kind, {}))
            guess = suggest(name, known)
            hint = f"did you mean '{guess}'? " if guess else ""
            listing = ", ".join(known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
            hint += f"defined {kind} objects: {listing}" if known else f"no {kind} objects are defined"
            self.ctx.error(where, path, f"{kind} '{name}' is not defined", hint)
            return None
        self.cache[key] = None  # guards against reference cycles
        built = self.build(entry)
        self.cache[key] = built
        return built

    def build(self, entry: Entry) -> Any:
        builders: dict[str, Callable[[Entry], Any]] = {
            "Service": self.service,
            "DataSource": self.data_source,
            "SLI": self.sli_object,
            "SLO": self.slo,
            "AlertPolicy": self.alert_policy_object,
            "AlertCondition": self.alert_condition_object,
            "AlertNotificationTarget": self.notification_target_object,
        }
        return builders[entry.kind](entry)

    def build_all(self, kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, entry in self.entries.get(kind, {}).items():
            key = (kind, name)
            if key not in self.cache:
                self.cache[key] = None
                self.cache[key] = self.build(entry)
            if self.cache[key] is not None:
                out[name] = self.cache[key]
        return out

    # --- shared pieces ---

    def metadata(self, node: Node | None, path: str, what: str) -> Metadata | None:
        f = Fields(self.ctx, node, path, METADATA_FIELDS, "metadata")
        if node is None:
            return None
        name = f.name("name", what=f"{what} name")
        display = f.string("displayName")
        if display is not None and len(display) > DISPLAY_NAME_MAX:
            self.ctx.error(
                f.get("displayName"),
                f.p("displayName"),
                f"is {len(display)} characters long; at most {DISPLAY_NAME_MAX} are allowed",
                "put longer text into spec.description",
            )
        labels = self.labels(f.mapping("labels"), f.p("labels"))
        annotations = self.annotations(f.mapping("annotations"), f.p("annotations"))
        if name is None:
            return None
        return Metadata(name=name, display_name=display, labels=labels, annotations=annotations)

    def labels(self, node: Node | None, path: str) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        if node is None:
            return out
        for key, value in node.value.items():
            p = join(path, key)
            if not LABEL_KEY_RE.match(key):
                self.ctx.error(
                    node.key_locs.get(key),
                    p,
                    f"label key '{key}' is not valid",
                    "at most 63 characters: letters, digits, '-', '_', '.', starting and ending alphanumeric",
                )
            items = value.value if value.is_seq else [value]
            strings: list[str] = []
            for i, item in enumerate(items):
                if item.is_scalar and isinstance(item.value, str):
                    strings.append(item.value)
                else:
                    self.ctx.error(
                        item,
                        index(p, i) if value.is_seq else p,
                        f"a label value must be a string, got {item.type_name()}",
                        'quote numbers and booleans, e.g. tier: "1"',
                    )
            out[key] = tuple(strings)
        return out

    def annotations(self, node: Node | None, path: str) -> dict[str, str]:
        out: dict[str, str] = {}
        if node is None:
            return out
        for key, value in node.value.items():
            p = join(path, key)
            prefix, _, rest = key.rpartition("/")
            if len(prefix) > 253 or len(rest) > 63 or not ANNOTATION_KEY_RE.match(key):
                self.ctx.error(
                    node.key_locs.get(key),
                    p,
                    f"annotation key '{key}' is not valid",
                    "an optional DNS-subdomain prefix and '/', then a name of at most 63 characters, "
                    "e.g. example.com/runbook",
                )
            if value.is_scalar and isinstance(value.value, str):
                out[key] = value.value
            else:
                self.ctx.error(value, p, f"an annotation value must be a string, got {value.type_name()}")
        return out

    def object_fields(
        self, entry: Entry, spec_fields: tuple[str, ...], *, spec_required: bool = True
    ) -> Fields:
        """The ``spec`` of a top-level object (apiVersion/kind/metadata were checked on registration)."""
        top = Fields(self.ctx, entry.node, "", ("apiVersion", "kind", "metadata", "spec"), "an object")
        spec = top.mapping("spec", required=spec_required)
        return Fields(self.ctx, spec, "spec", spec_fields, f"the spec of {entry.kind} '{entry.name}'")

    def entry_metadata(self, entry: Entry) -> Metadata | None:
        top = entry.node.value
        return self.metadata(top.get("metadata"), "metadata", entry.kind)

    # --- Service, DataSource ---

    def service(self, entry: Entry) -> Service | None:
        before = self.ctx.error_count
        meta = self.entry_metadata(entry)
        spec = self.object_fields(entry, ("description",), spec_required=False)
        description = spec.description()
        if meta is None or self.ctx.error_count > before:
            return None
        return Service(metadata=meta, description=description, location=entry.node.loc)

    def data_source(self, entry: Entry) -> DataSource | None:
        before = self.ctx.error_count
        meta = self.entry_metadata(entry)
        spec = self.object_fields(entry, ("description", "type", "connectionDetails"))
        description = spec.description()
        type_ = spec.text("type", required=True, hint="the kind of source, e.g. prometheus or slokit")
        details = self.connection_details(spec)
        if meta is None or type_ is None or self.ctx.error_count > before:
            return None
        return DataSource(
            metadata=meta,
            type=type_,
            connection_details=details,
            description=description,
            location=entry.node.loc,
        )

    def connection_details(self, spec: Fields) -> dict[str, Any]:
        """A mapping; a list of one-key mappings (as the Go SDK's examples write it) is merged."""
        node = spec.get("connectionDetails")
        if node is None:
            spec.missing("connectionDetails", "write {} when none are needed")
            return {}
        if node.is_map:
            details: dict[str, Any] = node.to_python()
            return details
        merged: dict[str, Any] = {}
        if node.is_seq and all(item.is_map for item in node.value):
            for item in node.value:
                for key, value in item.value.items():
                    if key in merged:
                        self.ctx.error(
                            item.key_locs.get(key), spec.p(f"connectionDetails.{key}"), "given twice"
                        )
                    merged[key] = value.to_python()
            return merged
        self.ctx.error(
            node,
            spec.p("connectionDetails"),
            f"must be a mapping (or a list of mappings), got {node.type_name()}",
            "e.g. connectionDetails: {url: http://prometheus:9090}",
        )
        return {}

    # --- SLI ---

    def sli_object(self, entry: Entry) -> SLI | None:
        meta = self.entry_metadata(entry)
        spec_node = Fields(self.ctx, entry.node, "", ("apiVersion", "kind", "metadata", "spec"), "an object")
        return self.sli_from(meta, spec_node.mapping("spec", required=True), "spec", entry.node.loc)

    def inline_sli(self, node: Node, path: str) -> SLI | None:
        f = Fields(self.ctx, node, path, ("metadata", "spec"), "an inline indicator")
        meta = self.metadata(f.mapping("metadata", required=True), f.p("metadata"), "SLI")
        return self.sli_from(meta, f.mapping("spec", required=True), f.p("spec"), node.loc)

    def sli_from(self, meta: Metadata | None, spec_node: Node | None, path: str, loc: Location) -> SLI | None:
        if spec_node is None:
            return None  # a missing spec is reported by the caller
        before = self.ctx.error_count
        f = Fields(
            self.ctx, spec_node, path, ("description", "thresholdMetric", "ratioMetric"), "an SLI spec"
        )
        description = f.description()
        threshold = f.mapping("thresholdMetric")
        ratio = f.mapping("ratioMetric")
        if f.ok and (threshold is None) == (ratio is None):
            if threshold is None:
                f.ctx.error(
                    spec_node,
                    path,
                    "an SLI needs a metric",
                    "give exactly one of thresholdMetric or ratioMetric",
                )
            else:
                f.ctx.error(
                    f.key_loc("ratioMetric"),
                    f.p("ratioMetric"),
                    "thresholdMetric and ratioMetric cannot both be set",
                    "an SLI is either a ratio of events or a threshold on a value; keep one",
                )
        threshold_metric: ThresholdMetric | None = None
        ratio_metric: RatioMetric | None = None
        if threshold is not None:
            source = self.metric(threshold, f.p("thresholdMetric"), "threshold")
            if source is not None:
                threshold_metric = ThresholdMetric(source)
                if isinstance(source.binding, SlokitQuery) and source.binding.value is None:
                    self.ctx.error(
                        source.location,
                        join(f.p("thresholdMetric"), "metricSource.spec"),
                        "a thresholdMetric with type slokit needs 'value'",
                        "name the numeric event field that op/value compare, e.g. value: latency_ms",
                    )
        if ratio is not None:
            ratio_metric = self.ratio_metric(ratio, f.p("ratioMetric"))
        if meta is None or self.ctx.error_count > before:
            return None
        if threshold_metric is None and ratio_metric is None:
            return None
        return SLI(
            metadata=meta,
            ratio_metric=ratio_metric,
            threshold_metric=threshold_metric,
            description=description,
            location=loc,
        )

    def ratio_metric(self, node: Node, path: str) -> RatioMetric | None:
        f = Fields(self.ctx, node, path, ("counter", "good", "bad", "total", "rawType", "raw"), "ratioMetric")
        counter = f.boolean("counter")
        parts: dict[str, MetricSource | None] = {}
        roles: tuple[Role, ...] = ("good", "bad", "total", "raw")
        for role in roles:
            part = f.mapping(role)
            parts[role] = self.metric(part, f.p(role), role) if part is not None else None
        has = {role: f.get(role) is not None for role in ("good", "bad", "total", "raw")}
        raw_type: str | None = None
        if has["raw"]:
            if has["total"]:
                f.forbid(
                    "total", "together with 'raw'", "use raw (a precomputed ratio) or good/bad with total"
                )
            for role in ("good", "bad"):
                f.forbid(role, "together with 'raw'", "use raw (a precomputed ratio) or good/bad with total")
            raw_type = f.enum("rawType", RAW_TYPES, required=True)
        elif has["total"]:
            if has["good"] == has["bad"]:
                if has["good"]:
                    f.forbid("bad", "together with 'good'", "give exactly one of good or bad with total")
                else:
                    f.ctx.error(
                        node, path, "a ratioMetric with 'total' needs 'good' or 'bad'", "add one of them"
                    )
            f.forbid("rawType", "without 'raw'", "rawType only describes a raw ratio")
        else:
            f.ctx.error(
                node,
                path,
                "a ratioMetric needs 'total' (with 'good' or 'bad') or 'raw' (with 'rawType')",
                "add total and good for a success ratio",
            )
        sources = [s for s in parts.values() if s is not None]
        streams = {s.binding.stream for s in sources if isinstance(s.binding, SlokitQuery)}
        if len(streams) > 1:
            self.ctx.error(
                node,
                path,
                f"good/bad/total read different event streams ({', '.join(sorted(streams))})",
                "with type slokit, good or bad narrows total's events: all must name the same stream",
            )
        total_source = parts["total"]
        for role in ("good", "bad"):
            narrowing = parts[role]
            if (
                narrowing is None
                or total_source is None
                or narrowing.binding is None
                or total_source.binding is None
            ):
                continue
            for problem in check_group_pair(total_source.binding, narrowing.binding, role):
                _, where = _locate(f.get(role) or node, "metricSource.spec." + problem.path)
                self.ctx.error(
                    where, join(f.p(role), "metricSource.spec." + problem.path), problem.message, problem.hint
                )
        if any(has[r] and parts[r] is None for r in has):
            return None
        return RatioMetric(
            counter=bool(counter),
            total=parts["total"],
            good=parts["good"],
            bad=parts["bad"],
            raw=parts["raw"],
            raw_type=cast(RawType | None, raw_type),
        )

    def metric(self, node: Node, path: str, role: Role) -> MetricSource | None:
        before = self.ctx.error_count
        f = Fields(self.ctx, node, path, ("metricSource",), "a metric")
        ms_node = f.mapping("metricSource", required=True)
        ms_path = f.p("metricSource")
        ms = Fields(self.ctx, ms_node, ms_path, METRIC_SOURCE_FIELDS, "metricSource")
        ref = ms.name("metricSourceRef", required=False, what="metricSourceRef")
        type_ = ms.text("type")
        spec = ms.mapping("spec", required=True, hint="the query or event selection for this source")
        if spec is not None and not spec.value:
            self.ctx.error(spec, ms.p("spec"), "must not be empty", "give the query or event selection")
        source_type = type_
        if ref is not None:
            data_source = self.resolve("DataSource", ref, ms.get("metricSourceRef"), ms.p("metricSourceRef"))
            if isinstance(data_source, DataSource):
                if type_ is not None and type_.lower() != data_source.type.lower():
                    self.ctx.error(
                        ms.get("type"),
                        ms.p("type"),
                        f"type '{type_}' contradicts DataSource '{ref}', whose type is '{data_source.type}'",
                        "remove type here; it is taken from the DataSource",
                    )
                source_type = data_source.type
        elif ms.ok and type_ is None:
            ms.missing("type", "name the source type (e.g. slokit, prometheus) or set metricSourceRef")
        lowered = source_type.lower() if source_type is not None else None
        if lowered in MEASURED_TYPES and source_type != lowered:
            self.ctx.warning(
                ms.get("type") or ms_node,
                ms.p("type"),
                f"type '{source_type}' is not slokit's '{lowered}': this source is left to other"
                " tools and slokit measures nothing from it",
                f"write 'type: {lowered}' (types are case-sensitive) for slokit to evaluate it",
            )
        binding = self.binding(source_type, spec, join(ms_path, "spec"), role)
        if ms_node is None or spec is None or self.ctx.error_count > before:
            return None
        return MetricSource(
            type=type_ if type_ is not None else source_type,
            spec=spec.to_python(),
            data_source_ref=ref,
            binding=binding,
            location=ms_node.loc,
        )

    def binding(self, source_type: str | None, spec: Node | None, path: str, role: Role) -> Binding | None:
        if spec is None or not spec.value:
            return None
        result, problems = parse_binding(source_type, spec.to_python(), role)
        for problem in problems:
            node, loc = _locate(spec, problem.path)
            if node is not None and problem.offset is not None:
                loc = _offset_location(node, problem.offset)
            self.ctx.error(
                loc, join(path, problem.path) if problem.path else path, problem.message, problem.hint
            )
        return result

    # --- alerting ---

    def alert_condition_object(self, entry: Entry) -> AlertCondition | None:
        meta = self.entry_metadata(entry)
        top = Fields(self.ctx, entry.node, "", ("apiVersion", "kind", "metadata", "spec"), "an object")
        return self.condition_from(meta, top.mapping("spec", required=True), "spec", entry.node.loc)

    def condition_from(
        self, meta: Metadata | None, node: Node | None, path: str, loc: Location
    ) -> AlertCondition | None:
        if node is None:
            return None  # a missing spec is reported by the caller
        before = self.ctx.error_count
        f = Fields(self.ctx, node, path, ("description", "severity", "condition"), "an AlertCondition spec")
        description = f.description()
        severity = f.text("severity", required=True, hint="e.g. page or ticket")
        cond = Fields(
            self.ctx,
            f.mapping("condition", required=True),
            f.p("condition"),
            ("kind", "op", "threshold", "lookbackWindow", "alertAfter"),
            "condition",
        )
        kind = cond.enum("kind", ALERT_CONDITION_KINDS, required=True)
        op = cond.enum("op", OPERATORS, required=True)
        threshold = cond.number("threshold", required=True, hint="the burn rate to compare with, e.g. 14.4")
        if threshold is not None and threshold <= 0:
            self.ctx.error(cond.get("threshold"), cond.p("threshold"), "a burn-rate threshold must be > 0")
        lookback = cond.duration("lookbackWindow", required=True)
        after_node = cond.get("alertAfter")
        alert_after: Duration | None = Duration(0, "m")
        if after_node is not None:
            if (
                after_node.is_scalar
                and isinstance(after_node.value, str)
                and ZERO_DURATION_RE.match(after_node.value)
            ):
                alert_after = Duration(0, "m")  # every zero length is the same; written as 0m
            else:
                alert_after = cond.duration("alertAfter")
        if self.ctx.error_count > before or meta is None:
            return None
        if (
            kind is None
            or severity is None
            or op is None
            or threshold is None
            or lookback is None
            or alert_after is None
        ):
            return None  # only when the enclosing spec itself was missing, which is reported there
        return AlertCondition(
            metadata=meta,
            kind="burnrate",
            op=cast(Operator, op),
            threshold=threshold,
            lookback_window=lookback,
            alert_after=alert_after,
            severity=severity,
            description=description,
            location=loc,
        )

    def notification_target_object(self, entry: Entry) -> AlertNotificationTarget | None:
        meta = self.entry_metadata(entry)
        top = Fields(self.ctx, entry.node, "", ("apiVersion", "kind", "metadata", "spec"), "an object")
        return self.target_from(meta, top.mapping("spec", required=True), "spec", entry.node.loc)

    def target_from(
        self, meta: Metadata | None, node: Node | None, path: str, loc: Location
    ) -> AlertNotificationTarget | None:
        if node is None:
            return None  # a missing spec is reported by the caller
        before = self.ctx.error_count
        f = Fields(self.ctx, node, path, ("target", "description"), "an AlertNotificationTarget spec")
        target = f.string("target", required=True, hint="where notifications go, e.g. slack or email")
        description = f.description()
        if meta is None or target is None or self.ctx.error_count > before:
            return None
        return AlertNotificationTarget(metadata=meta, target=target, description=description, location=loc)

    def alert_policy_object(self, entry: Entry) -> AlertPolicy | None:
        meta = self.entry_metadata(entry)
        top = Fields(self.ctx, entry.node, "", ("apiVersion", "kind", "metadata", "spec"), "an object")
        return self.policy_from(meta, top.mapping("spec", required=True), "spec", entry.node.loc)

    def policy_from(
        self, meta: Metadata | None, node: Node | None, path: str, loc: Location
    ) -> AlertPolicy | None:
        if node is None:
            return None  # a missing spec is reported by the caller
        before = self.ctx.error_count
        f = Fields(
            self.ctx,
            node,
            path,
            (
                "description",
                "alertWhenNoData",
                "alertWhenResolved",
                "alertWhenBreaching",
                "conditions",
                "notificationTargets",
            ),
            "an AlertPolicy spec",
        )
        description = f.description()
        no_data = f.boolean("alertWhenNoData")
        resolved = f.boolean("alertWhenResolved")
        breaching = f.boolean("alertWhenBreaching")
        conditions: list[AlertCondition] = []
        items = f.seq("conditions", required=True, hint="exactly one condition, inline or by conditionRef")
        if items is not None and len(items) != 1:
            self.ctx.error(
                f.get("conditions"),
                f.p("conditions"),
                f"an AlertPolicy has exactly one condition, found {len(items)}",
                "OpenSLO v1 allows one condition per policy; write one policy per condition",
            )
        for i, item in enumerate(items or []):
            cond = self.embedded(
                item, index(f.p("conditions"), i), "AlertCondition", "conditionRef", self.condition_from
            )
            if cond is not None:
                conditions.append(cond)
        targets: list[AlertNotificationTarget] = []
        items = f.seq(
            "notificationTargets", required=True, hint="at least one target, inline or by targetRef"
        )
        if items is not None and not items:
            self.ctx.error(
                f.get("notificationTargets"),
                f.p("notificationTargets"),
                "needs at least one notification target",
            )
        for i, item in enumerate(items or []):
            target = self.embedded(
                item,
                index(f.p("notificationTargets"), i),
                "AlertNotificationTarget",
                "targetRef",
                self.target_from,
            )
            if target is not None:
                targets.append(target)
        if meta is None or self.ctx.error_count > before:
            return None
        return AlertPolicy(
            metadata=meta,
            conditions=tuple(conditions),
            notification_targets=tuple(targets),
            alert_when_no_data=bool(no_data) if no_data is not None else False,
            alert_when_resolved=bool(resolved) if resolved is not None else False,
            alert_when_breaching=bool(breaching) if breaching is not None else True,
            description=description,
            location=loc,
        )

    def embedded(
        self,
        node: Node,
        path: str,
        kind: str,
        ref_key: str,
        build: Callable[[Metadata | None, Node | None, str, Location], Any],
    ) -> Any:
        """An object given inline (``kind``/``metadata``/``spec``) or by reference (``ref_key``)."""
        f = Fields(self.ctx, node, path, (ref_key, "kind", "metadata", "spec"), f"a {kind} entry")
        if not f.ok:
            return None
        inline_keys = [k for k in ("kind", "metadata", "spec") if f.has(k)]
        if f.has(ref_key):
            if inline_keys:
                self.ctx.error(
                    f.key_loc(inline_keys[0]),
                    f.p(inline_keys[0]),
                    f"'{ref_key}' and an inline {kind} cannot both be given",
                    f"keep either {ref_key} or kind/metadata/spec",
                )
                return None
            name = f.name(ref_key, what=ref_key)
            if name is None:
                return None
            return self.resolve(kind, name, f.get(ref_key), f.p(ref_key))
        if not inline_keys:
            self.ctx.error(node, path, f"give '{ref_key}' or an inline {kind} (kind, metadata, spec)")
            return None
        actual = f.text("kind", required=True, hint=f"kind: {kind}")
        if actual is not None and actual != kind:
            self.ctx.error(f.get("kind"), f.p("kind"), f"kind must be '{kind}' here, got '{actual}'")
        meta = self.metadata(f.mapping("metadata", required=True), f.p("metadata"), kind)
        return build(meta, f.mapping("spec", required=True), f.p("spec"), node.loc)

    # --- SLO ---

    def slo(self, entry: Entry) -> SLO | None:
        before = self.ctx.error_count
        meta = self.entry_metadata(entry)
        f = self.object_fields(
            entry,
            (
                "description",
                "service",
                "indicator",
                "indicatorRef",
                "timeWindow",
                "budgetingMethod",
                "objectives",
                "alertPolicies",
            ),
        )
        description = f.description()
        service = f.text("service", required=True, hint="the name of the service this SLO belongs to")
        if service is not None and self.entries.get("Service") and service not in self.entries["Service"]:
            self.resolve("Service", service, f.get("service"), f.p("service"))
        method = f.enum("budgetingMethod", BUDGETING_METHODS, required=True)
        window = self.time_window(f)
        objective_items = f.seq("objectives", required=True, hint="at least one objective with a target")
        if objective_items is not None and not objective_items:
            self.ctx.error(f.get("objectives"), f.p("objectives"), "needs at least one objective")
        items = objective_items or []
        composite = any(n.is_map and ("indicator" in n.value or "indicatorRef" in n.value) for n in items)
        indicator, indicator_ref = self.indicator_pair(f, required=not composite)
        if composite and (f.has("indicator") or f.has("indicatorRef")):
            key = "indicator" if f.has("indicator") else "indicatorRef"
            self.ctx.error(
                f.key_loc(key),
                f.p(key),
                "a composite SLO (objectives with own indicators) cannot also have a spec-level indicator",
                "move the indicator into each objective, or remove it from the objectives",
            )
        objectives: list[Objective] = []
        for i, item in enumerate(items):
            obj = self.objective(item, index(f.p("objectives"), i), method, composite, indicator)
            if obj is not None:
                objectives.append(obj)
                slice_ = obj.time_slice_window
                if (
                    slice_ is not None
                    and window is not None
                    and slice_.seconds > window.duration.nominal_seconds
                ):
                    self.ctx.error(
                        item.value.get("timeSliceWindow"),
                        join(index(f.p("objectives"), i), "timeSliceWindow"),
                        f"a time slice of {slice_} is longer than the SLO window of {window.duration}",
                        "a slice must fit into the window, e.g. 1m or 5m",
                    )
        policies: list[AlertPolicy] = []
        for i, item in enumerate(f.seq("alertPolicies") or []):
            policy = self.embedded(
                item, index(f.p("alertPolicies"), i), "AlertPolicy", "alertPolicyRef", self.policy_from
            )
            if policy is not None:
                policies.append(policy)
        if meta is None or self.ctx.error_count > before:
            return None
        if service is None or window is None or method is None:
            return None
        return SLO(
            metadata=meta,
            service=service,
            time_window=window,
            budgeting_method=cast(BudgetingMethod, method),
            objectives=tuple(objectives),
            indicator=None if composite else indicator,
            indicator_ref=None if composite else indicator_ref,
            alert_policies=tuple(policies),
            description=description,
            location=entry.node.loc,
        )

    def indicator_pair(self, f: Fields, *, required: bool) -> tuple[SLI | None, str | None]:
        """``indicator`` or ``indicatorRef`` (exactly one when ``required``)."""
        inline = f.mapping("indicator")
        ref = f.name("indicatorRef", required=False, what="indicatorRef")
        if f.has("indicator") and f.has("indicatorRef"):
            self.ctx.error(
                f.key_loc("indicatorRef"),
                f.p("indicatorRef"),
                "'indicator' and 'indicatorRef' cannot both be given",
                "keep the inline indicator or the reference, not both",
            )
            return None, None
        if required and f.ok and not f.has("indicator") and not f.has("indicatorRef"):
            if f.path.startswith("spec.objectives"):
                message = "in a composite SLO every objective needs 'indicator' or 'indicatorRef'"
            else:
                message = "an SLO needs 'indicator' or 'indicatorRef'"
            self.ctx.error(
                f.node,
                f.path,
                message,
                "inline the SLI, name a defined SLI with indicatorRef, or give each objective its own",
            )
            return None, None
        if inline is not None:
            return self.inline_sli(inline, f.p("indicator")), None
        if ref is not None:
            sli = self.resolve("SLI", ref, f.get("indicatorRef"), f.p("indicatorRef"))
            return (sli if isinstance(sli, SLI) else None), ref
        return None, None

    def time_window(self, f: Fields) -> TimeWindow | None:
        items = f.seq("timeWindow", required=True, hint="e.g. [{duration: 28d, isRolling: true}]")
        if items is None:
            return None
        if len(items) != 1:
            self.ctx.error(
                f.get("timeWindow"),
                f.p("timeWindow"),
                f"needs exactly one time window, found {len(items)}",
                "OpenSLO v1 takes a list with one item: a rolling or a calendar window",
            )
            if not items:
                return None
        path = index(f.p("timeWindow"), 0)
        w = Fields(self.ctx, items[0], path, ("duration", "isRolling", "calendar"), "a time window")
        duration = w.duration("duration", required=True)
        rolling = w.boolean("isRolling")
        cal_node = w.mapping("calendar")
        if rolling is None and w.has("isRolling"):
            return None  # wrong type, reported
        if rolling is None:
            rolling = False  # the spec: "if omitted assumed false if calendar is present"
            if w.ok and not w.has("calendar"):
                self.ctx.error(
                    items[0],
                    path,
                    "a time window needs isRolling: true, or a calendar",
                    "rolling: {duration: 28d, isRolling: true}; calendar: add calendar {startTime, timeZone}",
                )
                return None
        if rolling and w.has("calendar"):
            self.ctx.error(
                w.key_loc("calendar"),
                w.p("calendar"),
                "'calendar' cannot be set when 'isRolling' is true",
                "remove calendar for a rolling window, or set isRolling: false",
            )
        if not rolling and not w.has("calendar") and w.has("isRolling"):
            self.ctx.error(
                w.get("isRolling"),
                w.p("isRolling"),
                "'calendar' must be set when 'isRolling' is false",
                "add calendar: {startTime: '2024-01-01 00:00:00', timeZone: UTC}",
            )
        calendar = self.calendar(cal_node, w.p("calendar")) if cal_node is not None and not rolling else None
        if duration is None or (not rolling and calendar is None):
            return None
        return TimeWindow(duration=duration, is_rolling=rolling, calendar=calendar)

    def calendar(self, node: Node, path: str) -> Calendar | None:
        c = Fields(self.ctx, node, path, ("startTime", "timeZone"), "calendar")
        start = c.text("startTime", required=True, hint="e.g. '2024-01-01 00:00:00' (local time, no zone)")
        tz = c.text("timeZone", required=True, hint="an IANA time zone such as UTC or Europe/Berlin")
        zone: ZoneInfo | None = None
        if tz is not None:
            if is_valid_time_zone(tz):
                zone = ZoneInfo(tz)
            else:
                self.ctx.error(c.get("timeZone"), c.p("timeZone"), f"unknown time zone '{tz}'", zone_hint(tz))
        when: datetime | None = None
        if start is not None:
            if CALENDAR_START_RE.match(start):
                try:
                    when = datetime.strptime(start, "%Y-%m-%d %H:%M:%S")
                except ValueError as exc:
                    self.ctx.error(
                        c.get("startTime"), c.p("startTime"), f"'{start}' is not a real date: {exc}"
                    )
            else:
                self.ctx.error(
                    c.get("startTime"),
                    c.p("startTime"),
                    f"'{start}' is not in the form YYYY-MM-DD HH:MM:SS",
                    "OpenSLO writes a local date and time without zone, e.g. '2024-01-01 00:00:00'",
                )
        if when is None or zone is None or tz is None:
            return None
        return Calendar(start_time=when.replace(tzinfo=zone), time_zone=tz)

    def objective(
        self, node: Node, path: str, method: str | None, composite: bool, slo_indicator: SLI | None
    ) -> Objective | None:
        before = self.ctx.error_count
        f = Fields(self.ctx, node, path, OBJECTIVE_FIELDS, "an objective")
        if not f.ok:
            return None
        display = f.string("displayName")
        target = self.target(f)
        op = f.enum("op", OPERATORS)
        value = f.number("value")
        tst = f.number("timeSliceTarget")
        tsw: Duration | None = None
        tsw_node = f.get("timeSliceWindow")
        if tsw_node is not None:
            if (
                tsw_node.is_scalar
                and isinstance(tsw_node.value, int)
                and not isinstance(tsw_node.value, bool)
            ):
                # The spec: "Default interpretation of unit if specified as a number in minutes."
                if tsw_node.value > 0:
                    tsw = Duration(tsw_node.value, "m")
                else:
                    self.ctx.error(tsw_node, f.p("timeSliceWindow"), "must be a positive number of minutes")
            else:
                tsw = f.duration("timeSliceWindow")
            if tsw is not None and tsw.is_calendar:
                self.ctx.error(
                    tsw_node,
                    f.p("timeSliceWindow"),
                    "a time slice must have a fixed length",
                    "e.g. 1m, 5m, 1h",
                )
                tsw = None
        if method == "Timeslices":
            if not f.has("timeSliceTarget"):
                f.missing(
                    "timeSliceTarget", "with Timeslices: the share of good events that makes a slice good"
                )
            if not f.has("timeSliceWindow"):
                f.missing("timeSliceWindow", "with Timeslices: the length of one slice, e.g. 1m or 5m")
        elif method == "RatioTimeslices":
            if not f.has("timeSliceWindow"):
                f.missing("timeSliceWindow", "with RatioTimeslices: the length of one slice, e.g. 1m or 5m")
            f.forbid(
                "timeSliceTarget",
                "unless budgetingMethod is Timeslices",
                "RatioTimeslices averages slice ratios",
            )
        elif method == "Occurrences":
            for key in ("timeSliceTarget", "timeSliceWindow"):
                f.forbid(
                    key, "with budgetingMethod Occurrences", "time slices apply to Timeslices/RatioTimeslices"
                )
        if tst is not None and not 0 < tst <= 1:
            self.ctx.error(
                f.get("timeSliceTarget"),
                f.p("timeSliceTarget"),
                f"{tst:g} is out of range",
                "0 < timeSliceTarget ≤ 1",
            )
        weight = f.number("compositeWeight")
        if weight is not None and weight <= 0:
            self.ctx.error(
                f.get("compositeWeight"),
                f.p("compositeWeight"),
                f"{weight:g} is out of range",
                "compositeWeight > 0",
            )
        indicator: SLI | None = None
        indicator_ref: str | None = None
        if composite:
            indicator, indicator_ref = self.indicator_pair(f, required=True)
        elif f.has("compositeWeight"):
            self.ctx.warning(
                f.key_loc("compositeWeight"),
                f.p("compositeWeight"),
                "compositeWeight only has an effect in composite SLOs (objectives with their own indicator)",
            )
        sli = indicator if composite else slo_indicator
        if sli is not None:
            self.check_op_value(f, sli)
        if target is None or self.ctx.error_count > before:
            return None
        return Objective(
            target=target,
            display_name=display,
            op=cast(Operator | None, op),
            value=value,
            time_slice_target=tst,
            time_slice_window=tsw,
            indicator=indicator,
            indicator_ref=indicator_ref,
            composite_weight=weight,
            location=node.loc,
        )

    def check_op_value(self, f: Fields, sli: SLI) -> None:
        if sli.kind == "threshold":
            if not f.has("op"):
                f.missing(
                    "op", "a thresholdMetric objective compares each value: op is one of lt, lte, gt, gte"
                )
            if not f.has("value"):
                f.missing(
                    "value", "a thresholdMetric objective needs the value to compare with, e.g. value: 400"
                )
        else:
            for key in ("op", "value"):
                f.forbid(
                    key, f"with a ratioMetric SLI ('{sli.name}')", "op and value belong to threshold metrics"
                )

    def target(self, f: Fields) -> float | None:
        has_t, has_p = f.has("target"), f.has("targetPercent")
        if has_t and has_p:
            self.ctx.error(
                f.key_loc("targetPercent"),
                f.p("targetPercent"),
                "'target' and 'targetPercent' cannot both be given",
                "target: 0.999 and targetPercent: 99.9 mean the same; keep one",
            )
            return None
        if not has_t and not has_p:
            f.missing("target", "e.g. target: 0.999 or targetPercent: 99.9")
            return None
        if has_t:
            t = f.number("target")
            if t is None:
                return None
            if not 0 < t < 1:
                self.ctx.error(
                    f.get("target"),
                    f.p("target"),
                    f"{t:g} is out of range",
                    "0 < target < 1 (a fraction; for percent use targetPercent: 99.9)",
                )
                return None
            return t
        p = f.number("targetPercent")
        if p is None:
            return None
        if not 0 < p < 100:
            self.ctx.error(
                f.get("targetPercent"),
                f.p("targetPercent"),
                f"{p:g} is out of range",
                "0 < targetPercent < 100",
            )
            return None
        return percent_to_fraction(p)


def percent_to_fraction(percent: float) -> float:
    """99.9 → 0.999 exactly as written (plain division gives 0.9990000000000001)."""
    fraction = percent / 100
    rounded = round(fraction, 12)
    return rounded if math.isclose(rounded, fraction, rel_tol=0, abs_tol=1e-15) else fraction


def _locate(spec: Node, path: str) -> tuple[Node | None, Location]:
    """The node at a binding problem's path (``where``, ``a.b``, ``items[2]``) inside ``spec``."""
    node: Node | None = spec
    loc = spec.loc
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path or ""):
        if node is None:
            break
        if part.startswith("["):
            i = int(part[1:-1])
            if node.is_seq and i < len(node.value):
                node = node.value[i]
                loc = node.loc
            else:
                node = None
        elif node.is_map and part in node.value:
            loc = node.key_locs.get(part, loc)
            node = node.value[part]
            loc = node.loc
        else:
            node = None
    return node, loc


def _offset_location(node: Node, offset: int) -> Location:
    """The column of character ``offset`` inside a one-line plain or quoted scalar."""
    if not node.is_scalar or "\n" in node.raw or node.style not in (None, "", "'", '"'):
        return node.loc
    text = str(node.value)[:offset]
    if node.style == "'":  # '' stands for one quote
        shift = 1 + text.count("'")
    elif node.style == '"':  # \" and \\ stand for one character
        shift = 1 + text.count('"') + text.count("\\")
    else:
        shift = 0
    return Location(node.loc.file, node.loc.line, node.loc.column + shift + offset)
