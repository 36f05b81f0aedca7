"""The embedded event store: events in, per-minute SLI rows (with hour/day rollups) out.

Why DuckDB and not SQLite: the store's work is columnar — appending Arrow tables of per-minute
rows and summing millions of them per evaluation. Measured on this project's 2-core machine with
5 M rows of (sli, minute, valid, good): DuckDB appended 12 M rows/s straight from Arrow and
summed them grouped by indicator in 0.025 s; SQLite's ``executemany`` managed 0.96 M rows/s and
the same ``GROUP BY`` took 1.9 s (76× slower). DuckDB is one embedded file, like SQLite, with
ACID transactions and a write-ahead log synced at commit.

Ingest (:meth:`Store.ingest`), one transaction per batch:

1. Timestamps are normalised (:mod:`slokit.sources.events`); events without a usable one, more
   than 5 minutes ahead of ``now``, or older than the accepted lateness (default 48 h) behind the
   newest minute row seen in the stream (this batch included) are rejected, each with its
   index and reason. The rest of the batch is kept.
2. For every objective bound to the stream (:mod:`slokit.sources.bound`) the batch is
   aggregated at once (:mod:`slokit.sources.aggregate`) and its minute rows are held in
   memory until the transaction's end (:meth:`Store._flush`): inside a commit group the rows
   of all its batches are merged in numpy (one row per indicator, minute and bucket) and
   written once per table, not once per batch. A batch committed alone, or a small group,
   appends its minute rows to the pending tables (two statements), folded into every
   resolution (:mod:`slokit.sources.schema`) for many batches at once (:meth:`Store.fold`,
   when they pass :data:`FOLD_ROWS`, on compaction and on close); a group of at least
   :data:`DIRECT_ROWS` rows computes the hour, 6-hour, day, week and 28-day rows in numpy and
   appends every level directly, with nothing left to fold (10 row groups of 1 M events: the
   store's part fell from 26 to 12 ms per 1 M events). Every read adds the pending rows to
   the rollups (and writes what is held first), so reads are exact whether or not a batch has
   been folded.
3. The batch id, when given, is recorded in the same transaction: a batch re-sent with the same
   id is recognised and counted once (``IngestResult.duplicate``).
4. Rows of an indicator's groups (``group_by``; keys from :func:`slokit.sources.bound.group_sli_key`)
   register each new group as an indicator of its own in the same transaction, up to
   ``max_groups`` per indicator; events of groups past the cap are counted in the indicator's
   total only (``IngestResult.group_overflow``).
5. With a raw archive (``raw_dir``), accepted events are appended as Parquet files per
   stream and UTC day before the commit (removed again if the commit fails), so an indicator
   added later can be computed from the archive (:meth:`Store.backfill`).

When :meth:`Store.ingest` returns, the transaction has committed: a crash afterwards loses
nothing. A file ingest may instead run its batches in one transaction
(:meth:`Store.commit_group`, optionally with a checkpoint every N batches): the file (or
checkpoint) is acknowledged when that transaction commits, and a crash before loses only the
unacknowledged batches, which a re-run with the same batch ids counts once.

Coverage: each indicator records since when its rows are complete — ``complete`` (registered
before the stream's first event), ``raw_archive`` (rebuilt from a complete archive) or ``live``
(counted from ``since_minute`` onward, because it appeared after events had already arrived
and no complete archive existed). Reports say which (:meth:`Store.coverage`).

Reads take ranges of minute rows ``[start, stop)`` (:func:`slokit.engine.series.rows_between`
turns a window ``(start, end]`` into rows). Many indicators are read in one query per call, not
one per indicator: :meth:`Store.window_counts` and :meth:`Store.window_histograms` use day and
hour rollups inside the range, :meth:`Store.minute_matrix` returns dense per-minute arrays for
burn-rate windows and series.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from slokit.engine.histogram import DEFAULT_LAYOUT, LogHistogram
from slokit.engine.series import MinuteCounts
from slokit.errors import SlokitError
from slokit.sources.aggregate import OVERFLOW_CODE, UNDERFLOW_CODE, Batch, SliRows, aggregate_all
from slokit.sources.bound import BoundSLI, bound_slis, group_sli_key
from slokit.sources.coverage import COMPLETE, LIVE, RAW_ARCHIVE
from slokit.sources.events import (
    IN_FUTURE,
    REASON_CODE,
    REASONS,
    TOO_LATE,
    Timestamps,
    keep_rows,
    timestamps,
    to_table,
)
from slokit.sources.schema import (
    COUNTS_DDL,
    HIST_DDL,
    LEVELS,
    SCHEMA_VERSION,
    UPGRADABLE,
    VERSION_LEVELS,
    all_ddl,
    floor_sql,
    split_range,
)
from slokit.spec.model import Spec

IntArray = npt.NDArray[np.int64]

#: Minute rows appended by ingest and not yet folded into the resolutions (see
#: :meth:`Store.fold`): the columns of ``counts_1m`` / ``hist_1m``.
PENDING_DDL = (COUNTS_DDL.format(level="pending"), HIST_DDL.format(level="pending"))
#: Pending rows (counts and histogram cells together) above which an ingest folds them.
FOLD_ROWS = 400_000
#: Merged minute rows (counts and histogram cells) from which a flush writes every level itself
#: instead of the pending tables: then 12 appends cost less than folding the rows later.
DIRECT_ROWS = 20_000
#: Minute rows held in memory (before merging) above which a commit group writes them out
#: before its commit (~30 bytes a row).
FLUSH_ROWS = 2_000_000

#: A stream's batch ids are kept in memory during a commit group when it has at most this many
#: stored (see :meth:`Store._seen`): reading 1024 costs about as much as two lookups.
KNOWN_BATCH_IDS = 1024
#: Groups kept per grouped indicator by default; events of further groups count in its total only.
DEFAULT_MAX_GROUPS = 1000

#: Default accepted lateness behind the newest minute row of a stream.
DEFAULT_LATENESS_SECONDS = 48 * 3600
#: Events more than this far ahead of ``now`` are rejected.
FUTURE_TOLERANCE_SECONDS = 300

_REASON_NAMES = np.array(("", *REASONS), dtype=object)


@dataclass(frozen=True, slots=True)
class SliSummary:
    """What one batch added to one indicator, and why events were left out of it."""

    valid: int
    good: int
    invalid: Mapping[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class IngestResult:
    """The outcome of one :meth:`Store.ingest` call (committed when returned)."""

    stream: str
    batch_id: str | None
    received: int
    accepted: int
    duplicate: bool = False
    #: The stream has no bound indicator in the spec: nothing was aggregated.
    unknown_stream: bool = False
    rejected: dict[str, int] = field(default_factory=dict)
    per_sli: dict[str, SliSummary] = field(default_factory=dict)
    #: Indices (into the batch) of rejected events and their reason codes (see ``rejections``).
    rejected_index: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    rejected_code: npt.NDArray[np.int8] = field(default_factory=lambda: np.zeros(0, np.int8))
    archived: int = 0
    #: Lowest and highest minute row of the accepted events (None when none were accepted).
    minute_range: tuple[int, int] | None = None
    #: Per grouped indicator: valid events of groups past ``max_groups`` (counted in its total only).
    group_overflow: dict[str, int] = field(default_factory=dict)
    #: Per grouped indicator: groups this batch registered.
    groups_added: dict[str, int] = field(default_factory=dict)

    @property
    def rejections(self) -> list[tuple[int, str]]:
        """``(index in the batch, reason)`` for every rejected event, in batch order."""
        names = _REASON_NAMES[self.rejected_code]
        return [(int(i), str(r)) for i, r in zip(self.rejected_index, names, strict=True)]

    def invalid_totals(self) -> dict[str, dict[str, int]]:
        return {key: dict(s.invalid) for key, s in self.per_sli.items() if s.invalid}

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "batch_id": self.batch_id,
            "received": self.received,
            "accepted": self.accepted,
            "duplicate": self.duplicate,
            "unknown_stream": self.unknown_stream,
            "rejected": dict(self.rejected),
            "archived": self.archived,
            "group_overflow": dict(self.group_overflow),
            "groups_added": dict(self.groups_added),
            "slis": {
                key: {
                    "valid": s.valid,
                    "good": s.good,
                    "invalid": dict(s.invalid),
                    "warnings": list(s.warnings),
                }
                for key, s in self.per_sli.items()
            },
        }


@dataclass(frozen=True, slots=True)
class Coverage:
    """Since when an indicator's rows are complete, in words a report can print."""

    sli_key: str
    stream: str
    coverage: str
    since_minute: int | None

    def describe(self) -> str:
        if self.coverage == COMPLETE:
            return "all events (counted since the stream's first event)"
        if self.coverage == RAW_ARCHIVE:
            if self.since_minute is None:
                return "from raw archive"
            return f"from raw archive (events from {_minute_text(self.since_minute)} onward)"
        if self.since_minute is None:
            return "from first ingest onward"
        return f"from {_minute_text(self.since_minute)} onward"


