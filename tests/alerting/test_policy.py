"""Policies: factors from the period, OpenSLO conditions, settings files, and their errors.

Oracle: the Workbook's factor formula worked by hand (share · period / long window).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from slokit.alerting.policy import (
    BUILTIN,
    fitting_policy,
    parse_settings,
    policy_for,
    settings_named,
    tiers_for_period,
)
from slokit.errors import SlokitError, SpecError

DAY = 86400


@pytest.mark.parametrize(
    ("days", "factors"),
    [
        (30, [14.4, 6.0, 3.0, 1.0]),  # 0.02·720/1, 0.05·720/6, 0.1·720/24, 0.1·720/72
        (28, [13.44, 5.6, 2.8, 0.9333333333]),  # 0.02·672/1, 0.05·672/6, 0.1·672/24, 0.1·672/72
        (7, [3.36, 1.4, 0.7, 0.2333333333]),  # 0.02·168/1, 0.05·168/6, 0.1·168/24, 0.1·168/72
    ],
)
def test_default_factors_follow_the_formula(days: int, factors: list[float]) -> None:
    tiers = tiers_for_period(days * DAY)
    assert [t.factor for t in tiers] == pytest.approx(factors)
    assert [(t.long_seconds, t.short_seconds) for t in tiers] == [
        (3600, 300),
        (21600, 1800),
        (86400, 7200),
        (259200, 21600),
    ]
    assert [t.severity for t in tiers] == ["page", "page", "ticket", "ticket"]


def test_short_period_scales_windows_and_keeps_shares() -> None:
    tiers = tiers_for_period(DAY)
    # 30-day windows × 1/30, rounded to whole minutes, at least 1 minute: 1h → 2m, 5m → 1m, ...
    assert [(t.long_seconds // 60, t.short_seconds // 60) for t in tiers] == [
        (2, 1),
        (12, 1),
        (48, 4),
        (144, 12),
    ]
    # share · period / long: 0.02·1440/2, 0.05·1440/12, 0.1·1440/48, 0.1·1440/144
    assert [t.factor for t in tiers] == pytest.approx([14.4, 6.0, 3.0, 1.0])
    assert [t.share for t in tiers] == pytest.approx([0.02, 0.05, 0.10, 0.10])


def test_openslo_conditions_form_the_multiwindow_set(specs: dict[str, Callable[..., Any]]) -> None:
    spec = specs["load"](
        specs["slo"](policies=("fast", "slow")),
        specs["policy"]("fast", 14.4, "1h", "2m"),
        specs["policy"]("slow", 1, "3d", "3h", severity="ticket"),
    )
    policy = policy_for(spec.slo("api-availability"))
    assert [r.name for r in policy.rules] == ["fast", "slow"]
    fast, slow = (r.tier for r in policy.rules)
    assert (fast.long_seconds, fast.short_seconds, fast.factor, fast.for_seconds) == (3600, 300, 14.4, 120)
    assert (slow.long_seconds, slow.short_seconds, slow.severity, slow.for_seconds) == (
        259200,
        21600,
        "ticket",
        10800,
    )


def test_slo_without_policies_gets_defaults(specs: dict[str, Callable[..., Any]]) -> None:
    policy = policy_for(specs["load"](specs["slo"]()).slo("api-availability"))
    assert [r.name for r in policy.rules] == ["page-1h", "page-6h", "ticket-1d", "ticket-3d"]
    assert policy.min_bad_events == 3


def test_lookback_longer_than_the_period_is_skipped_with_a_warning(
    specs: dict[str, Callable[..., Any]],
) -> None:
    spec = specs["load"](
        specs["slo"](window="1d", policies=("long", "fast")),
        specs["policy"]("long", 1, "3d"),
        specs["policy"]("fast", 14.4, "1h"),
    )
    policy = policy_for(spec.slo("api-availability"))
    assert [r.name for r in policy.rules] == ["fast"]
    (text,) = policy.warnings
    assert "api-availability" in text and "'long'" in text and "longer than the SLO period" in text


def test_low_op_is_an_error(specs: dict[str, Callable[..., Any]]) -> None:
    spec = specs["load"](specs["slo"](policies=("p",)), specs["policy"]("p", 2, "1h", op="lte"))
    with pytest.raises(SpecError, match="use op gte"):
        policy_for(spec.slo("api-availability"))


SETTINGS = """\
name: mine
minBadEvents: 5
tiers:
  - {severity: page, long: 1h, factor: 10, for: 1m}
services:
  api:
    tiers:
      - {name: fast, severity: page, long: 30m, short: 2m, share: 0.05}
slos:
  other:
    minBadEvents: 1
