"""Store behaviour on hand-made batches: rejections with indices, duplicates, bad values,
durability, coverage and backfill from the raw archive, composite objectives."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from slokit.sources.store import Store
from slokit.spec.durations import parse_duration
from slokit.spec.model import (
    SLI,
    SLO,
    Metadata,
    MetricSource,
    Objective,
    RatioMetric,
    SlokitQuery,
    Spec,
    ThresholdMetric,
    TimeWindow,
)
from slokit.spec.predicate import parse_predicate

NOW = 1_700_000_000  # 2023-11-14T22:13:20Z; minute row of an event at NOW is (NOW - 1) // 60


def source(stream: str, where: str | None = None, value: str | None = None) -> MetricSource:
    raw: dict[str, Any] = {"stream": stream}
    if where is not None:
        raw["where"] = where
    if value is not None:
        raw["value"] = value
    predicate = parse_predicate(where) if where is not None else None
    return MetricSource("slokit", raw, binding=SlokitQuery(stream, predicate, value))


def make_slo(name: str, objectives: tuple[Objective, ...], sli: SLI | None = None) -> SLO:
    window = TimeWindow(parse_duration("30d"), True)
    return SLO(Metadata(name), "svc", window, "Occurrences", objectives, indicator=sli)


def latency_sli(where: str | None = None, stream: str = "api") -> SLI:
    return SLI(Metadata("lat"), threshold_metric=ThresholdMetric(source(stream, where, "latency_ms")))


def avail_sli(stream: str = "api") -> SLI:
    return SLI(
        Metadata("avail"),
        ratio_metric=RatioMetric(True, total=source(stream), good=source(stream, "status < 500")),
    )


def spec_of(*slos: SLO) -> Spec:
    return Spec(slos={s.name: s for s in slos})


def basic_spec() -> Spec:
    return spec_of(
        make_slo("lat", (Objective(0.95, op="lt", value=400.0),), latency_sli()),
        make_slo("avail", (Objective(0.999),), avail_sli()),
    )


def ev(ts: Any, **fields: Any) -> dict[str, Any]:
    return {"ts": ts, **fields}


def window(store: Store, key: str, start: int, stop: int) -> tuple[int, int]:
    v, g = store.window_counts([(key, start, stop)])
    return int(v[0]), int(g[0])


ALL = (0, 10**9)


def test_future_and_late_events_are_rejected_with_index_and_reason(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.duckdb", clock=lambda: NOW)
    spec = basic_spec()
    first = store.ingest("api", [ev(NOW, status=200, latency_ms=10.0)], spec=spec)
    assert first.accepted == 1 and not first.rejections
    batch = [
        ev(NOW + 299, status=200, latency_ms=1.0),  # within the 5-minute tolerance
        ev(NOW + 301, status=200, latency_ms=1.0),  # too far ahead
        ev(NOW - 48 * 3600 - 120, status=200, latency_ms=1.0),  # older than 48 h behind newest
        ev(NOW - 47 * 3600, status=500, latency_ms=500.0),
        ev("garbage", status=200),
        {"status": 200},
    ]
    result = store.ingest("api", batch, spec=spec)
    assert result.rejections == [
        (1, "in_future"),
        (2, "too_late"),
        (4, "bad_timestamp"),
        (5, "missing_timestamp"),
    ]
    assert result.rejected == {"in_future": 1, "too_late": 1, "bad_timestamp": 1, "missing_timestamp": 1}
    assert result.accepted == 2
    assert window(store, "avail/0", *ALL) == (3, 2)
    assert window(store, "lat/0", *ALL) == (3, 2)


def test_lateness_is_configurable_and_can_be_off(tmp_path: Path) -> None:
    spec = basic_spec()
    old = [ev(NOW - 10 * 86400, status=200, latency_ms=1.0), ev(NOW, status=200, latency_ms=1.0)]
    strict = Store.open(tmp_path / "a.duckdb", clock=lambda: NOW, lateness_seconds=3600)
    assert strict.ingest("api", old, spec=spec).rejections == [(0, "too_late")]
    lenient = Store.open(tmp_path / "b.duckdb", clock=lambda: NOW, lateness_seconds=None)
    assert lenient.ingest("api", old, spec=spec).accepted == 2


def test_same_batch_id_counts_once(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.duckdb", clock=lambda: NOW)
    spec = basic_spec()
    batch = [ev(NOW - i * 60, status=200 if i % 3 else 503, latency_ms=float(i * 50)) for i in range(20)]
    one = store.ingest("api", batch, spec=spec, batch_id="x-1")
    two = store.ingest("api", batch, spec=spec, batch_id="x-1")
    assert not one.duplicate and two.duplicate and two.accepted == 0
    other_stream = store.ingest("api", batch, spec=spec, batch_id="x-2")
    assert not other_stream.duplicate
    valid, good = window(store, "avail/0", *ALL)
    assert valid == 40
    assert good == 2 * sum(1 for i in range(20) if i % 3)


def test_missing_fields_and_bad_values_are_counted_per_indicator(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.duckdb", clock=lambda: NOW)
    spec = basic_spec()
    batch = [
        ev(NOW, status=200, latency_ms=10.0),
        ev(NOW, latency_ms=20.0),  # no status: invalid for avail only
        ev(NOW, status=200),  # no latency: invalid for lat only
        ev(NOW, status=200, latency_ms=float("nan")),
        ev(NOW, status=200, latency_ms=-3.0),
        ev(NOW, status=200, latency_ms="slow"),
        ev(NOW, status=200, latency_ms=float("inf")),
        ev(NOW, status=200, latency_ms=0.0),
    ]
    result = store.ingest("api", batch, spec=spec)
    assert result.per_sli["avail/0"].valid == 7
    assert dict(result.per_sli["avail/0"].invalid) == {"missing_fields": 1}
    lat = result.per_sli["lat/0"]
    assert (lat.valid, lat.good) == (3, 3)
    assert dict(lat.invalid) == {
        "missing_fields": 1,
        "nan": 1,
        "negative": 1,
        "non_numeric": 1,
        "infinite": 1,
    }
    hist = store.window_histograms([("lat/0", *ALL)])[0]
    assert hist.total == 3 and hist.zero == 1


def test_bad_predicate_on_missing_field_makes_event_invalid_not_good(tmp_path: Path) -> None:
    errors = SLI(
        Metadata("errors"),
        ratio_metric=RatioMetric(True, total=source("api"), bad=source("api", "status >= 500")),
    )
    spec = spec_of(make_slo("err", (Objective(0.99),), errors))
    store = Store.open(tmp_path / "s.duckdb", clock=lambda: NOW)
    result = store.ingest("api", [ev(NOW, status=200), ev(NOW, status=503), ev(NOW)], spec=spec)
    assert (result.per_sli["err/0"].valid, result.per_sli["err/0"].good) == (2, 1)
    assert dict(result.per_sli["err/0"].invalid) == {"missing_fields": 1}


def test_unknown_stream_is_reported(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.duckdb", clock=lambda: NOW)
    result = store.ingest("nobody", [ev(NOW, x=1)], spec=basic_spec())
    assert result.unknown_stream and not result.per_sli


def test_arrow_table_with_timestamp_type_and_threshold_ops(tmp_path: Path) -> None:
    spec = spec_of(
        make_slo(
            "ops",
            (
                Objective(0.9, op="lt", value=100.0),
                Objective(0.9, op="lte", value=100.0),
                Objective(0.9, op="gt", value=100.0),
                Objective(0.9, op="gte", value=100.0),
            ),
            latency_sli(),
        )
    )
    when = [datetime(2023, 11, 14, 22, 0, s, tzinfo=UTC) for s in (1, 2, 3)]
    table = pa.table(
        {
            "ts": pa.array(when, pa.timestamp("ms", tz="UTC")),
            "latency_ms": pa.array([50, 100, 150], pa.int32()),
        }
    )
    store = Store.open(tmp_path / "s.duckdb", clock=lambda: NOW)
    store.ingest("api", table, spec=spec)
    goods = [window(store, f"ops/{i}", *ALL)[1] for i in range(4)]
    assert goods == [1, 2, 1, 2]
    minute = int(when[0].timestamp() - 1) // 60
    counts = store.minute_counts("ops/0", minute - 1, minute + 2)
    assert list(counts.valid) == [0, 3, 0]


def test_composite_objectives_each_use_their_own_indicator(tmp_path: Path) -> None:
    composite = make_slo(
        "combo",
        (
            Objective(0.99, indicator=avail_sli(), composite_weight=1.0),
            Objective(0.95, op="lt", value=200.0, indicator=latency_sli(), composite_weight=2.0),
        ),
    )
    store = Store.open(tmp_path / "s.duckdb", clock=lambda: NOW)
    batch = [ev(NOW, status=500, latency_ms=100.0), ev(NOW, status=200, latency_ms=300.0)]
    store.ingest("api", batch, spec=spec_of(composite))
    assert window(store, "combo/0", *ALL) == (2, 1)
    assert window(store, "combo/1", *ALL) == (2, 1)


def test_durable_after_close_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    spec = basic_spec()
    store = Store.open(path, clock=lambda: NOW)
    rng = np.random.default_rng(3)
    ts = NOW - rng.integers(0, 86400, 5000)
    table = pa.table(
        {"ts": ts, "status": rng.choice([200, 500], 5000), "latency_ms": rng.lognormal(5, 1, 5000)}
    )
    store.ingest("api", table, spec=spec, batch_id="only")
    before = store.window_counts([("avail/0", *ALL), ("lat/0", *ALL)])
    hist_before = store.window_histograms([("lat/0", *ALL)])[0]
    store.close()
    again = Store.open(path, clock=lambda: NOW)
    after = again.window_counts([("avail/0", *ALL), ("lat/0", *ALL)])
    assert [list(a) for a in before] == [list(a) for a in after]
    assert again.window_histograms([("lat/0", *ALL)])[0] == hist_before
    assert again.ingest("api", table, spec=spec, batch_id="only").duplicate
    assert int(after[0][0]) == int(np.count_nonzero(ts > 0))


def test_new_indicator_is_live_without_archive_and_backfilled_with_one(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    store = Store.open(tmp_path / "s.duckdb", clock=lambda: NOW, raw_dir=raw)
    first_spec = spec_of(make_slo("avail", (Objective(0.999),), avail_sli()))
    early = [ev(NOW - 3600 - i, status=200 if i % 4 else 500, latency_ms=float(i)) for i in range(100)]
    store.ingest("api", early, spec=first_spec)
    assert store.coverage()["avail/0"].coverage == "complete"
    second_spec = basic_spec()  # adds lat/0 after events arrived
    late = [ev(NOW - i, status=200, latency_ms=float(500 + i)) for i in range(10)]
    store.ingest("api", late, spec=second_spec)
    cover = store.coverage()["lat/0"]
    assert cover.coverage == "live" and "onward" in cover.describe()
    assert window(store, "lat/0", *ALL) == (10, 0)
    rebuilt = store.backfill(second_spec)
    assert rebuilt["lat/0"].coverage == "raw_archive"
    assert rebuilt["lat/0"].describe().startswith("from raw archive")
    assert window(store, "lat/0", *ALL) == (110, 100)  # latencies 0..99 are < 400
    assert window(store, "avail/0", *ALL) == (110, 110 - 25)


def test_redefined_indicator_drops_old_rows(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.duckdb", clock=lambda: NOW)
    store.ingest("api", [ev(NOW, status=200, latency_ms=10.0)], spec=basic_spec())
    changed = spec_of(make_slo("lat", (Objective(0.95, op="lt", value=5.0),), latency_sli()))
    store.ingest("api", [ev(NOW, status=200, latency_ms=1.0)], spec=changed)
    assert window(store, "lat/0", *ALL) == (1, 1)
    assert store.coverage()["lat/0"].coverage == "live"


def test_reads_of_unknown_indicator_say_so(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.duckdb")
    with pytest.raises(KeyError, match="no indicator"):
        store.window_counts([("nope/0", 0, 10)])


def test_acknowledged_batch_survives_a_crash(tmp_path: Path) -> None:
    """A process that ingests and dies without closing the store loses nothing it was told."""
    import subprocess
    import sys
    import textwrap

    path = tmp_path / "crash.duckdb"
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import importlib.util
        spec = importlib.util.spec_from_file_location("helpers", {str(Path(__file__))!r})
        helpers = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(helpers)
        from slokit.sources.store import Store
        store = Store.open({str(path)!r}, clock=lambda: helpers.NOW)
        batch = [
            helpers.ev(helpers.NOW - i, status=200 if i % 5 else 500, latency_ms=float(i))
            for i in range(500)
        ]
        result = store.ingest("api", batch, spec=helpers.basic_spec(), batch_id="acked")
        print(result.accepted, flush=True)
        os._exit(0)  # no close, no checkpoint: only what the commit made durable remains
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "500"
    store = Store.open(path, clock=lambda: NOW)
    assert window(store, "avail/0", *ALL) == (500, 400)
    assert store.ingest("api", [ev(NOW, status=200)], spec=basic_spec(), batch_id="acked").duplicate


def test_odd_values_are_reported_not_raised(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.duckdb", clock=lambda: NOW)
    spec = basic_spec()
    assert store.ingest("api", [], spec=spec).accepted == 0
    lists = store.ingest("api", [ev(NOW, status=True, latency_ms=[1, 2])], spec=spec)
    assert dict(lists.per_sli["lat/0"].invalid) == {"non_numeric": 1}
    assert dict(lists.per_sli["avail/0"].invalid) == {"type_mismatch": 1}
    assert lists.per_sli["avail/0"].warnings  # says which field had which type
    mixed = store.ingest(
        "api", [ev(NOW, status=200, latency_ms="abc"), ev(NOW, status="200", latency_ms="12")], spec=spec
    )
    assert (mixed.per_sli["avail/0"].valid, mixed.per_sli["avail/0"].good) == (2, 2)
    assert (mixed.per_sli["lat/0"].valid, dict(mixed.per_sli["lat/0"].invalid)) == (1, {"non_numeric": 1})
    assert store.ingest("api", [{"ts": [1], "status": 200}], spec=spec).rejected == {"bad_timestamp": 1}


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.sampled_from(["2023-11-14T22:00:00Z", "1700000000", "/a", "500"]),
    lambda children: (
        st.lists(children, max_size=2) | st.dictionaries(st.text(max_size=3), children, max_size=2)
    ),
    max_leaves=4,
)
_events = st.lists(
    st.dictionaries(
        st.sampled_from(["ts", "time", "status", "latency_ms", "route"]), _json_values, max_size=5
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=_events)
@example(batch=[{"ts": NOW, "latency_ms": 2**53 + 1}])  # an integer no double holds exactly
@example(batch=[{"ts": 10**16 + 1, "status": 200}])  # a timestamp no double holds exactly
def test_any_json_events_are_counted_never_raised(tmp_path: Path, batch: list[dict[str, Any]]) -> None:
    store = Store.open(":memory:", clock=lambda: NOW)
    result = store.ingest("api", batch, spec=basic_spec())
    assert result.accepted + sum(result.rejected.values()) == len(batch)
    for summary in result.per_sli.values():
        assert 0 <= summary.good <= summary.valid <= result.accepted
    store.close()


def _batches(seed: int, count: int, size: int = 400) -> list[pa.Table]:
    rng = np.random.default_rng(seed)
    return [
        pa.table(
            {
                "ts": NOW - rng.integers(0, 7200, size),
                "status": rng.choice([200, 500], size),
                "latency_ms": rng.lognormal(5, 1, size),
            }
        )
        for _ in range(count)
    ]


def _expected(tables: list[pa.Table]) -> dict[str, tuple[int, int]]:
    """Brute force over the events: (valid, good) of both indicators."""
    status = np.concatenate([t.column("status").to_numpy() for t in tables])
    latency = np.concatenate([t.column("latency_ms").to_numpy() for t in tables])
    ok = status < 500
    return {
        "avail/0": (status.size, int(ok.sum())),
        "lat/0": (latency.size, int((latency < 400.0).sum())),
    }


def test_commit_group_counts_as_batch_by_batch_and_folds_exactly(tmp_path: Path) -> None:
    tables = _batches(5, 6)
    grouped = Store.open(tmp_path / "g.duckdb", clock=lambda: NOW)
    single = Store.open(tmp_path / "s.duckdb", clock=lambda: NOW)
    with grouped.commit_group():
        for i, table in enumerate(tables):
            grouped.ingest("api", table, spec=basic_spec(), batch_id=f"b{i}")
            assert grouped.ingest("api", table, spec=basic_spec(), batch_id=f"b{i}").duplicate
            if i == 2:
                grouped.fold()  # joins the group's transaction
    for i, table in enumerate(tables):
        single.ingest("api", table, spec=basic_spec(), batch_id=f"b{i}")
    expect = _expected(tables)
    for key in ("avail/0", "lat/0"):
        assert window(grouped, key, *ALL) == expect[key] == window(single, key, *ALL)
    requests = [("lat/0", *ALL), ("lat/0", (NOW - 3000) // 60, (NOW - 100) // 60)]
    assert grouped.window_histograms(requests) == single.window_histograms(requests)
    lo, hi = (NOW - 7300) // 60, NOW // 60 + 2
    assert all(
        np.array_equal(a, b)
        for a, b in zip(
            grouped.minute_matrix(["avail/0"], lo, hi), single.minute_matrix(["avail/0"], lo, hi), strict=True
        )
    )
    grouped.close()
    single.close()


def test_commit_group_rolls_back_what_was_not_acknowledged(tmp_path: Path) -> None:
    tables = _batches(6, 5)
    path = tmp_path / "g.duckdb"
    store = Store.open(path, clock=lambda: NOW, raw_dir=tmp_path / "raw")
    with pytest.raises(KeyboardInterrupt), store.commit_group(every=2):
        for i, table in enumerate(tables[:3]):
            store.ingest("api", table, spec=basic_spec(), batch_id=f"b{i}")
        raise KeyboardInterrupt  # the third batch is after the last checkpoint
    assert window(store, "avail/0", *ALL) == _expected(tables[:2])["avail/0"]
    assert len(list((tmp_path / "raw").rglob("*.parquet"))) > 0
    archived = sum(pq.read_table(p).num_rows for p in (tmp_path / "raw").rglob("*.parquet"))
    assert archived == 2 * 400  # the rolled-back batch's archive files are gone
    with store.commit_group():
        results = [
            store.ingest("api", table, spec=basic_spec(), batch_id=f"b{i}") for i, table in enumerate(tables)
        ]
    assert [r.duplicate for r in results] == [True, True, False, False, False]
    store.close()
    again = Store.open(path, clock=lambda: NOW, read_only=True)
    assert window(again, "avail/0", *ALL) == _expected(tables)["avail/0"]
    assert window(again, "lat/0", *ALL) == _expected(tables)["lat/0"]
    again.close()


@pytest.mark.parametrize("cap", [2, 4096])
def test_commit_group_batch_ids_count_once_whether_kept_in_memory_or_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cap: int
) -> None:
    # cap 2: the stream has more stored ids than are kept in memory, so each id is asked of
    # the table; 4096: they are read once per group and kept with the group's own.
    monkeypatch.setattr("slokit.sources.store.KNOWN_BATCH_IDS", cap)
    tables = _batches(8, 6)
    store = Store.open(tmp_path / "g.duckdb", clock=lambda: NOW)
    for i in (0, 1, 2):
        store.ingest("api", tables[i], spec=basic_spec(), batch_id=f"b{i}")
    sent = [0, 3, 1, 3, 4, 2, 5, 4, 0, 5]  # re-sends of stored ids and of ids sent in the group
    stored = {0, 1, 2}
    flags = []
    for round_ in range(2):  # the second group sees the first one's ids as stored
        with store.commit_group(every=3):
            for i in sent:
                flags.append(store.ingest("api", tables[i], spec=basic_spec(), batch_id=f"b{i}").duplicate)
                assert flags[-1] == (i in stored), (round_, i)
                stored.add(i)
    assert flags.count(False) == 3
    expect = _expected(tables)
    for key in ("avail/0", "lat/0"):
        assert window(store, key, *ALL) == expect[key]
    store.close()


def test_commit_groups_do_not_nest(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "g.duckdb", clock=lambda: NOW)
    with store.commit_group(), pytest.raises(RuntimeError), store.commit_group():
        pass
    with pytest.raises(ValueError), store.commit_group(every=0):
        pass
    store.ingest("api", [ev(NOW, status=200)], spec=basic_spec())  # usable afterwards
    assert window(store, "avail/0", *ALL) == (1, 1)
    store.close()


def test_unkeyed_ingests_in_successive_commit_groups(tmp_path: Path) -> None:
    # A one-row read left open by fetchone() used to break the next append in a group.
    store = Store.open(tmp_path / "s.duckdb", clock=lambda: NOW)
    spec = basic_spec()
    for k in range(3):
        with store.commit_group():
            store.ingest("api", [ev(NOW - 60 * k, status=200 if k else 503, latency_ms=10.0)], spec=spec)
    assert window(store, "avail/0", *ALL) == (3, 2)


def test_archive_of_a_mixed_column_keeps_its_text_rows_numbered(tmp_path: Path) -> None:
    """A batch split by day (and by rejections) into archive files: each file's list of rows
    holding no number must count that file's rows, so a backfill from the archive counts
    what a store that had the indicator from the start counted."""
    from slokit.sources.events import not_numbers

    day = 86400
    midnight = (NOW // day) * day
    batch: list[dict[str, Any]] = []
    for i in range(40):
        when: Any = midnight - 600 + 30 * i  # 20 events before midnight, 20 after
        if i % 9 == 4:
            when = None  # missing_timestamp: rejected, so the archived rows are renumbered
        status: Any = "timeout" if i % 5 == 2 else (500 if i % 7 == 0 else 200)
        batch.append(ev(when, status=status, latency_ms=float(i)))
    raw = tmp_path / "raw"
    early_spec = spec_of(make_slo("lat", (Objective(0.95, op="lt", value=400.0),), latency_sli()))
    store = Store.open(tmp_path / "s.duckdb", clock=lambda: midnight + 600, raw_dir=raw)
    store.ingest("api", batch, spec=early_spec)
    kept = [e for e in batch if e["ts"] is not None]
    files = sorted(raw.rglob("*.parquet"))
    assert len(files) == 2
    days = sorted({(e["ts"] - 1) // 60 // 1440 for e in kept})  # minute rows (60 m, 60 m + 60]
    parts = [[e for e in kept if (e["ts"] - 1) // 60 // 1440 == d] for d in days]
    for path, part in zip(files, parts, strict=True):
        table = pq.read_table(path)
        assert table.num_rows == len(part)
        want = [k for k, e in enumerate(part) if isinstance(e["status"], str)]
        assert not_numbers(table, "status") == want
    store.ingest("api", [], spec=basic_spec())  # avail/0 arrives after the events: live
    store.backfill(basic_spec())
    direct = Store.open(tmp_path / "d.duckdb", clock=lambda: midnight + 600)
    direct.ingest("api", batch, spec=basic_spec())
    assert window(store, "avail/0", *ALL) == window(direct, "avail/0", *ALL)
    numeric = [e for e in kept if not isinstance(e["status"], str)]
    assert window(direct, "avail/0", *ALL)[1] == sum(1 for e in numeric if e["status"] < 500)