def _open_hint(message: str, path: str) -> str:
    """What to do about DuckDB's refusal to open ``path``, for the two refusals people meet."""
    lowered = message.lower()
    if "lock" in lowered:
        return (
            f"\n  another process (a running slokit serve, or an ingest) has {path} open for writing:"
            " wait for the ingest, stop the server, or ask the server instead (GET /api/v1/slos"
            " returns what slokit report --output json prints)"
        )
    if "not a valid duckdb database" in lowered or ("invalid" in lowered and "database" in lowered):
        return (
            f"\n  {path} is not a slokit store: give the store file written by slokit ingest, or a"
            " new file name to create one"
        )
    return ""


def _minute_text(minute: int) -> str:
    return datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%MZ")


@dataclass(slots=True)
class _Group:
    """An open commit group (:meth:`Store.commit_group`)."""

    every: int | None
    batches: int = 0
    #: Raw archive files written since the group's last commit (removed if it rolls back).
    written: list[Path] = field(default_factory=list)
    #: The last batch id held since the last commit, and whether a commit is under way: if the
    #: commit raises (Ctrl-C) but the id is stored afterwards, it went through (keep the files).
    last_key: tuple[str, str] | None = None
    committing: bool = False
    #: Per stream, its batch ids as the group's transaction sees them (stored ones and those
    #: held since), once loaded (:meth:`Store._seen`); None: too many to keep, ask the table.
    known: dict[str, set[str] | None] = field(default_factory=dict)
    #: Batch id lookups per stream in this group (the ids are loaded at the second).
    lookups: dict[str, int] = field(default_factory=dict)


#: One table's held minute rows: column name → array (``sli_id``, ``t``, then the values).
_Columns = dict[str, npt.NDArray[Any]]


@dataclass(slots=True)
class _Held:
    """What ingests of the open transaction have not written yet (see :meth:`Store._flush`).

    Held in memory so that a commit group's batches are merged and written once per table:
    minute rows per family, the batch ids to record, and each stream's row as it will be.
    """

    counts: list[_Columns] = field(default_factory=list)
    hist: list[_Columns] = field(default_factory=list)
    rows: int = 0
    #: ``(stream, batch_id, ingested_at, received, accepted)``.
    batches: list[tuple[str, str, float, int, int]] = field(default_factory=list)
    batch_ids: set[tuple[str, str]] = field(default_factory=set)
    #: stream → (its row's values, whether the table has the row already).
    streams: dict[str, tuple[tuple[Any, ...], bool]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.rows or self.batches or self.streams)