"""


def test_settings_precedence(specs: dict[str, Callable[..., Any]]) -> None:
    spec = specs["load"](specs["slo"](), specs["slo"]("other", service="web"))
    settings = parse_settings(SETTINGS, "alerting.yaml")
    api = policy_for(spec.slo("api-availability"), settings)
    assert [r.name for r in api.rules] == ["fast"]
    # share 0.05 of 30 d over 30 min: 0.05 · 1440 = 72
    assert api.rules[0].tier.factor == pytest.approx(72.0)
    assert api.rules[0].tier.short_seconds == 120
    assert api.min_bad_events == 5
    other = policy_for(spec.slo("other"), settings)
    assert [(r.name, r.tier.factor, r.tier.short_seconds, r.tier.for_seconds) for r in other.rules] == [
        ("page-1h", 10.0, 300, 60)
    ]
    assert other.min_bad_events == 1


@pytest.mark.parametrize(
    ("text", "message", "where"),
    [
        ("tiers:\n  - {long: 5m, short: 1h, factor: 2}\n", "longer than the long window", "x.yaml:2:"),
        ("tiers:\n  - {long: 1h, factor: 0}\n", "factor 0 must be above 0", "x.yaml:2:"),
        ("tiers:\n  - {long: 1h, factor: -3}\n", "must be above 0", "tiers[0].factor"),
        ("tiers:\n  - {long: 1h}\n", "exactly one of factor and share", "tiers[0]"),
        ("tiers:\n  - {long: 1h, factor: 2, colour: red}\n", "unknown field 'colour'", "tiers[0].colour"),
        ("tiers:\n  - {long: soon, factor: 2}\n", "", "tiers[0].long"),
        ("tiers: [\n", "", "x.yaml:"),
        ("budgetGuard: yes please\n", "budgetGuard must be true or false", "x.yaml:1:"),
        ("trafficAwareMinPeriod: 1M\n", "", "trafficAwareMinPeriod"),
    ],
)
def test_settings_errors_say_where(text: str, message: str, where: str) -> None:
    with pytest.raises(SlokitError) as err:
        parse_settings(text, "x.yaml")
    assert message in str(err.value)
    assert where in str(err.value)


def test_settings_window_longer_than_period(specs: dict[str, Callable[..., Any]]) -> None:
    spec = specs["load"](specs["slo"](window="1d"))
    settings = parse_settings("tiers:\n  - {long: 3d, factor: 1}\n", "x.yaml")
    with pytest.raises(SpecError) as err:
        policy_for(spec.slo("api-availability"), settings)
    assert "api-availability" in str(err.value) and "longer than the SLO period" in str(err.value)


def test_builtins(specs: dict[str, Callable[..., Any]]) -> None:
    spec = specs["load"](
        specs["slo"](policies=("p",)), specs["policy"]("p", 2, "1h"), specs["slo"]("day", window="1d")
    )
    slo = spec.slo("api-availability")
    assert [r.tier.factor for r in fitting_policy(slo, BUILTIN["default"]).rules] == pytest.approx(
        [14.4, 6, 3, 1]
    )
    assert [r.tier.factor for r in fitting_policy(slo, BUILTIN["pyrra"]).rules] == [14, 7, 2, 1]
    single = fitting_policy(slo, BUILTIN["single-1h"]).rules
    assert [(r.tier.long_seconds, r.tier.short_seconds, r.tier.factor) for r in single] == [
        (3600, 3600, 14.4)
    ]
    # Pyrra's 4-day tier does not fit a 1-day SLO and is dropped.
    assert [r.tier.long_seconds for r in fitting_policy(spec.slo("day"), BUILTIN["pyrra"]).rules] == [
        3600,
        21600,
        86400,
    ]


def test_default_semantics_classic_and_settings(specs: dict[str, Callable[..., Any]]) -> None:
    """Resolved policies carry the default semantics (traffic-aware burn from 7-day periods,
    budget-aware guard); ``classic``, ``single-1h`` and ``pyrra`` are window-ratio; a settings
    file can switch each part off."""
    spec = specs["load"](specs["slo"](), specs["slo"]("day", window="1d"))
    month, day = spec.slo("api-availability"), spec.slo("day")
    for slo, aware in ((month, True), (day, False)):
        for p in (policy_for(slo), fitting_policy(slo, BUILTIN["default"])):
            assert p.budget_guard and p.min_bad_events == 3
            assert p.aware_for(30 * 86400.0) is True and p.aware_for(86400.0) is False
            assert p.aware_for(float(slo.time_window.duration.nominal_seconds)) is aware
    for name in ("classic", "single-1h", "pyrra"):
        p = fitting_policy(month, BUILTIN[name])
        assert (p.traffic_aware, p.budget_guard) == (False, False), name
    assert [r.tier for r in fitting_policy(month, BUILTIN["classic"]).rules] == [
        r.tier for r in fitting_policy(month, BUILTIN["default"]).rules
    ]
    assert settings_named("default-budget-aware").default == BUILTIN["default"].default
    off = policy_for(month, parse_settings("trafficAware: false\nbudgetGuard: false\n", "x.yaml"))
    assert (off.traffic_aware, off.budget_guard) == (False, False)
    plain = policy_for(month, parse_settings("minBadEvents: 2\n", "x.yaml"))
    assert (plain.traffic_aware, plain.traffic_aware_min_period, plain.budget_guard) == (
        True,
        7 * 86400.0,
        True,
    )
    assert plain.min_bad_events == 2


def test_history_a_pass_reads(specs: dict[str, Callable[..., Any]]) -> None:
    """The longest window, or the traffic-estimate span (a week, at most the period)."""
    spec = specs["load"](specs["slo"](), specs["slo"]("day", window="1d"))
    month, day = spec.slo("api-availability"), spec.slo("day")
    assert policy_for(month).history_seconds(30 * 86400.0) == 7 * 86400
    assert policy_for(day).history_seconds(86400.0) == 86400
    classic = fitting_policy(month, BUILTIN["classic"])
    assert classic.history_seconds(30 * 86400.0) == 3 * 86400
