"""Concurrent batches are committed together; each answer must still be that batch's own
(accepted count, rejection indices, duplicate), and the store must hold exactly the accepted events."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any

import slokit_test_serverproc as sp


def test_concurrent_batches_get_their_own_answers(tmp_path: Path) -> None:
    proc = sp.ServerProcess(tmp_path / "g.duckdb").start()
    t = math.floor(time.time() / 60) * 60
    answers: dict[tuple[int, int], dict[str, Any]] = {}
    sent: dict[tuple[int, int], list[Any]] = {}
    lock = threading.Lock()

    def client(k: int) -> None:
        with proc.client() as c:
            for j in range(15):
                n = 50 + 17 * k + j
                events: list[Any] = [{"ts": t - 1 - i, "status": 200 if i % 3 else 500} for i in range(n)]
                bad_at = sorted({(k * 7 + j) % n, (k + 3 * j) % n})
                for b in bad_at:
                    events[b] = {"status": 200} if b % 2 else "not an event"
                r = c.post("/api/v1/streams/requests/events", json=events)
                assert r.status_code == 200, r.text
                with lock:
                    answers[(k, j)] = r.json()
                    sent[(k, j)] = events

    try:
        threads = [threading.Thread(target=client, args=(k,)) for k in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        total = 0
        good = 0
        for key, events in sent.items():
            expected = [
                {"index": i, "reason": "not_an_object" if not isinstance(e, dict) else "missing_timestamp"}
                for i, e in enumerate(events)
                if not isinstance(e, dict) or "ts" not in e
            ]
            assert answers[key]["rejected"] == expected, key
            kept = [e for e in events if isinstance(e, dict) and "ts" in e]
            assert answers[key]["accepted"] == len(kept)
            total += len(kept)
            good += sum(1 for e in kept if e["status"] < 500)
        assert len(sent) == 90
        with proc.client() as c:
            assert c.get("/api/v1/streams").json()["streams"]["requests"]["accepted"] == total
            state = c.get("/api/v1/slos/shop-availability").json()["slo"]["objectives"][0]
            assert (state["valid"], state["good"]) == (total, good)
            ready = c.get("/readyz").json()
            assert ready["grouped_batches"] == 90
            assert ready["group_commits"] < 90  # some batches did share a transaction

        # The same keyed batch sent by six clients at once: counted once, five duplicates.
        shared = [{"ts": t - 5, "status": 200} for _ in range(37)]
        results: list[dict[str, Any]] = []

        def send_shared() -> None:
            with proc.client() as c:
                r = c.post(
                    "/api/v1/streams/requests/events", json=shared, headers={"Idempotency-Key": "shared"}
                )
                assert r.status_code == 200
                with lock:
                    results.append(r.json())

        threads = [threading.Thread(target=send_shared) for _ in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert sorted(r["duplicate"] for r in results) == [False] + [True] * 5
        assert sum(r["accepted"] for r in results) == 37
        with proc.client() as c:
            assert c.get("/api/v1/streams").json()["streams"]["requests"]["accepted"] == total + 37
    finally:
        proc.stop()
