"""The SLO model: OpenSLO v1 kinds plus slokit's own (Correction, ErrorBudgetPolicy).

These are plain, immutable, fully-resolved objects: by the time a :class:`Spec` exists every
reference (``indicatorRef``, ``alertPolicyRef``, ...) has been resolved and checked, durations
parsed, targets normalised to fractions. Code above ``spec`` never sees raw YAML.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from slokit.errors import Location
from slokit.spec.durations import Duration

if TYPE_CHECKING:
    from slokit.spec.predicate import Predicate

Operator = Literal["lt", "lte", "gt", "gte"]
BudgetingMethod = Literal["Occurrences", "Timeslices", "RatioTimeslices"]
RawType = Literal["success", "failure"]


@dataclass(frozen=True, slots=True)
class Metadata:
    name: str
    display_name: str | None = None
    #: OpenSLO v1 label values may be a string or a list; normalised to tuples.
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Service:
    metadata: Metadata
    description: str = ""
    location: Location | None = None

    @property
    def name(self) -> str:
        return self.metadata.name


@dataclass(frozen=True, slots=True)
class DataSource:
    metadata: Metadata
    type: str
    connection_details: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    location: Location | None = None

    @property
    def name(self) -> str:
        return self.metadata.name


# --- bindings: how a metric source's ``spec`` is read for the two engines slokit runs on ---


@dataclass(frozen=True, slots=True)
class SlokitQuery:
    """Events of ``stream`` matching ``where`` (all events when None); ``value`` names a numeric field."""

    stream: str
    where: Predicate | None = None
    value: str | None = None
    #: Event fields whose values split the indicator into one series per group (``groupBy``).
    group_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PrometheusQuery:
    """PromQL for a Prometheus-compatible engine.

    ``query`` is a counter expression whose range selector is written ``[{{window}}]``; or, for
    latency thresholds, ``histogram`` names a bucket metric with ``selector`` label matchers and
    the objective's ``value`` becomes the ``le`` bound.
    """

    query: str | None = None
    histogram: str | None = None
    selector: str = ""
    native: bool = False


Binding = SlokitQuery | PrometheusQuery


@dataclass(frozen=True, slots=True)
class MetricSource:
    type: str | None
    spec: Mapping[str, Any]
    data_source_ref: str | None = None
    #: Parsed binding for ``type: slokit`` / ``type: prometheus``; None for other vendors' types.
    binding: Binding | None = None
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class RatioMetric:
    """Good (or bad) over total events; or a single ``raw`` ratio with its ``raw_type``."""

    counter: bool
    total: MetricSource | None = None
    good: MetricSource | None = None
    bad: MetricSource | None = None
    raw: MetricSource | None = None
    raw_type: RawType | None = None


@dataclass(frozen=True, slots=True)
class ThresholdMetric:
    """A value per event (or per sample) compared with the objective's ``op``/``value``."""

    source: MetricSource


@dataclass(frozen=True, slots=True)
class SLI:
    metadata: Metadata
    ratio_metric: RatioMetric | None = None
    threshold_metric: ThresholdMetric | None = None
    description: str = ""
    location: Location | None = None

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def kind(self) -> Literal["ratio", "threshold"]:
        return "ratio" if self.ratio_metric is not None else "threshold"


@dataclass(frozen=True, slots=True)
class Objective:
    #: Fraction in (0, 1): ``targetPercent: 99.9`` and ``target: 0.999`` both become 0.999.
    target: float
    display_name: str | None = None
    op: Operator | None = None
    value: float | None = None
    time_slice_target: float | None = None
    time_slice_window: Duration | None = None
    #: Set for composite SLOs, where each objective has its own indicator.
    indicator: SLI | None = None
    indicator_ref: str | None = None
    composite_weight: float | None = None
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Calendar:
    start_time: datetime
    time_zone: str


@dataclass(frozen=True, slots=True)
class TimeWindow:
    duration: Duration
    is_rolling: bool
    calendar: Calendar | None = None

    def describe(self) -> str:
        if self.is_rolling:
            return f"{self.duration} rolling"
        tz = self.calendar.time_zone if self.calendar else "UTC"
        return f"{self.duration} calendar ({tz})"


@dataclass(frozen=True, slots=True)
class AlertCondition:
    metadata: Metadata
    kind: Literal["burnrate"]
    op: Operator
    threshold: float
    lookback_window: Duration
    alert_after: Duration
    severity: str
    description: str = ""
    location: Location | None = None

    @property
    def name(self) -> str:
        return self.metadata.name


