"""Shared simulated data for the simulator tests: generated once per session, small ranges."""

from __future__ import annotations

import functools
from pathlib import Path

import pyarrow as pa
import pytest

import slokit
from slokit.simulator import scenario, simulation
from slokit.simulator.generate import Simulation
from slokit.spec.model import Spec

REPO_ROOT = Path(__file__).resolve().parents[2]
#: 2026-11-01T00:00:00Z, a Sunday: one day back is a Saturday, four days back a Wednesday.
END_MS = 1_793_491_200_000
EXAMPLES = ("mtogo", "cnc-quote")


@functools.cache
def example_spec(name: str) -> Spec:
    return slokit.load(REPO_ROOT / "examples" / name)


@functools.cache
def planned(name: str, days: float, seed: int, incidents: bool = True) -> Simulation:
    return simulation(scenario(name), END_MS, days=days, seed=seed, incidents=None if incidents else [])


@functools.cache
def stream_tables(name: str, days: float, seed: int, incidents: bool = True) -> dict[str, pa.Table]:
    """Every stream of a simulation, concatenated over its range."""
    sim = planned(name, days, seed, incidents)
    parts: dict[str, list[pa.Table]] = {}
    for batch in sim.batches():
        for stream, table in batch.items():
            parts.setdefault(stream, []).append(table)
    return {stream: pa.concat_tables(tables) for stream, tables in parts.items()}


@pytest.fixture(params=EXAMPLES)
def example(request: pytest.FixtureRequest) -> str:
    return str(request.param)