class Store:
    """An embedded DuckDB file of per-minute indicator rows; see the module docstring."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        path: str,
        *,
        lateness_seconds: float | None = DEFAULT_LATENESS_SECONDS,
        raw_dir: str | os.PathLike[str] | None = None,
        clock: Callable[[], float] = time.time,
        max_groups: int = DEFAULT_MAX_GROUPS,
    ) -> None:
        if max_groups < 0:
            raise ValueError("max_groups must be at least 0")
        self._con = con
        self.path = path
        self.lateness_seconds = lateness_seconds
        self.raw_dir = Path(raw_dir) if raw_dir is not None else None
        self._clock = clock
        self._synced: tuple[Spec, list[BoundSLI]] | None = None
        self._ids: dict[str, int] = {}
        #: Whether the file has the pending tables (a read-only store of an older file may not).
        self._has_pending = False
        #: Pending rows written since they were last counted (an upper bound; folding resets it).
        self._pending_rows = 0
        self._group: _Group | None = None
        #: The resolutions the file has (an older file opened read-only has fewer).
        self._levels: tuple[tuple[str, int], ...] = LEVELS
        #: Whether ``slis`` has the group columns (an older file opened read-only has not).
        self._has_groups = True
        self.max_groups = max_groups
        #: Groups stored per parent sli_id (loaded when first needed; reset on rollback).
        self._group_counts: dict[int, int] | None = None
        self._held = _Held()
        #: Streams found to have more than :data:`KNOWN_BATCH_IDS` batch ids (never loaded again).
        self._many_batches: set[str] = set()
        #: Opened for writing (:meth:`open` says which).
        self._writable = True

    # --- opening ---

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        lateness_seconds: float | None = DEFAULT_LATENESS_SECONDS,
        raw_dir: str | os.PathLike[str] | None = None,
        clock: Callable[[], float] = time.time,
        read_only: bool = False,
        max_groups: int = DEFAULT_MAX_GROUPS,
    ) -> Store:
        """Open (creating if needed) the store file at ``path``.

        ``max_groups``: groups kept per grouped indicator; events of further groups are counted
        in the indicator's total only (``IngestResult.group_overflow``).
        """
        text = os.fspath(path)
        # A file that does not exist yet needs no look at its catalog (~7 ms the first time).
        new = text == ":memory:" or not os.path.exists(text)
        try:
            con = duckdb.connect(text, read_only=read_only)
        except duckdb.Error as exc:
            raise SlokitError(f"cannot open the store {text}: {exc}{_open_hint(str(exc), text)}") from None
        store = cls(
            con, text, lateness_seconds=lateness_seconds, raw_dir=raw_dir, clock=clock, max_groups=max_groups
        )
        try:
            store._prepare(read_only, new)
        except BaseException:
            con.close()
            raise
        store._writable = not read_only
        if store._has_pending:  # a file created just now: its pending tables are empty
            return store
        store._find_pending()
        return store

    def _prepare(self, read_only: bool, new: bool = False) -> None:
        """Create a new store's tables, upgrade an older one (writable) or read it as it is."""
        found = None if new and not read_only else self._version()
        if found is None and not read_only:
            self._create()
            self._has_pending = True
            return
        if found == SCHEMA_VERSION:  # every table of this version was created with it
            return
        if found in UPGRADABLE:
            if read_only:
                self._levels = VERSION_LEVELS[found]
                self._has_groups = False
            else:
                self._upgrade(found)
            return
        if found is not None and found.isdigit() and int(found) > int(SCHEMA_VERSION):
            raise SlokitError(
                f"{self.path} is a slokit store of schema version {found}, written by a newer slokit; "
                f"this slokit reads versions {', '.join((*UPGRADABLE, SCHEMA_VERSION))}: upgrade slokit "
                "to read it"
            )
        raise SlokitError(
            f"{self.path} is not a slokit store (schema version {found or 'missing'}; this slokit "
            f"writes version {SCHEMA_VERSION}): pass a store file written by `slokit ingest`, or a new "
            "file name to start an empty store"
        )

    def _version(self) -> str | None:
        """The file's schema version; None for a file without slokit's meta table."""
        if not self._has_table("meta"):
            return None
        try:
            row = _one(self._con.execute("SELECT value FROM meta WHERE key = 'schema_version'"))
        except duckdb.Error:
            return ""
        return "" if row is None else str(row[0])

    def _has_table(self, name: str) -> bool:
        """Whether the file has a table ``name``. (The first look at the catalog on a connection
        costs ~7 ms, whichever view asks; :meth:`open` skips it for a file not there yet.)"""
        row = _one(self._con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]))
        return bool(row and row[0])

    def _upgrade(self, found: str) -> None:
        """An older schema → the current one, in one transaction (see :mod:`slokit.sources.schema`).

        From 1: the new resolutions, each summed from the coarsest old level it is a multiple of
        (6 hours from hours, weeks and 28 days from days). From 1 and 2: the ``group_key``
        column dropped, ``slis`` given the group columns. Pending rows stay pending.
        """
        # DuckDB draws a progress bar on stdout for long statements: it would corrupt JSON output.
        self._con.execute("SET enable_progress_bar = false")
        try:
            self._upgrade_tables(VERSION_LEVELS[found])
        except duckdb.Error as exc:
            raise SlokitError(
                f"could not upgrade the store {self.path} from schema version {found} to {SCHEMA_VERSION} "
                f"({exc}); the file is unchanged: free disk space or close other programs using it, "
                "and run the command again"
            ) from None

    def _upgrade_tables(self, old_levels: Sequence[tuple[str, int]]) -> None:
        old = dict(old_levels)
        new = [(level, width) for level, width in LEVELS if level not in old]
        with self._transaction():
            grouped = {
                str(table)
                for (table,) in self._con.execute(
                    "SELECT table_name FROM duckdb_columns() WHERE column_name = 'group_key'"
                ).fetchall()
            }
            for table in sorted(grouped):
                self._con.execute(f"ALTER TABLE {table} DROP COLUMN group_key")
            slis_columns = {
                str(c)
                for (c,) in self._con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE table_name = 'slis'"
                ).fetchall()
            }
            for column, kind in (("parent_id", "INTEGER"), ("labels", "VARCHAR")):
                if column not in slis_columns:
                    self._con.execute(f"ALTER TABLE slis ADD COLUMN {column} {kind}")
            self._con.execute(";\n".join((*all_ddl(), *PENDING_DDL)))
            for level, width in new:
                src, src_width = max(
                    ((name, w) for name, w in old_levels if width % w == 0), key=lambda item: item[1]
                )
                t = floor_sql("t", width // src_width)
                self._con.execute(
                    f"INSERT INTO counts_{level} SELECT sli_id, {t} AS t_, sum(valid), sum(good) "
                    f"FROM counts_{src} GROUP BY sli_id, t_ ORDER BY t_, sli_id"
                )
                self._con.execute(
                    f"INSERT INTO hist_{level} SELECT sli_id, {t} AS t_, bucket, sum(n) "
                    f"FROM hist_{src} GROUP BY sli_id, t_, bucket ORDER BY t_, sli_id, bucket"
                )
            self._con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [SCHEMA_VERSION])

    def _create(self) -> None:
        """Every table, in one transaction (one commit, not one per statement)."""
        self._con.begin()
        try:
            self._con.execute(";\n".join((*all_ddl(), *PENDING_DDL)))
            self._con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
            self._con.commit()
        except BaseException:
            self._rollback()
            raise

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The store's DuckDB connection, for tables kept beside the store's own (alert state,
        server runtime tables). Those callers own their tables; the store's tables are written
        only through this class, so do not write them through this connection."""
        return self._con

    def _find_pending(self) -> None:
        self._has_pending = self._has_table("counts_pending")
        if self._has_pending:
            rows = _one(
                self._con.execute(
                    "SELECT (SELECT count(*) FROM counts_pending) + (SELECT count(*) FROM hist_pending)"
                )
            )
            self._pending_rows = int(rows[0]) if rows else 0

    def close(self) -> None:
        """Fold pending rows (when writable) and close; reads are exact either way."""
        try:
            if self._pending_rows and self._writable:
                self.fold()
        finally:
            self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- indicators ---

    def register(self, spec: Spec) -> list[BoundSLI]:
        """Record the spec's bound objectives; a redefined one loses its old rows and its groups
        (see coverage)."""
        if self._synced is not None and self._synced[0] is spec:
            return self._synced[1]
        bounds = bound_slis(spec)
        known = {
            key: (sli_id, fp)
            for sli_id, key, fp in self._con.execute(
                "SELECT sli_id, sli_key, fingerprint FROM slis"
            ).fetchall()
        }
        newest = dict(self._con.execute("SELECT stream, newest_minute FROM streams").fetchall())
        changed = [b for b in bounds if known.get(b.sli_key, (None, None))[1] != b.fingerprint]
        if changed:
            with self._transaction():
                self._flush()  # held rows of a redefined indicator are deleted with its others
                top = _one(self._con.execute("SELECT coalesce(max(sli_id), 0) FROM slis"))
                next_id = int(top[0]) + 1 if top else 1
                for b in changed:
                    old = known.get(b.sli_key)
                    if old is not None:
                        gone = [old[0], *self._group_ids([old[0]])]
                        self._delete_rows(gone)
                        self._con.execute(f"DELETE FROM slis WHERE sli_id IN ({_id_list(gone)})")
                    stream_newest = newest.get(b.stream)
                    coverage = COMPLETE if stream_newest is None else LIVE
                    since = None if stream_newest is None else int(stream_newest) + 1
                    self._con.execute(
                        "INSERT INTO slis VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                        [
                            next_id,
                            b.sli_key,
                            b.slo,
                            b.objective_index,
                            b.stream,
                            b.kind,
                            b.fingerprint,
                            self._clock(),
                            coverage,
                            since,
                        ],
                    )
                    next_id += 1
                self._group_counts = None
        self._ids = dict(self._con.execute("SELECT sli_key, sli_id FROM slis").fetchall())
        self._synced = (spec, bounds)
        return bounds

    def _group_ids(self, parents: Sequence[int]) -> list[int]:
        if not self._has_groups or not parents:
            return []
        rows = self._con.execute(
            f"SELECT sli_id FROM slis WHERE parent_id IN ({_id_list(parents)})"
        ).fetchall()
        return [int(r[0]) for r in rows]

    def _delete_rows(self, sli_ids: Sequence[int]) -> None:
        if not sli_ids:
            return
        ids = _id_list(sli_ids)
        self._con.execute(
            ";\n".join(
                f"DELETE FROM {family}_{level} WHERE sli_id IN ({ids})"
                for level in (*(level for level, _ in self._levels), "pending")
                for family in ("counts", "hist")
            )
        )

    def fingerprints(self) -> dict[str, str]:
        """Each stored objective's fingerprint, so readers can tell a redefined objective apart."""
        rows = self._con.execute("SELECT sli_key, fingerprint FROM slis").fetchall()
        return {str(k): str(f) for k, f in rows}

    def coverage(self) -> dict[str, Coverage]:
        rows = self._con.execute("SELECT sli_key, stream, coverage, since_minute FROM slis").fetchall()
        return {key: Coverage(key, stream, cov, since) for key, stream, cov, since in rows}

    def groups(self, parent_key: str) -> dict[str, dict[str, str]]:
        """The stored groups of a grouped indicator: group key → labels (in ``group_by`` order),
        sorted by key; empty for an ungrouped or unknown indicator."""
        return self.groups_many([parent_key]).get(parent_key, {})

    def groups_many(self, parent_keys: Sequence[str]) -> dict[str, dict[str, dict[str, str]]]:
        """:meth:`groups` of many indicators in one query: parent key → (group key → labels).

        Indicators without groups are absent. (An evaluation of every SLO asks for all of its
        grouped ones: one query instead of one each, ~3 ms apiece.)
        """
        wanted = set(parent_keys)
        if not self._has_groups or not wanted:
            return {}
        rows = self._con.execute(
            "SELECT p.sli_key, g.sli_key, g.labels FROM slis g JOIN slis p ON g.parent_id = p.sli_id "
            "ORDER BY g.sli_key"
        ).fetchall()
        out: dict[str, dict[str, dict[str, str]]] = {}
        for parent, key, labels in rows:
            if parent in wanted:
                out.setdefault(str(parent), {})[str(key)] = dict(json.loads(labels))
        return out

    def streams(self) -> dict[str, dict[str, Any]]:
        rows = self._con.execute(
            "SELECT stream, newest_minute, first_minute, accepted, raw_complete FROM streams"
        ).fetchall()
        return {
            s: {"newest_minute": n, "first_minute": f, "accepted": a, "raw_complete": r}
            for s, n, f, a, r in rows
        }

    # --- ingest ---

    def ingest(
        self,
        stream: str,
        batch: pa.Table | pa.RecordBatch | Sequence[Mapping[str, Any]],
        *,
        spec: Spec,
        batch_id: str | None = None,
        now: float | datetime | None = None,
    ) -> IngestResult:
        """Aggregate one batch into every objective bound to ``stream``; committed on return
        (inside :meth:`commit_group`: when the group commits)."""
        table = to_table(batch)
        bounds = [b for b in self.register(spec) if b.stream == stream]
        n = table.num_rows
        result = IngestResult(stream, batch_id, n, 0, unknown_stream=not bounds)
        if batch_id is not None and self._seen(stream, batch_id):
            result.duplicate = True
            return result
        now_s = _seconds(now) if now is not None else self._clock()
        ts = timestamps(table)
        minute = ts.minute
        stored, stored_exists = self._stream_row(stream)
        stored_newest = None if stored is None or stored[0] is None else int(stored[0])
        code, newest = admit(ts, now_s, stored_newest, self.lateness_seconds)
        accepted = code == 0
        result.rejected_index = np.flatnonzero(code).astype(np.int64)
        result.accepted = n - int(result.rejected_index.size)
        result.rejected_code = code[result.rejected_index]
        counts = np.bincount(result.rejected_code, minlength=len(REASONS) + 1)
        result.rejected = {name: int(counts[i]) for i, name in enumerate(REASONS, start=1) if counts[i]}

        prepared = Batch(table, minute, accepted, minute_range=ts.minute_range, chunk_ranges=ts.chunk_ranges)
        per_sli = aggregate_all(prepared, bounds)
        own = {b.sli_key for b in bounds}
        result.per_sli = {
            r.sli_key: SliSummary(r.total_valid, r.total_good, r.invalid, tuple(r.warnings))
            for r in per_sli
            if r.sli_key in own
        }
        written: list[Path] = []
        group = self._group
        committing = False
        if group is None:
            self._con.begin()
        try:
            self._hold(per_sli, bounds, result)
            if batch_id is not None:
                self._held.batches.append((stream, batch_id, self._clock(), n, result.accepted))
                self._held.batch_ids.add((stream, batch_id))
                known = group.known.get(stream) if group is not None else None
                if known is not None:
                    known.add(batch_id)
            first = prepared.lo if prepared.any else None
            if first is not None:
                result.minute_range = (first, prepared.lo + prepared.span - 1)
            archive = self.raw_dir is not None
            if archive and result.accepted:
                written = self._archive(stream, table, minute, accepted)
                result.archived = result.accepted
            values = _stream_values(stored, newest, first, result.accepted, archive)
            self._held.streams[stream] = (values, stored_exists)
            if group is None:
                self._flush()
                committing = True
                self._con.commit()
            else:
                group.written.extend(written)
                written = []
                group.batches += 1
                if batch_id is not None:
                    group.last_key = (stream, batch_id)
                if group.every is not None and group.batches % group.every == 0:
                    self._flush()
                    group.committing = True
                    self._con.commit()  # a checkpoint: every batch so far is acknowledged
                    group.committing = False
                    group.written.clear()
                    group.last_key = None
                    self._con.begin()
                elif self._held.rows > FLUSH_ROWS:
                    self._flush()
        except BaseException as exc:
            if group is not None:
                for path in written:
                    with contextlib.suppress(OSError):
                        path.unlink()
                raise  # commit_group rolls the open part of the group back
            self._rollback()
            if not (committing and batch_id is not None and self._committed(stream, batch_id)):
                for path in written:
                    with contextlib.suppress(OSError):
                        path.unlink()
            if isinstance(exc, duckdb.ConstraintException) and batch_id is not None:
                result.duplicate = True
                result.accepted = 0
                result.per_sli = {}
                result.group_overflow = {}
                result.groups_added = {}
                return result
            raise
        return result

    @contextlib.contextmanager
    def commit_group(self, every: int | None = None) -> Iterator[None]:
        """Run many :meth:`ingest` calls in one transaction: for ingesting a file.

        Inside the block an ingest returns before its batch is committed: the batches are
        committed (acknowledged) together when the block ends, and with ``every`` also after
        every ``every`` batches (a checkpoint). If the block raises, the batches since the last
        checkpoint are rolled back (and their raw archive files removed); re-ingesting them
        with the same batch ids then counts each once. Their rows are held in memory and
        written at the commit, merged: one append per table for the whole group instead of a
        few per batch, and the rollups computed once (see :meth:`_flush`).
        Other writes (registering a spec, :meth:`fold`) inside the block join its transaction.
        """
        if self._group is not None:
            raise RuntimeError("commit groups do not nest")
        if every is not None and every < 1:
            raise ValueError("every must be at least 1")
        group = _Group(every)
        self._con.begin()
        self._group = group
        try:
            yield
            self._flush()
            group.committing = True
            self._con.commit()
        except BaseException:
            self._rollback()
            done = group.committing and group.last_key is not None and self._committed(*group.last_key)
            if not done:  # (a commit that went through before Ctrl-C keeps its archive files)
                for path in group.written:
                    with contextlib.suppress(OSError):
                        path.unlink()
            raise
        finally:
            self._group = None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """A transaction of its own, or the open commit group's."""
        if self._group is not None:
            yield
            return
        self._con.begin()
        try:
            yield
            self._flush()
            self._con.commit()
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        """Undo the open transaction and forget what this object holds or cached from it.

        Never raises: it runs while another exception (often KeyboardInterrupt) propagates,
        and DuckDB may have ended the transaction itself (an interrupted ``COMMIT`` ends it and
        then "cannot rollback - no transaction is active"); that error must not replace the
        one that stopped the work.
        """
        self._held = _Held()
        self._synced = None  # a registration in the transaction may be rolled back too
        self._ids = {}
        self._group_counts = None
        with contextlib.suppress(duckdb.Error):
            self._con.rollback()
        with contextlib.suppress(duckdb.Error):
            self._find_pending()

    def _committed(self, stream: str, batch_id: str) -> bool:
        """Whether a batch id is stored, after a commit that raised: the commit may have gone
        through (an interrupted ``COMMIT`` finishes, then reports the interrupt)."""
        try:
            return self._stored(stream, batch_id)
        except duckdb.Error:
            return False

    def _seen(self, stream: str, batch_id: str) -> bool:
        """Whether a batch id is stored or held (a duplicate).

        In a commit group, a stream's ids are read once, at its second lookup, when there are
        at most :data:`KNOWN_BATCH_IDS` of them (a query per batch costs ~0.5 ms; a file of
        1 M-event row groups spends 1.5 % of its ingest on them), and kept with the ids the
        group adds: the group's transaction sees no other writes to the table.
        """
        if (stream, batch_id) in self._held.batch_ids:
            return True
        group = self._group
        if group is None or stream in self._many_batches:
            return self._stored(stream, batch_id)
        if stream not in group.known:
            lookups = group.lookups.get(stream, 0) + 1
            group.lookups[stream] = lookups
            if lookups < 2:
                return self._stored(stream, batch_id)
            rows = self._con.execute(
                f"SELECT batch_id FROM batches WHERE stream = ? LIMIT {KNOWN_BATCH_IDS + 1}", [stream]
            ).fetchall()
            if len(rows) > KNOWN_BATCH_IDS:
                self._many_batches.add(stream)
                group.known[stream] = None
            else:
                loaded = {str(r[0]) for r in rows}
                loaded.update(b for s, b in self._held.batch_ids if s == stream)
                group.known[stream] = loaded
        known = group.known[stream]
        return batch_id in known if known is not None else self._stored(stream, batch_id)

    def _stored(self, stream: str, batch_id: str) -> bool:
        """Whether the batches table has the id (as the open transaction sees it)."""
        row = _one(
            self._con.execute("SELECT 1 FROM batches WHERE stream = ? AND batch_id = ?", [stream, batch_id])
        )
        return row is not None

    def _stream_row(self, stream: str) -> tuple[tuple[Any, ...] | None, bool]:
        """The stream's row ``(newest_minute, first_minute, raw_complete, raw_since_minute,
        accepted)`` as the open transaction will leave it, and whether the table has it."""
        held = self._held.streams.get(stream)
        if held is not None:
            return held
        row = _one(
            self._con.execute(
                "SELECT newest_minute, first_minute, raw_complete, raw_since_minute, accepted "
                "FROM streams WHERE stream = ?",
                [stream],
            )
        )
        return (None if row is None else tuple(row)), row is not None

    def _hold(
        self, per_sli: Sequence[SliRows], bounds: Sequence[BoundSLI], result: IngestResult | None
    ) -> None:
        """Keep a batch's minute rows for :meth:`_flush`, registering new groups (up to the cap)."""
        ids = self._ids
        unknown = [r for r in per_sli if r.sli_key not in ids]
        if unknown:
            self._register_groups(unknown, bounds, result)
        held = self._held
        for r in per_sli:
            sli_id = ids.get(r.sli_key)
            if sli_id is None or not r.minute.size:
                continue  # a group past the cap (counted in its parent only)
            held.counts.append(
                {
                    "sli_id": np.full(r.minute.size, sli_id, np.int32),
                    "t": r.minute,
                    "valid": r.valid,
                    "good": r.good,
                }
            )
            held.rows += r.minute.size
            if r.hist_minute.size:
                held.hist.append(
                    {
                        "sli_id": np.full(r.hist_minute.size, sli_id, np.int32),
                        "t": r.hist_minute,
                        "bucket": r.hist_bucket,
                        "n": r.hist_count,
                    }
                )
                held.rows += r.hist_minute.size

    def _register_groups(
        self, rows: Sequence[SliRows], bounds: Sequence[BoundSLI], result: IngestResult | None
    ) -> None:
        """Register the groups named by ``rows`` (keys not stored yet), in order, up to the cap.

        A key that is not a group of a grouped indicator in ``bounds`` is a programming error.
        """
        grouped = {b.sli_key: b for b in bounds if b.group_by}
        if self._group_counts is None:
            self._group_counts = (
                {
                    int(p): int(c)
                    for p, c in self._con.execute(
                        "SELECT parent_id, count(*) FROM slis WHERE parent_id IS NOT NULL GROUP BY parent_id"
                    ).fetchall()
                }
                if self._has_groups
                else {}
            )
        counts = self._group_counts
        new: list[tuple[SliRows, BoundSLI, dict[str, str]]] = []
        taken: set[str] = set()
        for r in rows:
            parent, labels = _parse_group_key(r.sli_key, grouped)
            if parent is None or labels is None:
                raise ValueError(f"rows for {r.sli_key!r}: neither a stored indicator nor a group of one")
            parent_id = self._ids[parent.sli_key]
            if r.sli_key in taken:
                continue
            if counts.get(parent_id, 0) >= self.max_groups:
                if result is not None:
                    overflow = result.group_overflow
                    overflow[parent.sli_key] = overflow.get(parent.sli_key, 0) + r.total_valid
                continue
            counts[parent_id] = counts.get(parent_id, 0) + 1
            taken.add(r.sli_key)
            new.append((r, parent, labels))
        if not new:
            return
        parents = {self._ids[p.sli_key] for _, p, _ in new}
        cover = {
            int(i): (c, s)
            for i, c, s in self._con.execute(
                "SELECT sli_id, coverage, since_minute FROM slis "
                f"WHERE sli_id IN ({_id_list(sorted(parents))})"
            ).fetchall()
        }
        top = _one(self._con.execute("SELECT coalesce(max(sli_id), 0) FROM slis"))
        next_id = int(top[0]) + 1 if top else 1
        fingerprints = self.fingerprints()
        now = self._clock()
        columns: dict[str, list[Any]] = {name: [] for name in _SLIS_COLUMNS}
        for offset, (r, parent, labels) in enumerate(new):
            parent_id = self._ids[parent.sli_key]
            coverage, since = cover[parent_id]
            values = (
                next_id + offset,
                r.sli_key,
                parent.slo,
                parent.objective_index,
                parent.stream,
                parent.kind,
                fingerprints[parent.sli_key],
                now,
                coverage,
                since,
                parent_id,
                json.dumps(labels, ensure_ascii=False),
            )
            for name, value in zip(_SLIS_COLUMNS, values, strict=True):
                columns[name].append(value)
            if result is not None:
                result.groups_added[parent.sli_key] = result.groups_added.get(parent.sli_key, 0) + 1
        self._con.from_arrow(pa.table(columns, schema=_SLIS_SCHEMA)).insert_into("slis")
        for offset, (r, _, _) in enumerate(new):
            self._ids[r.sli_key] = next_id + offset

    def _flush(self) -> None:
        """Write what the open transaction's ingests hold: batch ids, stream rows, minute rows.

        The minute rows of all held batches are merged (one row per indicator, minute and
        bucket: batches of one file share only the minutes at their edges, but many small
        batches of a server share most). Few rows go to the pending tables (two appends,
        folded later with others); many rows are rolled up here in numpy to every level and
        appended to each level's table, in time order, so nothing is left to fold.
        """
        held = self._held
        if not held:
            return
        self._held = _Held()
        if held.batches:
            names, batch_id, at, received, accepted = zip(*held.batches, strict=True)
            self._con.from_arrow(
                pa.table(
                    {
                        "stream": pa.array(names, pa.string()),
                        "batch_id": pa.array(batch_id, pa.string()),
                        "ingested_at": pa.array(at, pa.float64()),
                        "received": pa.array(received, pa.int64()),
                        "accepted": pa.array(accepted, pa.int64()),
                    }
                )
            ).insert_into("batches")
        for stream, (values, exists) in held.streams.items():
            _write_stream(self._con, stream, values, exists)
        merged: dict[str, _Columns] = {}
        for family, parts in (("counts", held.counts), ("hist", held.hist)):
            if parts:
                merged[family] = _merge_shared(parts, _KEYS[family])
        rows = sum(int(cols["t"].size) for cols in merged.values())
        # One batch committed alone goes through the pending tables: 12 appends per batch cost
        # more than two and a share of a fold (10 batches of 1 M events: 436 vs 357 ms).
        if rows >= DIRECT_ROWS and self._group is not None:
            for family, minutes in merged.items():
                self._append_levels(family, minutes)
        else:
            for family, minutes in merged.items():
                self._append_table(f"{family}_pending", minutes)
                self._pending_rows += int(minutes["t"].size)
            if self._pending_rows > FOLD_ROWS:
                self._fold()

    def _append_levels(self, family: str, minutes: _Columns) -> None:
        """Minute rows and their rollups, each appended to its level's table."""
        keys = _KEYS[family]
        self._append_table(f"{family}_1m", minutes)
        below, below_width = minutes, 1
        for level, width in self._levels[1:]:
            coarser = dict(below)
            coarser["t"] = below["t"] // (width // below_width)
            below, below_width = _merge(coarser, keys), width
            self._append_table(f"{family}_{level}", below)

    def _append_table(self, table: str, columns: _Columns) -> None:
        """Append rows (columns named as the table's) in one statement.

        DuckDB reads the Arrow table through its scan of the caller's variables: per statement
        ~0.5 ms, against ~0.75 ms for ``from_arrow(...).insert_into`` (a flush appends 12).
        That scan looks in the frame calling ``execute``, so a wrapped connection (tests put
        one in to interrupt it) takes the other way.
        """
        _slokit_append_rows = pa.table(columns)
        if not isinstance(self._con, duckdb.DuckDBPyConnection):
            self._con.from_arrow(_slokit_append_rows).insert_into(table)
            return
        names = ", ".join(columns)
        self._con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _slokit_append_rows")

    def fold(self) -> None:
        """Move pending minute rows into every resolution, in one transaction.

        Small ingests append minute rows to the pending tables only (two statements), and
        reads add the pending rows to the resolutions, so counts are exact at every moment;
        folding (when the pending rows pass :data:`FOLD_ROWS`, on :meth:`compact` and on
        :meth:`close`) writes the rollups once for many ingests instead of at every one. An
        acknowledged batch is durable whether or not it has been folded.
        """
        with self._transaction():
            self._fold()

    def _fold(self) -> None:
        """:meth:`fold` inside the caller's transaction.

        The pending rows are grouped once, into the second level (hours), held in a
        temporary table; every coarser level is summed from that much smaller table (each
        width is a multiple of it). One call per family sends all the statements: per-statement
        overhead, not the grouping, was most of a fold's cost.
        """
        self._flush()
        if not self._has_pending:
            return
        levels = self._levels
        for family, value_cols, key_cols in (
            ("counts", ("valid", "good"), ""),
            ("hist", ("n",), ", bucket"),
        ):
            sums = ", ".join(f"sum({c}) AS {c}" for c in value_cols)
            plain = ", ".join(value_cols)
            pending = f"{family}_pending"
            statements = [f"INSERT INTO {family}_1m SELECT sli_id, t{key_cols}, {plain} FROM {pending}"]
            if len(levels) > 1:
                (base, base_width), *coarser = levels[1:]
                temp = f"_fold_{family}"
                t = floor_sql("t", base_width)
                statements.append(
                    f"CREATE TEMP TABLE {temp} AS SELECT sli_id, {t} AS t{key_cols}, {sums} "
                    f"FROM {pending} GROUP BY ALL"
                )
                statements.append(
                    f"INSERT INTO {family}_{base} SELECT sli_id, t{key_cols}, {plain} FROM {temp}"
                )
                plain_sums = ", ".join(f"sum({c})" for c in value_cols)
                statements.extend(
                    f"INSERT INTO {family}_{level} SELECT sli_id, "
                    f"{floor_sql('t', width // base_width)} AS t_{key_cols}, {plain_sums} "
                    f"FROM {temp} GROUP BY sli_id, t_{key_cols}"
                    for level, width in coarser
                )
                statements.append(f"DROP TABLE {temp}")
            statements.append(f"DELETE FROM {pending}")
            self._con.execute(";\n".join(statements))
        self._pending_rows = 0

    # --- raw archive and backfill ---

    def _archive(
        self, stream: str, table: pa.Table, minute: IntArray, accepted: npt.NDArray[np.bool_]
    ) -> list[Path]:
        assert self.raw_dir is not None
        day = minute // 1440
        written: list[Path] = []
        name = uuid.uuid4().hex
        for d in np.unique(day[accepted]):
            mask = accepted & (day == d)
            part = keep_rows(table, mask)
            date = datetime.fromtimestamp(int(d) * 86400, UTC).strftime("%Y-%m-%d")
            folder = self.raw_dir / _safe(stream) / date
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{name}.parquet"
            pq.write_table(part, path)
            written.append(path)
        return written

    def backfill(self, spec: Spec) -> dict[str, Coverage]:
        """Rebuild indicators that lack history from the raw archive; returns their new coverage.

        Only ``live`` indicators are rebuilt, and only when the archive holds every event of
        their stream (``raw_complete``) — otherwise rebuilding could lose rows the archive
        does not have, so they stay ``live`` and the report says so.
        """
        if self.raw_dir is None:
            raise SlokitError("backfill needs the raw archive: open the store with raw_dir (--keep-raw DIR)")
        bounds = self.register(spec)
        cover = self.coverage()
        streams = self.streams()
        todo = [
            b
            for b in bounds
            if cover[b.sli_key].coverage == LIVE and streams.get(b.stream, {}).get("raw_complete")
        ]
        by_stream: dict[str, list[BoundSLI]] = {}
        for b in todo:
            by_stream.setdefault(b.stream, []).append(b)
        with self._transaction():
            self._flush()
            for stream, group in by_stream.items():
                parents = [self._ids[b.sli_key] for b in group]
                groups = self._group_ids(parents)
                self._delete_rows([*parents, *groups])
                if groups:  # rebuilt below, registered again as they are met
                    self._con.execute(f"DELETE FROM slis WHERE sli_id IN ({_id_list(groups)})")
                    self._ids = dict(self._con.execute("SELECT sli_key, sli_id FROM slis").fetchall())
                    self._group_counts = None
                since = streams[stream]["first_minute"]
                for b in group:
                    self._con.execute(
                        "UPDATE slis SET coverage = ?, since_minute = ? WHERE sli_key = ?",
                        [RAW_ARCHIVE, since, b.sli_key],
                    )
                for path in sorted((self.raw_dir / _safe(stream)).glob("*/*.parquet")):
                    table = to_table(pq.read_table(path))
                    ts = timestamps(table)
                    minute = ts.minute
                    prepared = Batch(table, minute, ts.reason == 0)
                    self._hold(aggregate_all(prepared, group), group, None)
                    if self._held.rows > FLUSH_ROWS:
                        self._flush()
        cover = self.coverage()
        return {b.sli_key: cover[b.sli_key] for b in todo}

    # --- maintenance ---

    def compact(self, since_minute: int | None = None) -> None:
        """Merge delta rows into one row per key, in one transaction.

        Rows are written in time order (then indicator): every read asks for a time range of
        many indicators, and DuckDB skips row groups whose ``t`` range is outside it.
        """
        with self._transaction():
            self._fold()
            for level, width in self._levels:
                lo = None if since_minute is None else since_minute // width
                where = "" if lo is None else f"WHERE t >= {int(lo)}"
                for table, cols in (
                    (f"counts_{level}", "sum(valid), sum(good)"),
                    (f"hist_{level}", "bucket, sum(n)"),
                ):
                    key = "t, sli_id" + (", bucket" if table.startswith("hist") else "")
                    self._con.execute(
                        f"CREATE TEMP TABLE _compact AS SELECT sli_id, t, {cols} "
                        f"FROM {table} {where} GROUP BY {key} ORDER BY {key}"
                    )
                    self._con.execute(f"DELETE FROM {table} {where}")
                    self._con.execute(f"INSERT INTO {table} SELECT * FROM _compact")
                    self._con.execute("DROP TABLE _compact")

    # --- reads ---

    def sli_id(self, sli_key: str) -> int:
        if sli_key not in self._ids:
            self._ids = dict(self._con.execute("SELECT sli_key, sli_id FROM slis").fetchall())
        try:
            return self._ids[sli_key]
        except KeyError:
            raise KeyError(f"the store has no indicator {sli_key!r}") from None

    def minute_counts(self, sli_key: str, start: int, stop: int) -> MinuteCounts:
        """Dense per-minute valid/good counts of one indicator over minute rows ``[start, stop)``."""
        valid, good = self.minute_matrix([sli_key], start, stop)
        return MinuteCounts(start, valid[0], good[0])

    def minute_matrix(self, sli_keys: Sequence[str], start: int, stop: int) -> tuple[IntArray, IntArray]:
        """Dense ``(len(sli_keys), stop - start)`` valid and good counts, in one query.

        Rows are fetched as stored (delta rows included) and summed with ``numpy.bincount``,
        which is much faster than a SQL ``GROUP BY`` over one group per (indicator, minute).
        """
        self._flush()  # rows an open commit group holds are read like written ones
        width = max(stop - start, 0)
        if not sli_keys or width == 0:
            return np.zeros((len(sli_keys), width), np.int64), np.zeros((len(sli_keys), width), np.int64)
        lookup = _Lookup([(self.sli_id(key), 0) for key in sli_keys])
        res = self._con.execute(
            " UNION ALL ".join(
                f"SELECT sli_id, t, valid, good FROM {table} "
                f"WHERE t >= {int(start)} AND t < {int(stop)} AND {lookup.id_filter()}"
                for table in self._minute_tables("counts")
            )
        ).fetchnumpy()
        rows, keep = lookup.rows(np.zeros(len(res["t"]), np.int64), res["sli_id"])
        cell = rows * width + (res["t"][keep].astype(np.int64) - start)
        size = len(sli_keys) * width
        valid = _sum_into(cell, res["valid"][keep], size).reshape(len(sli_keys), width)
        good = _sum_into(cell, res["good"][keep], size).reshape(len(sli_keys), width)
        lookup.copy_duplicates(valid, good)
        return valid, good

    def window_counts(self, requests: Sequence[tuple[str, int, int]]) -> tuple[IntArray, IntArray]:
        """Valid and good totals for each ``(sli_key, start, stop)``, reading day/hour rollups.

        All requests are answered by one query: requests sharing a range (the usual case: every
        SLO evaluated at the same instant) share its scan.
        """
        if not requests:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        lookup, data = self._ranged("counts", requests)
        rows, keep = lookup.rows(data["g_"], data["sli_id"])
        sign = data["s_"][keep]
        valid = _sum_into(rows, data["valid"][keep] * sign, len(requests))
        good = _sum_into(rows, data["good"][keep] * sign, len(requests))
        lookup.copy_duplicates(valid, good)
        return valid, good

    def window_histograms(self, requests: Sequence[tuple[str, int, int]]) -> list[LogHistogram]:
        """A merged histogram for each ``(sli_key, start, stop)`` (empty for ratio indicators)."""
        layout = DEFAULT_LAYOUT
        # Columns: 0 overflow marker, 1 underflow marker, 2 zero bucket, 3.. the buckets.
        width = layout.n_buckets + 3
        dense = np.zeros((len(requests), width), np.int64)
        if requests:
            lookup, data = self._ranged("hist", requests)
            rows, keep = lookup.rows(data["g_"], data["sli_id"])
            cell = rows * width + (data["bucket"][keep].astype(np.int64) - OVERFLOW_CODE)
            weights = data["n"][keep] * data["s_"][keep]
            dense = _sum_into(cell, weights, len(requests) * width).reshape(len(requests), width)
            lookup.copy_duplicates(dense)
        return [
            LogHistogram(
                layout,
                dense[r, 3:].copy(),
                int(dense[r, 2]),
                int(dense[r, UNDERFLOW_CODE - OVERFLOW_CODE]),
                int(dense[r, 0]),
            )
            for r in range(len(requests))
        ]

    def _minute_tables(self, family: str) -> tuple[str, ...]:
        """Where minute rows are: the minute table and, when present, the pending one."""
        return (f"{family}_1m", f"{family}_pending") if self._has_pending else (f"{family}_1m",)

    def _ranged(
        self, family: str, requests: Sequence[tuple[str, int, int]]
    ) -> tuple[_Lookup, dict[str, Any]]:
        """The stored rows of every distinct range, each tagged with the range's number (``g_``)
        and the sign it is added with (``s_``: +1, or −1 for rows a run subtracts).

        Every range becomes signed runs of rows (:func:`split_range`); the rows all runs need
        are read per level in a few contiguous ``t`` intervals (one ``UNION ALL`` part each, so
        the query stays small however many ranges share a level), then matched to the runs in
        numpy: a row used by several ranges (windows ending at the same instant share their
        last minutes) is repeated once per use.
        """
        self._flush()  # rows an open commit group holds are read like written ones
        ranges: dict[tuple[int, int], int] = {}
        pairs = []
        for key, start, stop in requests:
            g = ranges.setdefault((int(start), int(stop)), len(ranges))
            pairs.append((self.sli_id(key), g))
        lookup = _Lookup(pairs)
        value_cols = "valid, good" if family == "counts" else "bucket, n"
        plan = _RunPlan(list(ranges), self._levels)
        parts = [
            f"SELECT {li}::BIGINT AS l_, t, sli_id, {value_cols} FROM {family}_{self._levels[li][0]} "
            f"WHERE t >= {lo} AND t < {hi} AND {lookup.id_filter()}"
            for li, lo, hi in plan.intervals()
        ]
        spans = [(a, b) for a, b in ranges if b > a]
        if self._has_pending and spans:
            # Rows not yet folded are minute rows outside every level: each range reads them whole.
            lo, hi = min(a for a, _ in spans), max(b for _, b in spans)
            parts.append(
                f"SELECT -1::BIGINT AS l_, t, sli_id, {value_cols} FROM {family}_pending "
                f"WHERE t >= {lo} AND t < {hi} AND {lookup.id_filter()}"
            )
        if not parts:
            parts = [f"SELECT 0::BIGINT AS l_, t, sli_id, {value_cols} FROM {family}_1m WHERE false"]
        # Through Arrow: measured faster than fetchnumpy for results of a million rows.
        table = self._con.sql(" UNION ALL ".join(parts)).to_arrow_table()
        data = {name: table.column(name).to_numpy() for name in table.column_names}
        level = np.asarray(data.pop("l_"), np.int64)
        t = np.asarray(data.pop("t"), np.int64)
        pending = level < 0
        if pending.any():
            folded = np.flatnonzero(~pending)
            take_f, group_f, sign_f = plan.assign(level[folded], t[folded])
            take_p, group_p = _in_ranges(t[pending], list(ranges))
            used_f = folded if take_f is None else folded[take_f]
            take: IntArray | None = np.concatenate([used_f, np.flatnonzero(pending)[take_p]])
            groups = np.concatenate([group_f, group_p])
            signs = np.concatenate([sign_f, np.ones(group_p.size, np.int64)])
        else:
            take, groups, signs = plan.assign(level, t)
        out = {name: np.asarray(col) if take is None else np.asarray(col)[take] for name, col in data.items()}
        out["g_"], out["s_"] = groups, signs
        return lookup, out


