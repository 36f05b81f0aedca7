"""The typed decoder the ingest endpoint learns per stream (:func:`slokit.server.ingest.learn`).

After a first batch, a stream's events are decoded into a Struct whose fields have the types
their columns had, and converted by Arrow in one pass. Every body must still give what the
general path gives (plain decoding, the store's own table conversion), which is the oracle
here: same rows, same values, same rejections, same counts in the store. Bodies whose values do
not have the learned types (nulls, ints in float columns, floats in int columns, numbers as
text, ints beyond int64, booleans) are the cases tried.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slokit.server.ingest import (
    EventType,
    accept,
    decode,
    decode_fast,
    decode_general,
    event_type,
)
from slokit.sources.events import TIMESTAMP_FIELDS
from slokit.sources.store import Store
from slokit.spec.loader import load

REPO = Path(__file__).resolve().parents[2]
SHOP = Path(__file__).resolve().parent / "data" / "shop.yaml"
MTOGO = REPO / "examples" / "mtogo"
NOW = math.floor(time.time() / 60) * 60
LATENESS = 48 * 3600


def trained(spec_path: Path, stream: str, events: list[dict[str, Any]]) -> EventType:
    kind = event_type(load(spec_path), stream)
    assert kind.typed is None
    assert decode_fast(json.dumps(events).encode(), kind) is not None
    return kind


def rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows as dicts without absent (null) fields, so column order and all-null columns do
    not matter; Python compares 200 == 200.0, so a float64 column of whole numbers equals
    the int64 column of the same numbers. Of the timestamp columns only the one the store
    reads (the first name present) is kept: the fast path does not convert the others."""
    read = next((n for n in TIMESTAMP_FIELDS if n in table.column_names), None)
    unread = set(TIMESTAMP_FIELDS) - {read}
    return [{k: v for k, v in r.items() if v is not None and k not in unread} for r in table.to_pylist()]


def general(body: bytes, kind: EventType) -> list[dict[str, Any]]:
    return rows(decode_general(body, False, kind).table)


SHOP_EVENTS = [
    {"ts": NOW - 30, "status": 200, "latency_ms": 12.5},
    {"ts": NOW - 20, "status": 503, "latency_ms": 80.0},
]


def test_the_first_batch_teaches_the_field_types() -> None:
    kind = trained(SHOP, "requests", SHOP_EVENTS)
    assert kind.typed is not None
    kinds = dict(zip(kind.names, kind.typed.kinds, strict=True))
    # ts: whole numbers -> int; status: int; latency_ms: float; timestamp/time never seen.
    assert kinds == {"ts": "int", "timestamp": "", "time": "", "latency_ms": "float", "status": "int"}
    assert kind.typed.row_type is not None
    # the spare timestamp names, never seen while ts is there, are left out of the Struct
    slots = dict(zip(kind.names, kind.typed.slots, strict=True))
    assert slots["timestamp"] is None and slots["time"] is None
    assert sorted(s for s in slots.values() if s is not None) == [0, 1, 2]


@pytest.mark.parametrize(
    ("events", "typed_after"),
    [
        # explicit nulls in an int and a float field; absent fields
        ([{"ts": NOW - 5, "status": None, "latency_ms": None}, {"ts": NOW - 4}], "int"),
        # whole numbers in the float field (msgspec reads them as floats)
        (
            [
                {"ts": NOW - 5, "status": 200, "latency_ms": 7},
                {"ts": NOW - 4, "status": 201, "latency_ms": 9},
            ],
            "int",
        ),
        # int64 bounds exactly
        ([{"ts": NOW - 5, "status": -(2**63)}, {"ts": NOW - 4, "status": 2**63 - 1}], "int"),
        # a float in the int field: decoded untyped, and the field is float from now on
        ([{"ts": NOW - 5, "status": 200}, {"ts": NOW - 4, "status": 200.5}], "float"),
        # a field first seen now (timestamp, while ts is absent from one event)
        ([{"ts": NOW - 5, "status": 200}, {"timestamp": NOW - 4, "status": 201}], "int"),
        # ts absent from every event: the timestamp name left out of the Struct is read
        ([{"timestamp": NOW - 5, "status": 200}, {"timestamp": NOW - 4, "status": 201}], "int"),
    ],
)
def test_typed_decoding_gives_the_general_paths_rows(events: list[dict[str, Any]], typed_after: str) -> None:
    kind = trained(SHOP, "requests", SHOP_EVENTS)
    body = json.dumps(events).encode()
    fast = decode_fast(body, kind)
    assert fast is not None
    assert rows(fast.table) == general(body, kind)
    assert kind.typed is not None
    assert dict(zip(kind.names, kind.typed.kinds, strict=True))["status"] == typed_after


