"""Tables of the embedded store (DuckDB) and how a minute range is read from rollups.

Six resolutions hold the same numbers: rows of one minute (``counts_1m``), one hour, 6 hours,
one UTC day, 7 days and 28 days (``counts_1h`` … ``counts_4w``), and the same for histogram
cells (``hist_*``, one row per non-empty bucket). Column ``t`` is the row index in
the table's unit: minute row ``m`` holds events with timestamp in ``(60·m, 60·m + 60]``
(:mod:`slokit.engine.series`), and row ``r`` of a level of ``u`` minutes holds minute rows
``u·r .. u·r + u − 1`` (week and 28-day rows are aligned to the epoch, a Thursday; they are an
internal index, never shown).

Rows are **append-only deltas**: folding adds rows at every resolution in one transaction, and
reads ``SUM`` them, so a folded batch is visible at every resolution at once and nothing is
updated in place. :meth:`Store.compact` merges the deltas (one row per key) in time order, so
range scans over all indicators skip more.

A range of minute rows ``[start, stop)`` is read as **signed runs** (:func:`split_range`): at
each resolution, coarsest first, the range is rounded to the nearest whole units, those rows
are added, and what the rounding took too much or too little is read at the finer resolutions,
subtracted or added. Every resolution holds the same sums, so the result is exact. Why: a
30-day p95 over 500 latency indicators merged millions of histogram cells when whole days,
hours and minutes were added up (29 day rows, ~23 hour rows, ~60 minute rows per indicator);
with 28-day/7-day/6-hour rows and rounding to the nearest unit it reads ~42 rows per
indicator instead of ~72, and a third to two fifths of the cells
(``benchmarks/evaluate_bench.py``). A 15-minute level cut the minute rows further but made the
store a third larger on disk at 10 events a minute (a quarter hour of them fills half as many
bucket rows as its 15 minutes) for no measurable gain in read time.

Groups of an indicator (``group_by``) are indicators of their own in ``slis`` (own ``sli_id``,
``parent_id`` naming the indicator they split, ``labels`` as a JSON object in ``group_by``
order), so every table and read treats a group like any indicator.

Version history: schema ``1`` had the minute, hour and day levels only; schema ``2`` added the
6-hour, week and 28-day levels; schema ``3`` dropped the ``group_key`` column of the count and
histogram tables (always empty: groups got their own ``sli_id`` instead, and a string column made
every append slower) and added ``slis.parent_id`` / ``slis.labels``. An older store is upgraded
when opened for writing (new levels summed from the old ones) and read as it is when opened
read-only (:func:`split_range` with the levels present).
"""

from __future__ import annotations

import functools
from typing import Final

SCHEMA_VERSION: Final = "3"
#: Older versions this code reads (read-only) and upgrades (when opened for writing).
UPGRADABLE: Final = ("1", "2")

#: Each resolution: table suffix and minutes per row, finest first.
LEVELS: Final = (
    ("1m", 1),
    ("1h", 60),
    ("6h", 360),
    ("1d", 1440),
    ("1w", 10080),
    ("4w", 40320),
)
#: The levels of schema version 1.
LEVELS_V1: Final = (("1m", 1), ("1h", 60), ("1d", 1440))
#: The levels each older version has.
VERSION_LEVELS: Final = {"1": LEVELS_V1, "2": LEVELS}

DDL: Final = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS streams (
    stream VARCHAR PRIMARY KEY,
    newest_minute BIGINT,
    first_minute BIGINT,
    accepted BIGINT NOT NULL DEFAULT 0,
    -- every accepted event of the stream is in the raw archive
    raw_complete BOOLEAN,
    -- first minute row of the first archived batch
    raw_since_minute BIGINT
);
CREATE TABLE IF NOT EXISTS slis (
    sli_id INTEGER PRIMARY KEY,
    sli_key VARCHAR UNIQUE NOT NULL,
    slo VARCHAR NOT NULL,
    objective_index INTEGER NOT NULL,
    stream VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    registered_at DOUBLE NOT NULL,
    -- 'complete' | 'raw_archive' | 'live'
    coverage VARCHAR NOT NULL,
    -- first minute row the indicator has data for when coverage is not 'complete'
    since_minute BIGINT,
    -- a group's indicator (NULL for an indicator of the spec)
    parent_id INTEGER,
    -- a group's labels, a JSON object in group_by order (NULL for an indicator of the spec)
    labels VARCHAR
);
CREATE TABLE IF NOT EXISTS batches (
    stream VARCHAR NOT NULL,
    batch_id VARCHAR NOT NULL,
    ingested_at DOUBLE NOT NULL,
    received BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    PRIMARY KEY (stream, batch_id)
);
"""

COUNTS_DDL: Final = (
    "CREATE TABLE IF NOT EXISTS counts_{level} (sli_id INTEGER, t BIGINT, valid BIGINT, good BIGINT)"
)
HIST_DDL: Final = (
    "CREATE TABLE IF NOT EXISTS hist_{level} (sli_id INTEGER, t BIGINT, bucket SMALLINT, n BIGINT)"
)


def all_ddl() -> list[str]:
    statements = [s.strip() for s in DDL.split(";") if s.strip()]
    statements.extend(level_ddl(LEVELS))
    return statements


def level_ddl(levels: Levels) -> list[str]:
    """The count and histogram tables of some levels."""
    out: list[str] = []
    for level, _ in levels:
        out.append(COUNTS_DDL.format(level=level))
        out.append(HIST_DDL.format(level=level))
    return out


def floor_sql(column: str, width: int) -> str:
    """SQL for ``floor(column / width)`` on integers (DuckDB's ``//`` truncates toward zero)."""
    return f"(({column} - ((({column} % {width}) + {width}) % {width})) // {width})"


#: ``(level, first, stop, sign)``: rows ``[first, stop)`` of a level, added ``sign`` times.
Run = tuple[str, int, int, int]
Levels = tuple[tuple[str, int], ...]


def split_range(start: int, stop: int, levels: Levels = LEVELS) -> list[Run]:
    """Minute rows ``[start, stop)`` as signed runs ``(level, first, stop, sign)``.

    ``first``/``stop`` are in the level's units; the runs' rows, each added ``sign`` times
    (+1 or −1), sum to exactly the minute rows of the range. ``levels`` lists the resolutions
    present (finest first, the first of one minute).
    """
    return list(_split(int(start), int(stop), tuple(levels)))


@functools.lru_cache(maxsize=4096)
def _split(start: int, stop: int, levels: Levels) -> tuple[Run, ...]:
    out: list[Run] = []
    _cover(start, stop, 1, len(levels) - 1, levels, out)
    return tuple(out)


def _cover(
    start: int,
    stop: int,
    sign: int,
    top: int,
    levels: Levels,
    out: list[Run],
) -> None:
    """Append runs for ``sign`` × rows ``[start, stop)`` using levels ``0 .. top``."""
    if stop <= start:
        return
    for j in range(top, 0, -1):
        level, width = levels[j]
        lo = (start + width // 2) // width  # nearest whole unit (halves round up)
        hi = (stop + width // 2) // width
        if lo >= hi:
            continue
        out.append((level, lo, hi, sign))
        left, right = lo * width, hi * width
        # What the rounding added (subtract) or left out (add), at finer levels.
        if left > start:
            _cover(start, left, sign, j - 1, levels, out)
        else:
            _cover(left, start, -sign, j - 1, levels, out)
        if right < stop:
            _cover(right, stop, sign, j - 1, levels, out)
        else:
            _cover(stop, right, -sign, j - 1, levels, out)
        return
    out.append((levels[0][0], start, stop, sign))
