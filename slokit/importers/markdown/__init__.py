"""Import SLOs straight from Markdown SLO documents (tables, bullets, prose; several languages).

``parse(text)`` returns the objectives; ``analyse(text)`` also returns what was skipped and why
(alert thresholds, budget arithmetic, measured values, improvement targets, unreadable lines).
Deterministic and offline: the reading is rules over markdown-it-py's document structure.
"""

from __future__ import annotations

from slokit.errors import SpecError
from slokit.importers.markdown.model import BudgetClaim, ImportedObjective, ParseResult, Statement

#: Documents larger than this are refused rather than read slowly.
MAX_BYTES = 20 * 1024 * 1024


def analyse(text: str) -> ParseResult:
    """Everything read from ``text``: objectives, skipped statements, stated budgets."""
    from slokit.importers.markdown.reader import read

    if len(text) > MAX_BYTES:
        raise SpecError(
            f"the document is {len(text) // (1024 * 1024)} MB; documents up to "
            f"{MAX_BYTES // (1024 * 1024)} MB are read (split it into smaller files)"
        )
    return read(text.replace("\r\n", "\n").replace("\x00", ""))


def parse(text: str) -> list[ImportedObjective]:
    """The objectives of a Markdown SLO document, in document order."""
    return analyse(text).objectives


__all__ = ["BudgetClaim", "ImportedObjective", "ParseResult", "Statement", "analyse", "parse"]