def test_values_of_another_type_take_the_general_path_with_its_answers() -> None:
    kind = trained(SHOP, "requests", SHOP_EVENTS)
    # numbers as text, ints beyond int64, booleans: the fast path declines them all
    for status in ("slow", "200", 2**64, True):
        body = json.dumps([{"ts": NOW - 5, "status": 200}, {"ts": NOW - 4, "status": status}]).encode()
        assert decode_fast(body, kind) is None, status
        decoded = decode(body, False, kind, 100)
        assert rows(decoded.table) == general(body, kind)
    # the learned types are kept for the next ordinary batch
    assert decode_fast(json.dumps(SHOP_EVENTS).encode(), kind) is not None
    assert kind.typed is not None and kind.typed.row_type is not None


def test_text_fields_of_a_real_stream() -> None:
    first = [
        {
            "ts": (NOW - 9) * 1000,
            "service": "gateway",
            "route": "/a",
            "method": "GET",
            "status": 200,
            "latency_ms": 3.5,
        },
        {
            "ts": (NOW - 8) * 1000,
            "service": "order-service",
            "route": "/b",
            "method": "POST",
            "status": 500,
            "latency_ms": 9.0,
        },
    ]
    kind = trained(MTOGO, "http_requests", first)
    assert kind.typed is not None
    kinds = dict(zip(kind.names, kind.typed.kinds, strict=True))
    assert (kinds["service"], kinds["route"], kinds["method"]) == ("str", "str", "str")
    # a null and a number in a text field, then an object where text was
    for value in (None, 17, {"name": "gateway"}):
        body = json.dumps([*first, {"ts": (NOW - 7) * 1000, "service": value, "status": 200}]).encode()
        decoded = decode(body, False, kind, 100)
        assert rows(decoded.table) == general(body, kind), value


status = st.one_of(
    st.integers(100, 599),
    st.integers(-(2**70), 2**70),
    st.none(),
    st.floats(100, 599, allow_nan=False),
    st.just("slow"),
    st.just("503"),
    st.booleans(),
)
latency = st.one_of(st.floats(0, 5000, allow_nan=False), st.integers(0, 5000), st.none(), st.just("12"))
stamp = st.one_of(
    st.integers(NOW - 72 * 3600, NOW + 900),
    st.integers((NOW - 7200) * 1000, NOW * 1000),
    st.floats(NOW - 7200, NOW, allow_nan=False),
    st.just("2026-01-01T00:00:00Z"),
    st.none(),
)
event = st.fixed_dictionaries(
    {},
    optional={
        "ts": stamp,
        "timestamp": stamp,
        "status": status,
        "latency_ms": latency,
        "user_agent": st.text(max_size=5),
    },
)


