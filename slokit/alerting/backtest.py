"""Replay history through alert policies, list the alerts, score them against known incidents.

**Replay.** For each SLO objective (a :class:`Series` of per-minute valid/good counts) and each
rule of a policy, :func:`evaluate_rule` (:func:`slokit.engine.burn.evaluate_tier`, or its
traffic-aware and budget-guarded forms) decides at every minute whether the rule's condition
holds, all instants at once from prefix sums; :func:`~slokit.engine.burn.held_for` applies
``for``; runs of consecutive firing minutes become :class:`Alert`\\ s (start: the first firing
instant; end: the first instant it no longer fires, None if still firing at the end).
No Python loop runs over instants. Evaluating once a minute is what the live evaluator sees,
whatever its interval: the store's rows are per minute, so a 30 s evaluator reads the same
window sums twice. With ``alertWhenNoData`` a ``no-data`` alert (severity ticket) runs wherever
the longest long window holds no valid event, as in the evaluator (:func:`no_data`). Each alert
carries the share of the period's budget its long window had spent when it started
(:func:`budget_spent`), the reason a person reading it needs.

**Scoring** (Google SRE Workbook, "Alerting on SLOs": precision, recall, detection time, reset
time). Ground truth is a list of incidents ``{"service", "start", "end"}`` (RFC 3339; optional
``"slos"``, ``"id"``). An alert *matches* an incident when their services are equal — or the
incident lists the alert's SLO among those it affects (a Kafka outage shows in the order
service's publish SLO) — and the alert starts within ``[start, end]``.

* precision = matching alerts / alerts (None without alerts);
* recall = detected incidents / incidents, counting only incidents that consumed at least
  ``min_share`` of the budget (default 2 %: the smallest share the default policy is designed to
  page on); ``recall_all`` counts every incident;
* detection time = first matching alert's start − incident start (mean and median over detected
  incidents);
* reset time = last matching alert's end − incident end (mean over detected incidents whose
  alerts ended inside the history);
* budget consumed before detection = bad events in ``(incident start, detection]`` over the
  allowed bad events of an SLO period ending at detection (``(1 − target) · Σvalid``, see
  :func:`budget_share`), for the SLO whose alert detected it.

An incident's budget consumption is the same quotient over ``(start, end]``, the largest over the
incident's SLOs (those listed in ``"slos"``, else all of its service's); it includes the baseline
errors that would have happened anyway.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from slokit.alerting.policy import TRAFFIC_ESTIMATE_SECONDS, Policy, Rule
from slokit.engine.allowance import allowed_bad_fraction
from slokit.engine.burn import Tier, TierEvaluation, budget_guard, burn_rate, evaluate_tier, held_for
from slokit.engine.series import Cumulative, MinuteCounts
from slokit.errors import Diagnostic, Location, SlokitError

#: Recall counts incidents that spent at least this share of the budget (see the module docstring).
DEFAULT_MIN_SHARE = 0.02
#: The rule name of the optional no-data alert.
NO_DATA_RULE = "no-data"


@dataclass(frozen=True, slots=True)
class Series:
    """One SLO objective's history (of one group, for a grouped SLO): per-minute counts.

    For Timeslices, each slice of ``slice_minutes`` is one event (valid when it has data, good
    when it meets its slice target) in the slice's *first* row, and a window counts only the
    slices wholly inside it, as :mod:`slokit.sources.status` does.
    """

    slo: str
    service: str
    target: float
    period_seconds: float
    counts: MinuteCounts
    group: str = ""
    slice_minutes: int = 1
    #: The objective's index in its SLO, and for one group of a grouped SLO its labels (None
    #: otherwise): ``group`` is display text, these let a summary count objectives and groups
    #: apart from series (:class:`Replayed`).
    objective: int = 0
    labels: tuple[tuple[str, str], ...] | None = None

    def cumulative(self) -> Cumulative:
        return self.counts.cumulative()

    def rolling(
        self, cum: Cumulative, ends: NDArray[np.int64], width_minutes: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """``(valid, good)`` over the windows of ``width_minutes`` ending at ``60·ends``."""
        k = self.slice_minutes
        if k <= 1:
            return cum.rolling(ends, width_minutes)
        start = -(-(ends - width_minutes) // k) * k
        stop = np.maximum(ends // k * k, start)
        return cum.between(start, stop)


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert found by a replay; times in epoch seconds."""

    policy: str
    slo: str
    service: str
    group: str
    rule: str
    severity: str
    start: float
    end: float | None
    peak_burn: float
    #: Share of the period's budget the long window's bad events had spent at ``start``.
    budget_spent: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "slo": self.slo,
            "service": self.service,
            "group": self.group,
            "rule": self.rule,
            "severity": self.severity,
            "start": rfc3339(self.start),
            "end": None if self.end is None else rfc3339(self.end),
            "peak_burn": round(self.peak_burn, 4),
            "budget_spent": None if self.budget_spent is None else round(self.budget_spent, 6),
        }


