"""The store's six resolutions and signed range reads, against brute force over raw events.

Events spread over ~4 months (so 28-day, week, day, 6-hour, hour and minute rows all come
into play) are ingested in random batches with folds at random points; window counts and merged
histograms over random ranges, rolling windows ending anywhere, and calendar months, weeks and
days in zones with DST changes must equal what loops over the raw events compute. Also: a store
of schema version 1 or 2 is read as it is (read-only) and upgraded when opened for writing, with the
same answers; unknown versions are refused with a message, not a traceback.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slokit.engine.histogram import LogHistogram
from slokit.engine.series import rows_between
from slokit.engine.windows import Window, window_at
from slokit.errors import SlokitError
from slokit.sources import store as store_module
from slokit.sources.schema import LEVELS, LEVELS_V1, SCHEMA_VERSION
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

#: 2024-01-20T00:00Z .. ~2024-05-20: crosses the US (Mar 10) and EU (Mar 31) spring changes,
#: month ends, a leap day.
FIRST = 1_705_708_800
SPAN = 120 * 86_400
KEYS = ("lat/0", "avail/0")


def source(where: str | None = None, value: str | None = None) -> MetricSource:
    raw: dict[str, Any] = {"stream": "api"}
    if where is not None:
        raw["where"] = where
    if value is not None:
        raw["value"] = value
    predicate = parse_predicate(where) if where is not None else None
    return MetricSource("slokit", raw, binding=SlokitQuery("api", predicate, value))


def make_spec() -> Spec:
    window = TimeWindow(parse_duration("30d"), True)
    lat = SLI(Metadata("lat"), threshold_metric=ThresholdMetric(source(None, "latency_ms")))
    avail = SLI(
        Metadata("avail"), ratio_metric=RatioMetric(True, total=source(), good=source("status < 500"))
    )
    return Spec(
        slos={
            "lat": SLO(
                Metadata("lat"),
                "svc",
                window,
                "Occurrences",
                (Objective(0.95, op="lt", value=400.0),),
                indicator=lat,
            ),
            "avail": SLO(
                Metadata("avail"), "svc", window, "Occurrences", (Objective(0.999),), indicator=avail
            ),
        }
    )


class Events:
    """Raw events and the brute-force answers over them."""

    def __init__(self, rng: random.Random, n: int) -> None:
        self.ts: list[int] = []
        for _ in range(n):
            if rng.random() < 0.3:  # near a whole hour / day boundary
                unit = rng.choice([3600, 86_400, 900])
                t = FIRST + rng.randrange(SPAN) // unit * unit + rng.choice([-60, -1, 0, 1, 60])
            else:
                t = FIRST + rng.randrange(SPAN)
            self.ts.append(t)
        self.status = [rng.choice([200, 200, 200, 503]) for _ in range(n)]
        self.latency = [round(rng.lognormvariate(5.5, 1.0), 3) for _ in range(n)]
        self.minute = np.array([(t - 1) // 60 for t in self.ts], np.int64)

    def dicts(self, lo: int, hi: int) -> list[dict[str, Any]]:
        return [
            {"ts": self.ts[i], "status": self.status[i], "latency_ms": self.latency[i]}
            for i in range(lo, min(hi, len(self.ts)))
        ]

    def window(self, key: str, start: int, stop: int) -> tuple[int, int, LogHistogram | None]:
        inside = [i for i, m in enumerate(self.minute.tolist()) if start <= m < stop]
        if key == "avail/0":
            return len(inside), sum(self.status[i] < 500 for i in inside), None
        values = [self.latency[i] for i in inside]
        good = sum(x < 400.0 for x in values)
        return len(inside), good, LogHistogram.from_values(np.array(values, np.float64))


def ingest_randomly(store: Store, events: Events, spec: Spec, rng: random.Random) -> None:
    n = len(events.ts)
    pos = 0
    while pos < n:
        size = rng.randint(1, max(1, n // 6))
        result = store.ingest("api", events.dicts(pos, pos + size), spec=spec, now=FIRST + SPAN + 86_400)
        assert result.accepted == min(size, n - pos)
        pos += size
        if rng.random() < 0.4:
            store.fold()


def ranges_to_check(rng: random.Random) -> list[tuple[int, int]]:
    lo, hi = FIRST // 60 - 100, (FIRST + SPAN) // 60 + 100
    out = [(lo, hi), (lo, lo), (hi - 7, hi - 7 + 40_320 * 2 + 13)]
    for _ in range(10):
        a = rng.randrange(lo, hi)
        out.append((a, a + rng.choice([5, 59, 61, 1441, 10_079, 43_200, 40_321, 129_600])))
    # SLO windows at random instants: rolling 30 d / 28 d / 7 d, calendar months, weeks, days.
    zones = ["UTC", "America/New_York", "Europe/Copenhagen", "Asia/Kolkata", "Australia/Lord_Howe"]
    anchor = datetime(2024, 1, 1)
    for _ in range(10):
        t = FIRST + rng.randrange(SPAN)
        t -= t % 60
        zone = rng.choice(zones)
        for text, rolling in (
            ("30d", True),
            ("28d", True),
            ("7d", True),
            ("1M", False),
            ("1w", False),
            ("1d", False),
        ):
            bounds = window_at(Window(parse_duration(text), rolling, anchor, zone), t)
            first, stop = rows_between(bounds.start_epoch, t)
            out.append((int(first), int(stop)))
    return out


def check(store: Store, events: Events, ranges: list[tuple[int, int]]) -> None:
    requests = [(key, a, b) for a, b in ranges for key in KEYS]
    valid, good = store.window_counts(requests)
    hists = store.window_histograms(requests)
    for (key, a, b), v, g, h in zip(requests, valid, good, hists, strict=True):
        ev, eg, eh = events.window(key, a, b)
        assert (int(v), int(g)) == (ev, eg), (key, a, b)
        if eh is None:
            assert h.total == 0
        else:
            assert h == eh, (key, a, b)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 900))
def test_long_history_reads_match_brute_force(seed: int, n: int) -> None:
    rng = random.Random(seed)
    events = Events(rng, n)
    spec = make_spec()
    store = Store.open(":memory:", lateness_seconds=None)
    try:
        ingest_randomly(store, events, spec, rng)
        ranges = ranges_to_check(rng)
        check(store, events, ranges)
        store.compact(since_minute=rng.choice([None, (FIRST + SPAN // 2) // 60]))
        check(store, events, ranges)
    finally:
        store.close()


def test_binary_search_path_reads_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows are matched to runs by binary search when the key space is too large to index."""
    rng = random.Random(77)
    events = Events(rng, 700)
    store = Store.open(":memory:", lateness_seconds=None)
    try:
        ingest_randomly(store, events, make_spec(), rng)
        ranges = ranges_to_check(rng)
        monkeypatch.setattr(store_module._RunPlan, "DENSE_KEYS", 0)
        check(store, events, ranges)
    finally:
        store.close()


