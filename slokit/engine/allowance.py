"""What a target allows: the error budget as a fraction, as time and as events.

Why exact arithmetic: targets are written in decimal (99.9, 0.9995) but floats are binary, so
``1 - 0.9`` is ``0.09999999999999998`` and ``floor(0.1 · 10)`` would wrongly allow 0 bad events
out of 10. Targets are turned back into the decimal fraction they were written as (denominator
at most 10¹²) and the budget is computed with :class:`fractions.Fraction`.

Definitions:

* allowed bad fraction = 1 − target.
* allowed bad time over a span of S seconds = (1 − target) · S: how long a total outage may last
  (or, for Timeslices, how much time the bad slices may add up to). For calendar periods without
  a specific instant S is the Gregorian average (a month is 30.436875 days); for a specific
  calendar window S is that window's exact length (February 2024 is 29 days).
* allowed bad events out of N valid = (1 − target) · N as a real number; the SLO holds while
  good/valid ≥ target, i.e. bad ≤ (1 − target) · N, so the whole number of bad events that can
  happen without breaching is floor((1 − target) · N).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from slokit.spec.durations import AVERAGE_MONTH_SECONDS, AVERAGE_YEAR_SECONDS

_MAX_DENOMINATOR = 10**12


@dataclass(frozen=True, slots=True)
class Period:
    """A reference span for the "allowed bad time per period" table."""

    name: str
    seconds: float
    #: "exact" for fixed spans; "average" for calendar spans measured by the Gregorian mean.
    length: str


#: The periods every budget table shows. Calendar ones use the Gregorian averages.
PERIODS: tuple[Period, ...] = (
    Period("1h", 3600.0, "exact"),
    Period("1d", 86400.0, "exact"),
    Period("7d", 7 * 86400.0, "exact"),
    Period("30d", 30 * 86400.0, "exact"),
    Period("month", AVERAGE_MONTH_SECONDS, "average"),
    Period("quarter", 3 * AVERAGE_MONTH_SECONDS, "average"),
    Period("year", AVERAGE_YEAR_SECONDS, "average"),
)


@dataclass(frozen=True, slots=True)
class EventAllowance:
    """Bad events allowed out of ``valid``: the real bound and the whole number that still holds."""

    valid: int
    allowed_bad: float
    whole_bad: int


@dataclass(frozen=True, slots=True)
class SliceAllowance:
    """Timeslices: how many slices fit the window and how many may be bad."""

    slice_seconds: float
    slices: float
    allowed_bad: float
    whole_bad: int


def target_fraction(target: float) -> Fraction:
    """The decimal fraction a float target was written as (0.999 -> 999/1000); checks the range."""
    if not math.isfinite(target) or not 0.0 < target < 1.0:
        raise ValueError(f"a target must be a fraction strictly between 0 and 1, got {target!r}")
    return Fraction(target).limit_denominator(_MAX_DENOMINATOR)


def _budget(target: float) -> Fraction:
    return 1 - target_fraction(target)


def allowed_bad_fraction(target: float) -> float:
    """1 − target, exactly as written (0.999 -> 0.001, not 0.0010000000000000009)."""
    return float(_budget(target))


def allowed_bad_seconds(target: float, seconds: float) -> float:
    """(1 − target) · seconds: the time a full outage may last within that span."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a span must be a non-negative number of seconds, got {seconds!r}")
    return float(_budget(target) * Fraction(seconds))


def allowed_bad_events(target: float, valid: int) -> EventAllowance:
    """Bad events allowed out of ``valid`` valid events (see the module docstring)."""
    if valid < 0:
        raise ValueError(f"a count of events cannot be negative, got {valid}")
    exact = _budget(target) * valid
    return EventAllowance(valid, float(exact), math.floor(exact))


def allowed_bad_slices(target: float, window_seconds: float, slice_seconds: float) -> SliceAllowance:
    """Timeslices budgeting: slices in the window and how many may miss their timeSliceTarget."""
    if slice_seconds <= 0:
        raise ValueError(f"a time slice must be longer than 0 s, got {slice_seconds!r}")
    slices = Fraction(window_seconds) / Fraction(slice_seconds)
    exact = _budget(target) * slices
    return SliceAllowance(float(slice_seconds), float(slices), float(exact), math.floor(exact))


def period_table(target: float, periods: tuple[Period, ...] = PERIODS) -> list[tuple[Period, float]]:
    """(period, allowed bad seconds) for each reference period."""
    return [(p, allowed_bad_seconds(target, p.seconds)) for p in periods]


def format_seconds(seconds: float) -> str:
    """A span for people: ``43m 50s``, ``8h 45m 57s``, ``3.6s``, ``86ms``.

    From one minute up the value is rounded to whole seconds and shown from the largest
    non-zero unit (d, h, m, s) down to the smallest non-zero one; below a minute three
    significant digits are kept.
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"cannot format {seconds!r} as a duration")
    if seconds == 0:
        return "0s"
    if seconds < 1:
        return f"{_sig3(seconds * 1000)}ms"
    if seconds < 59.5:
        return f"{_sig3(seconds)}s"
    remaining = round(seconds)
    parts: list[tuple[int, str]] = []
    for unit_seconds, suffix in ((86400, "d"), (3600, "h"), (60, "m"), (1, "s")):
        amount, remaining = divmod(remaining, unit_seconds)
        parts.append((amount, suffix))
    nonzero = [i for i, (amount, _) in enumerate(parts) if amount]
    shown = parts[nonzero[0] : nonzero[-1] + 1]
    return " ".join(f"{amount}{suffix}" for amount, suffix in shown)


def _sig3(value: float) -> str:
    text = f"{value:.3g}"
    if "e" in text:  # 3 significant digits of a value >= 1000 (not reached for < 60 s or < 1000 ms)
        text = f"{value:.0f}"
    return text
