"""The ingest fast path (one ``Table.from_pylist`` for uniform events) must count exactly what the
store's own per-column conversion counts; the oracle is the store fed the same events as dicts."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.server.ingest import as_table
from slokit.sources.store import Store
from slokit.spec.loader import load

SPEC = Path(__file__).resolve().parent / "data" / "shop.yaml"
NOW = math.floor(time.time() / 60) * 60

status = st.one_of(st.integers(100, 599), st.none(), st.floats(100, 599, allow_nan=False))
latency = st.one_of(st.floats(0, 5000, allow_nan=False), st.integers(0, 5000), st.none())
event = st.fixed_dictionaries(
    {
        "ts": st.integers(NOW - 7200, NOW - 1),
        "status": status,
        "latency_ms": latency,
        "meta": st.fixed_dictionaries({"region": st.sampled_from(["eu", "us"])}),
    }
)


@settings(max_examples=12, deadline=None)
@given(st.lists(event, min_size=1, max_size=60))
def test_fast_path_counts_what_the_store_counts(tmp_path_factory: Any, events: list[dict[str, Any]]) -> None:
    spec = load(SPEC)
    d = tmp_path_factory.mktemp("t")
    table = as_table(events)
    with Store.open(d / "a.duckdb") as a, Store.open(d / "b.duckdb") as b:
        fast = a.ingest("requests", table, spec=spec, now=NOW)
        slow = b.ingest("requests", events, spec=spec, now=NOW)
    assert fast.accepted == slow.accepted
    assert fast.rejections == slow.rejections
    assert {k: (v.valid, v.good) for k, v in fast.per_sli.items()} == {
        k: (v.valid, v.good) for k, v in slow.per_sli.items()
    }


def test_fast_path_only_for_uniform_events() -> None:
    uniform = [{"ts": 1, "status": 200}, {"ts": 2, "status": 500}]
    assert isinstance(as_table(uniform), pa.Table)
    ragged = [{"ts": 1, "status": 200}, {"ts": 2}]
    assert as_table(ragged) is ragged
    mixed = [{"ts": 1, "status": 200}, {"ts": 2, "status": "slow"}]
    assert as_table(mixed) is mixed
