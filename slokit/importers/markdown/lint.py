"""Checking an SLO document: contradictions, wrong budget arithmetic, gaps, unmeasurable targets.

Findings are :class:`~slokit.errors.Diagnostic` objects with the document's line, so the CLI
prints them like every other slokit problem. Errors are things that make the document wrong or
unmeasurable; warnings are gaps slokit can fill with a stated assumption.
"""

from __future__ import annotations

import re

from slokit.engine.allowance import allowed_bad_seconds
from slokit.errors import Diagnostic, Location
from slokit.importers.markdown.model import BudgetClaim, ImportedObjective, ParseResult
from slokit.importers.markdown.numbers import format_number
from slokit.spec.durations import parse_duration

_DAY = 86400.0
#: Calendar periods people often compute with a fixed length instead of the average one.
_ALTERNATIVE_LENGTHS: dict[str, tuple[tuple[int, str], ...]] = {
    "1M": ((30, "month"), (31, "month"), (28, "month")),
    "1Q": ((90, "quarter"), (91, "quarter"), (92, "quarter")),
    "1Y": ((365, "year"), (366, "year")),
}


def _key(obj: ImportedObjective) -> tuple[str, str]:
    """Objectives are 'the same' when service and name (without the service's words) agree."""
    name = re.sub(r"[^a-z0-9]", "", obj.name.lower())
    service = re.sub(r"[^a-z0-9]", "", obj.service.lower())
    if service and name.startswith(service) and len(name) > len(service):
        name = name[len(service) :]
    return obj.service, name


_NOISE = re.compile(
    r"[\d.,]+\s*(?:%|ms|s|sec\w*|min\w*|h|hours?|d|days?)?|[<>=≤≥]|\bp\d+\b|\(|\)|:|\|",
    re.IGNORECASE,
)


def _qualifier(obj: ImportedObjective) -> frozenset[str]:
    """Words of the statement besides its name and numbers ("for reads", "for writes")."""
    text = obj.source_text
    head, sep, tail = text.partition(":")
    if sep and len(head) <= 80:
        text = tail
    text = text.replace(obj.name, " ")
    return frozenset(w.lower() for w in _NOISE.sub(" ", text).split() if len(w) > 2)


def _statement(obj: ImportedObjective) -> str:
    parts = []
    if obj.percentile is not None:
        parts.append(f"p{format_number(obj.percentile)}")
    if obj.threshold is not None:
        parts.append(f"{obj.op} {format_number(obj.threshold)} {obj.unit or ''}".strip())
    if obj.target_percent is not None and obj.percentile is None:
        parts.append(f"{format_number(obj.target_percent)} %")
    if obj.window:
        parts.append(f"over {obj.window} {obj.window_type}")
    return " ".join(parts)


def _values(obj: ImportedObjective) -> tuple[object, ...]:
    return (obj.target_percent, obj.op, obj.threshold, obj.unit, obj.percentile)


def _fmt_minutes(seconds: float) -> str:
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.2f} hours"
    return f"{seconds / 60:.2f} minutes"


def _period_seconds(claim: BudgetClaim, obj: ImportedObjective | None) -> tuple[float, str] | None:
    period = claim.per or (obj.window if obj else None)
    if period is None:
        return None
    try:
        duration = parse_duration(period)
    except ValueError:
        return None
    return duration.nominal_seconds, duration.describe() if not duration.is_calendar else (
        "an average month (30.44 days)" if period == "1M" else duration.describe()
    )