class _RunPlan:
    """The signed runs of many minute-row ranges, flattened to one entry per (level, row).

    ``assign`` matches stored rows (level, t) to the entries naming them: each entry is one use
    of that row by one range, with the run's sign. Rows are found through a compact key (each
    level's ``t`` offset from its first needed row, levels laid end to end), by direct indexing
    into per-key tables when the key space is small, else by binary search.
    """

    #: Gaps of at most this many rows between needed minute rows are read through (one query
    #: part fewer). Coarser levels never read through: one of their rows holds every
    #: indicator's every bucket of hours or days.
    MINUTE_GAP = 4
    #: Largest key space indexed directly (two int64 tables of this many slots).
    DENSE_KEYS = 1 << 22

    def __init__(self, ranges: Sequence[tuple[int, int]], levels: Sequence[tuple[str, int]]) -> None:
        level_index = {name: i for i, (name, _) in enumerate(levels)}
        lv: list[int] = []
        lo: list[int] = []
        n: list[int] = []
        gs: list[int] = []
        signs: list[int] = []
        for g, (start, stop) in enumerate(ranges):
            for name, a, b, sign in split_range(start, stop, tuple(levels)):
                lv.append(level_index[name])
                lo.append(a)
                n.append(b - a)
                gs.append(g)
                signs.append(sign)
        counts = np.asarray(n, np.int64)
        t = _concat_aranges(np.asarray(lo, np.int64), counts)
        level = np.repeat(np.asarray(lv, np.int64), counts)
        # Per level: first needed t and where its keys start.
        self.t_min = np.zeros(len(levels), np.int64)
        spans = np.zeros(len(levels), np.int64)
        for li in np.unique(level).tolist():
            ts = t[level == li]
            self.t_min[li] = ts.min()
            spans[li] = ts.max() - ts.min() + 1
        self.base = np.concatenate([[0], np.cumsum(spans)[:-1]]).astype(np.int64)
        self.n_keys = int(spans.sum())
        key = self.base[level] + t - self.t_min[level]
        order = np.argsort(key, kind="stable")
        self.key = key[order]
        self.g = np.repeat(np.asarray(gs, np.int64), counts)[order]
        self.sign = np.repeat(np.asarray(signs, np.int64), counts)[order]
        self._level = level[order]
        self._t = t[order]
        self._uses: IntArray | None = None
        self._first: IntArray | None = None
        if self.n_keys <= self.DENSE_KEYS:
            self._uses = np.bincount(self.key, minlength=self.n_keys).astype(np.int64)
            self._first = np.cumsum(self._uses) - self._uses

    def intervals(self) -> list[tuple[int, int, int]]:
        """``(level index, first t, stop t)``: contiguous row intervals covering every entry."""
        out: list[tuple[int, int, int]] = []
        for li in np.unique(self._level).tolist():
            ts = np.unique(self._t[self._level == li])
            gap = self.MINUTE_GAP if li == 0 else 0
            breaks = np.flatnonzero(np.diff(ts) > gap + 1)
            firsts = np.concatenate([ts[:1], ts[breaks + 1]])
            lasts = np.concatenate([ts[breaks], ts[-1:]])
            out.extend((li, int(a), int(b) + 1) for a, b in zip(firsts, lasts, strict=True))
        return out

    def assign(self, level: IntArray, t: IntArray) -> tuple[IntArray | None, IntArray, IntArray]:
        """For rows at ``(level, t)`` (inside :meth:`intervals`): each use's row index (None when
        each row is used exactly once, in order), range and sign."""
        key = self.base[level] + t - self.t_min[level]
        if self._uses is not None and self._first is not None:
            first, uses = self._first[key], self._uses[key]
        else:
            first = np.searchsorted(self.key, key, "left")
            uses = np.searchsorted(self.key, key, "right") - first
        if key.size and uses.min() == 1 and uses.max() == 1:  # each row used once (one range)
            return None, self.g[first], self.sign[first]
        take = np.repeat(np.arange(key.size, dtype=np.int64), uses)
        entry = _concat_aranges(first, uses)
        return take, self.g[entry], self.sign[entry]


