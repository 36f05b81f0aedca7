"""The SLO model: OpenSLO v1 kinds plus slokit's own (Correction, ErrorBudgetPolicy).

These are plain, immutable, fully-resolved objects: by the time a :class:`Spec` exists every
reference (``indicatorRef``, ``alertPolicyRef``, ...) has been resolved and checked, durations
parsed, targets normalised to fractions. Code above ``spec`` never sees raw YAML.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter
from reprlib import recursive_repr
from typing import TYPE_CHECKING, Any, Literal

from slokit.errors import Location
from slokit.spec.durations import Duration

if TYPE_CHECKING:
    from slokit.spec.predicate import Predicate


class _Value:
    """Equality, hashing and ``repr`` shared by the model's frozen dataclasses.

    The dataclass decorator would generate these three methods for each of the model's ~20
    classes by compiling source text at import, which was most of this module's import time,
    paid at the start of every command. One generic copy behaves the same: equal when the
    classes are the same and the field values are equal (in field order), hashed on the field
    values, shown as ``Class(field=value, ...)``.
    """

    __slots__ = ()

    def _values(self) -> tuple[Any, ...]:
        getter = _GETTERS.get(type(self))
        if getter is None:
            names = tuple(f.name for f in fields(self))  # type: ignore[arg-type]
            getter = _GETTERS[type(self)] = _getter(names)
        return getter(self)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            assert isinstance(other, _Value)
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    @recursive_repr()
    def __repr__(self) -> str:
        names = (f.name for f in fields(self))  # type: ignore[arg-type]
        return f"{self.__class__.__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in names)})"


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    if not names:
        return lambda obj: ()
    return attrgetter(*names)


_GETTERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}

Operator = Literal["lt", "lte", "gt", "gte"]
BudgetingMethod = Literal["Occurrences", "Timeslices", "RatioTimeslices"]
RawType = Literal["success", "failure"]


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Metadata(_Value):
    name: str
    display_name: str | None = None
    #: OpenSLO v1 label values may be a string or a list; normalised to tuples.
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Service(_Value):
    metadata: Metadata
    description: str = ""
    location: Location | None = None

    @property
    def name(self) -> str:
        return self.metadata.name


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class DataSource(_Value):
    metadata: Metadata
    type: str
    connection_details: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    location: Location | None = None

    @property
    def name(self) -> str:
        return self.metadata.name


# --- bindings: how a metric source's ``spec`` is read for the two engines slokit runs on ---


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class SlokitQuery(_Value):
    """Events of ``stream`` matching ``where`` (all events when None); ``value`` names a numeric field."""

    stream: str
    where: Predicate | None = None
    value: str | None = None
    #: Event fields whose values split the indicator into one series per group (``groupBy``).
    group_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class PrometheusQuery(_Value):
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


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class MetricSource(_Value):
    type: str | None
    spec: Mapping[str, Any]
    data_source_ref: str | None = None
    #: Parsed binding for ``type: slokit`` / ``type: prometheus``; None for other vendors' types.
    binding: Binding | None = None
    location: Location | None = None


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class RatioMetric(_Value):
    """Good (or bad) over total events; or a single ``raw`` ratio with its ``raw_type``."""

    counter: bool
    total: MetricSource | None = None
    good: MetricSource | None = None
    bad: MetricSource | None = None
    raw: MetricSource | None = None
    raw_type: RawType | None = None


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ThresholdMetric(_Value):
    """A value per event (or per sample) compared with the objective's ``op``/``value``."""

    source: MetricSource


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class SLI(_Value):
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


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Objective(_Value):
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


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Calendar(_Value):
    start_time: datetime
    time_zone: str


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class TimeWindow(_Value):
    duration: Duration
    is_rolling: bool
    calendar: Calendar | None = None

    def describe(self) -> str:
        if self.is_rolling:
            return f"{self.duration} rolling"
        tz = self.calendar.time_zone if self.calendar else "UTC"
        return f"{self.duration} calendar ({tz})"


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class AlertCondition(_Value):
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


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class AlertNotificationTarget(_Value):
    metadata: Metadata
    target: str
    description: str = ""
    location: Location | None = None

    @property
    def name(self) -> str:
        return self.metadata.name


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class AlertPolicy(_Value):
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


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class SLO(_Value):
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


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Selector(_Value):
    """Which SLOs an object applies to: by name, or by labels that must all match."""

    slos: tuple[str, ...] = ()
    match_labels: Mapping[str, str] = field(default_factory=dict)

    def matches(self, slo: SLO) -> bool:
        if slo.name in self.slos:
            return True
        if not self.match_labels:
            return False
        return all(value in slo.metadata.labels.get(key, ()) for key, value in self.match_labels.items())


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Correction(_Value):
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


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class BudgetState(_Value):
    """A state an SLO is in while its remaining budget is at or below ``max_remaining`` (a fraction)."""

    name: str
    max_remaining: float
    block_deploys: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ErrorBudgetPolicy(_Value):
    metadata: Metadata
    selector: Selector
    #: Ordered from most to least remaining budget.
    states: tuple[BudgetState, ...]
    location: Location | None = None
    description: str = ""

    @property
    def name(self) -> str:
        return self.metadata.name


@dataclass(frozen=True, eq=False, repr=False)
class Spec(_Value):
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
