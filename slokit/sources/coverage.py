"""How far back an indicator's stored history goes: the coverage kinds.

Kept apart from the store so readers that only name them (status, the Prometheus path) need not
import DuckDB and Arrow.
"""

from __future__ import annotations

#: Every event the stream ever had is counted (the indicator existed before the first event).
COMPLETE = "complete"
#: Backfilled from the raw event archive (``--keep-raw``): complete back to the archive's start.
RAW_ARCHIVE = "raw_archive"
#: Counted from when the indicator was added onward.
LIVE = "live"
