"""Small statements in the styles found in real SLO documents, each read as worked out by hand."""

from __future__ import annotations

import pytest

from slokit.importers.markdown import analyse, parse
from slokit.importers.markdown.numbers import parse_number


def fields(text: str) -> list[tuple[object, ...]]:
    return [
        (o.sli_kind, o.target_percent, o.op, o.threshold, o.unit, o.percentile, o.window, o.window_type)
        for o in parse(text)
    ]


@pytest.mark.parametrize(
    ("raw", "comma_decimal", "percent", "value"),
    [
        ("99.9", False, True, 99.9),
        ("99,95", True, True, 99.95),
        ("99.999", False, True, 99.999),
        ("99,999", True, True, 99.999),
        ("1,500", False, False, 1500.0),
        ("1.500", True, False, 1500.0),
        ("1,5", True, False, 1.5),
        ("0.250", False, False, 0.25),
        ("12,345.6", False, False, 12345.6),
        ("12.345,6", True, False, 12345.6),
        ("1\u00a0500", True, False, 1500.0),
    ],
)
def test_numbers(raw: str, comma_decimal: bool, percent: bool, value: float) -> None:
    assert parse_number(raw, comma_decimal=comma_decimal, percent=percent) == value


def test_key_value_lists_under_a_role_label() -> None:
    doc = (
        "### Latency\n\n**SLO**:\n- **P50 (Median)**: < 100ms\n- **P95**: < 500ms\n\n"
        "**Measurement Window**: 28 days\n"
    )
    result = analyse(doc)
    assert [(o.name, o.percentile, o.threshold, o.window) for o in result.objectives] == [
        ("Latency (P50 (Median))", 50.0, 100.0, "28d"),
        ("Latency (P95)", 95.0, 500.0, "28d"),
    ]
    assert not result.unreadable


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (
            '**SLO (Service Level Objective)**:\n- Examples: "99.9% availability", "P95 latency < 500ms"\n',
            "example",
        ),
        ("**SLA**:\n- **Commitment**: 99.5% (2.5 nines)\n", "SLA commitment"),
        ("**Alerting**:\n- **Warning**: P95 > 500ms\n", "alert threshold"),
        ("- Critical: error rate above 1% for 5 minutes\n", "alert threshold"),
        ("- **Latency SLI**: the share of requests served in under 250 ms\n", "SLI definition"),
        ("## Why these numbers\n\n- 99.5 %, not 99.9 %: the nodes reboot for updates\n", "rationale"),
        ("- Load test: p95 of 420 ms at 800 requests per second\n", "benchmark"),
        ("- Current availability: 99.93%\n", "measured value"),
    ],
)
def test_not_objectives(doc: str, reason: str) -> None:
    result = analyse(doc)
    assert result.objectives == []
    assert reason in {s.reason for s in result.non_objectives}


def test_page_load_is_not_paging_and_conditions_in_names_are_not_thresholds() -> None:
    assert fields("- **Page Load Failures**: < 0.05%\n") == [
        ("error_rate", 99.95, None, None, None, None, None, None)
    ]
    table = "| Metric | Target | Window |\n|---|---|---|\n| Whisper p95 (30 s audio) | ≤ 3 s | 7 days |\n"
    assert fields(table) == [("latency", 95.0, "lte", 3.0, "s", 95.0, "7d", "rolling")]


def test_units_and_rates() -> None:
    assert fields("- Cache lookup: p99 < 800 µs\n") == [
        ("latency", 99.0, "lt", 800.0, "us", 99.0, None, None)
    ]
    assert fields("- Writes: at least 2,000 ops/sec\n") == [
        ("throughput", None, "gte", 2000.0, "operations/s", None, None, None)
    ]
    assert fields("- Ingest: ≥ 1.500 anmodninger pr. minut pr. måned\n") == [
        ("throughput", None, "gte", 1500.0, "requests/min", None, "1M", "calendar")
    ]


def test_allowance_with_its_own_target() -> None:
    result = analyse("- **Uptime**: 99.5% over 30 days. A 99.9% target allows about 43 minutes a month.\n")
    assert [(c.target_percent, c.per, c.approximate) for c in result.budgets] == [(99.9, "1M", True)]