def _concat_aranges(starts: IntArray, counts: IntArray) -> IntArray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``, vectorized."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    ends = np.cumsum(counts)
    offsets = np.repeat(starts - (ends - counts), counts)
    return offsets + np.arange(total, dtype=np.int64)


def _in_ranges(t: IntArray, ranges: Sequence[tuple[int, int]]) -> tuple[IntArray, IntArray]:
    """For minute rows ``t``: the row index of each (row, range containing it) pair, and the range."""
    order = np.argsort(t, kind="stable")
    ts = t[order]
    starts = np.asarray([a for a, _ in ranges], np.int64)
    stops = np.asarray([max(a, b) for a, b in ranges], np.int64)
    first = np.searchsorted(ts, starts, "left")
    counts = np.searchsorted(ts, stops, "left") - first
    take = order[_concat_aranges(first, counts)]
    g = np.repeat(np.arange(len(ranges), dtype=np.int64), counts)
    return take, g


def _sum_into(index: IntArray, weights: Any, size: int) -> IntArray:
    """``out[i] = sum of weights at index i`` for int64 weights, exactly (checked below 2**53)."""
    w = np.asarray(weights, dtype=np.int64)
    if w.size and int(np.abs(w).sum()) >= 2**53:
        out = np.zeros(size, np.int64)
        np.add.at(out, index, w)
        return out
    return np.bincount(index, weights=w, minlength=size).astype(np.int64)


