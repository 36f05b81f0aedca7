"""Which burn-rate tiers alert for each SLO: defaults, OpenSLO alert policies, settings files.

Where an SLO's tiers come from, first match wins:

1. the ``slos.<name>`` entry of a settings file;
2. the ``services.<service>`` entry of a settings file;
3. the settings file's top-level ``tiers`` (a policy for every SLO, e.g. ``--policy pyrra.yaml``);
4. the SLO's OpenSLO ``AlertPolicy`` objects: each ``kind: burnrate`` condition is one tier
   (``threshold`` the factor, ``lookbackWindow`` the long window, short window = lookback / 12,
   ``alertAfter`` the ``for`` duration, ``severity`` as written); several conditions on one SLO form
   the multiwindow set;
5. the defaults derived from the SLO's period (:func:`tiers_for_period`).

**Short periods.** The factor ``share · period / long`` on the Workbook's fixed windows is used
for periods of at least :data:`FORMULA_MIN_PERIOD` (7 days: 30 d → 14.4, 6, 3, 1; 28 d → 13.44,
5.6, 2.8, 0.93; 7 d → 3.36, 1.4, 0.7, 0.23). Below that the formula would give the paging tiers
factors under 1 (a 1-day SLO would page at 0.48× its allowed error rate, while it is being met).
Shorter periods keep the tiers' *meaning* instead — each fires once the same share of the
period's budget is spent — by scaling the windows with the period, as Pyrra does: windows are
the 30-day ones × period / 30 d, rounded to whole minutes and at least one minute (the store's
row), and factors are recomputed from the rounded windows. A 1-day SLO gets 2m/1m at 14.4,
12m/1m at 6, 48m/4m at 3 and 144m/12m at 1. The low-traffic guard keeps such short windows from
paging on a single failure.

A settings file (YAML) looks like::

    name: pyrra                 # optional, shown by ``slokit backtest``
    minBadEvents: 3             # low-traffic guard, see slokit.engine.burn
    trafficAware: true          # the default; see below
    trafficAwareMinPeriod: 7d   # trafficAware only for SLO periods at least this long (default)
    budgetGuard: true           # the default; see below
    tiers:                      # optional: every SLO
      - {severity: page, long: 1h, short: 5m, factor: 14, for: 2m}
      - {severity: ticket, long: 3d, share: 0.1}   # factor from each SLO's period
    services:
      payments: {tiers: [...], minBadEvents: 5}
    slos:
      checkout-latency: {tiers: [...]}

**Default semantics** (:data:`DEFAULT_TRAFFIC_AWARE`, :data:`DEFAULT_BUDGET_GUARD`): every policy
slokit resolves (defaults, OpenSLO conditions, settings files that do not say otherwise) uses

* traffic-aware burn for SLO periods of at least 7 days (``trafficAware: true``,
  ``trafficAwareMinPeriod: 7d``): a window's bad events over the allowance an average window of
  that length gets in the period, so a peak hour's errors count for the budget they spend and a
  quiet minute's lone failure counts for little, while each window must also miss the
  objective by its own error ratio (burn ≥ ``min(factor, 1)``), so a healthy daily peak is no
  alert (:func:`slokit.alerting.backtest.evaluate_rule`);
* the budget-aware guard (``budgetGuard: true``): the low-traffic guard lowered to the bad events
  that alone spend the tier's share of the period's budget
  (:func:`slokit.engine.burn.budget_guard`), so on a rare stream one failure that spends more
  than a tier's share alerts, while on an SLO with normal traffic the guard stays
  ``minBadEvents``.

The built-in ``classic`` policy (and ``trafficAware: false``, ``budgetGuard: false`` in a
settings file) is the window-ratio burn rate with the fixed guard; ``single-1h`` and ``pyrra``
emulate window-ratio peers and use it too. Why this default, and what it was measured to do:
docs/alerting.md, "How the default evaluates a tier".

A tier gives exactly one of ``factor`` (a burn rate) and ``share`` (of the period's budget);
``short`` defaults to ``long / 12``; ``for`` to 0; ``name`` to ``<severity>-<long>``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from slokit.engine.burn import DEFAULT_MIN_BAD_EVENTS, Tier, default_tiers
from slokit.errors import Diagnostic, DiagnosticSink, Location, SpecError
from slokit.spec.durations import Duration, parse_duration
from slokit.spec.model import SLO, AlertCondition, Spec
from slokit.spec.yamlnodes import Node, parse_documents, read_text

_DAY: Final = 86400
#: Shortest period for which default factors follow ``share · period / long``.
FORMULA_MIN_PERIOD: Final = 7 * _DAY
#: The period whose windows shorter periods scale down from.
REFERENCE_PERIOD: Final = 30 * _DAY
#: Divisor from long to short window when only the long window is given (Workbook pairs).
SHORT_DIVISOR: Final = 12
#: slokit's default evaluation semantics (module docstring, "Default semantics").
DEFAULT_TRAFFIC_AWARE: Final = True
DEFAULT_TRAFFIC_AWARE_MIN_PERIOD: Final = float(FORMULA_MIN_PERIOD)
DEFAULT_BUDGET_GUARD: Final = True
#: The period's traffic (for traffic-aware burn and the budget-aware guard) is estimated from at
#: most this much history before each instant: a week covers daily and weekly cycles, and the
#: live evaluator reads the same span the backtest uses (:func:`slokit.alerting.backtest.period_allowance`).
TRAFFIC_ESTIMATE_SECONDS: Final = 7 * _DAY


def window_label(seconds: int) -> str:
    """``300 -> '5m'``, ``3600 -> '1h'``: the largest unit that divides evenly."""
    for unit, size in (("d", _DAY), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True, slots=True)
class Rule:
    """A named tier: the unit an alert is raised for (one alert per SLO, rule, group)."""

    name: str
    tier: Tier


@dataclass(frozen=True, slots=True)
class Policy:
    """The rules that apply to one SLO and where they came from.

    The field defaults are the plain window-ratio evaluation (the building block, used by
    hand-worked tests); policies slokit *resolves* (:func:`policy_for`) carry the default
    semantics of the module docstring unless a setting says otherwise.
    """

    name: str
    rules: tuple[Rule, ...]
    min_bad_events: int = DEFAULT_MIN_BAD_EVENTS
    alert_when_no_data: bool = False
    source: str = "default"
    #: Problems that did not stop the policy (e.g. a shared condition that does not fit this SLO).
    warnings: tuple[str, ...] = ()
    #: Compare bad events with the period's average allowance instead of the window's own
    #: traffic (see :func:`slokit.alerting.backtest.evaluate_rule`).
    traffic_aware: bool = False
    #: Traffic-aware burn only for SLO periods of at least this many seconds (0: every period).
    traffic_aware_min_period: float = 0.0
    #: Lower the low-traffic guard to the bad events that spend the tier's budget share (see
    #: :func:`slokit.alerting.backtest.evaluate_rule`).
    budget_guard: bool = False

    def aware_for(self, period: float) -> bool:
        """Whether traffic-aware burn applies to an SLO of this period."""
        return self.traffic_aware and period >= self.traffic_aware_min_period

    @property
    def max_window_seconds(self) -> int:
        return max((r.tier.long_seconds for r in self.rules), default=0)

    def estimates_traffic(self, period: float) -> bool:
        """Whether evaluating an SLO of this period needs the period's traffic estimate."""
        return bool(self.rules) and (self.aware_for(period) or self.budget_guard)

    def history_seconds(self, period: float) -> int:
        """How far back a pass at one instant reads for an SLO of this period: the longest
        window, or the traffic-estimate span (:data:`TRAFFIC_ESTIMATE_SECONDS`, at most the
        period) when the policy needs the period's traffic."""
        longest = self.max_window_seconds
        if self.estimates_traffic(period):
            span = min(TRAFFIC_ESTIMATE_SECONDS, math.ceil(period / 60) * 60)
            return max(longest, span)
        return longest


