"""Durability for real: clients stream batches, the server is killed with SIGKILL mid-stream and
restarted, three times. Every batch the server acknowledged (2xx) must be counted exactly once,
and a batch whose answer was lost is re-sent with its Idempotency-Key and counted at most once.

Half the clients send keys; the other half send none, so their batches go through group commit.
An unkeyed batch whose answer was lost cannot be re-sent safely: it is in the store entirely or
not at all, so the store holds the acknowledged events plus whole unanswered unkeyed batches."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import slokit_test_serverproc as sp

CLIENTS = 4
BATCH = 400
ROUNDS = 3


@dataclass
class Ledger:
    batches: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)
    unknown_unkeyed: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def make_batch(round_no: int, client: int, seq: int, t: int) -> list[dict[str, Any]]:
    base = (round_no * 1000 + client) * 100_000 + seq * BATCH
    return [
        {"ts": t - 1 - (base + i) % 3000, "status": 500 if (base + i) % 13 == 0 else 200, "latency_ms": 10}
        for i in range(BATCH)
    ]


def stream(url: str, round_no: int, client: int, ledger: Ledger, stop: threading.Event, t: int) -> None:
    headers = {"Authorization": f"Bearer {sp.TOKEN}"}
    seq = 0
    with httpx.Client(base_url=url, headers=headers, timeout=10.0) as c:
        while not stop.is_set() and seq < 2000:
            key = f"r{round_no}-c{client}-b{seq}"
            events = make_batch(round_no, client, seq, t)
            with ledger.lock:
                ledger.batches[key] = events
            keyed = client % 2 == 0
            try:
                r = c.post(
                    "/api/v1/streams/requests/events",
                    json=events,
                    headers={"Idempotency-Key": key} if keyed else {},
                )
            except httpx.HTTPError:
                with ledger.lock:
                    (ledger.unknown if keyed else ledger.unknown_unkeyed).add(key)
                return  # the server is gone
            assert r.status_code == 200, r.text
            assert r.json()["accepted"] == BATCH
            with ledger.lock:
                ledger.acked.add(key)
            seq += 1


def test_kill_minus_nine_loses_nothing_acknowledged(tmp_path: Path) -> None:
    store = tmp_path / "d.duckdb"
    ledger = Ledger()
    t = math.floor(time.time() / 60) * 60
    for round_no in range(ROUNDS):
        proc = sp.ServerProcess(store).start()
        stop = threading.Event()
        threads = [
            threading.Thread(target=stream, args=(proc.url, round_no, k, ledger, stop, t))
            for k in range(CLIENTS)
        ]
        for th in threads:
            th.start()
        # Kill once the clients are well under way (a few dozen batches acknowledged this round).
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with ledger.lock:
                done = sum(1 for k in ledger.acked if k.startswith(f"r{round_no}-"))
            if done >= 24:
                break
            time.sleep(0.02)
        proc.kill9()
        stop.set()
        for th in threads:
            th.join(15)
        assert done >= 24

    proc = sp.ServerProcess(store).start()
    try:
        with proc.client() as c:
            # Acknowledged keyed batches re-sent: every one is recognised as already counted.
            for key in sorted(k for k in ledger.acked if int(k.split("-c")[1].split("-")[0]) % 2 == 0):
                r = c.post(
                    "/api/v1/streams/requests/events",
                    json=ledger.batches[key],
                    headers={"Idempotency-Key": key},
                )
                assert r.status_code == 200 and r.json()["duplicate"] is True, key
            # Batches whose answer was lost: re-sent, counted now or recognised, never twice.
            for key in sorted(ledger.unknown):
                r = c.post(
                    "/api/v1/streams/requests/events",
                    json=ledger.batches[key],
                    headers={"Idempotency-Key": key},
                )
                assert r.status_code == 200
                ledger.acked.add(key)
            print(
                f"acknowledged: {len(ledger.acked)}, lost answers: {len(ledger.unknown)}"
                f" keyed, {len(ledger.unknown_unkeyed)} unkeyed"
            )
            events = [e for key in ledger.acked for e in ledger.batches[key]]
            assert len(ledger.acked) >= ROUNDS * 24
            stored = c.get("/api/v1/streams").json()["streams"]["requests"]["accepted"]
            extra = stored - len(events)
            assert extra % BATCH == 0 and 0 <= extra // BATCH <= len(ledger.unknown_unkeyed), (
                stored,
                len(events),
                len(ledger.unknown_unkeyed),
            )
            # Which unanswered unkeyed batches made it is unknown; every one of them is whole.
            state = c.get("/api/v1/slos/shop-availability").json()["slo"]["objectives"][0]
            assert state["valid"] == stored
    finally:
        proc.stop()
