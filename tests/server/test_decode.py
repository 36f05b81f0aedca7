"""The ingest request path (decode into the stream's Struct or the general path, then the
timestamp checks) must accept, reject and count exactly what the store does when it is given the
same events as dicts in one ingest; the oracle is the store itself (its own conversion and checks)."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.server.ingest import accept, decode, decode_fast, event_type
from slokit.sources.store import Store
from slokit.spec.loader import load

SPEC = Path(__file__).resolve().parent / "data" / "shop.yaml"
NOW = math.floor(time.time() / 60) * 60
LATENESS = 48 * 3600

status = st.one_of(st.integers(100, 599), st.none(), st.floats(100, 599, allow_nan=False), st.just("slow"))
latency = st.one_of(st.floats(0, 5000, allow_nan=False), st.integers(0, 5000), st.none())
stamp = st.one_of(
    st.integers(NOW - 72 * 3600, NOW + 900),  # too late, fine, in the future
    st.integers((NOW - 7200) * 1000, NOW * 1000),  # epoch milliseconds
    st.just("2026-01-01T00:00:00Z"),
    st.just("not a time"),
)
event = st.fixed_dictionaries(
    {"ts": stamp},
    optional={
        "status": status,
        "latency_ms": latency,
        "route": st.sampled_from(["/a", "/b"]),
        "meta": st.fixed_dictionaries({"region": st.sampled_from(["eu", "us"])}),
    },
)
element = st.one_of(event, event, event, st.just("not an event"), st.just({"status": 200}))


def expected(events: list[Any], d: Path) -> tuple[int, list[tuple[int, str]], dict[str, tuple[int, int]]]:
    """The store fed the events as dicts (non-objects listed as the endpoint lists them)."""
    objects = [i for i, e in enumerate(events) if isinstance(e, dict)]
    with Store.open(d / "oracle.duckdb", lateness_seconds=LATENESS) as store:
        r = store.ingest("requests", [events[i] for i in objects], spec=load(SPEC), now=NOW)
    rejected = [(objects[i], reason) for i, reason in r.rejections]
    rejected += [(i, "not_an_object") for i, e in enumerate(events) if not isinstance(e, dict)]
    return r.accepted, sorted(rejected), {k: (v.valid, v.good) for k, v in r.per_sli.items()}


@settings(max_examples=40, deadline=None)
@given(st.lists(element, min_size=1, max_size=50))
def test_request_path_counts_what_the_store_counts(tmp_path_factory: Any, events: list[Any]) -> None:
    spec = load(SPEC)
    d = tmp_path_factory.mktemp("t")
    kind = event_type(spec, "requests")
    decoded = decode(json.dumps(events).encode(), False, kind, 10_000)
    table, rejections, _ = accept(decoded, NOW, None, LATENESS)
    with Store.open(d / "server.duckdb", lateness_seconds=None) as store:
        result = store.ingest("requests", table, spec=spec, now=NOW)
    accepted, rejected, per_sli = expected(events, d)
    assert (table.num_rows, result.accepted) == (accepted, accepted)
    assert result.rejections == []  # the store rejects nothing the request path accepted
    assert sorted(rejections) == rejected
    assert {k: (v.valid, v.good) for k, v in result.per_sli.items()} == per_sli


def test_fast_path_keeps_only_the_fields_the_indicators_read() -> None:
    kind = event_type(load(SPEC), "requests")
    body = json.dumps(
        [
            {"ts": NOW - 5, "status": 200, "latency_ms": 12.5, "user_agent": "x" * 500, "trace": {"id": 1}},
            {"ts": NOW - 4, "status": 503, "latency_ms": 40, "user_agent": "y"},
        ]
    ).encode()
    decoded = decode_fast(body, kind)
    assert decoded is not None
    assert decoded.table.column_names == ["ts", "latency_ms", "status"]
    assert decoded.table.column("status").to_pylist() == [200, 503]
    # Mixed types in a column, or an element that is not an object: the general path decides.
    assert decode_fast(b'[{"ts": 1, "status": 200}, {"ts": 2, "status": "slow"}]', kind) is None
    assert decode_fast(b'[{"ts": 1}, 7]', kind) is None
    assert decode_fast(b'{"ts": 1}', kind) is None


def test_lateness_counts_from_the_newest_event_seen_before() -> None:
    kind = event_type(load(SPEC), "requests")
    stored_newest = (NOW - 1) // 60  # a previous batch reached the current minute
    body = json.dumps([{"ts": NOW - 49 * 3600}, {"ts": NOW - 47 * 3600}]).encode()
    table, rejections, newest = accept(decode(body, False, kind, 10), NOW, stored_newest, LATENESS)
    assert rejections == [(0, "too_late")] and table.num_rows == 1 and newest == stored_newest