def period_seconds(slo: SLO) -> float:
    """The SLO period in seconds (a calendar month: the Gregorian average)."""
    return float(slo.time_window.duration.nominal_seconds)


def tiers_for_period(period: float) -> tuple[Tier, ...]:
    """Default tiers for a period; see "Short periods" above."""
    if period >= FORMULA_MIN_PERIOD:
        return default_tiers(period)
    out = []
    for t in default_tiers(REFERENCE_PERIOD):
        long_s = max(round(t.long_seconds * period / REFERENCE_PERIOD / 60), 2) * 60
        short_s = min(max(round(t.short_seconds * period / REFERENCE_PERIOD / 60), 1) * 60, long_s)
        out.append(Tier.from_share(t.share, long_s, short_s, t.severity, period))
    return tuple(out)


def _rule_name(tier: Tier) -> str:
    return f"{tier.severity}-{window_label(tier.long_seconds)}"


def period_default_policy(period: float, name: str = "default") -> Policy:
    """The built-in default for an SLO of ``period`` seconds: its tiers and the default semantics."""
    tiers = tiers_for_period(period)
    return Policy(
        name,
        tuple(Rule(_rule_name(t), t) for t in tiers),
        source="default",
        traffic_aware=DEFAULT_TRAFFIC_AWARE,
        traffic_aware_min_period=DEFAULT_TRAFFIC_AWARE_MIN_PERIOD,
        budget_guard=DEFAULT_BUDGET_GUARD,
    )