class _Lookup:
    """Maps result rows keyed (range group, sli_id) to request rows, vectorized.

    Each distinct (sli_id, group) pair gets its first request row; requests repeating a pair
    are filled by copying that row afterwards.
    """

    def __init__(self, pairs: Sequence[tuple[int, int]]) -> None:
        first: dict[tuple[int, int], int] = {}
        self.duplicates: list[tuple[int, int]] = []
        for r, pair in enumerate(pairs):
            if pair in first:
                self.duplicates.append((r, first[pair]))
            else:
                first[pair] = r
        self.ids = sorted({sli_id for sli_id, _ in pairs})
        n_groups = max((g for _, g in pairs), default=0) + 1
        self.table = np.full((max(self.ids, default=0) + 1, n_groups), -1, np.int64)
        for (sli_id, g), r in first.items():
            self.table[sli_id, g] = r

    def id_filter(self) -> str:
        """A cheap SQL filter on ``sli_id`` (a range; rows of other ids are dropped by :meth:`rows`)."""
        if not self.ids:
            return "false"
        return f"sli_id BETWEEN {self.ids[0]} AND {self.ids[-1]}"

    def rows(self, groups: Any, sli_ids: Any) -> tuple[IntArray, npt.NDArray[np.bool_]]:
        """Request row of each result row, and which result rows were asked for at all.

        The query filters on the union of indicators, so a range shared by only some of them
        can return rows for the others; those are dropped.
        """
        if len(sli_ids) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.bool_)
        rows = self.table[np.asarray(sli_ids, np.int64), np.asarray(groups, np.int64)]
        keep = rows >= 0
        return rows[keep], keep

    def copy_duplicates(self, *arrays: Any) -> None:
        for r, source in self.duplicates:
            for arr in arrays:
                arr[r] = arr[source]


