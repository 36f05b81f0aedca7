"""The ingest log: records read back exactly, a torn or corrupt tail ends the log, segments are
deleted only once folded; and the server replays logged batches that the store does not have,
once, with their idempotency keys (the oracle: the events written, counted by hand)."""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

import pyarrow as pa

from slokit.server.pipeline import IngestPipeline, KeyWindow, _Item, wal_directory
from slokit.server.state import ServerConfig, ServerState
from slokit.sources.wal import WriteAheadLog, encode_record, read_segment

SPEC = Path(__file__).resolve().parent / "data" / "shop.yaml"
NOW = math.floor(time.time() / 60) * 60


def table(n: int, bad_every: int = 4) -> pa.Table:
    return pa.table(
        {
            "ts": [NOW - 1 - i for i in range(n)],
            "status": [500 if i % bad_every == 0 else 200 for i in range(n)],
        }
    )


def test_records_round_trip_and_a_torn_tail_ends_the_log(tmp_path: Path) -> None:
    log = WriteAheadLog(tmp_path / "log")
    log.reset(1)
    tables = [table(3), table(5), table(7)]
    log.append([encode_record(i + 1, {"stream": "s", "key": f"k{i}"}, t) for i, t in enumerate(tables)], 3)
    log.close()
    (segment,) = log.segments()
    records = list(read_segment(segment))
    assert [r.seq for r in records] == [1, 2, 3]
    assert [r.header["key"] for r in records] == ["k0", "k1", "k2"]
    assert all(r.table.equals(t) for r, t in zip(records, tables, strict=True))
    data = segment.read_bytes()
    segment.write_bytes(data[:-10])  # a crash in the middle of the last write
    assert [r.seq for r in read_segment(segment)] == [1, 2]
    corrupt = bytearray(data)
    corrupt[len(data) // 2] ^= 0xFF  # a flipped byte in the second record: the log ends before it
    segment.write_bytes(bytes(corrupt))
    assert [r.seq for r in read_segment(segment)] == [1]


def test_segments_are_deleted_only_when_folded(tmp_path: Path) -> None:
    log = WriteAheadLog(tmp_path / "log", segment_bytes=1)  # every append closes its segment
    log.reset(1)
    for seq in range(1, 5):
        log.append([encode_record(seq, {"stream": "s"}, table(2))], seq)
    assert len(log.segments()) == 5  # four closed, one open and empty
    assert log.release(2) == 2
    assert [r.seq for r in log.replay()] == [3, 4]
    log.close()


def _open(store: Path) -> tuple[ServerState, IngestPipeline]:
    state = ServerState(ServerConfig(spec_paths=(str(SPEC),), store_path=str(store), token="t"))
    return state, IngestPipeline(state, wal_directory(str(store)))


def _accepted(state: ServerState) -> int:
    with state.locked() as store:
        return int(store.streams().get("requests", {}).get("accepted") or 0)


def test_logged_batches_are_replayed_once_with_their_keys(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    state, pipeline = _open(store)
    pipeline.stop()
    state.close()
    # Batches that were synced (acknowledged) but not folded when the server died.
    log = WriteAheadLog(wal_directory(str(store)))
    log.reset(1)
    batches = [("k-a", table(10)), (None, table(6)), ("k-b", table(4))]
    log.append(
        [
            encode_record(i + 1, {"stream": "requests", "key": k, "at": time.time()}, t)
            for i, (k, t) in enumerate(batches)
        ],
        3,
    )
    log.close()
    kept = tmp_path / "copy"
    shutil.copytree(wal_directory(str(store)), kept)

    state, pipeline = _open(store)
    assert _accepted(state) == 20
    assert pipeline.folded_seq == 3
    assert isinstance(pipeline.keys.get("requests", "k-a"), float)
    assert pipeline.keys.get("requests", "k-c") is None
    with state.locked() as s:
        shop = next(b for b in s.register(state.spec) if b.slo == "shop-availability")
        valid, good = s.minute_matrix([shop.sli_key], NOW // 60 - 60, NOW // 60 + 1)
    assert (int(valid.sum()), int(good.sum())) == (20, 20 - (3 + 2 + 1))  # every 4th event is a 500
    pipeline.stop()
    state.close()

    # A crash after the fold committed but before the segments were deleted: same records again.
    shutil.rmtree(wal_directory(str(store)))
    shutil.copytree(kept, wal_directory(str(store)))
    state, pipeline = _open(store)
    assert _accepted(state) == 20  # folded records are skipped by their sequence number
    assert isinstance(pipeline.keys.get("requests", "k-b"), float)  # the key survived in the store
    assert pipeline._next_seq == 4
    pipeline.stop()
    state.close()


def test_key_window_is_bounded() -> None:
    window = KeyWindow(max_keys=2, seconds=60)
    for i, at in enumerate([100.0, 101.0, 102.0]):
        window.put("s", f"k{i}", at, at)
    assert window.get("s", "k0") is None and window.get("s", "k2") == 102.0  # the oldest went first
    window.trim(161.5)
    assert window.get("s", "k1") is None and window.get("s", "k2") == 102.0  # older than 60 s went


def test_stored_keys_keep_the_window(tmp_path: Path) -> None:
    state, pipeline = _open(tmp_path / "k.duckdb")
    pipeline.keys.max_keys = 2
    now = time.time()
    items = [
        _Item(seq, "requests", key, at, table(1))
        for seq, (key, at) in enumerate(
            [("old", now - 2 * 86400), ("a", now - 3), ("b", now - 2), ("c", now - 1)], 1
        )
    ]
    with state.lock:
        pipeline._fold_items(items)
        rows = state.store.connection.execute("SELECT key FROM server_idempotency ORDER BY key").fetchall()
    assert [r[0] for r in rows] == ["b", "c"]  # "old" is past 24 h, "a" beyond the two newest
    pipeline.stop()
    state.close()


def test_a_failed_log_write_refuses_ingest_and_a_stuck_fold_times_out(tmp_path: Path) -> None:
    import asyncio

    from slokit.server.pipeline import LogBroken

    state, pipeline = _open(tmp_path / "b.duckdb")
    pipeline.start()

    async def scenario() -> tuple[bool, str, bool]:
        await asyncio.shield(pipeline.enqueue("requests", "k1", table(3)))  # logged fine
        pipeline.wal.close()  # the next write fails
        try:
            await asyncio.shield(pipeline.enqueue("requests", "k2", table(3)))
            failed = ""
        except LogBroken as exc:
            failed = str(exc)
        room_when_broken = await pipeline.wait_for_room(timeout=0.05)
        return room_when_broken, failed, pipeline.keys.get("requests", "k2") is None

    room, failed, forgotten = asyncio.run(scenario())
    assert failed and pipeline.broken is not None and forgotten and room
    assert _accepted(state) == 3  # the logged batch was folded; the failed one is nowhere
    pipeline.broken = None
    pipeline._pending_events = 10**9  # a fold that never catches up
    assert asyncio.run(pipeline.wait_for_room(timeout=0.05)) is False
    pipeline._pending_events = 0
    pipeline.stop()
    state.close()
