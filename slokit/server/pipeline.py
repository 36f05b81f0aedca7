"""Accepted batches: logged and synced (group commit), answered, then folded into the store.

The request path (:mod:`slokit.server.ingest`) decodes and checks a batch, then hands its
accepted columns to :meth:`IngestPipeline.submit`, which appends them to the write-ahead log
(:mod:`slokit.sources.wal`) and returns once the log is synced. One writer thread syncs
everything queued since its last sync in one ``fdatasync``, so concurrent requests share it.

A fold thread then moves logged batches into the store in large batches: one
``Store.commit_group`` transaction ingests every pending batch of a stream as one table (the
store's per-transaction cost and its aggregation are paid per tens of thousands of events, not
per request), records the batches' idempotency keys and the sequence number folded up to
(``server_wal``), and commits; the log segments below that number are then deleted. On start,
records above the folded number are replayed (a record folded twice is impossible: the number
commits with the rows). Every read of the store (:meth:`ServerState.locked`) folds what is
pending first, so a read after a 2xx sees the batch.

Idempotency keys are remembered in a bounded window (:data:`KEY_WINDOW_SECONDS`, at most
:data:`KEY_WINDOW_MAX` keys; ``server_idempotency`` in the store file keeps them across
restarts): a key seen within the window answers ``duplicate`` and counts nothing. A key
still being logged makes its duplicates wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from slokit.server.state import ServerState
from slokit.sources.events import NOT_NUMBERS_KEY
from slokit.sources.wal import Frame, Record, WriteAheadLog, encode_record

log = logging.getLogger("slokit.server.pipeline")

#: A fold starts once this many events are pending (or after :data:`FOLD_INTERVAL` seconds).
#: Every fold appends its own minute and histogram rows to the store (merged only by
#: compaction), so fewer, larger folds keep the store (and the server's memory) small: at
#: 500 k events/s, folding every 0.25 s grew DuckDB's memory by ~20 MiB in 10 minutes, every
#: second by ~3 MiB. Larger batches also aggregate cheaper per event; but the batches waiting
#: for a fold are held in memory (~140 bytes per event), so folds are not made rarer still.
FOLD_EVENTS = 200_000
FOLD_INTERVAL = 0.5
#: Most events ingested by one store transaction of a fold.
FOLD_MAX_EVENTS = 1_000_000
#: Requests wait before logging while more events than this are logged but not folded.
MAX_BACKLOG_EVENTS = 800_000
#: How long a request waits for room before it is answered 503.
BACKLOG_WAIT_SECONDS = 30.0
#: Once a request is queued for the log, the writer waits this long for others to join its
#: sync (unless :data:`GROUP_MAX` are queued already). Each sync wakes the writer thread,
#: switches threads on the server's core and costs the kernel a flush: with 16 clients
#: sending 1,000-event batches, gathering for 2 ms cut the server's CPU per event by ~7 %
#: (about 3 -> 6 requests per sync) for 2 ms more latency (a sync itself takes 1-4 ms).
GROUP_WAIT_SECONDS = 0.002
GROUP_MAX = 32
#: Seconds between compactions of what the folds wrote. Every fold appends its own minute and
#: histogram rows (one per indicator, minute and bucket it touched), merged only by
#: :meth:`Store.compact`: at 500 k events/s that is ~100,000 rows a minute, and after ten
#: minutes the minute-level reads of burn-rate windows took 4x longer (71 -> 17 ms once
#: compacted). Compacting the minutes folded since the last pass keeps the store at about one
#: row per key, at a cost that grows with those minutes only.
COMPACT_INTERVAL = 60.0
#: The fold thread's niceness (Linux; elsewhere it keeps the process's). Requests wait for the
#: log sync, never for a fold, yet on a busy core an equal-priority fold takes half the CPU
#: while it runs and every request in flight waits that much longer; a lower priority lets
#: the fold use what requests leave. A fold starved for long lets the backlog reach
#: :data:`MAX_BACKLOG_EVENTS`, and requests then wait for it (reads too, since they fold first).
FOLD_NICE = 5
#: How long, and how many, idempotency keys are remembered.
KEY_WINDOW_SECONDS = 24 * 3600
KEY_WINDOW_MAX = 500_000

_DDL = (
    "CREATE TABLE IF NOT EXISTS server_wal (id INTEGER PRIMARY KEY, folded_seq BIGINT NOT NULL)",
    "INSERT OR IGNORE INTO server_wal VALUES (1, 0)",
    """CREATE TABLE IF NOT EXISTS server_idempotency (
        stream VARCHAR NOT NULL, key VARCHAR NOT NULL, seq BIGINT NOT NULL, logged_at DOUBLE NOT NULL)""",
)


def wal_directory(store_path: str) -> Path:
    """Where the server's log of a store file lives: ``<store>.ingest-log/`` beside it (DuckDB's
    own write-ahead log is the file ``<store>.wal``)."""
    return Path(f"{store_path}.ingest-log")


class LogBroken(RuntimeError):
    """A write or sync of the log failed; nothing more is accepted until a restart."""


@dataclass(slots=True)
class _Item:
    seq: int
    stream: str
    key: str | None
    at: float
    table: pa.Table
    frame: Frame = ()
    future: asyncio.Future[None] | None = None
    loop: asyncio.AbstractEventLoop | None = None


@dataclass(slots=True)
class Counters:
    """For /readyz: requests logged, log syncs, folds, events folded and compactions."""

    batches: int = 0
    syncs: int = 0
    folds: int = 0
    folded_events: int = 0
    compactions: int = 0


@dataclass(slots=True)
class KeyWindow:
    """Recent idempotency keys, oldest first; a value is the key's time, or the future of the
    request still logging it."""

    max_keys: int = KEY_WINDOW_MAX
    seconds: float = KEY_WINDOW_SECONDS
    keys: dict[tuple[str, str], float | asyncio.Future[None]] = field(default_factory=dict)

    def get(self, stream: str, key: str) -> float | asyncio.Future[None] | None:
        return self.keys.get((stream, key))

    def put(self, stream: str, key: str, value: float | asyncio.Future[None], now: float) -> None:
        self.keys.pop((stream, key), None)
        self.keys[(stream, key)] = value
        self.trim(now)

    def forget(self, stream: str, key: str) -> None:
        self.keys.pop((stream, key), None)

    def trim(self, now: float) -> None:
        oldest = now - self.seconds
        while self.keys:
            first = next(iter(self.keys))
            value = self.keys[first]
            if len(self.keys) > self.max_keys or (isinstance(value, float) and value < oldest):
                del self.keys[first]
            else:
                break


class IngestPipeline:
    """The log writer and fold threads of one server (see the module docstring)."""

    def __init__(self, state: ServerState, wal_dir: str | Path) -> None:
        self.state = state
        self.counters = Counters()
        self.keys = KeyWindow()
        self.wal = WriteAheadLog(wal_dir)
        self._queue: list[_Item] = []
        self._pending: list[_Item] = []
        self._pending_events = 0
        self._cv = threading.Condition()
        self._fold_cv = threading.Condition()
        self._stop = False
        self.broken: str | None = None
        self._threads: list[threading.Thread] = []
        self._last_prune = 0.0
        #: Lowest minute row folded since the last compaction (None: nothing to compact).
        self._dirty_since: int | None = None
        with state.lock:
            con = state.store.connection
            for statement in _DDL:
                con.execute(statement)
            folded = int(con.execute("SELECT folded_seq FROM server_wal WHERE id = 1").fetchall()[0][0])
            self.folded_seq = folded
            self._next_seq = self._recover(folded) + 1
            self.wal.reset(self._next_seq)
            self.newest = {
                s: (None if v["newest_minute"] is None else int(v["newest_minute"]))
                for s, v in state.store.streams().items()
            }
            self._load_keys()
        state.before_read = self.fold_pending

    # --- start-up ---

    def _recover(self, folded: int) -> int:
        """Fold every logged record above ``folded``; the highest sequence number seen."""
        top = folded
        chunk: list[_Item] = []
        size = 0
        replayed = 0
        for record in self.wal.replay():
            top = max(top, record.seq)
            if record.seq <= folded:
                continue
            chunk.append(_item_of(record))
            size += record.table.num_rows
            replayed += 1
            if size >= FOLD_MAX_EVENTS:
                self._fold_items(chunk)
                chunk, size = [], 0
        if chunk:
            self._fold_items(chunk)
        if replayed:
            log.warning("replayed %d logged batches into the store", replayed)
        return top

    def _load_keys(self) -> None:
        since = time.time() - self.keys.seconds
        con = self.state.store.connection
        rows = con.execute(
            "SELECT stream, key, t FROM ("
            "  SELECT stream, key, logged_at AS t FROM server_idempotency WHERE logged_at >= ?"
            "  UNION ALL SELECT stream, batch_id, ingested_at FROM batches WHERE ingested_at >= ?"
            ") ORDER BY t DESC LIMIT ?",
            [since, since, self.keys.max_keys],
        ).fetchall()
        for stream, key, at in reversed(rows):
            self.keys.keys[(str(stream), str(key))] = float(at)

    # --- threads ---

    def start(self) -> None:
        self._threads = [
            threading.Thread(target=self._write_loop, name="slokit-wal", daemon=True),
            threading.Thread(target=self._fold_loop, name="slokit-fold", daemon=True),
        ]
        for t in self._threads:
            t.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Sync what is queued, fold what is pending, stop the threads."""
        with self._cv:
            self._stop = True
            self._cv.notify_all()
        with self._fold_cv:
            self._fold_cv.notify_all()
        for t in self._threads:
            t.join(timeout)
        with contextlib.suppress(Exception):
            self.fold_pending()
        self.wal.close()

    # --- request side (event loop) ---

    @property
    def backlog(self) -> int:
        return self._pending_events

    async def wait_for_room(self, timeout: float = BACKLOG_WAIT_SECONDS) -> bool:
        """Back pressure: wait while the fold is far behind the log; False after ``timeout``
        (the fold is stuck, e.g. the store fails: the caller answers 503 rather than hang)."""
        deadline = time.monotonic() + timeout
        while self._pending_events > MAX_BACKLOG_EVENTS and self.broken is None:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.005)
        return True

    def enqueue(self, stream: str, key: str | None, table: pa.Table) -> asyncio.Future[None]:
        """Queue ``table`` (the accepted events) for the log; the future is done once it is synced.

        A key is entered in the window at once (its duplicates wait for this future) and kept
        or forgotten when the future is done, even if the request that sent it is gone by then.
        """
        if self.broken is not None:
            raise LogBroken(self.broken)
        loop = asyncio.get_running_loop()
        seq = self._next_seq
        self._next_seq += 1
        at = time.time()
        header = {"stream": stream, "key": key, "at": at}
        future: asyncio.Future[None] = loop.create_future()
        item = _Item(seq, stream, key, at, table, encode_record(seq, header, table), future, loop)
        if key is not None:
            self.keys.put(stream, key, future, at)

            def settle(done: asyncio.Future[None]) -> None:
                if done.cancelled() or done.exception() is not None:
                    self.keys.forget(stream, key)
                else:
                    self.keys.put(stream, key, time.time(), time.time())

            future.add_done_callback(settle)
        with self._cv:
            self._queue.append(item)
            self._cv.notify()
        return future

    def _write_loop(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._stop:
                    self._cv.wait()
                if not self._queue and self._stop:
                    return
                gather = not self._stop and len(self._queue) < GROUP_MAX
            if gather:
                time.sleep(GROUP_WAIT_SECONDS)  # not woken by each request that joins meanwhile
            with self._cv:
                group, self._queue = self._queue, []
            try:
                if self.broken is not None:
                    raise LogBroken(self.broken)
                self.wal.append([i.frame for i in group], group[-1].seq)
            except BaseException as exc:
                if self.broken is None:
                    self.broken = f"the write-ahead log failed: {exc}"
                    log.error("%s; ingest is refused until a restart", self.broken)
                _resolve(group, LogBroken(self.broken))
                continue
            self.counters.batches += len(group)
            self.counters.syncs += 1
            for item in group:
                item.frame = ()
            with self._fold_cv:
                self._pending.extend(group)
                self._pending_events += sum(i.table.num_rows for i in group)
                if self._pending_events >= FOLD_EVENTS:
                    self._fold_cv.notify()
            _resolve(group, None)

    def _fold_loop(self) -> None:
        """Fold once :data:`FOLD_EVENTS` are pending or :data:`FOLD_INTERVAL` has passed.

        Each pass folds only what was pending when it started: under load, folding whatever
        arrived meanwhile right away would make the folds small and each event dearer.
        """
        with contextlib.suppress(OSError, AttributeError):  # Linux: per-thread niceness
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), FOLD_NICE)
        last = compacted = time.monotonic()
        while True:
            with self._fold_cv:
                while not self._stop and self._pending_events < FOLD_EVENTS:
                    remaining = last + FOLD_INTERVAL - time.monotonic()
                    if remaining <= 0:
                        break
                    self._fold_cv.wait(remaining)
                stopping = self._stop
            last = time.monotonic()
            try:
                self.fold_pending(everything=stopping)
            except Exception:
                log.exception("folding logged batches into the store failed; retrying")
                time.sleep(1.0)
            if stopping or last - compacted >= COMPACT_INTERVAL:
                compacted = last
                try:
                    self.compact()
                except Exception:  # the rows stay as they are (reads sum them): retried later
                    log.exception("compacting the store failed; retrying in %.0f s", COMPACT_INTERVAL)
                _release_free_memory()
            if stopping:
                return

    # --- folding ---

    def fold_pending(self, everything: bool = True) -> None:
        """Fold synced batches into the store, under the store lock (reads call this).

        ``everything``: also what is synced while this runs (a read must see every batch
        acknowledged before it); otherwise only the batches pending at the start.
        """
        with self.state.lock:
            with self._fold_cv:
                budget = None if everything else len(self._pending)
            while budget is None or budget > 0:
                with self._fold_cv:
                    items: list[_Item] = []
                    size = 0
                    for item in self._pending[: budget if budget is not None else len(self._pending)]:
                        if items and size + item.table.num_rows > FOLD_MAX_EVENTS:
                            break
                        items.append(item)
                        size += item.table.num_rows
                if not items:
                    return
                self._fold_items(items)
                with self._fold_cv:
                    del self._pending[: len(items)]
                    self._pending_events -= size
                if budget is not None:
                    budget -= len(items)
                self.wal.release(self.folded_seq)

    def compact(self) -> None:
        """Merge the rows written since the last compaction (see :data:`COMPACT_INTERVAL`)."""
        with self.state.lock:
            since = self._dirty_since
            if since is None:
                return
            self.state.store.compact(since)
            self._dirty_since = None
            self.counters.compactions += 1

    def _fold_items(self, items: list[_Item]) -> None:
        """One store transaction: every item's events, their keys, the folded sequence number."""
        state = self.state
        store = state.store
        con = store.connection
        by_stream: dict[str, list[pa.Table]] = {}
        for item in items:
            if item.table.num_rows:
                by_stream.setdefault(item.stream, []).append(item.table)
        keyed = [i for i in items if i.key is not None]
        expected = received = 0
        with store.commit_group():
            for stream, tables in by_stream.items():
                for table in _combined(tables):
                    result = store.ingest(stream, table, spec=state.spec)
                    expected += table.num_rows
                    received += result.accepted
                    if result.minute_range is not None:
                        first = result.minute_range[0]
                        dirty = self._dirty_since
                        self._dirty_since = first if dirty is None else min(dirty, first)
            if keyed:
                rows = pa.table(
                    {
                        "stream": [i.stream for i in keyed],
                        "key": [i.key for i in keyed],
                        "seq": pa.array([i.seq for i in keyed], pa.int64()),
                        "logged_at": pa.array([i.at for i in keyed], pa.float64()),
                    }
                )
                con.from_arrow(rows).insert_into("server_idempotency")
            now = time.time()
            if now - self._last_prune > 60:
                self._last_prune = now
                # The same window as in memory: younger than its age and at most its size.
                con.execute(
                    "DELETE FROM server_idempotency WHERE logged_at < ? OR logged_at <= coalesce(("
                    "SELECT logged_at FROM server_idempotency ORDER BY logged_at DESC LIMIT 1 OFFSET ?), -1)",
                    [now - self.keys.seconds, self.keys.max_keys],
                )
            last = items[-1].seq
            con.execute("UPDATE server_wal SET folded_seq = ? WHERE id = 1", [last])
        self.folded_seq = last
        if received != expected:
            log.error("the store counted %d of %d logged events", received, expected)
        self.counters.folds += 1
        self.counters.folded_events += expected
        state.touch()


