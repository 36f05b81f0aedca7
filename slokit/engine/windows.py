"""The exact bounds of an SLO window at an instant: rolling or calendar, in the window's time zone.

Why this module exists: "99.9 % per month" only means something once "the month" has exact
bounds. Every SLI, budget and report asks the same question here, so the answer (DST days of 23
or 25 hours, months of 28 to 31 days, weeks anchored where the spec says) is computed once.

Definitions (docs/concepts.md explains them for users):

* **Rolling** window of length W at instant t: the interval (t − W, t]. Fixed units (s, m, h,
  d, w) are exact seconds: a rolling ``1d`` is always 86,400 s even across a DST change. A rolling
  calendar unit (``1M``) ends at t and starts where the wall clock of the window's zone read
  "the same time, n months earlier" (day clamped to the month's length).
* **Calendar** windows tile time: window k is (b(k), b(k+1)], and the window containing t is the
  one with b(k) < t ≤ b(k+1). Both kinds are open at the start and closed at the end, like the
  per-minute rows and Prometheus range selectors, so an evaluation at 00:00 on 1 March sees all
  of February (elapsed fraction 1), and an event stamped exactly 00:00 on 1 March counts in
  February. The boundaries are anchored at the calendar ``startTime`` (a wall
  time in the window's zone): for days and weeks b(k) is the anchor's wall time k·n days (k·n·7)
  later on the calendar, for months, quarters and years it is the anchor's day and time k·n
  months later (day clamped to the month's last day: an anchor on the 31st gives Feb 28/29). So
  weeks start on the anchor's weekday and time, and ``1M`` anchored on the 1st at 00:00 is the
  calendar month. Sub-day calendar units (s, m, h) are exact multiples of seconds from the anchor.
* A wall time is turned into an instant as "the first instant at which the zone's clocks show
  that wall time or later": inside a fall-back overlap that is the first occurrence, and inside
  a spring-forward gap (02:30 on a day clocks jump from 02:00 to 03:00) it is the jump itself.
  This keeps boundaries ordered, so every instant belongs to exactly one calendar window.
"""

from __future__ import annotations

import calendar as _calendar
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from slokit.spec.durations import Duration

#: An instant: an aware datetime, or seconds since the Unix epoch.
Instant = datetime | float

#: Anchor used when a calendar window has no startTime: a Monday and the 1st of January at
#: midnight, so days, ISO weeks (Monday), months, quarters and years all start where people expect.
DEFAULT_ANCHOR = datetime(2001, 1, 1)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SUBDAY_UNITS = frozenset("smh")
_DAY_UNITS = {"d": 1, "w": 7}
#: Iterations allowed when correcting an estimated window index; real zones need at most a few.
_MAX_ADJUST = 64


class CalendarLike(Protocol):
    """What a calendar window needs from a spec: where it starts and in which zone."""

    @property
    def start_time(self) -> datetime: ...

    @property
    def time_zone(self) -> str: ...


class TimeWindowLike(Protocol):
    """The shape of :class:`slokit.spec.model.TimeWindow`, so the engine needs no spec import."""

    @property
    def duration(self) -> Duration: ...

    @property
    def is_rolling(self) -> bool: ...

    @property
    def calendar(self) -> CalendarLike | None: ...