def rfc3339(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _covered(series: Series, ends: NDArray[np.int64], width: int) -> NDArray[np.int64]:
    """Minutes of the window of ``width`` ending at each instant since the series' first valid event."""
    nonzero = np.flatnonzero(series.counts.valid)
    first = series.counts.first_minute + (int(nonzero[0]) if nonzero.size else len(series.counts))
    covered: NDArray[np.int64] = np.clip(ends - first, 1, width)
    return covered


def period_allowance(series: Series, cum: Cumulative, ends: NDArray[np.int64]) -> NDArray[np.float64]:
    """Allowed bad events of a whole period ending at each instant ``60·ends``, estimated.

    ``(1 − target) · Σvalid(period)``, with Σvalid(period) projected from the valid events of the
    trailing estimate span (:data:`~slokit.alerting.policy.TRAFFIC_ESTIMATE_SECONDS`, at most the
    period) — their mean rate per minute × the period's minutes. Where the series' data begins
    inside the span, only the minutes since its first valid event count (a new stream is not
    diluted by the time before it existed). The live evaluator reads exactly that span, so it
    and a backtest agree; they differ only when the span's first minutes hold no event (the
    evaluator then projects from the minutes since the first one it read).
    """
    period_min = max(math.ceil(series.period_seconds / 60), 1)
    span = min(period_min, math.ceil(TRAFFIC_ESTIMATE_SECONDS / 60))
    pv, _ = series.rolling(cum, ends, span)
    covered = _covered(series, ends, span)
    allowed: NDArray[np.float64] = allowed_bad_fraction(series.target) * pv / covered * period_min
    return allowed


def budget_spent(series: Series, cum: Cumulative, ends: NDArray[np.int64], tier: Tier) -> NDArray[np.float64]:
    """Bad events in the tier's long window over :func:`period_allowance` (NaN without traffic)."""
    lv, lg = series.rolling(cum, ends, tier.long_seconds // 60)
    allowed = period_allowance(series, cum, ends)
    with np.errstate(invalid="ignore", divide="ignore"):
        spent: NDArray[np.float64] = np.where(allowed > 0, (lv - lg) / allowed, np.nan)
    return spent


def evaluate_rule(
    series: Series, cum: Cumulative, ends: NDArray[np.int64], tier: Tier, policy: Policy
) -> TierEvaluation:
    """:func:`~slokit.engine.burn.evaluate_tier`, or its budget forms when the policy asks.

    Traffic-aware ("budget") burn over a window ``w`` (``policy.aware_for(period)``): bad events
    in ``w`` over the allowance a window of that length gets on average,
    ``allowed(period) · w / period`` (:func:`period_allowance`). With even traffic it equals the
    burn rate; at a peak hour it is higher (those bad events spend more of the period's budget),
    in a quiet hour lower. Where the series' data begins inside ``w`` (a new stream), only the
    minutes since its first valid event get an allowance, as the window's own ratio would.

    Own-ratio floor (with traffic-aware burn): each window's plain burn rate must also be at
    least ``min(factor, 1)``.

    Budget-aware guard (``policy.budget_guard``, :func:`~slokit.engine.burn.budget_guard`): the
    short window needs ``min(min_bad_events, max(1, ⌈share · allowed⌉))`` bad events, ``allowed``
    being the period's allowed bad events (same estimate): a failure that alone spends the
    tier's share of the budget is not noise.
    """
    aware = policy.aware_for(series.period_seconds)
    if not aware and not policy.budget_guard and series.slice_minutes <= 1:
        return evaluate_tier(cum, ends, tier, series.target, policy.min_bad_events)
    lv, lg = series.rolling(cum, ends, tier.long_seconds // 60)
    sv, sg = series.rolling(cum, ends, tier.short_seconds // 60)
    short_bad = (sv - sg).astype(np.int64)
    guard: NDArray[np.int64] | int = policy.min_bad_events
    allowed = np.zeros(ends.shape)
    if aware or policy.budget_guard:
        allowed = period_allowance(series, cum, ends)
        if policy.budget_guard:
            guard = budget_guard(policy.min_bad_events, tier.share, allowed)
    with np.errstate(invalid="ignore", divide="ignore"):
        if aware:
            per_minute = allowed / max(math.ceil(series.period_seconds / 60), 1)
            long_min = _covered(series, ends, tier.long_seconds // 60)
            short_min = _covered(series, ends, tier.short_seconds // 60)
            long_burn = np.where(allowed > 0, (lv - lg) / (per_minute * long_min), np.nan)
            short_burn = np.where(allowed > 0, short_bad / (per_minute * short_min), np.nan)
        else:
            long_burn = burn_rate(lv - lg, lv, series.target)
            short_burn = burn_rate(short_bad, sv, series.target)
        firing = (long_burn >= tier.factor) & (short_burn >= tier.factor) & (short_bad >= guard)
        if aware:
            # Own-ratio floor: a window that meets the objective by its own error ratio confirms
            # nothing (a healthy peak hour spends more than an average hour, but the SLO is met).
            # min(factor, 1) keeps tiers whose factor is below 1 (short periods' slow tickets).
            floor = min(tier.factor, 1.0)
            own_long = burn_rate(lv - lg, lv, series.target)
            own_short = burn_rate(short_bad, sv, series.target)
            firing &= (own_long >= floor) & (own_short >= floor)
    return TierEvaluation(firing, long_burn, short_burn, short_bad)


def no_data(series: Series, cum: Cumulative, ends: NDArray[np.int64], policy: Policy) -> NDArray[np.bool_]:
    """Where no rule's long window holds a valid event (the longest one is empty)."""
    valid, _ = series.rolling(cum, ends, policy.max_window_seconds // 60)
    empty: NDArray[np.bool_] = valid == 0
    return empty


def firing_series(
    series: Series, policy: Policy, ends: NDArray[np.int64]
) -> list[tuple[Rule, NDArray[np.bool_], NDArray[np.float64]]]:
    """Per rule: whether it fires at each instant ``60·ends`` (``for`` applied) and its long burn.

    With ``alertWhenNoData`` the ``no-data`` rule comes last (its burn is NaN).
    """
    cum = series.cumulative()
    out = []
    for rule in policy.rules:
        ev = evaluate_rule(series, cum, ends, rule.tier, policy)
        firing = held_for(ev.firing, 60, rule.tier.for_seconds)
        out.append((rule, firing, ev.long_burn))
    if policy.alert_when_no_data and policy.rules:
        out.append((no_data_rule(policy), no_data(series, cum, ends, policy), np.full(ends.shape, np.nan)))
    return out


def no_data_rule(policy: Policy) -> Rule:
    """The ``no-data`` rule: severity ticket, no ``for``; its tier is the longest rule's windows."""
    longest = max(policy.rules, key=lambda r: r.tier.long_seconds).tier
    return Rule(NO_DATA_RULE, replace(longest, severity="ticket", for_seconds=0))


def _runs(firing: NDArray[np.bool_]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Start indices and stop indices (exclusive) of the runs of True."""
    padded = np.concatenate(([False], firing, [False])).astype(np.int8)
    d = np.diff(padded)
    return np.flatnonzero(d == 1).astype(np.int64), np.flatnonzero(d == -1).astype(np.int64)


def replay(series: Series, policy: Policy, start: float, end: float, label: str | None = None) -> list[Alert]:
    """Alerts ``policy`` would have raised on ``series``, evaluated every minute in ``[start, end]``."""
    ends = np.arange(math.ceil(start / 60), math.floor(end / 60) + 1, dtype=np.int64)
    if ends.size == 0:
        return []
    alerts: list[Alert] = []
    cum: Cumulative | None = None
    for rule, firing, long_burn in firing_series(series, policy, ends):
        a, b = _runs(firing)
        if a.size == 0:
            continue
        burn = np.nan_to_num(long_burn, nan=0.0)
        peaks = np.maximum.reduceat(burn, a)
        cum = cum or series.cumulative()
        spent = (
            np.full(a.shape, np.nan)
            if rule.name == NO_DATA_RULE
            else budget_spent(series, cum, ends[a], rule.tier)
        )
        for i, j, peak, share in zip(a.tolist(), b.tolist(), peaks.tolist(), spent.tolist(), strict=True):
            stop = None if j >= ends.size else float(ends[j] * 60)
            alerts.append(
                Alert(
                    label or policy.name,
                    series.slo,
                    series.service,
                    series.group,
                    rule.name,
                    rule.tier.severity,
                    float(ends[i] * 60),
                    stop,
                    peak,
                    None if math.isnan(share) else share,
                )
            )
    return alerts


class Verdict(NamedTuple):
    """One rule at one instant, as the live evaluator sees it."""

    rule: str
    severity: str
    for_seconds: int
    breaching: bool
    long_burn: float
    short_burn: float
    #: Share of the period's budget the long window's bad events spent (NaN: no traffic known).
    budget_spent: float


def verdicts_at(series: Series, policy: Policy, at_minute: int) -> list[Verdict]:
    """Every rule's :class:`Verdict` at ``60·at_minute``: the live evaluator's view of one instant.

    Same functions as :func:`replay` (so both agree); with ``alertWhenNoData`` a ``no-data``
    verdict (severity ticket) breaches where :func:`no_data` holds.
    """
    cum = series.cumulative()
    ends = np.array([at_minute], dtype=np.int64)
    out = []
    for rule in policy.rules:
        ev = evaluate_rule(series, cum, ends, rule.tier, policy)
        lb, sb = float(ev.long_burn[0]), float(ev.short_burn[0])
        spent = float(budget_spent(series, cum, ends, rule.tier)[0])
        out.append(
            Verdict(rule.name, rule.tier.severity, rule.tier.for_seconds, bool(ev.firing[0]), lb, sb, spent)
        )
    if policy.alert_when_no_data and policy.rules:
        empty = bool(no_data(series, cum, ends, policy)[0])
        out.append(Verdict(NO_DATA_RULE, "ticket", 0, empty, math.nan, math.nan, math.nan))
    return out


# --- incidents ---


@dataclass(frozen=True, slots=True)
class Incident:
    service: str
    start: float
    end: float
    slos: tuple[str, ...] = ()
    id: str = ""


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


def _time(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp()


def parse_incidents(text: str, file: str = "<incidents>") -> list[Incident]:
    """Incidents from JSON text; errors name the file, line and column (or list index)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SlokitError(
            f"{file}:{exc.lineno}:{exc.colno}: incidents file is not valid JSON: {exc.msg}",
            [],
        ) from None
    if not isinstance(data, list):
        raise SlokitError(
            f"{file}: an incidents file is a JSON list of objects with service, start and end "
            f"(RFC 3339), got a {type(data).__name__}"
        )
    problems: list[Diagnostic] = []
    out: list[Incident] = []
    for i, item in enumerate(data):
        path = f"[{i}]"
        if not isinstance(item, dict):
            problems.append(
                Diagnostic("expected an object with service, start and end", Location(file), path)
            )
            continue
        service = item.get("service")
        start, end = _time(item.get("start")), _time(item.get("end"))
        bad = False
        if not isinstance(service, str) or not service:
            problems.append(
                Diagnostic("service must be a non-empty string", Location(file), f"{path}.service")
            )
            bad = True
        for key, value in (("start", start), ("end", end)):
            if value is None:
                problems.append(
                    Diagnostic(
                        f"{key} must be an RFC 3339 time with an offset, got {item.get(key)!r}",
                        Location(file),
                        f"{path}.{key}",
                        hint="e.g. 2026-03-01T12:00:00Z",
                    )
                )
                bad = True
        if not bad and start is not None and end is not None and end < start:
            problems.append(Diagnostic("end is before start", Location(file), f"{path}.end"))
            bad = True
        slos = item.get("slos", [])
        if not isinstance(slos, list) or not all(isinstance(s, str) for s in slos):
            problems.append(Diagnostic("slos must be a list of SLO names", Location(file), f"{path}.slos"))
            bad = True
        if not bad:
            assert isinstance(service, str) and start is not None and end is not None
            out.append(Incident(service, start, end, tuple(slos), str(item.get("id", ""))))
    if problems:
        raise SlokitError(f"{file}: incidents file has {len(problems)} problem(s)", problems)
    return out


# --- budget arithmetic over series ---


def budget_share(series: Series, start: float, end: float) -> float:
    """Bad events in ``(start, end]`` over the allowed bad events of a whole SLO period ending at ``end``.

    The allowed bad events are ``(1 − target) · Σvalid`` of that period; where the history does
    not reach back a whole period, Σvalid is estimated from the history's first period (its mean
    rate × the period length).
    """
    cum = series.cumulative()
    a, b = math.floor(start / 60), math.floor(end / 60)
    v, g = cum.between(np.array([a]), np.array([b]))
    period_rows = math.ceil(series.period_seconds / 60)
    nonzero = np.flatnonzero(series.counts.valid)
    if nonzero.size == 0:
        return 0.0
    first_data = series.counts.first_minute + int(nonzero[0])
    lo, hi = b - period_rows, b
    if lo < first_data:  # the history does not cover the period: estimate from its first period
        lo, hi = first_data, min(first_data + period_rows, series.counts.stop_minute)
    pv, _ = cum.between(np.array([lo]), np.array([hi]))
    allowed = allowed_bad_fraction(series.target) * float(pv[0]) * period_rows / (hi - lo)
    if allowed <= 0:
        return 0.0
    return float(v[0] - g[0]) / allowed


# --- scoring ---


@dataclass(frozen=True, slots=True)
class Score:
    policy: str
    alerts: int
    matching_alerts: int
    incidents: int
    significant_incidents: int
    detected: int
    detected_significant: int
    precision: float | None
    recall: float | None
    recall_all: float | None
    detection_seconds: float | None
    reset_seconds: float | None
    budget_before_detection: float | None
    missed: tuple[str, ...] = field(default=())
    detection_median_seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "alerts": self.alerts,
            "matching_alerts": self.matching_alerts,
            "incidents": self.incidents,
            "significant_incidents": self.significant_incidents,
            "detected": self.detected,
            "precision": self.precision,
            "recall": self.recall,
            "recall_all": self.recall_all,
            "detection_seconds": self.detection_seconds,
            "detection_median_seconds": self.detection_median_seconds,
            "reset_seconds": self.reset_seconds,
            "budget_before_detection": self.budget_before_detection,
            "missed": list(self.missed),
        }


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if values else None


def matches(alert: Alert, incident: Incident) -> bool:
    """Same service (or an SLO the incident lists), starting within ``[start, end]``."""
    related = alert.service == incident.service or alert.slo in incident.slos
    return related and incident.start <= alert.start <= incident.end


def incident_share(incident: Incident, series: Sequence[Series]) -> float:
    """The budget share an incident consumed: the largest over its SLOs (see the module docstring)."""
    named = [s for s in series if s.slo in incident.slos] if incident.slos else []
    pool = named or [s for s in series if s.service == incident.service]
    return max((budget_share(s, incident.start, incident.end) for s in pool), default=0.0)


def score(
    policy: str,
    alerts: Sequence[Alert],
    incidents: Sequence[Incident],
    series: Sequence[Series] = (),
    min_share: float = DEFAULT_MIN_SHARE,
    shares: Mapping[int, float] | None = None,
) -> Score:
    """Score one policy's alerts; ``shares`` (index → consumed share) skips recomputing shares."""
    by_slo = {(s.slo, s.group): s for s in series}
    matched = [any(matches(a, inc) for inc in incidents) for a in alerts]
    detections: list[float] = []
    resets: list[float] = []
    spent: list[float] = []
    detected = detected_sig = significant = 0
    missed: list[str] = []
    for k, inc in enumerate(incidents):
        share = shares[k] if shares is not None else (incident_share(inc, series) if series else math.inf)
        is_sig = share >= min_share
        significant += is_sig
        hits = sorted((a for a in alerts if matches(a, inc)), key=lambda a: a.start)
        if not hits:
            if is_sig:
                missed.append(inc.id or f"{inc.service}@{rfc3339(inc.start)}")
            continue
        detected += 1
        detected_sig += is_sig
        first = hits[0]
        detections.append(first.start - inc.start)
        ended = [a.end for a in hits if a.end is not None]
        if len(ended) == len(hits):
            resets.append(max(ended) - inc.end)
        s = by_slo.get((first.slo, first.group))
        if s is not None:
            spent.append(budget_share(s, inc.start, first.start))
    n = len(alerts)
    return Score(
        policy,
        n,
        sum(matched),
        len(incidents),
        significant,
        detected,
        detected_sig,
        sum(matched) / n if n else None,
        detected_sig / significant if significant else None,
        detected / len(incidents) if incidents else None,
        _mean(detections),
        _mean(resets),
        _mean(spent),
        tuple(missed),
        float(np.median(detections)) if detections else None,
    )


class Replayed(NamedTuple):
    """What a backtest replayed: SLOs, their objectives, the groups of grouped SLOs, and series.

    A series (one objective, or one objective of one group) is what alerts are evaluated on; it
    is not an objective: an SLO of one objective grouped by three routes is 1 objective, 3 groups
    and 3 series, and summaries must not call those 3 objectives.
    """

    slos: int = 0
    objectives: int = 0
    groups: int = 0
    series: int = 0

    @classmethod
    def of(cls, series: Sequence[Series]) -> Replayed:
        return cls(
            slos=len({s.slo for s in series}),
            objectives=len({(s.slo, s.objective) for s in series}),
            # a group is one label combination of one SLO, whichever of its objectives it has data for
            groups=len({(s.slo, s.labels) for s in series if s.labels is not None}),
            series=len(series),
        )


@dataclass(frozen=True, slots=True)
class Backtest:
    """Alerts and scores of several policies over the same history."""

    start: float
    end: float
    alerts: Mapping[str, list[Alert]]
    scores: Mapping[str, Score] | None
    replayed: Replayed = field(default_factory=Replayed)

    def to_json(self) -> dict[str, Any]:
        return {
            "from": rfc3339(self.start),
            "to": rfc3339(self.end),
            **self.replayed._asdict(),
            "policies": [
                {
                    "name": name,
                    **({} if self.scores is None else self.scores[name].to_json()),
                    "alerts": len(alerts) if self.scores is None else self.scores[name].alerts,
                    "alert_list": [a.to_json() for a in alerts],
                }
                for name, alerts in self.alerts.items()
            ],
        }


def run_backtest(
    series: Sequence[Series],
    policies: Mapping[str, Sequence[Policy]],
    start: float,
    end: float,
    incidents: Sequence[Incident] | None = None,
    min_share: float = DEFAULT_MIN_SHARE,
) -> Backtest:
    """Replay every series through each named policy set (one :class:`Policy` per series, same order)."""
    found: dict[str, list[Alert]] = {}
    for name, per_series in policies.items():
        alerts: list[Alert] = []
        for s, p in zip(series, per_series, strict=True):
            alerts.extend(replay(s, p, start, end, name))
        alerts.sort(key=lambda a: (a.start, a.slo, a.rule))
        found[name] = alerts
    scores = None
    if incidents is not None:
        inside = [i for i in incidents if i.end > start and i.start < end]
        shares = {k: incident_share(inc, series) for k, inc in enumerate(inside)}
        scores = {name: score(name, a, inside, series, min_share, shares) for name, a in found.items()}
    return Backtest(start, end, found, scores, Replayed.of(series))
