"""Realistic, deterministic events for the two seed platforms (MToGo and CNC Quote).

The simulator is how the demo, the backtests and the benchmarks get data: each service with its
own traffic shape, latency distribution and baseline error rate, plus injected incidents whose
ground truth is written beside the events. It sits beside the importers: it knows the spec's
names (services, SLOs, streams, fields) but nothing of the store.
"""

from __future__ import annotations

from slokit.simulator.files import write
from slokit.simulator.generate import Simulation, simulation
from slokit.simulator.incidents import Incident
from slokit.simulator.live import Batch, stream
from slokit.simulator.scenarios import SCENARIOS, scenario

__all__ = ["SCENARIOS", "Batch", "Incident", "Simulation", "scenario", "simulation", "stream", "write"]
