"""The server compacts what its folds wrote: one row per key afterwards, the same counts.

Every fold appends its own minute and histogram rows, so a server that ran for a day would
hold one row per fold for every indicator, minute and bucket. The oracle is the events
themselves: per minute row (``(60·m, 60·m + 60]``), how many there are and how many have
``status < 500`` (the shop spec's availability SLI), counted in Python.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

import slokit.server.pipeline as pipeline_module
from slokit.server.ingest import EventTypes, accept, decode
from slokit.server.pipeline import IngestPipeline, wal_directory
from slokit.server.state import ServerConfig, ServerState

SPEC = Path(__file__).resolve().parent / "data" / "shop.yaml"
SLI = "shop-availability/0"


def _batches(now: float) -> list[list[dict[str, object]]]:
    rng = random.Random(7)
    base = math.floor(now / 60) * 60 - 600
    return [
        [
            {
                "ts": base + rng.uniform(0, 590),
                "status": rng.choice((200, 201, 404, 500, 503)),
                "latency_ms": rng.uniform(1, 900),
            }
            for _ in range(rng.randint(20, 60))
        ]
        for _ in range(40)
    ]


def _ingest(pipeline: IngestPipeline, state: ServerState, batches: list[list[dict[str, object]]]) -> None:
    """Each batch through the request path's decoding and checks, logged, then folded alone
    (as folds land under light load): 40 folds writing rows for the same minutes."""
    kind = EventTypes().get(state.spec, "requests")

    async def run() -> None:
        for events in batches:
            decoded = decode(msgspec.json.encode(events), False, kind, 10_000)
            table, rejected, newest = accept(decoded, time.time(), pipeline.newest.get("requests"), None)
            assert not rejected
            pipeline.newest["requests"] = newest
            await pipeline.enqueue("requests", None, table)
            pipeline.fold_pending()

    asyncio.run(run())


def _rows(state: ServerState, family: str, key: str) -> tuple[int, int]:
    """Rows of the minute level and of the not yet folded (pending) ones, and distinct keys."""
    con = state.store.connection
    union = f"SELECT {key} FROM {family}_1m UNION ALL SELECT {key} FROM {family}_pending"
    total, distinct = con.execute(f"SELECT count(*), count(DISTINCT ({key})) FROM ({union})").fetchall()[0]
    return int(total), int(distinct)


def _oracle(batches: list[list[dict[str, object]]]) -> tuple[Counter[int], Counter[int]]:
    valid: Counter[int] = Counter()
    good: Counter[int] = Counter()
    for events in batches:
        for e in events:
            ts = e["ts"]
            assert isinstance(ts, float)
            m = math.ceil(ts / 60) - 1
            valid[m] += 1
            status = e["status"]
            assert isinstance(status, int)
            good[m] += status < 500
    return valid, good


def _minute_counts(state: ServerState, lo: int, hi: int) -> tuple[list[int], list[int]]:
    with state.locked() as store:
        counts = store.minute_counts(SLI, lo, hi + 1)
    return counts.valid.tolist(), counts.good.tolist()


@contextlib.contextmanager
def _running_pipeline(tmp_path: Path) -> Iterator[tuple[ServerState, IngestPipeline]]:
    """A server's state and its log and fold threads (no HTTP), stopped afterwards."""
    store_path = str(tmp_path / "c.duckdb")
    state = ServerState(ServerConfig(spec_paths=(str(SPEC),), store_path=store_path, token="t"))
    pipeline = IngestPipeline(state, wal_directory(store_path))
    pipeline.start()
    try:
        yield state, pipeline
    finally:
        pipeline.stop()
        state.close()


def test_compaction_leaves_one_row_per_key_and_the_same_counts(tmp_path: Path) -> None:
    with _running_pipeline(tmp_path) as (state, pipeline):
        batches = _batches(time.time())
        _ingest(pipeline, state, batches)
        valid, good = _oracle(batches)
        lo, hi = min(valid), max(valid)
        want = ([valid[m] for m in range(lo, hi + 1)], [good[m] for m in range(lo, hi + 1)])
        assert _minute_counts(state, lo, hi) == want
        before = _rows(state, "counts", "sli_id, t")
        assert before[0] > 3 * before[1]  # many folds wrote rows for the same keys
        pipeline.compact()
        assert pipeline.counters.compactions == 1
        for family, key in (("counts", "sli_id, t"), ("hist", "sli_id, t, bucket")):
            total, distinct = _rows(state, family, key)
            assert total == distinct, family
        assert _minute_counts(state, lo, hi) == want
        pipeline.compact()  # nothing folded since: nothing to do
        assert pipeline.counters.compactions == 1


def test_the_fold_thread_compacts_on_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline_module, "COMPACT_INTERVAL", 0.2)
    monkeypatch.setattr(pipeline_module, "FOLD_INTERVAL", 0.05)
    with _running_pipeline(tmp_path) as (state, pipeline):
        batches = _batches(time.time())
        _ingest(pipeline, state, batches)
        # Compactions may also run between the folds; the one after the last fold must come.
        deadline = time.monotonic() + 20
        while True:
            with state.lock:
                total, distinct = _rows(state, "counts", "sli_id, t")
            if total == distinct or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert total == distinct
        assert pipeline.counters.compactions >= 1
