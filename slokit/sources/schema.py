"""Tables of the embedded store (DuckDB) and how a minute range is split over rollups.

Three resolutions hold the same numbers: rows of one minute (``counts_1m``), one hour
(``counts_1h``) and one UTC day (``counts_1d``), and the same for histogram cells
(``hist_*``). Column ``t`` is the row index in the table's unit: minute row ``m`` holds events
with timestamp in ``(60·m, 60·m + 60]`` (:mod:`slokit.engine.series`), hour row ``h`` holds
minute rows ``60·h .. 60·h + 59`` and day row ``d`` minute rows ``1440·d .. 1440·d + 1439``.

Rows are **append-only deltas**: every batch adds its own rows at all three resolutions in the
same transaction, and reads ``SUM`` them, so an acknowledged batch is visible at every
resolution at once and nothing is ever updated in place. :meth:`Store.compact` merges the
deltas (one row per key) in time order, so range scans over all indicators skip more.

A range of minute rows ``[start, stop)`` is read as at most one run of whole days, two runs of
whole hours and four runs of minutes (:func:`split_range`): a 30-day window is ~29 day rows,
~46 hour rows and ~118 minute rows per indicator instead of 43,200.
"""

from __future__ import annotations

from typing import Final

SCHEMA_VERSION: Final = "1"

#: Minutes per row at each resolution, with the table suffix.
LEVELS: Final = (("1m", 1), ("1h", 60), ("1d", 1440))

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
    since_minute BIGINT
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
    "CREATE TABLE IF NOT EXISTS counts_{level} "
    "(sli_id INTEGER, group_key VARCHAR, t BIGINT, valid BIGINT, good BIGINT)"
)
HIST_DDL: Final = (
    "CREATE TABLE IF NOT EXISTS hist_{level} "
    "(sli_id INTEGER, group_key VARCHAR, t BIGINT, bucket SMALLINT, n BIGINT)"
)


def all_ddl() -> list[str]:
    statements = [s.strip() for s in DDL.split(";") if s.strip()]
    for level, _ in LEVELS:
        statements.append(COUNTS_DDL.format(level=level))
        statements.append(HIST_DDL.format(level=level))
    return statements


def split_range(start: int, stop: int) -> list[tuple[str, int, int]]:
    """Minute rows ``[start, stop)`` as runs ``(level, first, stop)`` in that level's units.

    Whole UTC days inside the range come from day rows, whole hours from hour rows, the rest
    from minute rows; the runs are disjoint and cover the range exactly.
    """
    if stop <= start:
        return []
    runs: list[tuple[str, int, int]] = []
    day_lo, day_hi = -(-start // 1440), stop // 1440
    if day_lo < day_hi:
        runs.append(("1d", day_lo, day_hi))
        pieces = [(start, day_lo * 1440), (day_hi * 1440, stop)]
    else:
        pieces = [(start, stop)]
    for lo, hi in pieces:
        if hi <= lo:
            continue
        hour_lo, hour_hi = -(-lo // 60), hi // 60
        if hour_lo < hour_hi:
            runs.append(("1h", hour_lo, hour_hi))
            runs.extend(("1m", a, b) for a, b in ((lo, hour_lo * 60), (hour_hi * 60, hi)) if a < b)
        else:
            runs.append(("1m", lo, hi))
    return runs
