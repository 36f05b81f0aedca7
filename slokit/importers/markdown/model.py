"""What a Markdown SLO document yields: objectives, statements skipped on purpose, and the rest.

These are plain records for library users (``parse``) and for the CLI's JSON output; field names
are the documented, stable ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from slokit.importers.markdown.vocabulary import Kind

Op = Literal["lt", "lte", "gt", "gte"]


@dataclass(frozen=True, slots=True)
class ImportedObjective:
    """One objective read from the document.

    ``target_percent`` is the share of good events (99.5 for "≥ 99.5 %"; 95 for "p95 < 400 ms";
    99.9 for "error rate < 0.1 %"). ``op``/``threshold``/``unit`` describe the SLI threshold
    (``lt 400 ms``), never the target. ``window`` is OpenSLO shorthand and ``window_type`` says
    whether it is ``rolling`` or ``calendar``; both are None when the document states no window.
    """

    service: str
    name: str
    sli_kind: Kind
    target_percent: float | None
    op: Op | None
    threshold: float | None
    unit: str | None
    percentile: float | None
    window: str | None
    window_type: Literal["rolling", "calendar"] | None
    source_line: int
    confidence: float
    source_text: str
    source_lines: tuple[int, ...] = ()
    explanation: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["source_lines"] = list(self.source_lines)
        data["explanation"] = list(self.explanation)
        return data


@dataclass(frozen=True, slots=True)
class Statement:
    """A statement that is not imported: a non-objective (with its reason) or an unreadable one."""

    line: int
    text: str
    category: Literal["non-objective", "unreadable"]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class BudgetClaim:
    """A stated allowance ("Maximum allowed downtime: 43.8 minutes/month") and what it belongs to."""

    line: int
    text: str
    amount_seconds: float
    #: Seconds per unit the amount was written in (60 for "43.8 minutes").
    unit_seconds: float
    #: Decimal places the author wrote, for comparing with a rounded computation.
    decimals: int
    approximate: bool
    #: The period the amount is per, as a window (``1M``, ``30d``), if stated.
    per: str | None
    target_percent: float | None
    objective_index: int | None = None


@dataclass(slots=True)
class ParseResult:
    objectives: list[ImportedObjective] = field(default_factory=list)
    skipped: list[Statement] = field(default_factory=list)
    budgets: list[BudgetClaim] = field(default_factory=list)
    language: str = "en"

    @property
    def non_objectives(self) -> list[Statement]:
        return [s for s in self.skipped if s.category == "non-objective"]

    @property
    def unreadable(self) -> list[Statement]:
        return [s for s in self.skipped if s.category == "unreadable"]
