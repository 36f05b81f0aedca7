"""The store's side of grouped indicators, against brute force over the raw events.

The group rows are made here by hand (the parent's own aggregation run on each group's events
alone, through ``aggregate`` with the group's mask), so these tests check the store — group
registration on first sight, the cap, reads of group keys at every resolution, lifecycle with
the parent, rollback — independently of how ``aggregate_all`` builds group rows.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from slokit.engine.histogram import LogHistogram
from slokit.sources import store as store_module
from slokit.sources.aggregate import Batch, SliRows, aggregate
from slokit.sources.bound import BoundSLI, group_sli_key
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

FIRST = 1_705_708_800  # 2024-01-20T00:00Z
SPAN = 40 * 86_400  # long enough for 28-day rows
ROUTES = ("/a", "/b", '/c"q', "/d")
METHODS = ("GET", "POST")


def source(
    where: str | None = None, value: str | None = None, group_by: tuple[str, ...] = ()
) -> MetricSource:
    raw: dict[str, Any] = {"stream": "api"}
    if where is not None:
        raw["where"] = where
    if value is not None:
        raw["value"] = value
    predicate = parse_predicate(where) if where is not None else None
    return MetricSource("slokit", raw, binding=SlokitQuery("api", predicate, value, group_by))


def make_spec(threshold: float = 400.0, lat_group: tuple[str, ...] = ("route", "method")) -> Spec:
    window = TimeWindow(parse_duration("30d"), True)
    lat = SLI(Metadata("lat"), threshold_metric=ThresholdMetric(source(None, "latency_ms", lat_group)))
    avail = SLI(
        Metadata("avail"),
        ratio_metric=RatioMetric(True, total=source(group_by=("route",)), good=source("status < 500")),
    )
    plain = SLI(
        Metadata("plain"), ratio_metric=RatioMetric(True, total=source(), good=source("status < 500"))
    )
    return Spec(
        slos={
            "lat": SLO(
                Metadata("lat"),
                "svc",
                window,
                "Occurrences",
                (Objective(0.95, op="lt", value=threshold),),
                lat,
            ),
            "avail": SLO(Metadata("avail"), "svc", window, "Occurrences", (Objective(0.999),), avail),
            "plain": SLO(Metadata("plain"), "svc", window, "Occurrences", (Objective(0.999),), plain),
        }
    )


def by_hand(batch: Batch, bounds: Sequence[BoundSLI]) -> list[SliRows]:
    """Each bound's own rows, then one SliRows per group present (sorted by labels), each the
    parent's aggregation over that group's events only."""
    out: list[SliRows] = []
    for bound in bounds:
        plain = dataclasses.replace(bound, group_by=())
        out.append(aggregate(batch, plain))
        if not bound.group_by:
            continue
        columns = {name: batch.table.column(name).to_pylist() for name in bound.group_by}
        label_rows = list(zip(*(columns[name] for name in bound.group_by), strict=True))
        for labels in sorted(set(label_rows)):
            mask = batch.accepted & np.array([row == labels for row in label_rows], np.bool_)
            if not mask.any():
                continue
            rows = aggregate(Batch(batch.table, batch.minute, mask), plain)
            if rows.minute.size:
                key = group_sli_key(bound.sli_key, dict(zip(bound.group_by, labels, strict=True)))
                out.append(dataclasses.replace(rows, sli_key=key, invalid={}, warnings=[]))
    return out


@pytest.fixture(autouse=True)
def hand_made_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "aggregate_all", by_hand)


class Events:
    def __init__(self, rng: random.Random, n: int, routes: Sequence[str] = ROUTES) -> None:
        self.ts = [FIRST + rng.randrange(SPAN) for _ in range(n)]
        self.ts.sort()  # arriving roughly in order, as a file's row groups do
        self.route = [rng.choice(routes) for _ in range(n)]
        self.method = [rng.choice(METHODS) for _ in range(n)]
        self.status = [rng.choice([200, 200, 503]) for _ in range(n)]
        self.latency = [round(rng.lognormvariate(5.5, 1.0), 3) for _ in range(n)]
        self.minute = [(t - 1) // 60 for t in self.ts]

    def table(self, lo: int, hi: int) -> pa.Table:
        return pa.table(
            {
                "ts": self.ts[lo:hi],
                "route": self.route[lo:hi],
                "method": self.method[lo:hi],
                "status": self.status[lo:hi],
                "latency_ms": self.latency[lo:hi],
            }
        )

    def names(self) -> dict[str, tuple[str, dict[str, str]]]:
        """Every key this test may read → (parent key, labels), built with ``group_sli_key``."""
        out: dict[str, tuple[str, dict[str, str]]] = {k: (k, {}) for k in ("lat/0", "avail/0", "plain/0")}
        for r in ROUTES:
            out[group_sli_key("avail/0", {"route": r})] = ("avail/0", {"route": r})
            out[group_sli_key("lat/0", {"route": r})] = ("lat/0", {"route": r})
            for m in METHODS:
                out[group_sli_key("lat/0", {"route": r, "method": m})] = ("lat/0", {"route": r, "method": m})
        return out

    def expect(self, key: str, start: int, stop: int) -> tuple[int, int, LogHistogram | None]:
        """Brute force: valid, good and the histogram of one indicator or group key."""
        parent, want = self.names()[key]
        inside = [
            i
            for i, m in enumerate(self.minute)
            if start <= m < stop
            and all((self.route[i] if name == "route" else self.method[i]) == v for name, v in want.items())
        ]
        if parent == "lat/0":
            values = [self.latency[i] for i in inside]
            good = sum(v < 400.0 for v in values)
            return len(inside), good, LogHistogram.from_values(np.array(values, np.float64))
        return len(inside), sum(self.status[i] < 500 for i in inside), None


def all_keys(events: Events) -> list[str]:
    keys = ["lat/0", "avail/0", "plain/0"]
    keys += [group_sli_key("avail/0", {"route": r}) for r in sorted(set(events.route))]
    pairs = sorted(set(zip(events.route, events.method, strict=True)))
    keys += [group_sli_key("lat/0", {"route": r, "method": m}) for r, m in pairs]
    return keys


def check(store: Store, events: Events, keys: list[str], ranges: list[tuple[int, int]]) -> None:
    requests = [(key, a, b) for a, b in ranges for key in keys]
    valid, good = store.window_counts(requests)
    hists = store.window_histograms(requests)
    for (key, a, b), v, g, h in zip(requests, valid, good, hists, strict=True):
        ev, eg, eh = events.expect(key, a, b)
        assert (int(v), int(g)) == (ev, eg), (key, a, b)
        assert h == eh if eh is not None else h.total == 0, (key, a, b)


def ranges(rng: random.Random) -> list[tuple[int, int]]:
    lo, hi = FIRST // 60 - 5, (FIRST + SPAN) // 60 + 5
    out = [(lo, hi)]
    for _ in range(6):
        a = rng.randrange(lo, hi)
        out.append((a, a + rng.choice([7, 61, 1441, 10_081, 40_319, 43_200])))
    return out


@pytest.mark.parametrize(("seed", "direct"), [(1, True), (2, False), (3, True)])
def test_groups_in_many_batches_of_one_commit_group_match_brute_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, direct: bool
) -> None:
    """Many row groups in one commit group (rows merged and rolled up in numpy when ``direct``,
    else through the pending tables), read back at every resolution per group."""
    monkeypatch.setattr(store_module, "DIRECT_ROWS", 0 if direct else 10**9)
    rng = random.Random(seed)
    events = Events(rng, 700)
    spec = make_spec()
    store = Store.open(tmp_path / "g.duckdb", lateness_seconds=None, clock=lambda: FIRST + SPAN)
    pos, number = 0, 0
    with store.commit_group():
        while pos < len(events.ts):
            size = rng.randint(1, 120)
            result = store.ingest("api", events.table(pos, pos + size), spec=spec, batch_id=str(number))
            assert set(result.per_sli) == {"lat/0", "avail/0", "plain/0"}  # parents only
            assert not result.group_overflow
            pos, number = pos + size, number + 1
    keys = all_keys(events)
    check(store, events, keys, ranges(rng))
    assert store.groups("avail/0") == {
        group_sli_key("avail/0", {"route": r}): {"route": r} for r in sorted(set(events.route))
    }
    lat_groups = store.groups("lat/0")
    assert list(lat_groups) == sorted(lat_groups)
    assert all(list(labels) == ["route", "method"] for labels in lat_groups.values())
    assert store.groups("plain/0") == {} and store.groups("nope/0") == {}
    many = store.groups_many(["lat/0", "avail/0", "plain/0", "nope/0"])
    assert many == {"lat/0": lat_groups, "avail/0": store.groups("avail/0")}
    assert store.groups_many(["avail/0"]) == {"avail/0": store.groups("avail/0")}
    # Dense minute reads of group keys, one query.
    first = min(events.minute)
    group = keys[3]
    valid, good = store.minute_matrix([group, "avail/0"], first, first + 600)
    for offset in range(600):
        ev, eg, _ = events.expect(group, first + offset, first + offset + 1)
        assert (int(valid[0, offset]), int(good[0, offset])) == (ev, eg)
    counts = store.minute_counts(group, first, first + 600)
    assert np.array_equal(counts.valid, valid[0])
    store.close()
    with Store.open(tmp_path / "g.duckdb", read_only=True) as again:
        check(again, events, keys, ranges(rng))


def test_ungrouped_ingest_registers_groups_with_the_rows(tmp_path: Path) -> None:
    rng = random.Random(8)
    events = Events(rng, 300)
    spec = make_spec()
    store = Store.open(tmp_path / "g.duckdb", lateness_seconds=None, clock=lambda: FIRST + SPAN)
    first = store.ingest("api", events.table(0, 150), spec=spec, batch_id="a")
    assert first.groups_added["avail/0"] == len(set(events.route[:150]))
    assert first.to_dict()["groups_added"] == first.groups_added
    again = store.ingest("api", events.table(0, 150), spec=spec, batch_id="a")
    assert again.duplicate and not again.groups_added
    store.ingest("api", events.table(150, 300), spec=spec, batch_id="b")
    store.fold()
    check(store, events, all_keys(events), ranges(rng))
    store.close()


def test_groups_past_the_cap_count_in_the_parent_only(tmp_path: Path) -> None:
    rng = random.Random(3)
    events = Events(rng, 400)
    spec = make_spec()
    store = Store.open(tmp_path / "g.duckdb", lateness_seconds=None, clock=lambda: FIRST + SPAN, max_groups=2)
    results = [store.ingest("api", events.table(lo, lo + 100), spec=spec) for lo in range(0, 400, 100)]
    kept = list(store.groups("avail/0"))
    # The first batch's groups in label order win: the cap never frees a place.
    first_routes = sorted(set(events.route[:100]))
    assert kept == [group_sli_key("avail/0", {"route": r}) for r in first_routes[:2]]
    dropped = [i for i, r in enumerate(events.route) if group_sli_key("avail/0", {"route": r}) not in kept]
    assert sum(r.group_overflow.get("avail/0", 0) for r in results) == len(dropped)
    assert results[0].to_dict()["group_overflow"] == results[0].group_overflow
    assert len(store.groups("lat/0")) == 2
    lat_kept = set(store.groups("lat/0"))
    lat_dropped = sum(
        group_sli_key("lat/0", {"route": r, "method": m}) not in lat_kept
        for r, m in zip(events.route, events.method, strict=True)
    )
    assert sum(r.group_overflow.get("lat/0", 0) for r in results) == lat_dropped
    whole = (FIRST // 60 - 5, (FIRST + SPAN) // 60 + 5)
    check(store, events, ["avail/0", "lat/0", *kept, *lat_kept], [whole])
    with pytest.raises(KeyError):
        store.window_counts([(group_sli_key("avail/0", {"route": ROUTES[3]}), *whole)])
    store.close()


def test_redefining_the_parent_drops_its_groups(tmp_path: Path) -> None:
    rng = random.Random(4)
    events = Events(rng, 200)
    store = Store.open(tmp_path / "g.duckdb", lateness_seconds=None, clock=lambda: FIRST + SPAN)
    store.ingest("api", events.table(0, 200), spec=make_spec())
    old = list(store.groups("lat/0"))
    assert old and store.groups("avail/0")
    store.register(make_spec(threshold=500.0))  # lat/0 redefined; avail/0 unchanged
    assert store.groups("lat/0") == {}
    assert len(store.groups("avail/0")) == len(set(events.route))
    with pytest.raises(KeyError):
        store.window_counts([(old[0], 0, 10**8)])
    leftover = store.connection.execute(
        "SELECT count(*) FROM slis WHERE parent_id IS NOT NULL AND parent_id NOT IN (SELECT sli_id FROM slis)"
    ).fetchall()
    assert leftover == [(0,)]
    # Changing group_by redefines the indicator too.
    store.register(make_spec(threshold=500.0, lat_group=("route",)))
    store.ingest("api", events.table(0, 50), spec=make_spec(threshold=500.0, lat_group=("route",)))
    assert all(list(labels) == ["route"] for labels in store.groups("lat/0").values())
    store.close()


def test_rows_for_an_unknown_key_are_refused_and_nothing_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(5)
    events = Events(rng, 50)
    store = Store.open(tmp_path / "g.duckdb", lateness_seconds=None, clock=lambda: FIRST + SPAN)

    def stray(batch: Batch, bounds: Sequence[BoundSLI]) -> list[SliRows]:
        rows = by_hand(batch, bounds)
        return [*rows, dataclasses.replace(rows[0], sli_key='plain/0{route="/a"}')]  # plain is ungrouped

    monkeypatch.setattr(store_module, "aggregate_all", stray)
    with pytest.raises(ValueError, match="plain/0"):
        store.ingest("api", events.table(0, 50), spec=make_spec(), batch_id="x")
    assert store.groups("avail/0") == {}
    monkeypatch.setattr(store_module, "aggregate_all", by_hand)
    assert not store.ingest("api", events.table(0, 50), spec=make_spec(), batch_id="x").duplicate
    check(store, events, all_keys(events), [(FIRST // 60 - 5, (FIRST + SPAN) // 60 + 5)])
    store.close()


def test_groups_registered_in_a_rolled_back_commit_group_are_gone(tmp_path: Path) -> None:
    rng = random.Random(6)
    events = Events(rng, 200)
    spec = make_spec()
    store = Store.open(tmp_path / "g.duckdb", lateness_seconds=None, clock=lambda: FIRST + SPAN, max_groups=3)
    with pytest.raises(KeyboardInterrupt), store.commit_group():
        store.ingest("api", events.table(0, 100), spec=spec, batch_id="a")
        raise KeyboardInterrupt
    assert store.groups("avail/0") == {}
    with store.commit_group():
        store.ingest("api", events.table(0, 100), spec=spec, batch_id="a")
        store.ingest("api", events.table(100, 200), spec=spec, batch_id="b")
    assert len(store.groups("avail/0")) == 3  # counted from zero again, not from the rolled-back ones
    store.close()