def admit(
    ts: Timestamps, now_s: float, stored_newest: int | None, lateness_seconds: float | None
) -> tuple[npt.NDArray[np.int8], int | None]:
    """Reason code per event (0 = accepted) and the stream's newest minute row afterwards.

    The server applies it per request (its store folds many requests at once, with no
    lateness of its own), a direct ingest per batch. Future: more than
    :data:`FUTURE_TOLERANCE_SECONDS` after ``now``. Late: a minute row more than the lateness
    behind the newest minute row of the stream, counting this batch's own timely events.
    The common case (every timestamp usable and in range) costs two reductions.
    """
    code = ts.reason
    clean = not code.any()
    limit = now_s + FUTURE_TOLERANCE_SECONDS
    with np.errstate(invalid="ignore"):
        if not clean or ts.latest > limit:
            code = code.copy()
            code[(code == 0) & (ts.seconds > limit)] = REASON_CODE[IN_FUTURE]
            clean = False
    minute = ts.minute
    newest = stored_newest
    timely_min: int | None
    timely_max: int | None
    if clean and ts.minute_range is not None:
        timely_min, timely_max = ts.minute_range
    elif clean:
        timely_max = int(minute.max()) if minute.size else None
        timely_min = int(minute.min()) if minute.size else None
    else:
        ok = code == 0
        timely_max = int(np.max(minute, where=ok, initial=np.iinfo(np.int64).min)) if ok.any() else None
        timely_min = int(np.min(minute, where=ok, initial=np.iinfo(np.int64).max)) if ok.any() else None
    if timely_max is not None:
        newest = timely_max if newest is None else max(newest, timely_max)
    if newest is not None and lateness_seconds is not None and timely_min is not None:
        oldest_allowed = newest - math.floor(lateness_seconds / 60)
        if timely_min < oldest_allowed:
            code = code.copy() if clean else code
            code[(code == 0) & (minute < oldest_allowed)] = REASON_CODE[TOO_LATE]
    return code, newest


def _seconds(now: float | datetime) -> float:
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        return now.timestamp()
    return float(now)


