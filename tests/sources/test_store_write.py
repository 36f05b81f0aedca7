"""The store's write path: rows merged in numpy, rollups written directly, interrupted transactions.

``_merge`` is checked against sums in a dict; a commit group of many batches written through the
direct path is checked against brute force at every resolution; a Ctrl-C in a fold or a commit
must leave the store usable, with the KeyboardInterrupt (not a DuckDB error from the rollback)
reaching the caller.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from slokit.sources import store as store_module
from slokit.sources.schema import LEVELS
from slokit.sources.store import Store, _merge
from tests.sources.test_store_levels import Events, check, make_spec, ranges_to_check

FIRST = 1_705_708_800
LATER = FIRST + 200 * 86_400


@pytest.mark.parametrize(
    ("t_span", "buckets", "n", "least"),
    [
        (50, 5, 2000, 1),  # dense: fewer possible keys than rows
        (50, 3, 2000, 0),  # dense, with keys whose values are all 0 (kept, as rows)
        (100_000, 400, 3000, 1),  # sort
        (2**50, 30_000, 500, 1),  # keys too wide for one code: lexsort
        (3, 1, 1, 1),
        (3, 1, 1, 0),
    ],
)
def test_merge_sums_every_key_exactly(t_span: int, buckets: int, n: int, least: int) -> None:
    rng = np.random.default_rng(t_span + n)
    t = rng.integers(-t_span, t_span, n).astype(np.int64)
    t[: n // 3] = t[0]  # repeated keys
    columns: dict[str, Any] = {
        "sli_id": rng.integers(1, 4, n).astype(np.int32),
        "t": t,
        # int16 as held rows have them, with the clamp codes -1 and -2
        "bucket": rng.integers(-2, buckets, n).astype(np.int16),
        "n": rng.integers(least, 2**40 if least else 3, n).astype(np.int64),
    }
    expect: dict[tuple[int, int, int], int] = defaultdict(int)
    for s, tt, b, c in zip(*(columns[k].tolist() for k in ("sli_id", "t", "bucket", "n")), strict=True):
        expect[(tt, s, b)] += c
    if least == 0 and n > 1:
        assert 0 in expect.values()  # (the case the dense count must not drop)
    out = _merge(columns, ("t", "sli_id", "bucket"))
    got = list(zip(*(out[k].tolist() for k in ("t", "sli_id", "bucket")), strict=True))
    assert got == sorted(expect)  # one row per key, in key order
    assert out["n"].tolist() == [expect[k] for k in got]
    assert out["sli_id"].dtype == np.int32 and out["bucket"].dtype == np.int16
    assert list(out) == ["sli_id", "t", "bucket", "n"]


def test_merge_of_nothing_keeps_the_columns() -> None:
    empty = {"sli_id": np.zeros(0, np.int32), "t": np.zeros(0, np.int64), "valid": np.zeros(0, np.int64)}
    out = _merge(empty, ("t", "sli_id"))
    assert list(out) == ["sli_id", "t", "valid"] and all(c.size == 0 for c in out.values())


@pytest.mark.parametrize("direct", [True, False])
def test_one_commit_group_of_many_batches_reads_as_brute_force(
    monkeypatch: pytest.MonkeyPatch, direct: bool
) -> None:
    monkeypatch.setattr(store_module, "DIRECT_ROWS", 0 if direct else 10**9)
    rng = random.Random(12)
    events = Events(rng, 800)
    spec = make_spec()
    store = Store.open(":memory:", lateness_seconds=None)
    try:
        with store.commit_group(every=5):
            pos = 0
            while pos < len(events.ts):
                size = rng.randint(1, 60)
                store.ingest("api", events.dicts(pos, pos + size), spec=spec, now=LATER)
                pos += size
        pending = store.connection.execute(
            "SELECT (SELECT count(*) FROM counts_pending) + (SELECT count(*) FROM hist_pending)"
        ).fetchall()[0][0]
        assert (pending == 0) == direct
        ranges = ranges_to_check(rng)
        check(store, events, ranges)
        store.fold()
        totals = {
            level: store.connection.execute(
                f"SELECT sum(valid), sum(good), (SELECT sum(n) FROM hist_{level}) FROM counts_{level}"
            ).fetchall()[0]
            for level, _ in LEVELS
        }
        assert len(set(totals.values())) == 1 and totals["1m"][0] == 2 * 800, totals
        # A read inside an open group sees the batches it holds.
        with store.commit_group():
            store.ingest("api", events.dicts(0, 10), spec=spec, now=LATER, batch_id="again")
            v, _ = store.window_counts([("avail/0", FIRST // 60 - 100, LATER // 60)])
            assert int(v[0]) == 810
    finally:
        store.close()


class Interrupting:
    """A connection that raises KeyboardInterrupt at one chosen call (after running it, for a
    commit: DuckDB has then ended the transaction, as when Ctrl-C lands in a COMMIT)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.fail_sql: str | None = None
        self.fail_commit = False

    def execute(self, sql: str, *args: Any) -> Any:
        if self.fail_sql is not None and self.fail_sql in sql:
            self.fail_sql = None
            raise KeyboardInterrupt
        return self.con.execute(sql, *args)

    def commit(self) -> Any:
        result = self.con.commit()
        if self.fail_commit:
            self.fail_commit = False
            raise KeyboardInterrupt
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