def default_policy(slo: SLO) -> Policy:
    return period_default_policy(period_seconds(slo))


# --- OpenSLO AlertPolicy / AlertCondition ---


def _problem(slo: SLO, what: str, message: str, hint: str, location: Location | None) -> Diagnostic:
    return Diagnostic(f"SLO {slo.name!r}, {what}: {message}", location, hint=hint)


def _whole_minutes(d: Duration) -> bool:
    return not d.is_calendar and d.seconds >= 60 and d.seconds % 60 == 0


def condition_tier(
    slo: SLO, policy_name: str, condition: AlertCondition, sink: DiagnosticSink
) -> Tier | None:
    """The tier an OpenSLO burn-rate condition means, or None with a diagnostic."""
    what = f"alert policy {policy_name!r} condition {condition.name!r}"
    loc = condition.location
    if condition.op not in ("gt", "gte"):
        sink.diagnostics.append(
            _problem(
                slo,
                what,
                f"op {condition.op!r} would alert while the budget burns slowly",
                "a burn-rate condition alerts when the burn rate is above its threshold: use op gte (or gt)",
                loc,
            )
        )
        return None
    ok = True
    if not condition.threshold > 0:
        sink.diagnostics.append(
            _problem(
                slo, what, f"threshold {condition.threshold} is not a positive burn rate", "e.g. 14.4", loc
            )
        )
        ok = False
    lookback = condition.lookback_window
    if not _whole_minutes(lookback):
        sink.diagnostics.append(
            _problem(slo, what, f"lookbackWindow {lookback} is not a whole number of minutes", "e.g. 1h", loc)
        )
        return None
    period = period_seconds(slo)
    if lookback.seconds > period:
        # A warning, not an error: OpenSLO policies are shared by SLOs of different periods.
        sink.warning(
            f"SLO {slo.name!r}, {what}: lookbackWindow {lookback} is longer than the SLO period "
            f"({slo.time_window.duration}); this condition is skipped for this SLO",
            loc,
            hint="a burn-rate window must fit into the SLO window",
        )
        ok = False
    after = condition.alert_after
    if after.is_calendar:
        sink.diagnostics.append(_problem(slo, what, "alertAfter must not be a calendar unit", "e.g. 2m", loc))
        ok = False
    if not ok:
        return None
    short = max(lookback.seconds // SHORT_DIVISOR // 60, 1) * 60
    factor = condition.threshold  # gt and gte alike: a burn exactly at the threshold is a tie
    return Tier(
        factor * lookback.seconds / period, lookback.seconds, short, condition.severity, factor, after.seconds
    )


def openslo_policy(slo: SLO) -> Policy | None:
    """The SLO's burn-rate alert policies as one multiwindow policy (None when it has none)."""
    sink = DiagnosticSink()
    rules: list[Rule] = []
    no_data = False
    for ap in slo.alert_policies:
        no_data = no_data or ap.alert_when_no_data
        for condition in ap.conditions:
            tier = condition_tier(slo, ap.name, condition, sink)
            if tier is not None:
                name = ap.name if len(ap.conditions) == 1 else f"{ap.name}/{condition.name}"
                rules.append(Rule(name, tier))
    sink.raise_if_errors(f"SLO {slo.name!r} has alert conditions slokit cannot evaluate")
    warnings = tuple(d.format() for d in sink.diagnostics if d.severity == "warning")
    if not rules and not warnings:
        return None
    return Policy(
        "openslo",
        tuple(rules),
        alert_when_no_data=no_data,
        source="OpenSLO AlertPolicy",
        warnings=warnings,
        traffic_aware=DEFAULT_TRAFFIC_AWARE,
        traffic_aware_min_period=DEFAULT_TRAFFIC_AWARE_MIN_PERIOD,
        budget_guard=DEFAULT_BUDGET_GUARD,
    )


# --- settings files ---


@dataclass(frozen=True, slots=True)
class TierSetting:
    """A tier as written in a settings file, before an SLO's period fixes its factor."""

    name: str
    severity: str
    long_seconds: int
    short_seconds: int
    for_seconds: int
    factor: float | None
    share: float | None
    location: Location | None = None

    def tier(self, period: float) -> Tier:
        if self.share is not None:
            return Tier.from_share(
                self.share, self.long_seconds, self.short_seconds, self.severity, period, self.for_seconds
            )
        assert self.factor is not None
        share = self.factor * self.long_seconds / period
        return Tier(
            share, self.long_seconds, self.short_seconds, self.severity, self.factor, self.for_seconds
        )


@dataclass(frozen=True, slots=True)
class PolicySetting:
    tiers: tuple[TierSetting, ...] | None = None
    min_bad_events: int | None = None
    alert_when_no_data: bool | None = None
    traffic_aware: bool | None = None
    traffic_aware_min_period: int | None = None
    budget_guard: bool | None = None


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """A parsed settings file; the empty settings mean "spec policies, else defaults"."""

    name: str = "configured"
    default: PolicySetting = field(default_factory=PolicySetting)
    services: Mapping[str, PolicySetting] = field(default_factory=dict)
    slos: Mapping[str, PolicySetting] = field(default_factory=dict)
    file: str | None = None
    #: Ignore the spec's OpenSLO alert policies (the built-in "default" comparison policy).
    ignore_spec: bool = False


def _duration(node: Node, path: str, sink: DiagnosticSink) -> int | None:
    if not node.is_scalar or not isinstance(node.value, str | int) or isinstance(node.value, bool):
        sink.error(f"expected a duration such as 5m or 1h, got {node.type_name()}", node.loc, path)
        return None
    try:
        d = parse_duration(str(node.value))
    except (ValueError, SpecError) as exc:
        sink.error(str(exc), node.loc, path, hint="e.g. 5m, 1h, 3d")
        return None
    if d.is_calendar or d.seconds % 60:
        sink.error(f"{node.value} is not a whole number of minutes", node.loc, path, hint="e.g. 5m, 1h, 3d")
        return None
    return d.seconds


def _number(node: Node, path: str, sink: DiagnosticSink) -> float | None:
    if not node.is_scalar or isinstance(node.value, bool) or not isinstance(node.value, int | float):
        sink.error(f"expected a number, got {node.type_name()}", node.loc, path)
        return None
    return float(node.value)


_TIER_KEYS: Final = ("name", "severity", "long", "short", "factor", "share", "for")
_POLICY_KEYS: Final = (
    "tiers",
    "minBadEvents",
    "alertWhenNoData",
    "trafficAware",
    "trafficAwareMinPeriod",
    "budgetGuard",
)


def _unknown_keys(node: Node, allowed: Sequence[str], path: str, sink: DiagnosticSink) -> None:
    for key in node.value:
        if key not in allowed:
            sink.error(
                f"unknown field {key!r}",
                node.key_locs.get(key, node.loc),
                f"{path}.{key}" if path else key,
                hint="allowed: " + ", ".join(allowed),
            )


def _tier_setting(node: Node, path: str, sink: DiagnosticSink) -> TierSetting | None:
    if not node.is_map:
        sink.error(f"expected a mapping (a tier), got {node.type_name()}", node.loc, path)
        return None
    _unknown_keys(node, _TIER_KEYS, path, sink)
    fields: dict[str, Node] = node.value
    before = len(sink.errors)
    sev_node = fields.get("severity")
    severity = "page"
    if sev_node is not None:
        if not sev_node.is_scalar or not isinstance(sev_node.value, str) or not sev_node.value:
            sink.error("severity must be a non-empty string", sev_node.loc, f"{path}.severity")
        else:
            severity = sev_node.value
    if "long" not in fields:
        sink.error("a tier needs its long window", node.loc, f"{path}.long", hint="e.g. long: 1h")
        return None
    long_s = _duration(fields["long"], f"{path}.long", sink)
    short_s: int | None
    if "short" in fields:
        short_s = _duration(fields["short"], f"{path}.short", sink)
    else:
        short_s = None if long_s is None else max(long_s // SHORT_DIVISOR // 60, 1) * 60
    for_s = _duration(fields["for"], f"{path}.for", sink) if "for" in fields else 0
    if fields.get("for") is not None and for_s is None:
        return None
    factor = share = None
    if ("factor" in fields) == ("share" in fields):
        sink.error(
            "a tier needs exactly one of factor and share",
            node.loc,
            path,
            hint="factor: a burn rate such as 14.4; share: the budget share such as 0.02",
        )
    elif "factor" in fields:
        factor = _number(fields["factor"], f"{path}.factor", sink)
        if factor is not None and not factor > 0:
            sink.error(f"factor {factor:g} must be above 0", fields["factor"].loc, f"{path}.factor")
    else:
        share = _number(fields["share"], f"{path}.share", sink)
        if share is not None and not 0 < share <= 1:
            sink.error(f"share {share:g} must be in (0, 1]", fields["share"].loc, f"{path}.share")
    if long_s is not None and short_s is not None and short_s > long_s:
        sink.error(
            f"short window {window_label(short_s)} is longer than the long window {window_label(long_s)}",
            fields.get("short", node).loc,
            f"{path}.short",
            hint="the short window confirms the burn is still going on; it must not exceed the long window",
        )
    if len(sink.errors) > before or long_s is None or short_s is None or for_s is None:
        return None
    name_node = fields.get("name")
    name = str(name_node.value) if name_node is not None and name_node.is_scalar else ""
    return TierSetting(
        name or f"{severity}-{window_label(long_s)}",
        severity,
        long_s,
        short_s,
        for_s,
        factor,
        share,
        node.loc,
    )


def _policy_setting(node: Node, path: str, sink: DiagnosticSink, extra: Sequence[str] = ()) -> PolicySetting:
    if not node.is_map:
        sink.error(f"expected a mapping, got {node.type_name()}", node.loc, path)
        return PolicySetting()
    _unknown_keys(node, (*_POLICY_KEYS, *extra), path, sink)
    fields: dict[str, Node] = node.value
    tiers: tuple[TierSetting, ...] | None = None
    join = (lambda k: f"{path}.{k}") if path else (lambda k: k)
    if "tiers" in fields:
        tn = fields["tiers"]
        if not tn.is_seq or not tn.value:
            sink.error("tiers must be a non-empty list", tn.loc, join("tiers"))
        else:
            parsed = [_tier_setting(t, f"{join('tiers')}[{i}]", sink) for i, t in enumerate(tn.value)]
            tiers = tuple(t for t in parsed if t is not None)
    min_bad: int | None = None
    if "minBadEvents" in fields:
        mb = fields["minBadEvents"]
        if not mb.is_scalar or isinstance(mb.value, bool) or not isinstance(mb.value, int) or mb.value < 0:
            sink.error("minBadEvents must be a whole number ≥ 0", mb.loc, join("minBadEvents"))
        else:
            min_bad = int(mb.value)
    no_data: bool | None = None
    if "alertWhenNoData" in fields:
        nd = fields["alertWhenNoData"]
        if not isinstance(nd.value, bool):
            sink.error("alertWhenNoData must be true or false", nd.loc, join("alertWhenNoData"))
        else:
            no_data = nd.value
    flags: dict[str, bool | None] = {"trafficAware": None, "budgetGuard": None}
    for key in flags:
        if key in fields:
            fn = fields[key]
            if not isinstance(fn.value, bool):
                sink.error(f"{key} must be true or false", fn.loc, join(key))
            else:
                flags[key] = fn.value
    min_period = None
    if "trafficAwareMinPeriod" in fields:
        min_period = _duration(fields["trafficAwareMinPeriod"], join("trafficAwareMinPeriod"), sink)
    return PolicySetting(tiers, min_bad, no_data, flags["trafficAware"], min_period, flags["budgetGuard"])


def parse_settings(text: str, file: str = "<settings>") -> AlertSettings:
    """Parse a settings file; every problem is reported at once with file:line:column."""
    docs, problems = parse_documents(text, file)
    sink = DiagnosticSink(list(problems))
    if len(docs) != 1 or not docs[0].node.is_map:
        if not sink.errors:
            sink.error(
                "an alert settings file holds one YAML mapping", Location(file), hint="see docs/alerting.md"
            )
        sink.raise_if_errors(f"{file}: not valid alert settings")
    root = docs[0].node
    default = _policy_setting(root, "", sink, extra=("name", "services", "slos"))
    fields: dict[str, Node] = root.value
    name = str(fields["name"].value) if "name" in fields and fields["name"].is_scalar else Path(file).stem
    groups: dict[str, dict[str, PolicySetting]] = {"services": {}, "slos": {}}
    for key, out in groups.items():
        if key not in fields:
            continue
        gn = fields[key]
        if not gn.is_map:
            sink.error(f"{key} must map names to policies", gn.loc, key)
            continue
        for sub, pn in gn.value.items():
            out[sub] = _policy_setting(pn, f"{key}.{sub}", sink)
    sink.raise_if_errors(f"{file}: not valid alert settings")
    return AlertSettings(name, default, groups["services"], groups["slos"], file)


def load_settings(path: str | Path) -> AlertSettings:
    p = Path(path)
    return parse_settings(read_text(p, str(path)), str(path))


# --- resolution ---


def _from_setting(slo: SLO, setting: PolicySetting, base: Policy, name: str, source: str) -> Policy:
    period = period_seconds(slo)
    rules = base.rules
    if setting.tiers is not None:
        built: list[Rule] = []
        problems: list[Diagnostic] = []
        for ts in setting.tiers:
            if ts.long_seconds > period:
                problems.append(
                    _problem(
                        slo,
                        f"tier {ts.name!r} of {source}",
                        f"long window {window_label(ts.long_seconds)} is longer than the SLO period "
                        f"({slo.time_window.duration})",
                        "a burn-rate window must fit into the SLO window",
                        ts.location,
                    )
                )
                continue
            built.append(Rule(ts.name, ts.tier(period)))
        if problems:
            raise SpecError(f"alert policy {name!r} does not fit SLO {slo.name!r}", problems)
        rules = tuple(built)
    return Policy(
        name,
        rules,
        setting.min_bad_events if setting.min_bad_events is not None else base.min_bad_events,
        setting.alert_when_no_data if setting.alert_when_no_data is not None else base.alert_when_no_data,
        source,
        () if setting.tiers is not None else base.warnings,
        setting.traffic_aware if setting.traffic_aware is not None else base.traffic_aware,
        (
            float(setting.traffic_aware_min_period)
            if setting.traffic_aware_min_period is not None
            else base.traffic_aware_min_period
        ),
        setting.budget_guard if setting.budget_guard is not None else base.budget_guard,
    )


def policy_for(slo: SLO, settings: AlertSettings | None = None) -> Policy:
    """The policy that applies to ``slo`` (see the module docstring for the order)."""
    s = settings or AlertSettings()
    base = (None if s.ignore_spec else openslo_policy(slo)) or default_policy(slo)
    where = s.file or "settings"
    d = s.default
    if d != PolicySetting():
        base = _from_setting(slo, s.default, base, s.name, where)
    if slo.service in s.services:
        base = _from_setting(slo, s.services[slo.service], base, s.name, f"{where} services.{slo.service}")
    if slo.name in s.slos:
        base = _from_setting(slo, s.slos[slo.name], base, s.name, f"{where} slos.{slo.name}")
    return replace(base, name=s.name)


# --- built-in policies for backtests ---


#: The window-ratio burn rate with the fixed guard (before the default semantics).
_CLASSIC: Final = PolicySetting(traffic_aware=False, budget_guard=False)


def _builtin(name: str, shapes: Sequence[tuple[str, int, int, float, int]]) -> AlertSettings:
    tiers = tuple(
        TierSetting(f"{sev}-{window_label(lw)}", sev, lw, sw, fs, factor, None)
        for sev, lw, sw, factor, fs in shapes
    )
    return AlertSettings(name, replace(_CLASSIC, tiers=tiers))


#: Policies ``slokit backtest`` compares when given none: ``default``, the SRE Workbook tiers
#: derived from each SLO's period (:func:`tiers_for_period`, ignoring the spec's alert policies)
#: with the default semantics; ``classic``, the same tiers with the window-ratio burn rate and the
#: fixed guard (slokit's default before the budget-aware semantics); ``default-traffic-aware``,
#: the same tiers with traffic-aware burn for every period and the fixed guard (the evidence for
#: ``trafficAwareMinPeriod``); a single-window 1 h page at 14.4 (short window = long window: no
#: second window confirms); and Pyrra's static factors 14/7/2/1 on its 28-day windows 1h/5m,
#: 6h/30m, 1d/2h, 4d/6h. The last two emulate window-ratio peers, so they use the classic
#: evaluation.
BUILTIN: Final[Mapping[str, AlertSettings]] = {
    "default": AlertSettings("default", ignore_spec=True),
    "classic": AlertSettings("classic", _CLASSIC, ignore_spec=True),
    "default-traffic-aware": AlertSettings(
        "default-traffic-aware",
        PolicySetting(traffic_aware=True, traffic_aware_min_period=0, budget_guard=False),
        ignore_spec=True,
    ),
    "single-1h": _builtin("single-1h", [("page", 3600, 3600, 14.4, 0)]),
    "pyrra": _builtin(
        "pyrra",
        [
            ("page", 3600, 300, 14.0, 0),
            ("page", 6 * 3600, 1800, 7.0, 0),
            ("ticket", _DAY, 2 * 3600, 2.0, 0),
            ("ticket", 4 * _DAY, 6 * 3600, 1.0, 0),
        ],
    ),
}

#: Earlier names accepted by :func:`settings_named`: ``default-budget-aware`` is today's default.
EXTRA_BUILTIN: Final[Mapping[str, AlertSettings]] = {
    "default-budget-aware": AlertSettings("default-budget-aware", ignore_spec=True),
}


def settings_named(name_or_path: str) -> AlertSettings:
    """A built-in policy by name, or a settings file by path."""
    if name_or_path in BUILTIN:
        return BUILTIN[name_or_path]
    if name_or_path in EXTRA_BUILTIN:
        return EXTRA_BUILTIN[name_or_path]
    return load_settings(name_or_path)


def fitting_policy(slo: SLO, settings: AlertSettings) -> Policy:
    """Like :func:`policy_for`, but tiers whose long window exceeds the SLO period are dropped.

    Built-in comparison policies are written for 30-day periods; a 1-day SLO keeps the tiers
    that fit, rather than failing the whole backtest.
    """
    period = period_seconds(slo)
    d = settings.default
    if d.tiers is not None:
        d = replace(d, tiers=tuple(t for t in d.tiers if t.long_seconds <= period))
        if not d.tiers:
            return Policy(settings.name, (), source="no tier fits the period")
    return policy_for(
        slo,
        AlertSettings(
            settings.name, d, settings.services, settings.slos, settings.file, settings.ignore_spec
        ),
    )


def alerting_slos(spec: Spec, settings: AlertSettings | None = None) -> list[SLO]:
    """The SLOs alerts are evaluated for.

    When the spec has alert policies: the SLOs that reference one, plus SLOs and services named
    in the settings; without any alert policy in the spec, every SLO (with the default tiers).
    Examples keep their ``stage: target`` SLOs, which reference no policy, quiet.
    """
    s = settings or AlertSettings()
    if s.ignore_spec or s.default.tiers is not None:
        return list(spec)
    if not any(slo.alert_policies for slo in spec):
        return list(spec)
    return [slo for slo in spec if slo.alert_policies or slo.name in s.slos or slo.service in s.services]