def _safe(stream: str) -> str:
    """A stream name as a folder name (anything but letters, digits, ``-_.`` becomes ``_``)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in stream) or "_"


def _one(result: duckdb.DuckDBPyConnection) -> Any:
    """The first row of a one-row query, or None, with the result fully consumed.

    ``fetchone()`` leaves DuckDB's result open, and the next relation call on the connection
    (``from_arrow(...).insert_into``) then fails with "unfinished result".
    """
    rows = result.fetchall()
    return rows[0] if rows else None


#: The key columns of each family's rows, most significant first (the order rows are written in).
_KEYS: dict[str, tuple[str, ...]] = {"counts": ("t", "sli_id"), "hist": ("t", "sli_id", "bucket")}
_DTYPES: dict[str, type[np.generic]] = {"sli_id": np.int32, "bucket": np.int16}
#: Largest key space :func:`_merge` counts densely (``bincount`` over every possible key).
_DENSE_KEYS = 1 << 24

#: The columns of ``slis``, in table order.
_SLIS_COLUMNS = (
    "sli_id",
    "sli_key",
    "slo",
    "objective_index",
    "stream",
    "kind",
    "fingerprint",
    "registered_at",
    "coverage",
    "since_minute",
    "parent_id",
    "labels",
)
_SLIS_SCHEMA = pa.schema(
    [
        ("sli_id", pa.int32()),
        ("sli_key", pa.string()),
        ("slo", pa.string()),
        ("objective_index", pa.int32()),
        ("stream", pa.string()),
        ("kind", pa.string()),
        ("fingerprint", pa.string()),
        ("registered_at", pa.float64()),
        ("coverage", pa.string()),
        ("since_minute", pa.int64()),
        ("parent_id", pa.int32()),
        ("labels", pa.string()),
    ]
)
_JSON = json.JSONDecoder()


def _merge(columns: _Columns, keys: Sequence[str]) -> _Columns:
    """Rows summed per distinct key, exactly; value columns are those not in ``keys``.

    The keys become one integer code (mixed radix over each key's range, first key most
    significant). When the code space is no larger than the rows (a rollup: many minute rows
    per hour) each sum is one dense ``bincount``; otherwise (minute rows, mostly distinct) a
    stable sort — fast here, since each batch's rows arrive as one sorted run — and
    ``add.reduceat`` where neighbours share a key. Rows come out in key order.
    """
    names = [c for c in columns if c not in keys]
    n = int(columns[keys[0]].size)
    if n == 0:
        return {name: np.asarray(columns[name]).astype(_DTYPES.get(name, np.int64)) for name in columns}
    arrays = [np.asarray(columns[k]) for k in keys]  # (their own widths: no int64 copies)
    lows = [int(a.min()) for a in arrays]
    spans = [int(a.max()) - lo + 1 for a, lo in zip(arrays, lows, strict=True)]
    space = math.prod(spans)
    out: _Columns = {}
    if space >= 2**62:  # too wide for one code: sort on the keys themselves
        order = np.lexsort(tuple(reversed(arrays)))
        change = np.zeros(n - 1, np.bool_)
        for a in arrays:
            ordered = a[order]
            change |= ordered[1:] != ordered[:-1]
        starts = np.flatnonzero(np.concatenate([[True], change]))
        for k, a in zip(keys, arrays, strict=True):
            out[k] = a[order[starts]].astype(_DTYPES.get(k, np.int64))
        for v in names:
            out[v] = np.add.reduceat(np.asarray(columns[v], np.int64)[order], starts)
        return {name: out[name] for name in columns}
    code = np.subtract(arrays[0], lows[0], dtype=np.int64)
    for a, lo, span in zip(arrays[1:], lows[1:], spans[1:], strict=True):
        code *= span
        code += a
        if lo:
            code -= lo
    values = {v: np.asarray(columns[v], np.int64) for v in names}
    extremes = {v: (int(col.min()), int(col.max())) for v, col in values.items()}
    # Dense sums go through float64 (bincount's weights): exact while every sum is below 2**53.
    exact = all(max(-lo, hi) * n < 2**53 for lo, hi in extremes.values())
    if space <= min(n, _DENSE_KEYS) and exact:
        sums = {v: np.bincount(code, weights=col, minlength=space) for v, col in values.items()}
        # A key is present where its rows are; when some value is positive on every row (a
        # count), where that value's sum is: one bincount fewer.
        positive = next((v for v, (lo, _) in extremes.items() if lo > 0), None)
        cells = np.flatnonzero(sums[positive] if positive is not None else np.bincount(code, minlength=space))
        for v in values:
            out[v] = sums[v][cells].astype(np.int64)
        for k, lo, span in reversed(list(zip(keys, lows, spans, strict=True))):
            out[k] = (cells % span + lo).astype(_DTYPES.get(k, np.int64))
            cells = cells // span
        return {name: out[name] for name in columns}
    order = np.argsort(code, kind="stable")
    sorted_code = code[order]
    change = sorted_code[1:] != sorted_code[:-1]
    if change.all():  # every key once: only the order changes
        first = order
        for v, col in values.items():
            out[v] = col[first]
    else:
        starts = np.flatnonzero(np.concatenate([[True], change]))
        first = order[starts]
        for v, col in values.items():
            out[v] = np.add.reduceat(col[order], starts)
    # The keys gathered from each run's first row (decoding the code divides: 5× slower).
    for k, a in zip(keys, arrays, strict=True):
        out[k] = a[first].astype(_DTYPES.get(k, np.int64))
    return {name: out[name] for name in columns}


def _merge_shared(parts: Sequence[_Columns], keys: Sequence[str]) -> _Columns:
    """The rows of many batches' parts (each of one indicator) as one table, with the rows of
    minutes that several parts of an indicator share merged (:func:`_merge`).

    Batches of a file cover successive stretches of time and share only the minutes at their
    edges (~1 % of the rows): sorting every row to find those cost 3× more than finding the
    shared minutes from each part's first and last minute and merging only their rows. Rows
    left unmerged are still exact: every read sums the rows of a key.
    """
    spans: dict[int, list[tuple[int, int]]] = {}
    bounds = []
    for part in parts:
        sli, t = int(part["sli_id"][0]), part["t"]
        lo, hi = int(t.min()), int(t.max())
        bounds.append((sli, lo, hi))
        spans.setdefault(sli, []).append((lo, hi))
    shared: dict[int, list[tuple[int, int]]] = {}
    for sli, intervals in spans.items():
        intervals.sort()
        reach = intervals[0][1]
        zones: list[tuple[int, int]] = []
        for lo, hi in intervals[1:]:
            if lo <= reach:  # minutes lo .. min(hi, reach) are in this part and an earlier one
                end = min(hi, reach)
                if zones and lo <= zones[-1][1] + 1:  # disjoint zones: a row is in one at most
                    zones[-1] = (zones[-1][0], max(zones[-1][1], end))
                else:
                    zones.append((lo, end))
            reach = max(reach, hi)
        if zones:
            shared[sli] = zones
    kept: list[_Columns] = []
    overlap: list[_Columns] = []
    for part, (sli, lo, hi) in zip(parts, bounds, strict=True):
        zones = [(a, b) for a, b in shared.get(sli, ()) if a <= hi and b >= lo]
        if not zones:
            kept.append(part)
            continue
        t = part["t"]
        if bool(np.all(t[1:] >= t[:-1])):  # rows in time order (as aggregation writes them): slices
            cuts = [0]
            for a, b in zones:
                cuts += [int(np.searchsorted(t, a, "left")), int(np.searchsorted(t, b, "right"))]
            cuts.append(t.size)
            for k in range(0, len(cuts) - 1):
                piece = {name: col[cuts[k] : cuts[k + 1]] for name, col in part.items()}
                (overlap if k % 2 else kept).append(piece)
            continue
        inside = np.zeros(t.size, np.bool_)
        for a, b in zones:
            inside |= (t >= a) & (t <= b)
        outside = ~inside
        kept.append({name: col[outside] for name, col in part.items()})
        overlap.append({name: col[inside] for name, col in part.items()})
    if overlap:
        kept.append(_merge({name: np.concatenate([o[name] for o in overlap]) for name in overlap[0]}, keys))
    return {
        name: np.concatenate([k[name] for k in kept]).astype(_DTYPES.get(name, np.int64), copy=False)
        for name in parts[0]
    }


def _parse_group_key(
    key: str, grouped: Mapping[str, BoundSLI]
) -> tuple[BoundSLI | None, dict[str, str] | None]:
    """The grouped indicator and labels a group key names (:func:`group_sli_key`), or Nones."""
    for parent_key, parent in grouped.items():
        prefix = parent_key + "{"
        if not (key.startswith(prefix) and key.endswith("}")):
            continue
        inner = key[len(prefix) : -1]
        labels: dict[str, str] = {}
        pos = 0
        for i, name in enumerate(parent.group_by):
            head = ("," if i else "") + name + "="
            if not inner.startswith(head, pos):
                break
            try:
                value, pos = _JSON.raw_decode(inner, pos + len(head))
            except json.JSONDecodeError:
                break
            if not isinstance(value, str):
                break
            labels[name] = value
        else:
            if pos == len(inner) and group_sli_key(parent_key, labels) == key:
                return parent, labels
    return None, None


def _id_list(ids: Sequence[int]) -> str:
    return ", ".join(str(int(i)) for i in ids)


def _stream_values(
    stored: tuple[Any, ...] | None, newest: int | None, first: int | None, accepted: int, archived: bool
) -> tuple[Any, ...]:
    """A stream's row after a batch, in :meth:`Store._stream_row`'s order."""
    old_first, raw_complete, raw_since, total = (None, None, None, 0) if stored is None else stored[1:5]
    if accepted:
        # The archive is complete when every accepted batch since the first was archived.
        raw_complete = archived if old_first is None else bool(raw_complete) and archived
        if archived and raw_since is None:
            raw_since = first
        first = first if old_first is None or first is None else min(int(old_first), first)
    else:
        first = old_first
    if newest is None and stored is not None:
        newest = stored[0]
    return (newest, first, raw_complete, raw_since, int(total) + accepted)


def _write_stream(con: duckdb.DuckDBPyConnection, stream: str, values: tuple[Any, ...], exists: bool) -> None:
    newest, first, raw_complete, raw_since, total = values
    row = [newest, first, total, raw_complete, raw_since, stream]
    if exists:
        con.execute(
            "UPDATE streams SET newest_minute = ?, first_minute = ?, accepted = ?, raw_complete = ?, "
            "raw_since_minute = ? WHERE stream = ?",
            row,
        )
    else:
        con.execute(
            "INSERT INTO streams (newest_minute, first_minute, accepted, raw_complete, raw_since_minute, "
            "stream) VALUES (?, ?, ?, ?, ?, ?)",
            row,
        )
