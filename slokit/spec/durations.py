"""Duration shorthand as OpenSLO writes it: a positive integer and a one-letter unit.

Fixed units (s, m, h, d, w) have an exact length. Calendar units (M, Q, Y) do not: a month
is 28 to 31 days, so ``1M`` is never silently treated as 30 days. Code that needs a single
number for a calendar duration (the budget of "an average month") asks for
:attr:`Duration.nominal_seconds` explicitly, which uses the Gregorian average year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FIXED_UNIT_SECONDS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
CALENDAR_UNIT_MONTHS: dict[str, int] = {"M": 1, "Q": 3, "Y": 12}
ALL_UNITS = "".join(FIXED_UNIT_SECONDS) + "".join(CALENDAR_UNIT_MONTHS)

#: The Gregorian calendar repeats every 400 years of 146,097 days: the exact mean year.
AVERAGE_YEAR_SECONDS = 146_097 * 86400 / 400
AVERAGE_MONTH_SECONDS = AVERAGE_YEAR_SECONDS / 12

_DURATION_RE = re.compile(r"^([1-9][0-9]{0,8})([smhdwMQY])$")

UNIT_NAMES: dict[str, str] = {
    "s": "second",
    "m": "minute",
    "h": "hour",
    "d": "day",
    "w": "week",
    "M": "calendar month",
    "Q": "calendar quarter",
    "Y": "calendar year",
}


@dataclass(frozen=True, slots=True, order=True)
class Duration:
    count: int
    unit: str

    @property
    def is_calendar(self) -> bool:
        return self.unit in CALENDAR_UNIT_MONTHS

    @property
    def seconds(self) -> int:
        """Exact length; calendar durations have none and raise ValueError."""
        if self.is_calendar:
            raise ValueError(f"{self} is a calendar duration and has no fixed length")
        return self.count * FIXED_UNIT_SECONDS[self.unit]

    @property
    def months(self) -> int:
        """Number of calendar months of a calendar duration (1M=1, 1Q=3, 1Y=12)."""
        if not self.is_calendar:
            raise ValueError(f"{self} is not a calendar duration")
        return self.count * CALENDAR_UNIT_MONTHS[self.unit]

    @property
    def nominal_seconds(self) -> float:
        """Exact seconds for fixed units; for calendar units the Gregorian average length."""
        if self.is_calendar:
            return self.months * AVERAGE_MONTH_SECONDS
        return float(self.seconds)

    def describe(self) -> str:
        name = UNIT_NAMES[self.unit]
        return f"{self.count} {name}{'' if self.count == 1 else 's'}"

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


_EXAMPLES = {"s": "30s", "m": "5m", "h": "1h", "d": "30d", "w": "4w", "M": "1M", "Q": "1Q", "Y": "1Y"}


def _examples(allowed_units: str) -> str:
    """Examples in the allowed units only (a rolling-only field must not suggest ``1M``)."""
    return ", ".join(_EXAMPLES[u] for u in allowed_units if u in _EXAMPLES)


def parse_duration(text: object, allowed_units: str = ALL_UNITS) -> Duration:
    """Parse ``"30d"``, ``"4w"``, ``"1M"``; raise ValueError saying what is allowed."""
    if not isinstance(text, str):
        raise ValueError(f"a duration must be a string such as '30d', got {type(text).__name__}")
    match = _DURATION_RE.match(text.strip())
    if not match:
        raise ValueError(
            f"'{text}' is not a duration: write a positive whole number followed by one of "
            f"{', '.join(allowed_units)} (for example {_examples(allowed_units)})"
        )
    count, unit = int(match.group(1)), match.group(2)
    if unit not in allowed_units:
        raise ValueError(f"unit '{unit}' is not allowed here: use one of {', '.join(allowed_units)}")
    return Duration(count, unit)
