"""Streaming mode: events handed out as simulated time passes, for live demos.

Simulated time runs ``speed`` times faster than the wall clock from ``start``; every tick the
events whose timestamps have been reached are yielded, per stream, in time order. The events are
the very ones a file run over the same hours would write (same chunks, same keyed generators),
so a demo can be reproduced offline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from slokit.simulator.generate import CHUNK_MS, generate_chunk, simulation
from slokit.simulator.model import Scenario
from slokit.simulator.traffic import DAY_MS, MINUTE_MS


@dataclass(frozen=True, slots=True)
class Batch:
    """Events of one stream with timestamps in ``[start_ms, end_ms)``."""

    stream: str
    start_ms: int
    end_ms: int
    table: pa.Table


def stream(
    scenario: Scenario,
    start_ms: int | None = None,
    speed: float = 1.0,
    seed: int = 0,
    rate_scale: float = 1.0,
    horizon_days: float = 30,
    tick_s: float = 1.0,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Batch]:
    """Yield batches of events in near-real time (``speed`` simulated seconds per second).

    ``start_ms`` defaults to the current minute. Incidents are planned over ``horizon_days``
    from the start; the generator ends when simulated time reaches the horizon.
    """
    if speed <= 0:
        raise ValueError(f"speed must be positive, got {speed}")
    wall_start = clock()
    begin = int(wall_start * 1000) // MINUTE_MS * MINUTE_MS if start_ms is None else start_ms
    horizon = begin + round(horizon_days * DAY_MS)
    sim = simulation(scenario, horizon, days=horizon_days, seed=seed, rate_scale=rate_scale)
    begin = sim.start_ms
    emitted = begin
    cached: tuple[int, dict[str, pa.Table]] | None = None
    while emitted < sim.end_ms:
        reached = min(begin + int((clock() - wall_start) * speed * 1000), sim.end_ms)
        if reached <= emitted:
            sleep(tick_s)
            continue
        while emitted < reached:
            chunk = emitted // CHUNK_MS
            if cached is None or cached[0] != chunk:
                low = max(chunk * CHUNK_MS, sim.start_ms)
                high = min((chunk + 1) * CHUNK_MS, sim.end_ms)
                cached = (chunk, generate_chunk(sim, low, high))
            stop = min(reached, (chunk + 1) * CHUNK_MS)
            for name, table in cached[1].items():
                ts = table.column("ts").to_numpy()
                lo, hi = np.searchsorted(ts, [emitted, stop], side="left")
                if hi > lo:
                    yield Batch(name, emitted, stop, table.slice(int(lo), int(hi - lo)))
            emitted = stop