def _glibc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None (another C library, or not Linux)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


_TRIM = _glibc_trim() if sys.platform.startswith("linux") else None


def _release_free_memory() -> None:
    """Give freed memory back to the system, once a minute (with the compaction). A fold's
    working memory (its merged tables and aggregation arrays, tens of MiB at 200,000 events) is
    freed when it ends, but glibc keeps freed blocks in its per-thread pools, where the next
    fold, on whichever thread, may not reuse them: resident memory crept by ~2 MiB a minute in
    the 10-minute soak. Not after every fold: the next fold would fault the pages in again."""
    if _TRIM is not None:
        _TRIM(0)


def _item_of(record: Record) -> _Item:
    h = record.header
    return _Item(record.seq, str(h["stream"]), h.get("key"), float(h.get("at", 0.0)), record.table)


def _combined(tables: list[pa.Table]) -> Iterable[pa.Table]:
    """The tables as few tables as their schemas allow (one, usually).

    A table carrying per-row metadata (a mixed-type column, :data:`NOT_NUMBERS_KEY`) is kept
    apart, since its row numbers hold only for itself; tables whose columns cannot be unified
    (text in one, numbers in another) are ingested one by one.
    """
    plain = [t for t in tables if not _has_row_metadata(t)]
    special = [t for t in tables if _has_row_metadata(t)]
    if plain:
        try:
            yield pa.concat_tables(plain, promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            yield from plain
    yield from special


def _has_row_metadata(table: pa.Table) -> bool:
    return any(f.metadata and NOT_NUMBERS_KEY in f.metadata for f in table.schema)


def _resolve(items: list[_Item], error: BaseException | None) -> None:
    """Settle the items' futures in their event loops: one wake-up of each loop per group."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for item in items:
        if item.future is not None and item.loop is not None:
            by_loop.setdefault(item.loop, []).append(item.future)

    def done(futures: list[asyncio.Future[None]]) -> None:
        for future in futures:
            if not future.done():
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)

    for loop, futures in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(done, futures)
