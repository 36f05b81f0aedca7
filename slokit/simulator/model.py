"""The vocabulary scenarios are written in: event sources, their fields and arrival processes.

A *stream* is what slokit ingests (``http_requests``, ``probes``, ...); a *source* is one producer
of events in a stream (the gateway's access log, the order service's HTTP middleware, the probe
of one service). Sources are declarative, so a scenario reads as a table of rates, error rates
and latency distributions, and tests can compute what the generated data should look like from
the same stated numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from slokit.simulator.incidents import DailyWindow, IncidentTemplate
from slokit.simulator.traffic import Profile

Floats = npt.NDArray[np.float64]

#: The standard normal quantile at 0.95: a log-normal's p95 is median · exp(1.645 · sigma).
Z95 = 1.6448536269514722


@dataclass(frozen=True, slots=True)
class Lognormal:
    """A latency distribution given by its median and p95, as people state latencies."""

    median: float
    p95: float

    @property
    def sigma(self) -> float:
        return math.log(self.p95 / self.median) / Z95

    def sample(self, normals: Floats, factor: Floats | float = 1.0) -> Floats:
        """Values from standard normal draws (drawn by the caller, so draws never depend on data)."""
        return self.median * factor * np.exp(self.sigma * normals)

    def exceed(self, threshold: float, factor: float = 1.0) -> float:
        """P(value >= threshold): what a threshold SLI's bad fraction should be."""
        z = (math.log(threshold) - math.log(self.median * factor)) / self.sigma
        return 0.5 * math.erfc(z / math.sqrt(2))


# --- fields of generic events ---


@dataclass(frozen=True, slots=True)
class Const:
    name: str
    value: str | int | float | bool


@dataclass(frozen=True, slots=True)
class Choice:
    """A categorical field; ``None`` among the values leaves the field out of that event."""

    name: str
    values: tuple[str | int | None, ...]
    weights: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Flag:
    """A boolean that is ``bad_value`` exactly on bad events (``ok``: False, ``error``: True)."""

    name: str
    bad_value: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    """A string outcome: one of ``good`` (by weight) on good events, ``bad`` on bad ones."""

    name: str
    good: tuple[str, ...]
    weights: tuple[float, ...]
    bad: str


@dataclass(frozen=True, slots=True)
class Measure:
    """The source's latency (or duration, lag, ...) field, from its log-normal distribution."""

    name: str
    only_good: bool = True
    decimals: int = 1


@dataclass(frozen=True, slots=True)
class Id:
    """A random 48-bit identifier (order ids, session ids)."""

    name: str


FieldSpec = Const | Choice | Flag | Outcome | Measure | Id


# --- arrivals ---


@dataclass(frozen=True, slots=True)
class Poisson:
    """Events at random times; ``peak_per_minute`` at the busiest minute of the profile's week."""

    peak_per_minute: float
    profile: Profile


@dataclass(frozen=True, slots=True)
class Periodic:
    """One event every ``interval_s`` per value of ``per`` (e.g. per probe location).

    ``phase_s`` is in local time of the scenario (a nightly job at 02:00 has phase 7200 with a
    daily interval); each further value of ``per`` is offset by ``stagger_s``.
    """

    interval_s: float
    phase_s: float = 0.0
    per: tuple[str, tuple[str, ...]] | None = None
    stagger_s: float = 0.0


Arrival = Poisson | Periodic


# --- HTTP ---


@dataclass(frozen=True, slots=True)
class Route:
    route: str | None
    method: str
    weight: float
    #: Latency multiplier of this route relative to the source's distribution.
    scale: float = 1.0


@dataclass(frozen=True, slots=True)
class Gateway:
    """A gateway access log: upstream times plus the gateway's own overhead.

    The source's own ``latency`` is the overhead the gateway adds (``gateway_overhead_ms``);
    ``upstream`` is the distribution of the upstream's response time.

    Bad events of a gateway source are failures the gateway causes itself (no upstream
    response: ``upstream_status`` null); ``upstream_error_rate`` is the share of upstream 5xx
    passed through, which are the upstream's failures, not the gateway's.
    """

    upstream: Lognormal
    upstream_error_rate: float
    #: Requests answered by the gateway alone without error (no route: 404, rate limit: 429).
    local_reply_rate: float


@dataclass(frozen=True, slots=True)
class Http:
    service: str
    routes: tuple[Route, ...]
    client_error_rate: float
    gateway: Gateway | None = None


SourceKind = Literal["events", "http", "orders", "cad", "backups", "backup_audit", "freshness"]


@dataclass(frozen=True, slots=True)
class Source:
    """One producer of events in one stream, with its baseline behaviour."""

    name: str
    stream: str
    kind: SourceKind
    arrival: Arrival
    #: Baseline probability that an event is bad (what incidents raise).
    error_rate: float
    #: Predicate (slokit syntax) that is true exactly on this source's bad events; empty for
    #: sources that only measure (a lag, an acknowledgement time) and have no failures.
    bad_where: str
    latency: Lognormal | None = None
    #: The field holding ``latency`` draws (kept for every kind, read by tests and docs).
    latency_field: str | None = None
    fields: tuple[FieldSpec, ...] = ()
    http: Http | None = None
    #: SLOs (spec names) whose indicators count this source's bad events, and its latencies.
    error_slos: tuple[str, ...] = ()
    latency_slos: tuple[str, ...] = ()
    #: SLOs that read this source's errors and latencies only in a daily window.
    daily_slos: tuple[DailyWindow, ...] = ()


Column = tuple[str, pa.DataType]


@dataclass(frozen=True)
class Scenario:
    """A platform: its streams (with their columns), sources and the incidents it can suffer."""

    name: str
    description: str
    utc_offset_hours: float
    streams: dict[str, tuple[Column, ...]]
    sources: tuple[Source, ...]
    templates: tuple[IncidentTemplate, ...] = field(default=())

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(f"scenario {self.name} has no source {name!r}")

    def slos_of(self) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
        return {s.name: (s.error_slos, s.latency_slos) for s in self.sources}

    def daily_slos(self) -> dict[str, tuple[DailyWindow, ...]]:
        return {s.name: s.daily_slos for s in self.sources if s.daily_slos}

    def fields(self, stream: str) -> set[str]:
        return {name for name, _ in self.streams[stream]}