@dataclass(frozen=True, slots=True)
class AlertNotificationTarget:
    metadata: Metadata
    target: str
    description: str = ""
    location: Location | None = None

    @property
    def name(self) -> str:
        return self.metadata.name


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    metadata: Metadata
    conditions: tuple[AlertCondition, ...]
    notification_targets: tuple[AlertNotificationTarget, ...]
    alert_when_no_data: bool = False
    alert_when_resolved: bool = False
    alert_when_breaching: bool = True
    description: str = ""
    location: Location | None = None

    @property
    def name(self) -> str:
        return self.metadata.name


@dataclass(frozen=True, slots=True)
class SLO:
    metadata: Metadata
    service: str
    time_window: TimeWindow
    budgeting_method: BudgetingMethod
    objectives: tuple[Objective, ...]
    #: The SLO-level indicator; None for composite SLOs whose objectives carry their own.
    indicator: SLI | None = None
    indicator_ref: str | None = None
    alert_policies: tuple[AlertPolicy, ...] = ()
    description: str = ""
    location: Location | None = None

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def is_composite(self) -> bool:
        return any(o.indicator is not None for o in self.objectives)

    def indicator_for(self, objective: Objective) -> SLI:
        sli = objective.indicator or self.indicator
        if sli is None:  # the validator guarantees this cannot happen for a loaded Spec
            raise ValueError(f"SLO {self.name} has no indicator for objective {objective.display_name}")
        return sli


# --- slokit/v1 kinds ---


@dataclass(frozen=True, slots=True)
class Selector:
    """Which SLOs an object applies to: by name, or by labels that must all match."""

    slos: tuple[str, ...] = ()
    match_labels: Mapping[str, str] = field(default_factory=dict)

    def matches(self, slo: SLO) -> bool:
        if slo.name in self.slos:
            return True
        if not self.match_labels:
            return False
        return all(value in slo.metadata.labels.get(key, ()) for key, value in self.match_labels.items())


@dataclass(frozen=True, slots=True)
class Correction:
    """A span of time whose events count neither as good nor as valid (maintenance, bad data)."""

    metadata: Metadata
    start: datetime
    duration_seconds: int
    selector: Selector
    reason: str
    rrule: str | None = None
    until: datetime | None = None
    time_zone: str = "UTC"
    location: Location | None = None
    description: str = ""

    @property
    def name(self) -> str:
        return self.metadata.name


@dataclass(frozen=True, slots=True)
class BudgetState:
    """A state an SLO is in while its remaining budget is at or below ``max_remaining`` (a fraction)."""

    name: str
    max_remaining: float
    block_deploys: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class ErrorBudgetPolicy:
    metadata: Metadata
    selector: Selector
    #: Ordered from most to least remaining budget.
    states: tuple[BudgetState, ...]
    location: Location | None = None
    description: str = ""

    @property
    def name(self) -> str:
        return self.metadata.name


@dataclass(frozen=True)
class Spec:
    """Everything loaded from one or more files, references resolved."""

    services: Mapping[str, Service] = field(default_factory=dict)
    slis: Mapping[str, SLI] = field(default_factory=dict)
    slos: Mapping[str, SLO] = field(default_factory=dict)
    data_sources: Mapping[str, DataSource] = field(default_factory=dict)
    alert_policies: Mapping[str, AlertPolicy] = field(default_factory=dict)
    alert_conditions: Mapping[str, AlertCondition] = field(default_factory=dict)
    notification_targets: Mapping[str, AlertNotificationTarget] = field(default_factory=dict)
    corrections: Mapping[str, Correction] = field(default_factory=dict)
    budget_policies: Mapping[str, ErrorBudgetPolicy] = field(default_factory=dict)
    #: Files the spec was read from, in load order.
    files: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[SLO]:
        return iter(self.slos.values())

    def __len__(self) -> int:
        return len(self.slos)

    def slo(self, name: str) -> SLO:
        try:
            return self.slos[name]
        except KeyError:
            known = ", ".join(sorted(self.slos)) or "none"
            raise KeyError(f"no SLO named {name!r}; known SLOs: {known}") from None

    def corrections_for(self, slo: SLO) -> list[Correction]:
        return [c for c in self.corrections.values() if c.selector.matches(slo)]