@dataclass(frozen=True, slots=True)
class Window:
    """A window definition as plain values.

    ``anchor`` is the calendar startTime: a naive datetime is a wall time in ``time_zone``; an
    aware one is converted to that zone's wall time. It is ignored for rolling windows except for
    the zone, which rolling calendar units (``1M``) use for their month arithmetic.
    """

    duration: Duration
    rolling: bool
    anchor: datetime = DEFAULT_ANCHOR
    time_zone: str = "UTC"

    @classmethod
    def of(cls, window: TimeWindowLike) -> Window:
        """The engine's view of a spec ``TimeWindow``."""
        cal = window.calendar
        if cal is None:
            return cls(window.duration, window.is_rolling)
        return cls(window.duration, window.is_rolling, cal.start_time, cal.time_zone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def anchor_wall(self) -> datetime:
        """The anchor as a naive wall time in the window's zone."""
        tz = self.anchor.tzinfo
        if tz is None or (isinstance(tz, ZoneInfo) and tz.key == self.time_zone):
            return self.anchor.replace(tzinfo=None)  # already a wall time there (even one in a gap)
        return self.anchor.astimezone(self.zone).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class WindowBounds:
    """One concrete window, the interval (start, end] (rolling and calendar alike).

    ``start`` and ``end`` are in the window's zone for display. Compare instants through
    ``start_utc``/``end_utc``: Python never finds an ambiguous (fall-back) local time equal to a
    datetime in another zone, and subtracts same-zone datetimes as wall times.
    """

    start: datetime
    end: datetime
    rolling: bool

    @property
    def start_utc(self) -> datetime:
        return self.start.astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        return self.end.astimezone(UTC)

    @property
    def seconds(self) -> float:
        """Real elapsed seconds (a DST day is 82,800 or 90,000 s)."""
        return _utc_delta_seconds(self.start, self.end)

    @property
    def start_epoch(self) -> float:
        return self.start.timestamp()

    @property
    def end_epoch(self) -> float:
        return self.end.timestamp()

    def contains(self, t: Instant) -> bool:
        return self.start_utc < to_utc(t) <= self.end_utc


def to_utc(t: Instant) -> datetime:
    """An instant as an aware UTC datetime; naive datetimes are refused (their zone is unknown)."""
    if isinstance(t, datetime):
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(f"instant {t.isoformat()} has no time zone; give an aware datetime")
        return t.astimezone(UTC)
    return _EPOCH + timedelta(seconds=float(t))


def wall_to_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which clocks in ``zone`` show ``wall`` or later.

    For a wall time that exists once this is the usual conversion; in a fall-back overlap it is
    the first occurrence; in a spring-forward gap it is the instant of the jump.
    """
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall(first, zone) == wall:
        return first
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    # In a gap the two folds straddle the jump: one shows an earlier wall time, one a later one.
    lo_dt, hi_dt = min(first, second), max(first, second)
    lo = math.floor(_epoch_seconds(lo_dt))
    hi = math.ceil(_epoch_seconds(hi_dt))
    # Invariant: wall(lo) < wall <= wall(hi). Zone transitions happen on whole seconds.
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _wall(_EPOCH + timedelta(seconds=mid), zone) >= wall:
            hi = mid
        else:
            lo = mid
    return _EPOCH + timedelta(seconds=hi)


def window_at(window: Window, t: Instant) -> WindowBounds:
    """The window that contains ``t``, with bounds in the window's zone."""
    zone = window.zone
    u = to_utc(t)
    if window.rolling:
        start = _rolling_start(window, u, zone)
        return WindowBounds(start.astimezone(zone), u.astimezone(zone), rolling=True)
    k = _calendar_index(window, u, zone)
    return WindowBounds(
        _boundary(window, k, zone).astimezone(zone),
        _boundary(window, k + 1, zone).astimezone(zone),
        rolling=False,
    )


def window_length_seconds(window: Window, t: Instant) -> float:
    """Length in seconds of the window containing ``t`` (exact, DST included)."""
    return window_at(window, t).seconds


def elapsed_fraction(window: Window, t: Instant) -> float:
    """How much of the calendar window containing ``t`` has passed, in (0, 1].

    A rolling window is always complete (1.0): it ends at ``t`` by definition. Used to tell
    "budget so far" from "budget of the whole period" in calendar windows.
    """
    if window.rolling:
        return 1.0
    bounds = window_at(window, t)
    return _utc_delta_seconds(bounds.start, to_utc(t)) / bounds.seconds


def iter_windows(window: Window, start: Instant, end: Instant) -> Iterator[WindowBounds]:
    """The calendar windows that overlap (start, end], in order (for reports and history)."""
    if window.rolling:
        raise ValueError("rolling windows do not tile time; iterate calendar windows only")
    zone = window.zone
    u_start, u_end = to_utc(start), to_utc(end)
    k = _calendar_index(window, u_start, zone)
    if _boundary(window, k + 1, zone) == u_start:  # window k ends exactly at start: no overlap
        k += 1
    lo = _boundary(window, k, zone)
    while lo < u_end:
        hi = _boundary(window, k + 1, zone)
        if hi > lo:
            yield WindowBounds(lo.astimezone(zone), hi.astimezone(zone), rolling=False)
        k += 1
        lo = hi


def window_bounds_many(
    window: Window, epochs: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Vectorized :func:`window_at` for whole-second epoch instants: (starts, ends) in epoch seconds.

    Calendar boundaries with a sub-second part are rounded down, which is exact for whole-second
    instants: an integer t satisfies t > b exactly when t > floor(b), and t ≤ b when t ≤ floor(b).
    Windows are (start, end] as in :func:`window_at`.
    """
    t = np.asarray(epochs, dtype=np.int64)
    if t.size == 0:
        return t.copy(), t.copy()
    zone = window.zone
    unit = window.duration.unit
    if window.rolling:
        if not window.duration.is_calendar:
            return t - np.int64(window.duration.seconds), t.copy()
        starts = np.fromiter(
            (_floor_epoch(_rolling_start(window, to_utc(int(x)), zone)) for x in t.ravel()),
            dtype=np.int64,
            count=t.size,
        ).reshape(t.shape)
        return starts, t.copy()
    if unit in _SUBDAY_UNITS:
        anchor = _floor_epoch(wall_to_instant(window.anchor_wall, zone))
        step = np.int64(window.duration.seconds)
        starts = anchor + ((t - anchor - 1) // step) * step
        return starts, starts + step
    k_lo = _calendar_index(window, to_utc(int(t.min())), zone)
    k_hi = _calendar_index(window, to_utc(int(t.max())), zone)
    bounds = np.array([_floor_epoch(_boundary(window, k, zone)) for k in range(k_lo, k_hi + 2)], np.int64)
    idx = np.searchsorted(bounds, t, side="left") - 1
    return bounds[idx], bounds[idx + 1]


# --- internals ---


def _wall(u: datetime, zone: ZoneInfo) -> datetime:
    return u.astimezone(zone).replace(tzinfo=None)


def _epoch_seconds(u: datetime) -> float:
    return (u - _EPOCH).total_seconds()


def _floor_epoch(u: datetime) -> int:
    delta = u.astimezone(UTC) - _EPOCH
    return delta.days * 86400 + delta.seconds


def _utc_delta_seconds(a: datetime, b: datetime) -> float:
    # Aware datetimes sharing a tzinfo subtract as wall times, ignoring DST: convert first.
    return (b.astimezone(UTC) - a.astimezone(UTC)).total_seconds()


def add_months(wall: datetime, months: int) -> datetime:
    """``wall`` moved by whole calendar months, the day clamped to the target month's length."""
    total = wall.year * 12 + (wall.month - 1) + months
    year, month0 = divmod(total, 12)
    day = min(wall.day, _calendar.monthrange(year, month0 + 1)[1])
    return wall.replace(year=year, month=month0 + 1, day=day)


def _rolling_start(window: Window, u: datetime, zone: ZoneInfo) -> datetime:
    duration = window.duration
    if not duration.is_calendar:
        return u - timedelta(seconds=duration.seconds)
    return wall_to_instant(add_months(_wall(u, zone), -duration.months), zone)


def _boundary(window: Window, k: int, zone: ZoneInfo) -> datetime:
    """Start of calendar window number k (k = 0 starts at the anchor), as a UTC instant."""
    duration = window.duration
    anchor = window.anchor_wall
    if duration.unit in _SUBDAY_UNITS:
        return wall_to_instant(anchor, zone) + timedelta(seconds=k * duration.seconds)
    if duration.unit in _DAY_UNITS:
        wall = anchor + timedelta(days=k * duration.count * _DAY_UNITS[duration.unit])
    else:
        wall = add_months(anchor, k * duration.months)
    return wall_to_instant(wall, zone)


def _calendar_index(window: Window, u: datetime, zone: ZoneInfo) -> int:
    """The k with b(k) < u ≤ b(k+1): estimate from wall-clock arithmetic, then correct."""
    duration = window.duration
    anchor = window.anchor_wall
    if duration.unit in _SUBDAY_UNITS:
        k = (u - wall_to_instant(anchor, zone)) // timedelta(seconds=duration.seconds)
    elif duration.unit in _DAY_UNITS:
        step = timedelta(days=duration.count * _DAY_UNITS[duration.unit])
        k = (_wall(u, zone) - anchor) // step
    else:
        wall = _wall(u, zone)
        k = ((wall.year - anchor.year) * 12 + wall.month - anchor.month) // duration.months
    for _ in range(_MAX_ADJUST):
        if _boundary(window, k, zone) >= u:
            k -= 1
        elif _boundary(window, k + 1, zone) < u:
            k += 1
        else:
            return k
    raise ValueError(f"could not place {u.isoformat()} in a {duration} window of zone {zone.key}")