def _check_budget(claim: BudgetClaim, obj: ImportedObjective | None, file: str) -> Diagnostic | None:
    target = claim.target_percent
    if target is None or not 0 < target < 100:
        return None
    period = _period_seconds(claim, obj)
    if period is None:
        return None
    seconds, described = period
    expected = allowed_bad_seconds(target / 100, seconds)
    tolerance = 0.5 * 10 ** (-claim.decimals) * claim.unit_seconds + 1e-9
    if claim.approximate:
        tolerance = max(tolerance, 0.05 * expected)
    if abs(claim.amount_seconds - expected) <= tolerance:
        return None
    where = Location(file, claim.line)
    stated = _fmt_minutes(claim.amount_seconds)
    stated_period = claim.per or (obj.window if obj is not None else None)
    for days, unit in _ALTERNATIVE_LENGTHS.get(stated_period or "", ()):
        alt = allowed_bad_seconds(target / 100, days * _DAY)
        if abs(claim.amount_seconds - alt) <= tolerance:
            return Diagnostic(
                f"allowed downtime {stated} for {format_number(target)} % assumes a {days}-day {unit}; "
                f"an average {unit} gives {_fmt_minutes(expected)}",
                where,
                "budget",
                f"say which {unit} length the budget uses",
                "warning",
            )
    return Diagnostic(
        f"allowed downtime {stated} does not match the target {format_number(target)} %: "
        f"(1 − {format_number(target / 100)}) × {described} = {_fmt_minutes(expected)}",
        where,
        "budget",
        "correct the stated allowance or the target",
        "error",
    )


def lint(result: ParseResult, file: str) -> list[Diagnostic]:
    """Every finding for the document, in line order."""
    found: list[Diagnostic] = []
    objectives = result.objectives
    if not objectives:
        return [
            Diagnostic(
                "no objectives found",
                Location(file),
                "",
                "write targets such as '99.9 % availability over 30 days' or 'p95 < 400 ms'",
            )
        ]
    groups: dict[tuple[str, str], list[ImportedObjective]] = {}
    for obj in objectives:
        groups.setdefault(_key(obj), []).append(obj)
    for (service, _), group in groups.items():
        first = group[0]
        for other in group[1:]:
            q1, q2 = _qualifier(first), _qualifier(other)
            if q1 and q2 and q1 != q2:
                continue  # "P95 < 200 ms for reads" and "P95 < 500 ms for writes" are two objectives
            if _values(other) != _values(first):
                found.append(
                    Diagnostic(
                        f"contradiction: '{first.name}' ({service}) is {_statement(first)} at line "
                        f"{first.source_line} but {_statement(other)} here",
                        Location(file, other.source_line),
                        other.name,
                        "state each objective once, or make both places agree",
                        "error",
                    )
                )
    for obj in objectives:
        where = Location(file, obj.source_line)
        if obj.target_percent is not None and obj.target_percent >= 100:
            found.append(
                Diagnostic(
                    f"'{obj.name}' targets {format_number(obj.target_percent)} %: no error budget, "
                    "so any failure breaks it and nothing can be measured against it",
                    where,
                    obj.name,
                    "write the share you can promise, e.g. 99.9 %",
                    "error",
                )
            )
        if obj.percentile is not None and obj.threshold is None:
            found.append(
                Diagnostic(
                    f"'{obj.name}' names p{format_number(obj.percentile)} but no threshold",
                    where,
                    obj.name,
                    "add the value it must stay under, e.g. '< 400 ms'",
                    "error",
                )
            )
        if obj.window is None:
            found.append(
                Diagnostic(
                    f"'{obj.name}' has no window",
                    where,
                    obj.name,
                    "say over what period it is measured, e.g. '30-day rolling' or 'monthly'",
                    "warning",
                )
            )
        if obj.threshold is not None and obj.target_percent is None:
            found.append(
                Diagnostic(
                    f"'{obj.name}' states a threshold ({obj.op} {format_number(obj.threshold)} "
                    f"{obj.unit or ''}) but not how often it must hold",
                    where,
                    obj.name,
                    "add a share, e.g. '99 % of minutes'",
                    "warning",
                )
            )
    for claim in result.budgets:
        owner = objectives[claim.objective_index] if claim.objective_index is not None else None
        diagnostic = _check_budget(claim, owner, file)
        if diagnostic is not None:
            found.append(diagnostic)
    for statement in result.unreadable:
        found.append(
            Diagnostic(
                f"could not read an objective from '{statement.text[:120]}': {statement.reason}",
                Location(file, statement.line),
                "",
                "write it as e.g. '99.9 % over 30 days'",
                "warning",
            )
        )
    found.sort(key=lambda d: (d.location.line if d.location else 0, d.severity != "error"))
    return found
