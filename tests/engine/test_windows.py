"""Window bounds against oracles written differently from the implementation.

The oracles never convert a wall time to an instant with ``fold``; they scan UTC minute by
minute for the first instant whose local clock shows the wall time or later, enumerate
boundary dates by walking days and months with a hand-written leap-year rule, and measure day
and month lengths by counting minutes. Anchors and zone transitions are whole minutes, so the
minute scans are exact.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from slokit.engine.windows import (
    Window,
    elapsed_fraction,
    iter_windows,
    to_utc,
    wall_to_instant,
    window_at,
    window_bounds_many,
)
from slokit.spec.durations import Duration, parse_duration

ZONES = [
    "UTC",
    "Europe/Copenhagen",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Asia/Kolkata",  # +05:30, no DST
    "America/St_Johns",  # -03:30 with DST
    "Pacific/Apia",  # skipped 30 December 2011 entirely
]

MINUTE = timedelta(minutes=1)


# --- oracles ---


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def oracle_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """First whole-minute UTC instant whose local wall clock shows ``wall`` or later."""
    u = (wall - timedelta(hours=15)).replace(tzinfo=UTC, second=0, microsecond=0)
    while u.astimezone(zone).replace(tzinfo=None) < wall:
        u += MINUTE
    return u


def oracle_boundary_walls(window: Window, around: datetime) -> list[datetime]:
    """Calendar boundary wall times near the wall time ``around``, by walking days or months."""
    anchor = window.anchor_wall
    unit, count = window.duration.unit, window.duration.count
    walls: list[datetime] = []
    if unit in ("d", "w"):
        step = count * (7 if unit == "w" else 1)
        day = around.date() - timedelta(days=step + 3)
        last = around.date() + timedelta(days=step + 3)
        while day <= last:
            if (day.toordinal() - anchor.date().toordinal()) % step == 0:
                walls.append(datetime.combine(day, anchor.time()))
            day += timedelta(days=1)
        return walls
    months = count * {"M": 1, "Q": 3, "Y": 12}[unit]
    year, month = around.year, around.month
    for _ in range(months + 2):  # walk back far enough to pass one boundary
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    for _ in range(2 * months + 5):
        if ((year - anchor.year) * 12 + (month - anchor.month)) % months == 0:
            dom = min(anchor.day, month_length(year, month))
            walls.append(datetime.combine(date(year, month, dom), anchor.time()))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return walls


def oracle_window(window: Window, t: datetime) -> tuple[datetime, datetime]:
    zone = window.zone
    around = t.astimezone(zone).replace(tzinfo=None)
    instants = sorted(oracle_instant(w, zone) for w in oracle_boundary_walls(window, around))
    start = max(b for b in instants if b < t)
    end = min(b for b in instants if b >= t)
    return start, end


def minutes_on_local_date(day: date, zone: ZoneInfo) -> int:
    """Count the minutes whose local date is ``day``: a brute-force day length."""
    u = datetime.combine(day, datetime.min.time(), tzinfo=UTC) - timedelta(hours=16)
    end = u + timedelta(hours=58)
    n = 0
    while u < end:
        if u.astimezone(zone).date() == day:
            n += 1
        u += MINUTE
    return n


def cal(unit: str, anchor: datetime = datetime(2001, 1, 1), zone: str = "UTC") -> Window:
    return Window(parse_duration(unit), rolling=False, anchor=anchor, time_zone=zone)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- fixed, hand-checked cases ---


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Copenhagen", date(2024, 3, 31), 23),
        ("Europe/Copenhagen", date(2024, 10, 27), 25),
        ("America/New_York", date(2024, 3, 10), 23),
        ("America/New_York", date(2024, 11, 3), 25),
        ("Australia/Lord_Howe", date(2024, 4, 7), 24.5),
        ("Australia/Lord_Howe", date(2024, 10, 6), 23.5),
        ("UTC", date(2024, 2, 29), 24),
        ("Pacific/Apia", date(2011, 12, 31), 24),
    ],
)
def test_dst_day_lengths_match_minute_count(zone: str, day: date, hours: float) -> None:
    zi = ZoneInfo(zone)
    bounds = window_at(
        cal("1d", zone=zone), datetime.combine(day, datetime.min.time(), zi) + timedelta(hours=12)
    )
    assert bounds.start.date() == day
    assert bounds.seconds == hours * 3600
    assert bounds.seconds == minutes_on_local_date(day, zi) * 60


@pytest.mark.parametrize(
    ("zone", "year", "month"),
    [
        ("Europe/Copenhagen", 2024, 3),
        ("Europe/Copenhagen", 2024, 10),
        ("America/New_York", 2024, 2),
        ("America/New_York", 2100, 2),
        ("Australia/Lord_Howe", 2024, 4),
        ("UTC", 2000, 2),
    ],
)
def test_month_length_is_sum_of_day_lengths(zone: str, year: int, month: int) -> None:
    zi = ZoneInfo(zone)
    bounds = window_at(cal("1M", zone=zone), datetime(year, month, 15, 12, tzinfo=zi))
    days = [date(year, month, d) for d in range(1, month_length(year, month) + 1)]
    assert bounds.seconds == sum(minutes_on_local_date(d, zi) for d in days) * 60


def test_leap_years_month_quarter_year() -> None:
    assert window_at(cal("1M"), utc(2024, 2, 10)).seconds == 29 * 86400
    assert window_at(cal("1M"), utc(2100, 2, 10)).seconds == 28 * 86400  # 2100 is not leap
    assert window_at(cal("1M"), utc(2000, 2, 10)).seconds == 29 * 86400  # 2000 is
    q1 = window_at(cal("1Q"), utc(2024, 3, 31, 23, 59))
    assert (q1.start, q1.end) == (utc(2024, 1, 1), utc(2024, 4, 1))
    assert q1.seconds == 91 * 86400
    assert window_at(cal("1Y"), utc(2024, 7, 1)).seconds == 366 * 86400
    assert window_at(cal("1Y"), utc(2100, 7, 1)).seconds == 365 * 86400


def test_calendar_windows_are_open_at_start_closed_at_end() -> None:
    w = cal("1M")
    at_midnight = window_at(w, utc(2024, 3, 1))  # 00:00 on 1 March closes February
    assert (at_midnight.start, at_midnight.end) == (utc(2024, 2, 1), utc(2024, 3, 1))
    assert elapsed_fraction(w, utc(2024, 3, 1)) == 1.0
    assert window_at(w, utc(2024, 3, 1) + timedelta(microseconds=1)).start == utc(2024, 3, 1)
    assert at_midnight.contains(utc(2024, 3, 1)) and not at_midnight.contains(utc(2024, 2, 1))


def test_weeks_start_on_the_anchor_weekday_and_time() -> None:
    # OpenSLO's own example: 1w calendar, startTime 2022-01-01 12:00:00 (a Saturday), New York.
    ny = ZoneInfo("America/New_York")
    w = cal("1w", anchor=datetime(2022, 1, 1, 12), zone="America/New_York")
    b = window_at(w, datetime(2024, 3, 13, 9, tzinfo=ny))
    assert b.start == datetime(2024, 3, 9, 12, tzinfo=ny)
    assert b.start.weekday() == 5
    assert b.seconds == 7 * 86400 - 3600  # contains the spring-forward night
    iso = window_at(cal("1w"), utc(2024, 3, 13))  # default anchor: Monday 2001-01-01
    assert iso.start == utc(2024, 3, 11)


def test_multiples_are_anchored_at_start_time() -> None:
    w = cal("3M", anchor=datetime(2024, 2, 1))
    assert window_at(w, utc(2024, 1, 31)).start == utc(2023, 11, 1)
    assert window_at(w, utc(2024, 5, 2)).start == utc(2024, 5, 1)
    two_weeks = cal("2w", anchor=datetime(2024, 1, 1))
    assert window_at(two_weeks, utc(2024, 1, 20)).start == utc(2024, 1, 15)


def test_anchor_on_the_31st_clamps_to_month_end() -> None:
    w = cal("1M", anchor=datetime(2024, 1, 31, 9, 30))
    b = window_at(w, utc(2024, 3, 1))
    assert (b.start_utc, b.end_utc) == (utc(2024, 2, 29, 9, 30), utc(2024, 3, 31, 9, 30))


def test_boundary_in_a_dst_gap_is_the_jump() -> None:
    ny = ZoneInfo("America/New_York")
    w = cal("1d", anchor=datetime(2024, 1, 1, 2, 30), zone="America/New_York")
    b = window_at(w, datetime(2024, 3, 10, 12, tzinfo=ny))
    assert b.start == datetime(2024, 3, 10, 3, 0, tzinfo=ny)  # clocks jumped 02:00 -> 03:00
    assert b.end == datetime(2024, 3, 11, 2, 30, tzinfo=ny)
    assert wall_to_instant(datetime(2024, 3, 10, 2, 30), ny) == oracle_instant(
        datetime(2024, 3, 10, 2, 30), ny
    )


def test_boundary_in_a_fold_is_the_first_occurrence() -> None:
    ny = ZoneInfo("America/New_York")
    inst = wall_to_instant(datetime(2024, 11, 3, 1, 30), ny)
    assert inst == utc(2024, 11, 3, 5, 30)  # 01:30 EDT, not 01:30 EST


def test_apia_skipped_day_has_no_window() -> None:
    w = cal("1d", zone="Pacific/Apia")
    days = [b.start.date() for b in iter_windows(w, utc(2011, 12, 29, 12), utc(2012, 1, 1, 12))]
    assert date(2011, 12, 30) not in days
    assert date(2011, 12, 31) in days


def test_rolling_windows() -> None:
    w = Window(parse_duration("30d"), rolling=True, time_zone="Europe/Copenhagen")
    t = utc(2024, 3, 31, 12)  # the window spans the spring-forward night; still exactly 30 * 86400 s
    b = window_at(w, t)
    assert b.seconds == 30 * 86400
    assert b.contains(t) and not b.contains(b.start)
    assert elapsed_fraction(w, t) == 1.0
    month = Window(parse_duration("1M"), rolling=True)
    assert window_at(month, utc(2024, 3, 31, 12)).start == utc(2024, 2, 29, 12)


def test_elapsed_fraction_hand_worked() -> None:
    # 15 days into a 29-day February: 15/29.
    assert elapsed_fraction(cal("1M"), utc(2024, 2, 16)) == pytest.approx(15 / 29)
    assert elapsed_fraction(cal("1M"), utc(2024, 2, 1, 0, 1)) == pytest.approx(1 / (29 * 1440))


def test_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        window_at(cal("1d"), datetime(2024, 1, 1))


def test_of_reads_a_spec_time_window() -> None:
    from slokit.spec.model import Calendar, TimeWindow

    tw = TimeWindow(parse_duration("1M"), False, Calendar(datetime(2024, 1, 1), "Europe/Copenhagen"))
    w = Window.of(tw)
    assert (w.rolling, w.time_zone, w.anchor) == (False, "Europe/Copenhagen", datetime(2024, 1, 1))
    # The loader attaches the zone to the wall time; a startTime inside a DST gap stays that wall time.
    ny = ZoneInfo("America/New_York")
    gap = TimeWindow(parse_duration("1d"), False, Calendar(datetime(2024, 3, 10, 2, 30, tzinfo=ny), ny.key))
    assert Window.of(gap).anchor_wall == datetime(2024, 3, 10, 2, 30)
    other = Window(parse_duration("1d"), False, datetime(2024, 1, 1, 12, tzinfo=UTC), "Europe/Copenhagen")
    assert other.anchor_wall == datetime(2024, 1, 1, 13)


# --- properties against the oracle ---

UNITS = st.sampled_from(["1d", "2d", "1w", "2w", "1M", "2M", "3M", "1Q", "1Y", "6h"])
anchors = st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2035, 1, 1)).map(
    lambda d: d.replace(second=0, microsecond=0)
)
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit=UNITS, zone=st.sampled_from(ZONES), anchor=anchors, t=instants)
def test_calendar_window_matches_oracle(unit: str, zone: str, anchor: datetime, t: datetime) -> None:
    w = cal(unit, anchor=anchor, zone=zone)
    b = window_at(w, t)
    if unit == "6h":
        step = timedelta(hours=6)
        origin = oracle_instant(anchor, ZoneInfo(zone))
        near = int((t - origin) / step)
        start = max(origin + k * step for k in range(near - 2, near + 3) if origin + k * step < t)
        expected = (start, start + step)
    else:
        expected = oracle_window(w, t)
    assert (b.start_utc, b.end_utc) == expected
    assert b.contains(t)
    assert 0.0 < elapsed_fraction(w, t) <= 1.0


@settings(max_examples=60, deadline=None)
@given(unit=UNITS, zone=st.sampled_from(ZONES), anchor=anchors, t=instants)
def test_calendar_windows_tile_time(unit: str, zone: str, anchor: datetime, t: datetime) -> None:
    w = cal(unit, anchor=anchor, zone=zone)
    b = window_at(w, t)
    assert window_at(w, b.end) == b
    after = window_at(w, b.end + timedelta(microseconds=1))
    assert after.start_utc == b.end_utc
    before = window_at(w, b.start)
    assert before.end_utc == b.start_utc


@settings(max_examples=60, deadline=None)
@given(zone=st.sampled_from(ZONES), t=instants, months=st.sampled_from([1, 3, 12]))
@example(zone="America/New_York", t=datetime(2012, 11, 4, 5, 6, tzinfo=UTC), months=1)  # in the fold
def test_rolling_calendar_units_start_at_same_wall_time(zone: str, t: datetime, months: int) -> None:
    zi = ZoneInfo(zone)
    t = t.replace(second=0, microsecond=0)  # whole minutes, so the minute-scan oracle is exact
    w = Window(Duration(months, "M"), rolling=True, time_zone=zone)
    wall = t.astimezone(zi).replace(tzinfo=None)
    year, month = wall.year, wall.month
    for _ in range(months):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    back = wall.replace(year=year, month=month, day=min(wall.day, month_length(year, month)))
    assert window_at(w, t).start_utc == oracle_instant(back, zi)
    # (in UTC: Python never finds an ambiguous local time, 01:30 on a fall-back night, equal
    # to an instant of another zone, by PEP 495's rule)
    assert window_at(w, t).end_utc == t


@settings(max_examples=40, deadline=None)
@given(
    unit=UNITS,
    zone=st.sampled_from(ZONES),
    anchor=anchors,
    ts=st.lists(st.integers(min_value=946_684_800, max_value=2_208_988_800), min_size=1, max_size=40),
)
def test_vectorized_matches_scalar(unit: str, zone: str, anchor: datetime, ts: list[int]) -> None:
    w = cal(unit, anchor=anchor, zone=zone)
    starts, ends = window_bounds_many(w, np.array(ts, dtype=np.int64))
    for x, s, e in zip(ts, starts, ends, strict=True):
        b = window_at(w, float(x))
        assert (int(s), int(e)) == (int(b.start_epoch), int(b.end_epoch))


def test_vectorized_rolling_and_empty() -> None:
    ts = np.array([1_700_000_000, 1_710_000_000], dtype=np.int64)
    starts, ends = window_bounds_many(Window(parse_duration("1h"), rolling=True), ts)
    assert starts.tolist() == [1_700_000_000 - 3600, 1_710_000_000 - 3600]
    assert ends.tolist() == ts.tolist()
    s, e = window_bounds_many(cal("1M"), np.array([], dtype=np.int64))
    assert s.size == e.size == 0
    month = Window(parse_duration("1M"), rolling=True)
    s, _ = window_bounds_many(month, ts)
    assert s.tolist() == [int(window_at(month, float(x)).start_epoch) for x in ts]


def test_vectorized_matches_oracle_across_copenhagen_2024() -> None:
    w = cal("1M", anchor=datetime(2024, 1, 1), zone="Europe/Copenhagen")
    ts = np.arange(1_704_060_000, 1_735_700_000, 86_400 * 5 + 3_601, dtype=np.int64)
    starts, ends = window_bounds_many(w, ts)
    for x, s, e in zip(ts[::7], starts[::7], ends[::7], strict=True):
        o_start, o_end = oracle_window(w, to_utc(int(x)))
        assert (int(s), int(e)) == (int(o_start.timestamp()), int(o_end.timestamp()))


@pytest.mark.parametrize(
    ("zone", "wall_time", "days"),
    [
        ("America/New_York", (2, 30), (date(2024, 3, 8), date(2024, 11, 1))),
        ("Europe/Copenhagen", (2, 15), (date(2024, 3, 29), date(2024, 10, 25))),
        ("Australia/Lord_Howe", (2, 10), (date(2024, 4, 5), date(2024, 10, 4))),
    ],
)
def test_daily_windows_anchored_in_gap_or_fold_match_oracle(
    zone: str, wall_time: tuple[int, int], days: tuple[date, date]
) -> None:
    w = cal("1d", anchor=datetime(2024, 1, 1, *wall_time), zone=zone)
    for first in days:
        for offset_hours in range(0, 4 * 24, 5):
            t = datetime.combine(first, datetime.min.time(), tzinfo=UTC) + timedelta(hours=offset_hours)
            b = window_at(w, t)
            assert (b.start_utc, b.end_utc) == oracle_window(w, t)


@settings(max_examples=40, deadline=None)
@given(
    unit=UNITS,
    zone=st.sampled_from(ZONES),
    anchor=anchors,
    t=instants,
    span_days=st.integers(min_value=0, max_value=120),
)
def test_iter_windows_covers_the_span_in_order(
    unit: str, zone: str, anchor: datetime, t: datetime, span_days: int
) -> None:
    w = cal(unit, anchor=anchor, zone=zone)
    end = t + timedelta(days=span_days, hours=1)
    got = list(iter_windows(w, t, end))
    assert got[0] == window_at(w, t + timedelta(microseconds=1))
    assert got[-1] == window_at(w, end)
    for a, b in pairwise(got):
        assert a.end_utc == b.start_utc