def test_every_level_has_the_same_totals() -> None:
    """Folding writes each resolution from the one below: every level sums to the same numbers."""
    rng = random.Random(5)
    events = Events(rng, 600)
    store = Store.open(":memory:", lateness_seconds=None)
    try:
        ingest_randomly(store, events, make_spec(), rng)
        store.fold()
        con = store.connection
        totals = {
            level: con.execute(
                f"SELECT sum(valid), sum(good), (SELECT sum(n) FROM hist_{level}) FROM counts_{level}"
            ).fetchall()[0]
            for level, _ in LEVELS
        }
        assert len(set(totals.values())) == 1, totals
        assert totals["1m"][0] == 2 * 600  # both indicators count every event
    finally:
        store.close()


def make_old_file(path: Path, events: Events, rng: random.Random, version: str = "1") -> None:
    """A store as schema 1 or 2 left it: every count and histogram table with the (always
    empty) ``group_key`` column second, ``slis`` without the group columns; schema 1 with the
    minute, hour and day tables only."""
    with Store.open(path, lateness_seconds=None) as store:
        ingest_randomly(store, events, make_spec(), rng)
    con = duckdb.connect(str(path))
    old = {level for level, _ in (LEVELS_V1 if version == "1" else LEVELS)}
    for level, _ in LEVELS:
        for family in ("counts", "hist"):
            if level not in old:
                con.execute(f"DROP TABLE {family}_{level}")
                continue
            table = f"{family}_{level}"
            values = "valid BIGINT, good BIGINT" if family == "counts" else "bucket SMALLINT, n BIGINT"
            con.execute(f"ALTER TABLE {table} RENAME TO {table}_new")
            con.execute(f"CREATE TABLE {table} (sli_id INTEGER, group_key VARCHAR, t BIGINT, {values})")
            con.execute(f"INSERT INTO {table} SELECT sli_id, '', * EXCLUDE (sli_id) FROM {table}_new")
            con.execute(f"DROP TABLE {table}_new")
    con.execute("ALTER TABLE slis DROP COLUMN parent_id")
    con.execute("ALTER TABLE slis DROP COLUMN labels")
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [version])
    con.close()


