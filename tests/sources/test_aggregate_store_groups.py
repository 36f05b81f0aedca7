"""Grouped indicators end to end: events in through ``Store.ingest`` (the real aggregation),
per-group counts and histograms out of the store, against brute force over the raw events.

Events are dicts as an API client sends them: a text route (sometimes missing, null or
empty), a nested ``http.code`` integer, a boolean ``cached`` flag; the oracle labels each
event by the label rules itself (``""`` for missing or null) and sums per group. The cap is
checked by replaying the store's rule: in each batch, groups in label order take the free
places; the valid events of the others count in the total only.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from slokit.engine.histogram import LogHistogram
from slokit.sources.bound import group_sli_key
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

FIRST = 1_705_708_800
SPAN = 3 * 86_400
LAT_GROUPS = ("route", "http.code")
AVAIL_GROUPS = ("cached",)


def source(
    where: str | None = None, value: str | None = None, group_by: tuple[str, ...] = ()
) -> MetricSource:
    raw: dict[str, Any] = {"stream": "api"}
    predicate = parse_predicate(where) if where is not None else None
    return MetricSource("slokit", raw, binding=SlokitQuery("api", predicate, value, group_by))


def make_spec() -> Spec:
    window = TimeWindow(parse_duration("30d"), True)
    lat = SLI(
        Metadata("lat"), threshold_metric=ThresholdMetric(source("status < 500", "latency_ms", LAT_GROUPS))
    )
    avail = SLI(
        Metadata("avail"),
        ratio_metric=RatioMetric(True, total=source(group_by=AVAIL_GROUPS), good=source("status < 500")),
    )
    return Spec(
        slos={
            "lat": SLO(
                Metadata("lat"), "svc", window, "Occurrences", (Objective(0.9, op="lt", value=300.0),), lat
            ),
            "avail": SLO(Metadata("avail"), "svc", window, "Occurrences", (Objective(0.99),), avail),
        }
    )


def random_events(rng: random.Random, n: int) -> list[dict[str, Any]]:
    events = []
    for ts in sorted(FIRST + rng.randrange(SPAN) for _ in range(n)):
        event: dict[str, Any] = {"ts": ts}
        route = rng.choice(["/a", "/b", "", None, "missing"])
        if route != "missing":
            event["route"] = route
        code = rng.choice([200, 404, 503, None, "missing"])
        if code != "missing":
            event["http"] = None if code is None else {"code": code}
        cached = rng.choice([True, False, None, "missing"])
        if cached != "missing":
            event["cached"] = cached
        if rng.random() < 0.9:
            event["status"] = rng.choice([200, 200, 200, 503])
        if rng.random() < 0.95:
            event["latency_ms"] = round(rng.lognormvariate(5.0, 1.0), 3)
        events.append(event)
    return events


def label(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field(event: dict[str, Any], name: str) -> Any:
    if name == "http.code":
        http = event.get("http")
        return None if http is None else http.get("code")
    return event.get(name)


def state(key: str, event: dict[str, Any]) -> tuple[bool, bool, float | None]:
    """(valid, good, histogram value) of one event for indicator ``key``."""
    status = event.get("status")
    if key == "avail/0":
        return status is not None, status is not None and status < 500, None
    latency = event.get("latency_ms")
    valid = status is not None and status < 500 and latency is not None
    return valid, valid and latency is not None and latency < 300.0, latency if valid else None


def group_of(key: str, event: dict[str, Any]) -> str:
    names = LAT_GROUPS if key == "lat/0" else AVAIL_GROUPS
    return group_sli_key(key, {name: label(field(event, name)) for name in names})


def expected(
    events: list[dict[str, Any]], key: str, member: str | None, start: int, stop: int
) -> tuple[int, int, LogHistogram | None]:
    """Brute force over the events of one group (``member``) or of all groups (None)."""
    valid = good = 0
    values: list[float] = []
    for event in events:
        if not start <= (event["ts"] - 1) // 60 < stop:
            continue
        if member is not None and group_of(key, event) != member:
            continue
        v, g, value = state(key, event)
        valid += v
        good += g
        if value is not None:
            values.append(value)
    hist = LogHistogram.from_values(np.array(values, np.float64)) if key == "lat/0" else None
    return valid, good, hist


@pytest.mark.parametrize("seed", [1, 2])
def test_grouped_ingest_matches_brute_force(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    events = random_events(rng, 600)
    spec = make_spec()
    store = Store.open(tmp_path / "s.duckdb", lateness_seconds=None, clock=lambda: FIRST + SPAN)
    pos = 0
    while pos < len(events):
        size = rng.randint(1, 150)
        result = store.ingest("api", events[pos : pos + size], spec=spec, batch_id=str(pos))
        assert not result.group_overflow
        pos += size
    whole = (FIRST // 60 - 5, (FIRST + SPAN) // 60 + 5)
    windows = [whole] + [
        (a, a + rng.choice([1, 60, 700, 1500])) for a in (rng.randrange(*whole) for _ in range(4))
    ]
    for key in ("lat/0", "avail/0"):
        members = {group_of(key, e) for e in events if state(key, e)[0]}
        stored = store.groups(key)
        assert set(stored) == members
        for member, labels in stored.items():
            assert group_sli_key(key, labels) == member
        requests = [(k, a, b) for a, b in windows for k in (key, *sorted(members))]
        valid, good = store.window_counts(requests)
        hists = store.window_histograms(requests)
        for (k, a, b), v, g, h in zip(requests, valid, good, hists, strict=True):
            want_v, want_g, want_h = expected(events, key, None if k == key else k, a, b)
            assert (int(v), int(g)) == (want_v, want_g), (k, a, b)
            assert h == want_h if want_h is not None else h.total == 0, (k, a, b)
    store.close()


def test_the_cap_keeps_the_first_groups_in_label_order(tmp_path: Path) -> None:
    rng = random.Random(5)
    events = random_events(rng, 500)
    spec = make_spec()
    store = Store.open(tmp_path / "s.duckdb", lateness_seconds=None, clock=lambda: FIRST + SPAN, max_groups=4)
    kept: set[str] = set()
    overflow = 0
    for lo in range(0, 500, 100):
        batch = events[lo : lo + 100]
        present = {
            group_of("lat/0", e): tuple(label(field(e, name)) for name in LAT_GROUPS)
            for e in batch
            if state("lat/0", e)[0]
        }
        result = store.ingest("api", batch, spec=spec)
        # The store's rule, replayed: free places go to this batch's new groups in label order.
        for member in sorted(present, key=present.__getitem__):
            if member not in kept and len(kept) < 4:
                kept.add(member)
        dropped = sum(1 for e in batch if state("lat/0", e)[0] and group_of("lat/0", e) not in kept)
        assert result.group_overflow.get("lat/0", 0) == dropped
        overflow += dropped
    assert set(store.groups("lat/0")) == kept
    whole = (FIRST // 60 - 5, (FIRST + SPAN) // 60 + 5)
    total_valid = store.window_counts([("lat/0", *whole)])[0][0]
    kept_valid = store.window_counts([(k, *whole) for k in sorted(kept)])[0].sum()
    assert int(total_valid) == expected(events, "lat/0", None, *whole)[0]
    assert int(total_valid) - int(kept_valid) == overflow
    store.close()
