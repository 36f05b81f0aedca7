"""slokit/v1 kinds: Correction and ErrorBudgetPolicy."""

from __future__ import annotations

from collections.abc import Mapping

from slokit.spec.model import SLO, Correction, ErrorBudgetPolicy
from slokit.spec.openslo import Entry
from slokit.spec.reader import Context

API_SLOKIT_V1 = "slokit/v1"
KINDS = ("Correction", "ErrorBudgetPolicy")


def build(
    ctx: Context, entries: Mapping[str, Mapping[str, Entry]], slos: Mapping[str, SLO]
) -> tuple[dict[str, Correction], dict[str, ErrorBudgetPolicy]]:
    for kind in KINDS:
        for entry in entries.get(kind, {}).values():
            ctx.error(entry.node, "kind", f"{kind} is not supported yet")
    return {}, {}