def make_v1_file(path: Path, events: Events, rng: random.Random) -> None:
    make_old_file(path, events, rng, "1")


@pytest.mark.parametrize("version", ["1", "2"])
def test_older_store_is_read_as_is_then_upgraded(tmp_path: Path, version: str) -> None:
    rng = random.Random(9)
    events = Events(rng, 500)
    path = tmp_path / "old.duckdb"
    make_old_file(path, events, rng, version)
    ranges = ranges_to_check(rng)
    with Store.open(path, read_only=True) as old:
        check(old, events, ranges)
        assert old.groups("lat/0") == {}
    with Store.open(path, lateness_seconds=None) as upgraded:
        check(upgraded, events, ranges)
        columns = upgraded.connection.execute(
            "SELECT DISTINCT column_name FROM duckdb_columns() WHERE table_name LIKE 'counts_%' "
            "OR table_name LIKE 'hist_%' OR table_name = 'slis'"
        ).fetchall()
        names = {c for (c,) in columns}
        assert "group_key" not in names and {"parent_id", "labels"} <= names
        tables = {
            r[0]
            for r in upgraded.connection.execute(
                "SELECT table_name FROM information_schema.tables"
            ).fetchall()
        }
        assert {f"hist_{level}" for level, _ in LEVELS} <= tables
        version = upgraded.connection.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'"
        ).fetchall()
        assert version == [(SCHEMA_VERSION,)]
        # Ingesting into the upgraded file keeps every level consistent.
        more = Events(rng, 200)
        ingest_randomly(upgraded, more, make_spec(), rng)
        merged = Events.__new__(Events)
        merged.ts, merged.status = events.ts + more.ts, events.status + more.status
        merged.latency = events.latency + more.latency
        merged.minute = np.concatenate([events.minute, more.minute])
        upgraded.fold()
        check(upgraded, merged, ranges)


@pytest.mark.parametrize(
    ("version", "words"),
    [
        (str(int(SCHEMA_VERSION) + 1), "written by a newer slokit"),
        ("banana", "is not a slokit store"),
        (None, "is not a slokit store"),
    ],
)
def test_unknown_versions_are_refused_with_what_to_do(
    tmp_path: Path, version: str | None, words: str
) -> None:
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    con = duckdb.connect(str(path))
    if version is None:
        con.execute("DELETE FROM meta")
    else:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [version])
    con.close()
    for read_only in (True, False):
        with pytest.raises(SlokitError) as info:
            Store.open(path, read_only=read_only)
        assert words in str(info.value) and str(path) in str(info.value)
    assert datetime.now(UTC)  # the file is left as it was: reopening gives the same refusal
    with pytest.raises(SlokitError):
        Store.open(path)


def test_failed_upgrade_is_a_message_and_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    rng = random.Random(4)
    events = Events(rng, 200)
    path = tmp_path / "old.duckdb"
    make_v1_file(path, events, rng)
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE counts_6h (unexpected VARCHAR)")  # the upgrade's insert cannot fit
    con.close()
    with pytest.raises(SlokitError) as info:
        Store.open(path, lateness_seconds=None)
    assert "could not upgrade" in str(info.value) and "the file is unchanged" in str(info.value)
    with Store.open(path, read_only=True) as old:  # still schema 1, read as it is
        check(old, events, ranges_to_check(rng))
