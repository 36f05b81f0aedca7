"""slokit's native Prometheus recording and alerting rules for SLIs bound to ``type: prometheus``.

Per SLO objective, two groups:

``slokit-period-<id>`` (evaluated every :data:`TILE` = 5 minutes)
    The bad and total event counts of the last 5 minutes as two series ("tiles"). Because the
    group runs exactly every 5 minutes, consecutive tiles cover adjacent, non-overlapping
    5-minute spans, so summing them over any range counts every event once. The SLO-period
    error ratio is ``sum_over_time(bad[P]) / sum_over_time(total[P])``: event-weighted (never an
    average of ratios) and cheap (8640 samples of one series for 30 days instead of a
    ``increase(...[30d])`` over every raw series). Metadata: objective, period, budget remaining.
    When the SLO's policy needs it, the period's allowed bad events estimated from the last
    week of tiles (at most the period) and how much history that estimate rests on.
``slokit-<id>`` (the global evaluation interval)
    The error ratio over each alert window, as a ratio of increases over that window. Windows
    up to :data:`RAW_MAX_SECONDS` come from the raw query (fresh enough to page within a
    minute); longer ones sum the tiles (a few minutes of lag does not matter over 6 hours, and
    it avoids ``rate(...[3d])`` over raw series). The bad events of the windows the alerts
    read and, for traffic-aware policies, each window's budget burn (bad events over the
    allowance an average window of its length gets). Then, in the same group so that they see
    this evaluation's series, one alert per rule of the SLO's policy
    (:func:`slokit.alerting.policy.fitting_policy`: ``--policy``, else the SLO's OpenSLO alert
    policies, else the default tiers), deciding as :func:`slokit.alerting.backtest.evaluate_rule`
    does: traffic-aware burn with the own-ratio floor, or window ratios (``classic``); the
    budget-aware or the fixed low-traffic guard; plus an alert when the SLI has no data.

The layout of PromQL and the exactness argument are in ``docs/prometheus.md``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from slokit.alerting.policy import (
    TRAFFIC_ESTIMATE_SECONDS,
    AlertSettings,
    Policy,
    Rule,
    alerting_slos,
    fitting_policy,
    period_seconds,
)
from slokit.engine.allowance import allowed_bad_fraction
from slokit.errors import SlokitError
from slokit.exporters.promql import (
    fill_window,
    go_float,
    is_label_name,
    label_name,
    le_pattern,
    matchers,
    prom_duration,
    shape_problem,
)
from slokit.spec.bindings import WINDOW_PLACEHOLDER
from slokit.spec.model import SLI, SLO, MetricSource, Objective, PrometheusQuery, Spec

Dialect = Literal["prometheus", "victoriametrics"]

#: Length of a tile: the short window whose counts are recorded for the period sums.
TILE = 300
#: Windows up to this length are computed from the raw query; longer ones from the tiles.
RAW_MAX_SECONDS = 3600
#: How long the SLI must have had no data before the no-data alert fires.
NO_DATA_AFTER = 900

SLO_LABEL = "slokit_slo"
SERVICE_LABEL = "slokit_service"
OBJECTIVE_LABEL = "slokit_objective"

TILE_BAD = "slokit:tile_bad_events:increase5m"
TILE_TOTAL = "slokit:tile_total_events:increase5m"
#: Prefixes of the per-window series (the window follows: ``slokit:error_ratio:rate1h``).
ERROR_RATIO = "slokit:error_ratio:rate"
BAD_EVENTS = "slokit:bad_events:increase"
#: The period's allowed bad events, estimated from the recent traffic (recorded every 5 minutes).
ALLOWED_BAD = "slokit:allowed_bad_events:period"
#: Seconds of history (tiles) the estimate rests on, at most the estimate span.
ESTIMATE_SPAN = "slokit:traffic_estimate:seconds"
#: Prefix of the traffic-aware burn of a window (bad events over an average window's allowance).
BUDGET_BURN = "slokit:budget_burn:rate"

BURN_ALERT = "SLOErrorBudgetBurn"
NO_DATA_ALERT = "SLONoData"

_RATE_RE = re.compile(r"\b(?:i?rate)\s*\(")
_INCREASE_RE = re.compile(r"\bincrease\s*\(")


@dataclass(frozen=True, slots=True)
class NativeOptions:
    dialect: Dialect = "prometheus"
    #: The low-traffic guard; None: the policy's (``minBadEvents``, default 3).
    min_bad_events: int | None = None
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    no_data_alert: bool = True
    #: Alert settings (a settings file or a built-in such as ``classic``); None: the SLO's own
    #: OpenSLO alert policies, else slokit's default policy, as the embedded evaluator resolves them.
    settings: AlertSettings | None = None
    #: Filled in by :func:`native_groups`: the SLOs that alert (``alerting_slos``).
    alerting: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class NativeOutput:
    groups: list[dict[str, Any]]
    #: SLOs left out and why (not bound to Prometheus, Timeslices budgeting, ...).
    skipped: list[str]
    #: Caveats about SLOs that were generated (calendar windows read as rolling, ...).
    notes: list[str]


@dataclass(frozen=True, slots=True)
class _Events:
    """How to count an SLI over a window: PromQL text builders for one objective."""

    kind: Literal["counts", "ratio"]
    #: window text -> expression (counts: bad and total event counts; ratio: error ratio only)
    bad: Any = None
    total: Any = None
    ratio: Any = None


def native_groups(spec: Spec, options: NativeOptions | None = None) -> NativeOutput:
    """All rule groups for the SLOs of ``spec`` whose SLIs are PromQL (``type: prometheus``)."""
    options = options or NativeOptions()
    settings = options.settings or AlertSettings()
    options = replace(options, alerting=frozenset(s.name for s in alerting_slos(spec, settings)))
    groups: list[dict[str, Any]] = []
    skipped: list[str] = []
    notes: list[str] = []
    for slo in spec:
        reason = _unsupported(slo)
        if reason is not None:
            skipped.append(f"SLO {slo.name!r}: {reason}")
            continue
        if not slo.time_window.is_rolling:
            notes.append(
                f"SLO {slo.name!r}: calendar window {slo.time_window.describe()} is computed as a rolling "
                f"window of its average length ({prom_duration(_period_seconds(slo))}); PromQL ranges "
                "cannot start at a calendar boundary"
            )
        policy = fitting_policy(slo, settings)
        notes.extend(policy.warnings)
        if slo.name not in options.alerting:
            notes.append(
                f"SLO {slo.name!r}: no burn-rate alerts (the spec has alert policies and this SLO uses none)"
            )
        elif _has_raw_ratio(slo) and (policy.aware_for(period_seconds(slo)) or policy.budget_guard):
            notes.append(
                f"SLO {slo.name!r}: a raw ratio SLI has no event counts, so its alerts compare window "
                "ratios without a low-traffic guard (the classic form)"
            )
        several = len(slo.objectives) > 1
        for index, objective in enumerate(slo.objectives):
            groups.extend(_objective_groups(slo, index, objective, several, policy, options))
    if not groups:
        raise SlokitError(f"no SLO in the spec can be generated as Prometheus rules: {_summarise(skipped)}")
    return NativeOutput(groups, skipped, notes)


def _summarise(skipped: list[str], shown: int = 5) -> str:
    """The reasons, a few at most: a spec of hundreds of SLOs should not print hundreds of lines."""
    if not skipped:
        return "the spec holds no SLO"
    unbound = [s for s in skipped if s.endswith(_UNBOUND)]
    if len(unbound) == len(skipped):
        return (
            f"none of its {len(skipped)} SLOs has an SLI bound to type: prometheus "
            "(rules are generated only for metricSource type: prometheus; see docs/bindings.md)"
        )
    more = f"; and {len(skipped) - shown} more" if len(skipped) > shown else ""
    return "; ".join(skipped[:shown]) + more


_UNBOUND = "its SLI is not bound to type: prometheus (nothing to generate)"


def _unsupported(slo: SLO) -> str | None:
    for objective in slo.objectives:
        sli = slo.indicator_for(objective)
        sources = _sources(sli)
        if not sources or not all(isinstance(s.binding, PrometheusQuery) for s in sources):
            return _UNBOUND
    if slo.budgeting_method != "Occurrences":
        return (
            f"budgetingMethod {slo.budgeting_method} is not generated: the rules count events "
            "(Occurrences); time slices need per-slice evaluation (use slokit's own evaluator)"
        )
    return None


def _has_raw_ratio(slo: SLO) -> bool:
    return any(
        (r := slo.indicator_for(o).ratio_metric) is not None and r.raw is not None for o in slo.objectives
    )


def _sources(sli: SLI) -> list[MetricSource]:
    if sli.ratio_metric is not None:
        r = sli.ratio_metric
        return [s for s in (r.good, r.bad, r.total, r.raw) if s is not None]
    assert sli.threshold_metric is not None
    return [sli.threshold_metric.source]


def tiles_range(seconds: int) -> str:
    """The range selecting the tiles of a window: one second short of it, e.g. ``29d23h59m59s``.

    Tiles are 5 minutes apart and the period rule runs at the tile group's timestamp T, so a
    tile sits exactly on T − window. Prometheus 2 ranges include their start, which would add
    that tile (window + 5 minutes); one second less selects exactly window / 5 min tiles in
    Prometheus 2 and 3 (whose ranges exclude their start) alike.
    """
    return prom_duration(seconds - 1)


def _period_seconds(slo: SLO) -> int:
    duration = slo.time_window.duration
    return duration.seconds if not duration.is_calendar else round(duration.nominal_seconds)


def _objective_groups(
    slo: SLO,
    index: int,
    objective: Objective,
    several: bool,
    policy: Policy,
    options: NativeOptions,
) -> list[dict[str, Any]]:
    sli = slo.indicator_for(objective)
    ident = {SLO_LABEL: slo.name, SERVICE_LABEL: slo.service}
    slug = slo.name
    if several:
        name = objective.display_name or str(index)
        ident[OBJECTIVE_LABEL] = name
        slug = f"{slo.name}-{re.sub(r'[^a-zA-Z0-9_.-]+', '-', name)}"
    ident.update(options.extra_labels)
    sel = "{" + matchers(ident) + "}"
    events = _events(slo, sli, objective, options.dialect)
    period = _period_seconds(slo)
    period_text = prom_duration(period)
    target = objective.target
    budget = allowed_bad_fraction(target)
    counts = events.kind == "counts"
    plan = _plan(slo, policy, counts, options)
    tiers = [r.tier for r in policy.rules]
    windows = sorted({w for t in tiers for w in (t.long_seconds, t.short_seconds)} | {TILE})
    labels = dict(sorted(ident.items()))

    def rule(record: str, expr: str, extra: Mapping[str, str] | None = None) -> dict[str, Any]:
        _check(slo, record, expr)
        return {"record": record, "expr": expr, "labels": dict(sorted({**labels, **(extra or {})}.items()))}

    tile = prom_duration(TILE)
    period_rules: list[dict[str, Any]] = []
    sli_rules: list[dict[str, Any]] = []
    if counts:
        period_rules += [rule(TILE_BAD, events.bad(tile, TILE)), rule(TILE_TOTAL, events.total(tile, TILE))]
        period_ratio = (
            f"sum_over_time({TILE_BAD}{sel}[{tiles_range(period)}])\n/\n"
            f"sum_over_time({TILE_TOTAL}{sel}[{tiles_range(period)}])\n"
        )
        for w in windows:
            text = prom_duration(w)
            if w <= RAW_MAX_SECONDS or w % TILE:
                expr = events.ratio(text)
            else:
                expr = (
                    f"sum_over_time({TILE_BAD}{sel}[{tiles_range(w)}])\n/\n"
                    f"sum_over_time({TILE_TOTAL}{sel}[{tiles_range(w)}])\n"
                )
            sli_rules.append(rule(f"{ERROR_RATIO}{text}", expr))
        for w in sorted(plan.count_windows):
            text = prom_duration(w)
            if w <= RAW_MAX_SECONDS or w % TILE:
                expr = events.bad(text, w)
            else:
                expr = f"sum_over_time({TILE_BAD}{sel}[{tiles_range(w)}])"
            sli_rules.append(rule(f"{BAD_EVENTS}{text}", expr))
        if plan.aware:
            for w in sorted(plan.count_windows):
                sli_rules.append(rule(f"{BUDGET_BURN}{prom_duration(w)}", _budget_burn(w, sel, period)))
        presence = f"{TILE_TOTAL}{sel}"
    else:
        for w in windows:
            text = prom_duration(w)
            sli_rules.append(rule(f"{ERROR_RATIO}{text}", events.ratio(text)))
        period_ratio = f"avg_over_time({ERROR_RATIO}{tile}{sel}[{period_text}])"
        presence = f"{ERROR_RATIO}{tile}{sel}"
    period_rules += [
        rule("slokit:error_ratio:period", period_ratio, {"slokit_period": period_text}),
        rule("slokit:objective:ratio", f"vector({go_float(target)})"),
        rule("slokit:period:seconds", f"vector({period})"),
        rule(
            "slokit:error_budget_remaining:ratio",
            f"1 - slokit:error_ratio:period{sel} / {go_float(budget)}",
            {"slokit_period": period_text},
        ),
    ]
    # The label slokit_period sits on the period ratio and the budget; matching the recorded ratio
    # therefore keeps it, and the division keeps every label of the left side.
    if plan.estimate:
        span = estimate_span_seconds(period)
        tiles = f"{TILE_TOTAL}{sel}[{tiles_range(span)}]"
        period_tiles = go_float(period_minutes(period) * 60 / TILE)
        period_rules += [
            # (1 − target) · the mean valid events per recorded tile of the span · the period's tiles
            rule(
                ALLOWED_BAD,
                f"{go_float(budget)} * sum_over_time({tiles}) / count_over_time({tiles}) * {period_tiles}",
            ),
            # how much history the estimate rests on (since the SLI's first tile, at most the span)
            rule(ESTIMATE_SPAN, f"count_over_time({tiles}) * {TILE}"),
        ]

    shapes = Counter(_shape(r) for r in policy.rules)
    alerts = [
        _burn_alert(slo, r, sel, budget, period, plan, options, shapes[_shape(r)] == 1)
        for r in (policy.rules if plan.alerts else ())
    ]
    if options.no_data_alert:
        alerts.append(
            {
                "alert": NO_DATA_ALERT,
                "expr": f"absent_over_time({presence}[{prom_duration(NO_DATA_AFTER)}])",
                "labels": _alert_labels(slo, {"severity": "ticket"}, options),
                "annotations": {
                    "summary": f"SLO {slo.name} has no data",
                    "description": (
                        f"The SLI of SLO {slo.name} (service {slo.service}) returned no data for "
                        f"{prom_duration(NO_DATA_AFTER)}: its burn-rate alerts cannot fire. Check the "
                        "metric names and the scrape targets."
                    ),
                },
            }
        )
        _check(slo, NO_DATA_ALERT, alerts[-1]["expr"])
    # Alerts follow the window ratios in one group: rules of a group run in order, so every
    # alert evaluation sees the ratios of the same instant (across groups it would see the
    # previous evaluation's, one interval late).
    return [
        {"name": f"slokit-period-{slug}", "interval": tile, "rules": period_rules},
        {"name": f"slokit-{slug}", "rules": sli_rules + alerts},
    ]


@dataclass(frozen=True, slots=True)
class _Plan:
    """How one SLO's alerts decide, from its policy (see the module docstring)."""

    #: Traffic-aware burn (bad events over the average window's allowance) with the own-ratio floor.
    aware: bool
    #: Budget-aware guard (needs the period's allowed bad events).
    budget_guard: bool
    #: The fixed guard, or the ceiling of the budget-aware one; 0: no guard.
    min_bad_events: int
    #: Windows whose bad-event counts are recorded.
    count_windows: frozenset[int]
    #: Whether the period's allowed bad events are estimated (recorded in the period group).
    estimate: bool
    #: Whether the SLO alerts at all (a spec with alert policies alerts only on SLOs that use one).
    alerts: bool


