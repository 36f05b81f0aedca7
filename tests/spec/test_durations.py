"""Duration shorthand: the exact lengths, the calendar units, and the errors a person sees."""

from __future__ import annotations

import pytest

from slokit.spec.durations import AVERAGE_MONTH_SECONDS, Duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h", 3600), ("24h", 86400), ("30d", 2_592_000), ("4w", 2_419_200)],
)
def test_fixed_units_have_exact_lengths(text: str, seconds: int) -> None:
    assert parse_duration(text).seconds == seconds


@pytest.mark.parametrize(("text", "months"), [("1M", 1), ("3M", 3), ("1Q", 3), ("2Q", 6), ("1Y", 12)])
def test_calendar_units_count_months_and_have_no_fixed_length(text: str, months: int) -> None:
    duration = parse_duration(text)
    assert duration.is_calendar
    assert duration.months == months
    with pytest.raises(ValueError, match="calendar duration"):
        _ = duration.seconds


def test_average_month_is_the_gregorian_mean() -> None:
    # 400 Gregorian years have 97 leap years: 365 + 97/400 days a year.
    assert pytest.approx((365 + 97 / 400) * 86400 / 12) == AVERAGE_MONTH_SECONDS
    assert parse_duration("1M").nominal_seconds == pytest.approx(30.436875 * 86400)


@pytest.mark.parametrize("text", ["", "0d", "-1d", "1.5h", "30", "d", "1 d", "1x", "30D", "01d", 30, None])
def test_invalid_durations_say_what_is_allowed(text: object) -> None:
    with pytest.raises(ValueError, match=r"duration|unit"):
        parse_duration(text)


def test_unit_restriction() -> None:
    with pytest.raises(ValueError, match="not allowed here"):
        parse_duration("1M", allowed_units="smhdw")


def test_str_round_trips() -> None:
    assert str(parse_duration("28d")) == "28d"
    assert Duration(1, "M").describe() == "1 calendar month"
    assert Duration(2, "w").describe() == "2 weeks"


def test_error_examples_use_only_the_allowed_units() -> None:
    with pytest.raises(ValueError) as fixed_only:
        parse_duration("soon", "smhdw")
    assert "(for example 30s, 5m, 1h, 30d, 4w)" in str(fixed_only.value)
    with pytest.raises(ValueError) as any_unit:
        parse_duration("soon")
    assert "1M" in str(any_unit.value)