@settings(max_examples=60, deadline=None)
@given(st.lists(event, min_size=1, max_size=20), st.lists(event, min_size=1, max_size=40))
def test_any_second_batch_counts_what_the_store_counts(
    tmp_path_factory: Any, first: list[dict[str, Any]], second: list[dict[str, Any]]
) -> None:
    """Whatever the first batch taught, the second gives the store's own answers (the store fed
    the events as dicts is the oracle), and the same rows as the general path."""
    spec = load(SHOP)
    kind = event_type(spec, "requests")
    decode(json.dumps(first).encode(), False, kind, 10_000)
    body = json.dumps(second).encode()
    decoded = decode(body, False, kind, 10_000)
    assert rows(decoded.table) == general(body, kind)
    table, rejections, _ = accept(decoded, NOW, None, LATENESS)
    d = tmp_path_factory.mktemp("t")
    with Store.open(d / "server.duckdb", lateness_seconds=None) as store:
        result = store.ingest("requests", table, spec=spec, now=NOW)
    with Store.open(d / "oracle.duckdb", lateness_seconds=LATENESS) as store:
        oracle = store.ingest("requests", second, spec=spec, now=NOW)
    assert result.rejections == []
    assert sorted(rejections) == sorted(oracle.rejections)
    assert table.num_rows == oracle.accepted
    assert {k: (v.valid, v.good) for k, v in result.per_sli.items()} == {
        k: (v.valid, v.good) for k, v in oracle.per_sli.items()
    }


def store_answers(events: list[dict[str, Any]], d: Path) -> tuple[Any, Any, list[tuple[int, str]]]:
    """(server's store result, oracle store result, the request's rejections)."""
    spec = load(SHOP)
    kind = trained(SHOP, "requests", SHOP_EVENTS)
    table, rejections, _ = accept(decode(json.dumps(events).encode(), False, kind, 100), NOW, None, LATENESS)
    with Store.open(d / "server.duckdb", lateness_seconds=None) as store:
        result = store.ingest("requests", table, spec=spec, now=NOW)
    with Store.open(d / "oracle.duckdb", lateness_seconds=LATENESS) as store:
        oracle = store.ingest("requests", events, spec=spec, now=NOW)
    return result, oracle, rejections


def test_a_rejected_row_does_not_change_the_type_of_a_mixed_column(tmp_path: Path) -> None:
    # status mixes a number and text; the numeric row is too late, so the kept rows hold only
    # text: still a numeric column ("503" -> 503, "slow" not a number), as in one ingest.
    events: list[dict[str, Any]] = [
        {"ts": NOW - 72 * 3600, "status": 100},
        {"ts": NOW - 5, "status": "503"},
        {"ts": NOW - 4, "status": "slow"},
        {"ts": NOW - 3, "status": "200"},
    ]
    result, oracle, rejections = store_answers(events, tmp_path)
    assert rejections == [(0, "too_late")]
    # availability: 503 and 200 are valid (one good), "slow" is not a number
    assert result.per_sli["shop-availability/0"].valid == 2
    assert result.per_sli["shop-availability/0"].good == 1
    assert {k: (v.valid, v.good, v.invalid) for k, v in result.per_sli.items()} == {
        k: (v.valid, v.good, v.invalid) for k, v in oracle.per_sli.items()
    }


def test_a_timestamp_sent_as_null_is_read_as_the_store_reads_it(tmp_path: Path) -> None:
    # "ts": null in every event and a "timestamp" too: dicts hold a null ts column, which the
    # store reads first, so every event is missing_timestamp; the fast path must not use
    # "timestamp" instead.
    events: list[dict[str, Any]] = [
        {"ts": None, "timestamp": NOW - 5, "status": 200},
        {"timestamp": NOW - 4, "status": 200},
    ]
    result, oracle, rejections = store_answers(events, tmp_path)
    assert rejections == [(0, "missing_timestamp"), (1, "missing_timestamp")]
    assert sorted(oracle.rejections) == rejections
    assert result.accepted == oracle.accepted == 0
    # without any "ts" key, "timestamp" is the one read, on the fast path
    kind = trained(SHOP, "requests", SHOP_EVENTS)
    fast = decode_fast(json.dumps([{"timestamp": NOW - 5, "status": 200}]).encode(), kind)
    assert fast is not None and fast.table.column_names == ["timestamp", "status"]
