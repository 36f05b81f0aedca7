"""Injected incidents and their ground truth.

Four kinds, each a window during which some event sources of one service behave worse:

* ``hard_outage``: every event of the service's sources is bad (probes fail, requests get 5xx,
  orders fail) for 5 to 30 minutes.
* ``latency_regression``: one source's latencies are multiplied by a factor for 30 minutes to
  a few hours (a bad deploy, a cold cache, a rebalancing consumer group).
* ``slow_burn``: one source's error rate is raised to twice what the SLO allows (burn rate 2)
  for days: invisible per minute, it spends the budget twice as fast as sustainable.
* ``flapping``: a dependency that goes away and comes back: for one to three hours the error
  rate jumps to a high value for a minute or few, then recovers for a few minutes, repeatedly.

The incident list is the ground truth for backtests: it names the service as the spec does,
the window, the kind and the SLOs whose indicators the affected sources feed.

Incidents change *probabilities*, never how many random numbers are drawn, so the same seed
gives the same baseline events with and without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from slokit.simulator.traffic import DAY_MS, HOUR_MS, MINUTE_MS, keyed_rng

Kind = Literal["hard_outage", "latency_regression", "slow_burn", "flapping"]
KINDS: tuple[Kind, ...] = ("hard_outage", "latency_regression", "slow_burn", "flapping")
Int64s = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Effect:
    """What an incident does to one event source while it is active.

    ``error_rate`` replaces the source's chance of a bad event when it is higher;
    ``latency_factor`` multiplies its latencies.
    """

    source: str
    error_rate: float | None = None
    latency_factor: float | None = None


@dataclass(frozen=True, slots=True)
class IncidentTemplate:
    """An incident a scenario can suffer; the planner picks when and for how long."""

    kind: Kind
    service: str
    description: str
    effects: tuple[Effect, ...]
    #: Shortest and longest duration in seconds.
    duration_s: tuple[int, int]
    #: Anchor the start at this local-time minute of the day (e.g. a nightly backup run).
    anchor_minute: int | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    """One injected incident: ground truth for backtests and for the tests of this package."""

    id: str
    kind: Kind
    service: str
    start_ms: int
    end_ms: int
    description: str
    effects: tuple[Effect, ...]
    slos: tuple[str, ...] = ()
    #: Flapping only: the sub-windows [start, end) in which the dependency is down.
    on_windows: tuple[tuple[int, int], ...] = field(default=())

    def windows(self) -> tuple[tuple[int, int], ...]:
        """The windows in which the effects apply."""
        return self.on_windows if self.on_windows else ((self.start_ms, self.end_ms),)

    def active(self, ts: Int64s) -> npt.NDArray[np.bool_]:
        mask = np.zeros(ts.shape, dtype=bool)
        for start, end in self.windows():
            mask |= (ts >= start) & (ts < end)
        return mask

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "service": self.service,
            "start": rfc3339(self.start_ms),
            "end": rfc3339(self.end_ms),
            "kind": self.kind,
            "slos": list(self.slos),
            "description": self.description,
            "effects": [
                {
                    k: v
                    for k, v in (
                        ("source", e.source),
                        ("error_rate", e.error_rate),
                        ("latency_factor", e.latency_factor),
                    )
                    if v is not None
                }
                for e in self.effects
            ],
        }
        if self.on_windows:
            data["down"] = [[rfc3339(s), rfc3339(e)] for s, e in self.on_windows]
        return data


def rfc3339(ms: int) -> str:
    """Epoch milliseconds as RFC 3339 in UTC with a ``Z`` (milliseconds only when non-zero)."""
    when = datetime.fromtimestamp(ms / 1000, UTC)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if ms % 1000:
        text += f".{ms % 1000:03d}"
    return text + "Z"


def incident_counts(days: float) -> dict[Kind, int]:
    """How many incidents of each kind a range of ``days`` gets (30 days: 7, 5, 2, 3)."""
    return {
        "hard_outage": max(1, round(days / 4.3)),
        "latency_regression": max(1, round(days / 6)),
        "slow_burn": max(1, round(days / 15)),
        "flapping": max(1, round(days / 10)),
    }


def plan(
    templates: tuple[IncidentTemplate, ...],
    start_ms: int,
    end_ms: int,
    seed: int,
    slos_of: dict[str, tuple[tuple[str, ...], tuple[str, ...]]],
    utc_offset_hours: float = 0.0,
    daily_slos: dict[str, tuple[DailyWindow, ...]] | None = None,
) -> list[Incident]:
    """Place incidents over ``[start, end)``: a mix of every kind, deterministic for the seed.

    Two incidents of the same service never overlap (nor come within an hour of each other), so
    each alert can be matched to one incident. ``slos_of`` maps a source to the SLOs its errors
    and its latencies feed; an incident lists the SLOs of the sources it touches, plus those of
    ``daily_slos`` (SLOs that read a source only in a daily window) when it overlaps the window.
    """
    rng = keyed_rng(seed, 0x1C1D, start_ms // MINUTE_MS, end_ms // MINUTE_MS)
    days = (end_ms - start_ms) / DAY_MS
    placed: list[Incident] = []
    busy: dict[str, list[tuple[int, int]]] = {}
    for kind, count in incident_counts(days).items():
        choices = [t for t in templates if t.kind == kind]
        if not choices:
            continue
        order = rng.permutation(len(choices))
        for i in range(count):
            template = choices[int(order[i % len(choices)])]
            incident = _place(template, rng, start_ms, end_ms, busy, utc_offset_hours)
            if incident is None:
                continue
            busy.setdefault(template.service, []).append((incident[0] - HOUR_MS, incident[1] + HOUR_MS))
            daily = _daily_hits(template, incident, daily_slos or {}, utc_offset_hours)
            placed.append(_build(template, incident, rng, slos_of, daily))
    placed.sort(key=lambda inc: (inc.start_ms, inc.service))
    return [
        Incident(
            id=f"{inc.service}-{inc.kind}-{n + 1}",
            kind=inc.kind,
            service=inc.service,
            start_ms=inc.start_ms,
            end_ms=inc.end_ms,
            description=inc.description,
            effects=inc.effects,
            slos=inc.slos,
            on_windows=inc.on_windows,
        )
        for n, inc in enumerate(placed)
    ]


def _place(
    template: IncidentTemplate,
    rng: np.random.Generator,
    start_ms: int,
    end_ms: int,
    busy: dict[str, list[tuple[int, int]]],
    utc_offset_hours: float,
) -> tuple[int, int] | None:
    low, high = template.duration_s
    span = end_ms - start_ms
    for _ in range(100):
        duration = int(rng.integers(low, high + 1)) * 1000
        duration = min(duration, int(span * 0.6)) // MINUTE_MS * MINUTE_MS
        if duration < min(low * 1000, 6 * HOUR_MS) or duration <= 0:
            return None
        if template.anchor_minute is not None:
            offset = int(utc_offset_hours * HOUR_MS)
            first_day = (start_ms + offset) // DAY_MS
            last_day = (end_ms + offset) // DAY_MS
            day = int(rng.integers(first_day, last_day + 1))
            lead = int(rng.integers(0, 20)) * MINUTE_MS
            begin = day * DAY_MS - offset + template.anchor_minute * MINUTE_MS - lead
        else:
            latest = end_ms - duration - HOUR_MS
            earliest = start_ms + HOUR_MS
            if latest <= earliest:
                return None
            begin = int(rng.integers(earliest, latest)) // MINUTE_MS * MINUTE_MS
        stop = begin + duration
        if begin < start_ms or stop > end_ms:
            continue
        if any(begin < b and a < stop for a, b in busy.get(template.service, [])):
            continue
        return begin, stop
    return None


def _build(
    template: IncidentTemplate,
    window: tuple[int, int],
    rng: np.random.Generator,
    slos_of: dict[str, tuple[tuple[str, ...], tuple[str, ...]]],
    daily: tuple[str, ...] = (),
) -> Incident:
    start, end = window
    on: list[tuple[int, int]] = []
    if template.kind == "flapping":
        t = start
        while t < end:
            down = int(rng.integers(1, 5)) * MINUTE_MS
            on.append((t, min(t + down, end)))
            t += down + int(rng.integers(2, 9)) * MINUTE_MS
        end = on[-1][1]
    slos: list[str] = []
    for effect in template.effects:
        errors, latency = slos_of.get(effect.source, ((), ()))
        if effect.error_rate is not None:
            slos.extend(errors)
        if effect.latency_factor is not None:
            slos.extend(latency)
    slos.extend(daily)
    return Incident(
        id="",
        kind=template.kind,
        service=template.service,
        start_ms=start,
        end_ms=end,
        description=template.description,
        effects=template.effects,
        slos=tuple(dict.fromkeys(slos)),
        on_windows=tuple(on),
    )


@dataclass(frozen=True, slots=True)
class DailyWindow:
    """An SLO that reads a source only in a daily local window (e.g. a nightly load test)."""

    slo: str
    start_minute: int
    minutes: int


def _daily_hits(
    template: IncidentTemplate,
    window: tuple[int, int],
    daily_slos: dict[str, tuple[DailyWindow, ...]],
    utc_offset_hours: float,
) -> tuple[str, ...]:
    offset = round(utc_offset_hours * HOUR_MS)
    hits = []
    for effect in template.effects:
        for daily in daily_slos.get(effect.source, ()):
            first_day = (window[0] + offset) // DAY_MS - 1
            for day in range(first_day, (window[1] + offset) // DAY_MS + 1):
                begin = day * DAY_MS - offset + daily.start_minute * MINUTE_MS
                if begin < window[1] and window[0] < begin + daily.minutes * MINUTE_MS:
                    hits.append(daily.slo)
                    break
    return tuple(hits)


def effects_on(
    incidents: list[Incident], source: str, ts: Int64s, error_rate: float
) -> tuple[Floats, Floats]:
    """Per event: the chance it is bad and its latency factor, given every incident."""
    p_bad = np.full(ts.shape, error_rate)
    factor = np.ones(ts.shape)
    for incident in incidents:
        for effect in incident.effects:
            if effect.source != source:
                continue
            mask = incident.active(ts)
            if not mask.any():
                continue
            if effect.error_rate is not None:
                p_bad[mask] = np.maximum(p_bad[mask], effect.error_rate)
            if effect.latency_factor is not None:
                factor[mask] *= effect.latency_factor
    return p_bad, factor