def _plan(slo: SLO, policy: Policy, counts: bool, options: NativeOptions) -> _Plan:
    period = float(_period_seconds(slo))
    min_bad = policy.min_bad_events if options.min_bad_events is None else options.min_bad_events
    alerts = slo.name in options.alerting and bool(policy.rules)
    # A raw ratio has no counts: window ratios without a guard are all it allows.
    aware = counts and alerts and policy.aware_for(period)
    guard = counts and alerts and policy.budget_guard and min_bad > 0
    windows: set[int] = set()
    for r in policy.rules if alerts and counts else ():
        if aware:
            windows |= {r.tier.long_seconds, r.tier.short_seconds}
        elif min_bad > 0:
            windows.add(r.tier.short_seconds)
    return _Plan(aware, guard, min_bad if counts else 0, frozenset(windows), aware or guard, alerts)


def estimate_span_seconds(period: float) -> int:
    """The history the period's traffic is estimated from: a week, at most the period (whole tiles).

    :data:`slokit.alerting.policy.TRAFFIC_ESTIMATE_SECONDS` and the period in whole minutes,
    as :func:`slokit.alerting.backtest.period_allowance` takes them, rounded up to whole tiles.
    """
    span = min(period_minutes(period) * 60, TRAFFIC_ESTIMATE_SECONDS)
    return -(-span // TILE) * TILE


def period_minutes(period: float) -> int:
    """The period in whole minutes (rounded up), as the embedded evaluator counts it."""
    return max(math.ceil(period / 60), 1)


def _budget_burn(w: int, sel: str, period: int) -> str:
    """Bad events in ``w`` over the allowance an average window of that length gets in the period.

    The allowance is ``allowed(period) · min(w, history) / period``: a window that began before
    the SLI's first tile gets an allowance only for the time since, as in the embedded evaluator
    (:func:`slokit.alerting.backtest.evaluate_rule`); the history is known up to the estimate span.
    """
    seconds = f"clamp_max({ESTIMATE_SPAN}{sel}, {w})" if w < estimate_span_seconds(period) else str(w)
    per_second = f"{ALLOWED_BAD}{sel} / {period_minutes(period) * 60}"
    return f"{BAD_EVENTS}{prom_duration(w)}{sel}\n/\n({per_second} * {seconds})\n"


def _shape(rule: Rule) -> tuple[str, int, int]:
    return rule.tier.severity, rule.tier.long_seconds, rule.tier.short_seconds


def _burn_alert(
    slo: SLO,
    rule: Rule,
    sel: str,
    budget: float,
    period: int,
    plan: _Plan,
    options: NativeOptions,
    distinct: bool,
) -> dict[str, Any]:
    tier = rule.tier
    long_text, short_text = prom_duration(tier.long_seconds), prom_duration(tier.short_seconds)
    factor = go_float(tier.factor)
    if plan.aware:
        floor = f"({go_float(min(tier.factor, 1.0))} * {go_float(budget)})"
        expr = (
            f"{BUDGET_BURN}{long_text}{sel} >= {factor}\n"
            f"and\n{BUDGET_BURN}{short_text}{sel} >= {factor}\n"
            f"and\n{ERROR_RATIO}{long_text}{sel} >= {floor}\n"
            f"and\n{ERROR_RATIO}{short_text}{sel} >= {floor}\n"
        )
    else:
        threshold = f"({factor} * {go_float(budget)})"
        expr = (
            f"{ERROR_RATIO}{long_text}{sel} >= {threshold}\n"
            f"and\n{ERROR_RATIO}{short_text}{sel} >= {threshold}\n"
        )
    if plan.budget_guard:
        # min(minBadEvents, max(1, ⌈share · allowed⌉)); 1e-9 as in slokit.engine.burn.budget_guard
        needed = f"ceil({go_float(tier.share)} * {ALLOWED_BAD}{sel} - 1e-09)"
        guard = f"clamp_max(clamp_min({needed}, 1), {plan.min_bad_events})"
        expr += f"and\n{BAD_EVENTS}{short_text}{sel} >= {guard}\n"
    elif plan.min_bad_events > 0:
        expr += f"and\n{BAD_EVENTS}{short_text}{sel} >= {plan.min_bad_events}\n"
    _check(slo, BURN_ALERT, expr)
    out: dict[str, Any] = {"alert": BURN_ALERT, "expr": expr}
    if tier.for_seconds:
        out["for"] = prom_duration(tier.for_seconds)
    out["labels"] = _alert_labels(
        slo,
        {
            "severity": tier.severity,
            "slokit_long_window": long_text,
            "slokit_short_window": short_text,
            # the rule's name tells alerts apart only when two rules share severity and windows
            **({} if distinct else {"slokit_rule": rule.name}),
        },
        options,
    )
    share = f"{tier.share * 100:g} %"
    pace = (
        f"spent its error budget more than {factor} times as fast as an average {long_text} of the "
        f"{prom_duration(period)} period may"
        if plan.aware
        else f"failed more than {factor} times its error budget rate"
    )
    out["annotations"] = {
        "summary": f"SLO {slo.name} is burning its error budget {factor}× too fast",
        "description": (
            f"Over the last {long_text} and {short_text}, SLO {slo.name} (service {slo.service}) {pace}: "
            f"at this pace {share} of the {prom_duration(period)} budget is gone in {long_text}."
        ),
        "slokit_rule": rule.name,
    }
    return out


def slo_label_pairs(slo: SLO) -> list[tuple[str, str]]:
    """The SLO's ``metadata.labels`` as Prometheus labels, in the spec's order.

    A key that is not a label name has its other characters replaced (:func:`label_name`) and
    several values are joined by ``,``. Shared by the generated alerts and ``slokit serve``'s
    ``/metrics`` so both name an SLO's labels alike; two keys may give one name (each caller
    settles that its own way).
    """
    return [
        (key if is_label_name(key) else label_name(key), ",".join(values))
        for key, values in slo.metadata.labels.items()
    ]


def _alert_labels(slo: SLO, own: Mapping[str, str], options: NativeOptions) -> dict[str, str]:
    """The SLO's labels (:func:`slo_label_pairs`; a later key wins a shared name), then ours."""
    labels: dict[str, str] = dict(slo_label_pairs(slo))
    labels.update(options.extra_labels)
    labels.update(own)
    return dict(sorted(labels.items()))


def _check(slo: SLO, what: str, expr: str) -> None:
    problem = shape_problem(expr)
    if problem is not None:
        raise SlokitError(f"SLO {slo.name!r}: the generated {what} expression is not valid PromQL: {problem}")


# --- reading the binding ---


def _counts(query: str, seconds: int) -> str:
    """An event count over the window from a user query: ``rate()`` queries are scaled by the window."""
    if _RATE_RE.search(query) and not _INCREASE_RE.search(query):
        return f"({query}) * {seconds}"
    return query


def _window_query(slo: SLO, source: MetricSource, where: str) -> str:
    binding = source.binding
    assert isinstance(binding, PrometheusQuery)
    if binding.query is None:
        raise SlokitError(f"SLO {slo.name!r}: {where} needs a PromQL 'query'")
    if WINDOW_PLACEHOLDER not in binding.query:
        raise SlokitError(
            f"SLO {slo.name!r}: {where}.metricSource.spec.query has no {WINDOW_PLACEHOLDER} placeholder",
            [],
        )
    problem = shape_problem(binding.query.replace(WINDOW_PLACEHOLDER, "5m"))
    if problem is not None:
        raise SlokitError(f"SLO {slo.name!r}: {where}.metricSource.spec.query: {problem}")
    return binding.query


def _events(slo: SLO, sli: SLI, objective: Objective, dialect: Dialect) -> _Events:
    path = f"SLI {sli.name}: spec"
    if sli.ratio_metric is not None:
        r = sli.ratio_metric
        if r.raw is not None:
            raw = _window_query(slo, r.raw, f"{path}.ratioMetric.raw")
            success = r.raw_type == "success"

            def raw_ratio(text: str) -> str:
                q = fill_window(raw, text)
                return f"1 - ({q})" if success else f"({q})"

            return _Events("ratio", ratio=raw_ratio)
        assert r.total is not None
        total_q = _window_query(slo, r.total, f"{path}.ratioMetric.total")
        if r.bad is not None:
            bad_q = _window_query(slo, r.bad, f"{path}.ratioMetric.bad")
            return _Events(
                "counts",
                bad=lambda t, s: _counts(fill_window(bad_q, t), s),
                total=lambda t, s: _counts(fill_window(total_q, t), s),
                ratio=lambda t: f"(\n  {fill_window(bad_q, t)}\n)\n/\n(\n  {fill_window(total_q, t)}\n)\n",
            )
        assert r.good is not None
        good_q = _window_query(slo, r.good, f"{path}.ratioMetric.good")

        def bad_of(total: str, good: str) -> str:
            # A group (route, ...) with no good series at all is all bad: "or total * 0" keeps it.
            return f"({total})\n  -\n  (({good}) or ({total}) * 0)"

        return _Events(
            "counts",
            bad=lambda t, s: bad_of(_counts(fill_window(total_q, t), s), _counts(fill_window(good_q, t), s)),
            total=lambda t, s: _counts(fill_window(total_q, t), s),
            ratio=lambda t: (
                f"(\n  {bad_of(fill_window(total_q, t), fill_window(good_q, t))}\n)\n/\n"
                f"(\n  {fill_window(total_q, t)}\n)\n"
            ),
        )
    assert sli.threshold_metric is not None
    binding = sli.threshold_metric.source.binding
    assert isinstance(binding, PrometheusQuery)
    if binding.histogram is None:
        raise SlokitError(
            f"SLO {slo.name!r}: {path}.thresholdMetric: a threshold on a PromQL 'query' compares values, "
            "not events; bind a latency 'histogram' instead (classic or native: true)"
        )
    if objective.value is None or objective.op is None:
        raise SlokitError(f"SLO {slo.name!r}: a histogram threshold needs the objective's op and value")
    good_below = objective.op in ("lt", "lte")
    selector = binding.selector.strip()
    inner = selector[1:-1].strip() if selector else ""
    if binding.native:
        if dialect == "victoriametrics":
            raise SlokitError(
                f"SLO {slo.name!r}: native histograms (histogram_fraction) are not available in "
                "VictoriaMetrics; use a classic histogram (native: false)"
            )
        sel = "{" + inner + "}" if inner else ""
        value = go_float(objective.value)

        def hist(t: str) -> str:
            return f"sum(increase({binding.histogram}{sel}[{t}]))"

        def below(t: str) -> str:
            return f"histogram_fraction(0, {value}, {hist(t)})"

        return _Events(
            "counts",
            bad=lambda t, s: (
                f"histogram_count({hist(t)})\n  *\n  " + (f"(1 - {below(t)})" if good_below else below(t))
            ),
            total=lambda t, s: f"histogram_count({hist(t)})",
            ratio=lambda t: f"1 - {below(t)}" if good_below else below(t),
        )
    le = f'le=~"{le_pattern(objective.value)}"'
    bucket_sel = "{" + (inner + ", " if inner else "") + le + "}"
    count_sel = "{" + inner + "}" if inner else ""

    def bucket(t: str) -> str:
        return f"sum(increase({binding.histogram}_bucket{bucket_sel}[{t}]))"

    def count(t: str) -> str:
        return f"sum(increase({binding.histogram}_count{count_sel}[{t}]))"

    def bad(t: str) -> str:
        return f"{count(t)}\n  -\n  {bucket(t)}" if good_below else bucket(t)

    return _Events(
        "counts",
        bad=lambda t, s: bad(t),
        total=lambda t, s: count(t),
        ratio=lambda t: f"(\n  {bad(t)}\n)\n/\n(\n  {count(t)}\n)\n",
    )


def check_names(groups: Sequence[Mapping[str, Any]]) -> None:
    """Group names must be unique in a rule file (Prometheus refuses duplicates)."""
    seen: set[str] = set()
    for group in groups:
        name = str(group["name"])
        if name in seen:
            raise SlokitError(f"two SLOs produce the rule group {name!r}; SLO names must differ")
        seen.add(name)
