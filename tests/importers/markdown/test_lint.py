"""``lint``: each check on a small document whose right answer is worked out by hand."""

from __future__ import annotations

from slokit.importers.markdown import analyse
from slokit.importers.markdown.lint import lint


def findings(text: str) -> list[tuple[int, str, str]]:
    return [
        (d.location.line if d.location else 0, d.severity, d.message) for d in lint(analyse(text), "doc.md")
    ]


def test_qualified_objectives_are_not_contradictions() -> None:
    doc = (
        "## Orders\n\n- **P95**: < 200 ms for reads\n- **P95**: < 500 ms for writes\n"
        "- **P99**: < 800 ms for reads\n- **P99**: < 900 ms for reads\n"
    )
    contradictions = [(line, sev) for line, sev, msg in findings(doc) if msg.startswith("contradiction")]
    assert contradictions == [(6, "error")]


def test_year_budget_with_365_days_is_a_warning() -> None:
    # Oracle: 0.001 × 365.2425 d = 8.7658 h (average year); 0.001 × 365 d = 8.76 h exactly.
    assert [
        (line, sev)
        for line, sev, msg in findings("- **Uptime**: 99.9% (8.76 hours of downtime per year)\n")
        if "downtime" in msg
    ] == [(1, "warning")]
    assert not [
        m
        for _, _, m in findings("- **Uptime**: 99.9% (8.77 hours of downtime per year)\n")
        if "downtime" in m
    ]


def test_gaps_and_unmeasurable_targets() -> None:
    doc = (
        "## API\n\n| SLI | Target |\n|---|---|\n"
        "| Latency (p99) | 99.9% |\n| Backups | 100% |\n| Uptime | 99.9% |\n"
    )
    found = findings(doc)
    assert (5, "error") in {(line, sev) for line, sev, msg in found if "p99 but no threshold" in msg}
    assert (6, "error") in {(line, sev) for line, sev, msg in found if "no error budget" in msg}
    assert {line for line, sev, msg in found if msg.endswith("has no window")} == {5, 6, 7}
    assert findings("# Notes\n\nNothing to measure.\n") == [(0, "error", "no objectives found")]