def test_ctrl_c_in_a_fold_rolls_it_back_and_the_store_goes_on(tmp_path: Path) -> None:
    rng = random.Random(2)
    events = Events(rng, 300)
    spec = make_spec()
    store = Store.open(tmp_path / "s.duckdb", lateness_seconds=None)
    proxy = Interrupting(store.connection)
    store._con = proxy  # type: ignore[assignment]
    store.ingest("api", events.dicts(0, 300), spec=spec, now=LATER)  # small: pending rows
    proxy.fail_sql = "INSERT INTO counts_1m"
    with pytest.raises(KeyboardInterrupt):
        store.fold()
    pending = proxy.con.execute("SELECT count(*) FROM counts_pending").fetchall()[0][0]
    assert pending > 0  # the fold was rolled back: rows still pending, none doubled
    ranges = ranges_to_check(rng)
    check(store, events, ranges)
    store.fold()
    check(store, events, ranges)
    store.close()


@pytest.mark.parametrize("grouped", [False, True])
def test_ctrl_c_in_a_commit_reaches_the_caller_and_the_batch_counts_once(
    tmp_path: Path, grouped: bool
) -> None:
    rng = random.Random(3)
    events = Events(rng, 200)
    spec = make_spec()
    store = Store.open(tmp_path / "s.duckdb", lateness_seconds=None, raw_dir=tmp_path / "raw")
    proxy = Interrupting(store.connection)
    store._con = proxy  # type: ignore[assignment]
    store.ingest("api", events.dicts(0, 100), spec=spec, now=LATER, batch_id="a")
    proxy.fail_commit = True  # the commit happens, then Ctrl-C: rollback finds no transaction
    with pytest.raises(KeyboardInterrupt):
        if grouped:
            with store.commit_group():
                store.ingest("api", events.dicts(100, 200), spec=spec, now=LATER, batch_id="b")
        else:
            store.ingest("api", events.dicts(100, 200), spec=spec, now=LATER, batch_id="b")
    # Not acknowledged, but committed: sent again it is recognised and counted once, and its
    # raw archive files were kept (the archive still holds every accepted event).
    assert store.ingest("api", events.dicts(100, 200), spec=spec, now=LATER, batch_id="b").duplicate
    check(store, events, ranges_to_check(rng))
    archived = sum(pq.read_table(p).num_rows for p in (tmp_path / "raw").rglob("*.parquet"))
    assert archived == 200 and store.streams()["api"]["raw_complete"]
    store.close()


@pytest.mark.parametrize("seed", range(6))
def test_merging_the_minutes_batches_share_keeps_every_sum(seed: int) -> None:
    """Parts (one indicator's rows of one batch) overlapping in time in every way — at the
    edges, nested, three at once, rows out of time order — come out with every key's sum."""
    rng = np.random.default_rng(seed)
    parts = []
    for _ in range(int(rng.integers(1, 9))):
        lo = int(rng.integers(0, 60))
        n = int(rng.integers(1, 80))
        t = np.sort(rng.integers(lo, lo + int(rng.integers(1, 40)), n)).astype(np.int64)
        if rng.random() < 0.3:
            t = rng.permutation(t)
        parts.append(
            {
                "sli_id": np.full(n, int(rng.integers(1, 3)), np.int32),
                "t": t,
                "bucket": rng.integers(0, 4, n).astype(np.int64),
                "n": rng.integers(1, 9, n).astype(np.int64),
            }
        )
    expect: dict[tuple[int, int, int], int] = defaultdict(int)
    for part in parts:
        for s, t, b, c in zip(*(part[k].tolist() for k in ("sli_id", "t", "bucket", "n")), strict=True):
            expect[(s, t, b)] += c
    out = store_module._merge_shared(parts, ("t", "sli_id", "bucket"))
    got: dict[tuple[int, int, int], int] = defaultdict(int)
    for s, t, b, c in zip(*(out[k].tolist() for k in ("sli_id", "t", "bucket", "n")), strict=True):
        got[(s, t, b)] += c
    assert got == expect
    assert out["t"].size <= sum(p["t"].size for p in parts)
    assert out["bucket"].dtype == np.int16 and out["sli_id"].dtype == np.int32
