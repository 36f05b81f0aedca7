"""The SLO report: every SLO's state as a stable JSON document, a table, or Markdown.

The JSON form (:func:`report_json`) is a documented contract other tools parse
(``docs/report.md`` lists every field): a list with one object per SLO. Field names never change
meaning; new fields may be added. Numbers are plain fractions and seconds (``0.999``, not
``"99.9 %"``); instants are RFC 3339 strings in UTC; no data is ``null``. The table and Markdown
forms are for people and may change.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from slokit.engine.allowance import format_seconds
from slokit.sources.status import SLOState, window_label

#: Version of the JSON schema (``schema`` field of every object); bumped only on breaking changes.
SCHEMA = "slokit.report/v1"

#: Burn windows shown in the table and Markdown (JSON has them all).
SHOWN_BURNS = ("5m", "1h", "6h", "1d", "3d")


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat().replace("+00:00", "Z")


def _num(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def rows_of(states: Sequence[SLOState]) -> list[SLOState]:
    """Each SLO's overall state followed by its groups' states: the rows every form shows."""
    return [row for s in states for row in (s, *s.groups)]


def group_text(labels: Mapping[str, str] | None) -> str:
    """``{route="/orders",method="GET"}`` (values quoted as JSON); empty for no group."""
    if labels is None:
        return ""
    return "{" + ",".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in labels.items()) + "}"


def report_json(states: Sequence[SLOState]) -> list[dict[str, Any]]:
    """The stable JSON schema: one object per SLO, then one per group of a grouped SLO
    (see ``docs/report.md``)."""
    return [slo_json(s) for s in rows_of(states)]


def slo_json(s: SLOState) -> dict[str, Any]:
    """One report object: an SLO overall (``group`` null) or one group of it."""
    return {
        "schema": SCHEMA,
        "service": s.service,
        "name": s.slo,
        "group": None if s.group is None else dict(s.group),
        "group_by": list(s.group_by),
        "groups": None if s.group is not None or not s.group_by else len(s.groups),
        "display_name": s.display_name,
        "indicator": s.sli,
        "budgeting_method": s.budgeting_method,
        "composite": s.composite,
        "window": s.window,
        "rolling": s.rolling,
        "at": _iso(s.at),
        "window_start": _iso(s.window_start),
        "window_end": _iso(s.window_end),
        "elapsed_fraction": s.elapsed_fraction,
        "budget_basis": s.budget_basis,
        "target": s.target,
        "sli": _num(s.sli_value),
        "status": s.status,
        "budget_consumed": _num(s.consumed),
        "budget_remaining": _num(s.remaining),
        "budget_allowed_seconds": _num(s.allowed_seconds),
        "budget_remaining_seconds": _num(s.remaining_seconds),
        "budget_remaining_events": _num(s.remaining_events),
        "burn_rates": {k: _num(v) for k, v in s.burn_rates.items()},
        "percentiles": {k: _num(v) for k, v in s.percentiles.items()},
        "percentile_bounds": dict(s.percentile_bounds),
        "forecast": _iso(s.forecast),
        "coverage": s.coverage,
        "coverage_kind": s.coverage_kind,
        "notes": list(s.notes),
        "objectives": [
            {
                "index": o.index,
                "name": o.name,
                "target": o.target,
                "op": o.op,
                "value": o.value,
                "weight": o.weight,
                "sli": _num(o.sli),
                "status": o.status,
                "valid": o.valid,
                "good": o.good,
                "bad": _num(o.bad),
                "slices": None if o.slices is None else dict(o.slices),
                "budget_consumed": _num(o.consumed),
                "budget_remaining": _num(o.remaining),
                "budget_allowed_events": _num(o.allowed_events),
                "budget_remaining_events": _num(o.remaining_events),
                "budget_allowed_seconds": _num(o.allowed_seconds),
                "budget_remaining_seconds": _num(o.remaining_seconds),
                "burn_rates": {k: _num(v) for k, v in o.burn_rates.items()},
                "percentiles": {k: _num(v) for k, v in o.percentiles.items()},
                "percentile_bounds": dict(o.percentile_bounds),
                "coverage": o.coverage,
                "coverage_kind": o.coverage_kind,
                "note": o.note,
            }
            for o in s.objectives
        ],
    }


# --- for people ---


def percent(x: float | None, digits: int = 3) -> str:
    """0.99912 -> '99.912 %'; None -> 'no data'."""
    if x is None:
        return "no data"
    return f"{x * 100:.{digits}f}".rstrip("0").rstrip(".") + " %"


def _signed_seconds(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return ("-" if seconds < 0 else "") + format_seconds(abs(seconds))


def _budget_text(s: SLOState) -> str:
    if s.remaining is None:
        return "no data"
    text = percent(s.remaining, 1)
    if s.remaining_seconds is not None:
        text += f" ({_signed_seconds(s.remaining_seconds)})"
    return text


def _burn_text(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _forecast_text(s: SLOState) -> str:
    if s.forecast is None:
        return "-"
    left = (s.forecast - s.at).total_seconds()
    if left <= 0:
        return "exhausted"
    return f"{s.forecast:%Y-%m-%d %H:%M}Z (in {format_seconds(left)})"


def _percentile_text(s: SLOState, label: str) -> str:
    value = s.percentiles.get(label)
    if value is None:
        return "-"
    prefix = {"at least": "≥ ", "at most": "≤ "}.get(s.percentile_bounds.get(label, ""), "")
    return f"{prefix}{value:.4g}"


def _target_text(s: SLOState) -> str:
    if s.target is None:
        return "composite"
    text = percent(s.target, 4)
    lead = min(s.objectives, key=lambda o: math.inf if o.remaining is None else o.remaining)
    if lead.op is not None and lead.value is not None:
        text += f" {lead.op} {lead.value:g}"
    return text


def table_rows(states: Sequence[SLOState]) -> list[dict[str, str]]:
    """One row of display strings per SLO and per group (shared by the table and Markdown)."""
    rows = []
    for s in rows_of(states):
        row = {
            "service": s.service,
            "name": s.slo + group_text(s.group),
            "sli": percent(s.sli_value),
            "target": _target_text(s),
            "window": s.window if s.rolling else f"{s.window}, {s.elapsed_fraction:.0%} elapsed",
            "status": s.status,
            "budget": _budget_text(s),
            "p95": _percentile_text(s, "p95"),
            "forecast": _forecast_text(s),
        }
        for label in SHOWN_BURNS:
            row[f"burn_{label}"] = _burn_text(s.burn_rates.get(label))
        rows.append(row)
    return rows


#: Columns of the Markdown page (everything people read in a review).
MARKDOWN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("service", "Service"),
    ("name", "SLO"),
    ("sli", "SLI"),
    ("target", "Target"),
    ("window", "Window"),
    ("status", "Status"),
    ("budget", "Budget left"),
    *((f"burn_{label}", f"Burn {label}") for label in SHOWN_BURNS),
    ("p95", "p95"),
    ("forecast", "Budget runs out"),
)
#: Columns of the terminal table: fewer, so it fits a terminal (JSON and Markdown have the rest).
TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("service", "Service"),
    ("name", "SLO"),
    ("sli", "SLI"),
    ("target", "Target"),
    ("status", "Status"),
    ("budget", "Budget left"),
    ("burn_1h", "Burn 1h"),
    ("burn_1d", "Burn 1d"),
    ("p95", "p95"),
    ("forecast", "Budget runs out"),
)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def report_markdown(states: Sequence[SLOState]) -> str:
    """A Markdown page: the table, then how calendar budgets are counted and any notes."""
    at = _iso(states[0].at) if states else None
    lines = [f"# SLO report{f' at {at}' if at else ''}", ""]
    if not states:
        return "\n".join([*lines, "No SLOs.", ""])
    lines.append("| " + " | ".join(h for _, h in MARKDOWN_COLUMNS) + " |")
    lines.append("| " + " | ".join("---" for _ in MARKDOWN_COLUMNS) + " |")
    for row in table_rows(states):
        lines.append("| " + " | ".join(_md_cell(row[k]) for k, _ in MARKDOWN_COLUMNS) + " |")
    lines.append("")
    lines.append(
        "Burn rate 1.0 spends exactly the budget over the SLO window; status is *burning* when the "
        f"{window_label(3600)} burn rate is above 1. The forecast extrapolates the 1d burn rate."
    )
    calendar = [s for s in states if not s.rolling]
    if calendar:
        lines += ["", "## Calendar windows", ""]
        for s in calendar:
            lines.append(f"- **{s.slo}** ({s.window}): {s.budget_basis}.")
    noted = [s for s in states if s.notes or s.coverage_kind in ("live", "raw_archive")]
    if noted:
        lines += ["", "## Data coverage and notes", ""]
        for s in noted:
            parts = [f"data {s.coverage}", *s.notes]
            lines.append(f"- **{s.slo}**: " + "; ".join(parts) + ".")
    return "\n".join(lines) + "\n"


#: Fields every SLO object of the JSON report has, with their JSON types ("null" = may be null).
FIELDS: dict[str, tuple[str, ...]] = {
    "schema": ("string",),
    "service": ("string",),
    "name": ("string",),
    "group": ("object", "null"),
    "group_by": ("array",),
    "groups": ("integer", "null"),
    "display_name": ("string", "null"),
    "indicator": ("string",),
    "budgeting_method": ("string",),
    "composite": ("boolean",),
    "window": ("string",),
    "rolling": ("boolean",),
    "at": ("string",),
    "window_start": ("string",),
    "window_end": ("string",),
    "elapsed_fraction": ("number",),
    "budget_basis": ("string",),
    "target": ("number", "null"),
    "sli": ("number", "null"),
    "status": ("string",),
    "budget_consumed": ("number", "null"),
    "budget_remaining": ("number", "null"),
    "budget_allowed_seconds": ("number", "null"),
    "budget_remaining_seconds": ("number", "null"),
    "budget_remaining_events": ("number", "null"),
    "burn_rates": ("object",),
    "percentiles": ("object",),
    "percentile_bounds": ("object",),
    "forecast": ("string", "null"),
    "coverage": ("string",),
    "coverage_kind": ("string", "null"),
    "notes": ("array",),
    "objectives": ("array",),
}
#: Fields of each entry of ``objectives``.
OBJECTIVE_FIELDS: dict[str, tuple[str, ...]] = {
    "index": ("integer",),
    "name": ("string",),
    "target": ("number",),
    "op": ("string", "null"),
    "value": ("number", "null"),
    "weight": ("number",),
    "sli": ("number", "null"),
    "status": ("string",),
    "valid": ("integer", "null"),
    "good": ("integer", "null"),
    "bad": ("number", "null"),
    "slices": ("object", "null"),
    "budget_consumed": ("number", "null"),
    "budget_remaining": ("number", "null"),
    "budget_allowed_events": ("number", "null"),
    "budget_remaining_events": ("number", "null"),
    "budget_allowed_seconds": ("number",),
    "budget_remaining_seconds": ("number", "null"),
    "burn_rates": ("object",),
    "percentiles": ("object",),
    "percentile_bounds": ("object",),
    "coverage": ("string", "null"),
    "coverage_kind": ("string", "null"),
    "note": ("string", "null"),
}
STATUSES = ("ok", "burning", "exhausted", "no data")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def schema_problems(data: Any) -> list[str]:
    """What in parsed report JSON does not follow the schema (empty when it does).

    For tools and tests that consume the report: field presence and JSON types, status
    names, and number-or-null values in ``burn_rates`` and ``percentiles``.
    """
    if not isinstance(data, list):
        return ["the report is a JSON list with one object per SLO"]
    problems: list[str] = []

    def check(obj: Any, fields: dict[str, tuple[str, ...]], where: str) -> None:
        if not isinstance(obj, dict):
            problems.append(f"{where}: not an object")
            return
        for key, kinds in fields.items():
            if key not in obj:
                problems.append(f"{where}: missing {key}")
                continue
            kind = _json_type(obj[key])
            if kind not in kinds and not (kind == "integer" and "number" in kinds):
                problems.append(f"{where}.{key}: {kind}, expected {' or '.join(kinds)}")
        if obj.get("status") not in STATUSES:
            problems.append(f"{where}.status: {obj.get('status')!r} is not one of {', '.join(STATUSES)}")
        for key in ("burn_rates", "percentiles"):
            for name, value in (obj.get(key) or {}).items():
                if _json_type(value) not in ("number", "integer", "null"):
                    problems.append(f"{where}.{key}.{name}: not a number or null")

    for i, item in enumerate(data):
        check(item, FIELDS, f"[{i}]")
        if isinstance(item, dict):
            for j, objective in enumerate(item.get("objectives") or []):
                check(objective, OBJECTIVE_FIELDS, f"[{i}].objectives[{j}]")
    return problems
