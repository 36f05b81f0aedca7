"""slokit/v1 kinds, for what OpenSLO v1 has no word for.

``Correction``: a span of time (one-off, or recurring by an RFC 5545 RRULE) whose events count
neither as good nor as valid for the chosen SLOs, e.g. planned maintenance or a known bad-data
incident. ``ErrorBudgetPolicy``: named states by remaining budget (e.g. "freeze" below 10 %),
used by deploy gates. Both pick their SLOs by name and/or by labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rruleset, rrulestr

from slokit.spec.model import SLO, BudgetState, Correction, ErrorBudgetPolicy, Metadata, Selector
from slokit.spec.openslo import Builder, Entry, is_valid_time_zone, zone_hint
from slokit.spec.reader import Context, Fields, index, join, suggest
from slokit.spec.yamlnodes import Node

API_SLOKIT_V1 = "slokit/v1"
KINDS = ("Correction", "ErrorBudgetPolicy")
CORRECTION_FIELDS = (
    "description",
    "reason",
    "start",
    "end",
    "duration",
    "rrule",
    "until",
    "timeZone",
    "slos",
    "selector",
)
POLICY_FIELDS = ("description", "slos", "selector", "states")
STATE_FIELDS = ("name", "below", "blockDeploys", "description")
#: Correction lengths may use seconds; calendar units have no fixed length and are refused.
FIXED_UNITS = "smhdw"


def build(
    ctx: Context, entries: Mapping[str, Mapping[str, Entry]], slos: Mapping[str, SLO]
) -> tuple[dict[str, Correction], dict[str, ErrorBudgetPolicy]]:
    """Validate and build every Correction and ErrorBudgetPolicy; SLO names must exist."""
    kinds = _Kinds(ctx, entries, slos)
    corrections = {}
    for name, entry in entries.get("Correction", {}).items():
        correction = kinds.correction(entry)
        if correction is not None:
            corrections[name] = correction
    policies = {}
    for name, entry in entries.get("ErrorBudgetPolicy", {}).items():
        policy = kinds.policy(entry)
        if policy is not None:
            policies[name] = policy
    return corrections, policies


class _Kinds:
    def __init__(
        self, ctx: Context, entries: Mapping[str, Mapping[str, Entry]], slos: Mapping[str, SLO]
    ) -> None:
        self.ctx = ctx
        self.builder = Builder(ctx, entries)
        self.slo_names = list(entries.get("SLO", {}))
        self.slos = slos

    def _spec(self, entry: Entry, allowed: tuple[str, ...]) -> tuple[Metadata | None, Fields]:
        meta = self.builder.entry_metadata(entry)
        return meta, self.builder.object_fields(entry, allowed)

    def selector(self, f: Fields) -> Selector | None:
        """``slos: [names]`` and/or ``selector: {matchLabels: {...}}``; at least one."""
        names: list[str] = []
        items = f.seq("slos")
        for i, item in enumerate(items or []):
            p = index(f.p("slos"), i)
            if not item.is_scalar or not isinstance(item.value, str):
                self.ctx.error(item, p, f"must be an SLO name, got {item.type_name()}")
                continue
            if item.value not in self.slo_names:
                guess = suggest(item.value, self.slo_names)
                hint = f"did you mean '{guess}'? " if guess else ""
                self.ctx.error(
                    item, p, f"SLO '{item.value}' is not defined", hint + "name an SLO of this spec"
                )
                continue
            names.append(item.value)
        labels: dict[str, str] = {}
        sel = Fields(self.ctx, f.mapping("selector"), f.p("selector"), ("matchLabels",), "selector")
        match = sel.mapping("matchLabels", required=sel.ok)
        if match is not None:
            for key, value in match.value.items():
                if value.is_scalar and isinstance(value.value, str):
                    labels[key] = value.value
                else:
                    self.ctx.error(
                        value, join(sel.p("matchLabels"), key), f"must be a string, got {value.type_name()}"
                    )
            if not match.value:
                self.ctx.error(match, sel.p("matchLabels"), "must name at least one label")
        if f.ok and not f.has("slos") and not f.has("selector"):
            self.ctx.error(
                f.node,
                f.path,
                "say which SLOs this applies to",
                "give slos: [names] and/or selector: {matchLabels: {label: value}}",
            )
            return None
        selector = Selector(slos=tuple(names), match_labels=labels)
        if (names or labels) and not any(selector.matches(slo) for slo in self.slos.values()):
            self.ctx.warning(f.node, f.path, "selects no SLO of this spec")
        return selector

    def correction(self, entry: Entry) -> Correction | None:
        before = self.ctx.error_count
        meta, f = self._spec(entry, CORRECTION_FIELDS)
        description = f.description()
        reason = f.string(
            "reason", required=True, hint="why these events do not count, e.g. planned maintenance"
        )
        tz = f.text("timeZone") or "UTC"
        zone: ZoneInfo | None = None
        if is_valid_time_zone(tz):
            zone = ZoneInfo(tz)
        else:
            self.ctx.error(f.get("timeZone"), f.p("timeZone"), f"unknown time zone '{tz}'", zone_hint(tz))
        start = self.instant(f, "start", zone, required=True)
        end = self.instant(f, "end", zone)
        length = f.duration("duration", units=FIXED_UNITS)
        if f.ok and f.has("end") == f.has("duration"):
            if f.has("end"):
                f.forbid("duration", "together with 'end'", "give end or duration, not both")
            else:
                f.missing("end", "give end (a time) or duration (e.g. 4h)")
        seconds: int | None = None
        if start is not None and end is not None:
            seconds = int((end - start).total_seconds())
            if seconds <= 0:
                self.ctx.error(f.get("end"), f.p("end"), "end must be after start")
        elif length is not None:
            seconds = length.seconds
        rule_text = f.string("rrule")
        until = self.instant(f, "until", zone)
        if f.has("until") and not f.has("rrule"):
            f.forbid(
                "until", "without 'rrule'", "until ends a recurrence; a one-off correction has end/duration"
            )
        if until is not None and start is not None and until < start:
            self.ctx.error(f.get("until"), f.p("until"), "until must not be before start")
        if rule_text is not None and start is not None:
            self.check_rrule(f, rule_text, start)
        selector = self.selector(f)
        if meta is None or self.ctx.error_count > before:
            return None
        if start is None or seconds is None or reason is None or selector is None:
            return None
        return Correction(
            metadata=meta,
            start=start,
            duration_seconds=seconds,
            selector=selector,
            reason=reason,
            rrule=rule_text,
            until=until,
            time_zone=tz,
            location=entry.node.loc,
            description=description,
        )

    def instant(
        self, f: Fields, key: str, zone: ZoneInfo | None, *, required: bool = False
    ) -> datetime | None:
        """An RFC 3339 time; without an offset it is a local time in the correction's time zone."""
        text = f.text(key, required=required, hint="RFC 3339, e.g. 2024-03-10T02:00:00Z")
        if text is None:
            return None
        try:
            when = datetime.fromisoformat(text.strip())
        except ValueError:
            self.ctx.error(
                f.get(key),
                f.p(key),
                f"'{text}' is not an RFC 3339 date-time",
                "e.g. 2024-03-10T02:00:00Z, 2024-03-10T02:00:00+01:00, or a local 2024-03-10T02:00:00",
            )
            return None
        if zone is None:
            return None
        if when.tzinfo is None:
            return when.replace(tzinfo=zone)
        return when.astimezone(zone)

    def check_rrule(self, f: Fields, text: str, start: datetime) -> None:
        node = f.get("rrule")
        if "DTSTART" in text.upper():
            self.ctx.error(
                node, f.p("rrule"), "the rule must not contain DTSTART", "the start comes from 'start'"
            )
            return
        try:
            rule = rrulestr(text, dtstart=start)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            self.ctx.error(
                node,
                f.p("rrule"),
                f"not a valid RFC 5545 RRULE: {exc}",
                "e.g. FREQ=WEEKLY;BYDAY=SU;BYHOUR=2 (the time of day comes from start)",
            )
            return
        if isinstance(rule, rrule | rruleset) and rule.after(start - timedelta(seconds=1), inc=True) is None:
            self.ctx.error(node, f.p("rrule"), "the rule never occurs at or after start")

    def policy(self, entry: Entry) -> ErrorBudgetPolicy | None:
        before = self.ctx.error_count
        meta, f = self._spec(entry, POLICY_FIELDS)
        description = f.description()
        selector = self.selector(f)
        states: list[BudgetState] = []
        items = f.seq("states", required=True, hint="e.g. [{name: freeze, below: 10, blockDeploys: true}]")
        if items is not None and not items:
            self.ctx.error(f.get("states"), f.p("states"), "needs at least one state")
        seen: dict[str, Node] = {}
        bounds: dict[float, Node] = {}
        for i, item in enumerate(items or []):
            p = index(f.p("states"), i)
            s = Fields(self.ctx, item, p, STATE_FIELDS, "a budget state")
            name = s.name("name", what="state name")
            below = s.number("below", required=True, hint="percent of the error budget remaining, 0 to 100")
            block = s.boolean("blockDeploys")
            state_description = s.description()
            if below is not None and not 0 <= below <= 100:
                self.ctx.error(
                    s.get("below"),
                    s.p("below"),
                    f"{below:g} is out of range",
                    "0 ≤ below ≤ 100 (percent remaining)",
                )
                below = None
            if name is not None:
                if name in seen:
                    self.ctx.error(s.get("name"), s.p("name"), f"state '{name}' is defined twice")
                seen[name] = item
            if below is not None:
                if below in bounds:
                    self.ctx.error(
                        s.get("below"), s.p("below"), f"another state already starts below {below:g} %"
                    )
                bounds[below] = item
            if name is not None and below is not None:
                states.append(BudgetState(name, below / 100, bool(block), state_description))
        if meta is None or selector is None or self.ctx.error_count > before:
            return None
        states.sort(key=lambda state: -state.max_remaining)
        return ErrorBudgetPolicy(
            metadata=meta,
            selector=selector,
            states=tuple(states),
            location=entry.node.loc,
            description=description,
        )
