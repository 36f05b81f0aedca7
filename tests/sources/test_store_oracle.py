"""The store against a brute-force oracle: Python loops over the raw events.

Random events (timestamps in every accepted form, missing fields, NaN/negative/text values) are
ingested in random batch splits, with duplicate re-sends; the oracle replays the same batches
event by event with the documented rules (future/late rejection, SQL three-valued predicates,
threshold value checks) and the store's per-minute rows, window sums over rollups, dense minute
matrices and merged histograms must equal what the loops compute. Histogram binning is checked
against the engine's own ``LogHistogram.from_values`` of the same values.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slokit.engine.histogram import LogHistogram
from slokit.sources import aggregate as aggregate_module
from slokit.sources.schema import LEVELS, LEVELS_V1, split_range
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

NOW_MS = 1_700_000_000_000
LATENESS_MIN = 48 * 60


def source(stream: str, where: str | None = None, value: str | None = None) -> MetricSource:
    raw: dict[str, Any] = {"stream": stream}
    if where is not None:
        raw["where"] = where
    if value is not None:
        raw["value"] = value
    predicate = parse_predicate(where) if where is not None else None
    return MetricSource("slokit", raw, binding=SlokitQuery(stream, predicate, value))


def slo(name: str, sli: SLI, objective: Objective) -> SLO:
    window = TimeWindow(parse_duration("30d"), True)
    return SLO(Metadata(name), "svc", window, "Occurrences", (objective,), indicator=sli)


def make_spec() -> Spec:
    ratio_good = SLI(
        Metadata("a-avail"),
        ratio_metric=RatioMetric(
            True, total=source("api", "route = '/a'"), good=source("api", "status < 500")
        ),
    )
    ratio_bad = SLI(
        Metadata("errors"),
        ratio_metric=RatioMetric(
            True, total=source("api"), bad=source("api", "status >= 500 OR latency_ms > 1000")
        ),
    )
    fast = SLI(
        Metadata("fast"),
        threshold_metric=ThresholdMetric(source("api", "route IN ('/a', '/b')", "latency_ms")),
    )
    slow = SLI(Metadata("slow"), threshold_metric=ThresholdMetric(source("api", None, "latency_ms")))
    slos = {
        "a-avail": slo("a-avail", ratio_good, Objective(0.99)),
        "errors": slo("errors", ratio_bad, Objective(0.999)),
        "fast": slo("fast", fast, Objective(0.95, op="lte", value=300.0)),
        "slow": slo("slow", slow, Objective(0.9, op="gt", value=100.0)),
    }
    return Spec(slos=slos)


# --- the oracle: SQL three-valued logic written out by hand ---

Tri = bool | None


def _num(event: dict[str, Any], name: str) -> float | None:
    value = event.get(name)
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _cmp(value: float | None, fn: Any) -> Tri:
    return None if value is None else bool(fn(value))


def _or(a: Tri, b: Tri) -> Tri:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def oracle_valid_good(key: str, e: dict[str, Any]) -> tuple[bool, bool] | None:
    """(valid, good) of one accepted event for one indicator; None when not valid."""
    route = e.get("route")
    status = _num(e, "status")
    latency = _num(e, "latency_ms")
    if key == "a-avail/0":
        if route is None or route != "/a":
            return None
        good = _cmp(status, lambda s: s < 500)
        return None if good is None else (True, good)
    if key == "errors/0":
        bad = _or(_cmp(status, lambda s: s >= 500), _cmp(latency, lambda v: v > 1000))
        return None if bad is None else (True, not bad)
    if key in ("fast/0", "slow/0"):
        if key == "fast/0" and (route is None or route not in ("/a", "/b")):
            return None
        raw = e.get("latency_ms")
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return None
        if not math.isfinite(raw) or raw < 0:
            return None
        return (True, raw <= 300.0) if key == "fast/0" else (True, raw > 100.0)
    raise AssertionError(key)


KEYS = ("a-avail/0", "errors/0", "fast/0", "slow/0")


class Oracle:
    def __init__(self) -> None:
        self.newest: int | None = None
        self.rows: dict[str, dict[int, list[int]]] = {k: defaultdict(lambda: [0, 0]) for k in KEYS}
        self.values: dict[str, list[tuple[int, float]]] = {"fast/0": [], "slow/0": []}

    def ingest(self, batch: list[tuple[int | None, dict[str, Any]]], now_ms: int) -> list[tuple[int, str]]:
        """``batch`` holds (true ms timestamp or None for unusable, event)."""
        reasons: dict[int, str] = {}
        ok: list[int] = []
        for i, (ms, _) in enumerate(batch):
            if ms is None:
                reasons[i] = "bad_timestamp" if "ts" in batch[i][1] else "missing_timestamp"
            elif ms > now_ms + 300_000:
                reasons[i] = "in_future"
            else:
                ok.append(i)
        minute = {i: (batch[i][0] - 1) // 60_000 for i in ok}  # type: ignore[operator]
        if ok:
            top = max(minute.values())
            self.newest = top if self.newest is None else max(self.newest, top)
        for i in ok:
            assert self.newest is not None
            if minute[i] < self.newest - LATENESS_MIN:
                reasons[i] = "too_late"
                continue
            event = batch[i][1]
            for key in KEYS:
                vg = oracle_valid_good(key, event)
                if vg is None:
                    continue
                row = self.rows[key][minute[i]]
                row[0] += 1
                row[1] += int(vg[1])
                if key in self.values:
                    self.values[key].append((minute[i], float(event["latency_ms"])))
        return sorted(reasons.items())

    def window(self, key: str, start: int, stop: int) -> tuple[int, int]:
        v = sum(r[0] for m, r in self.rows[key].items() if start <= m < stop)
        g = sum(r[1] for m, r in self.rows[key].items() if start <= m < stop)
        return v, g


# --- random events ---


def timestamp_forms(ms: int, rng: random.Random) -> Any:
    form = rng.randrange(5)
    if form == 0 and ms % 1000 == 0:
        return ms // 1000
    if form == 1:
        return ms / 1000
    if form == 2:
        return ms
    if form == 3:
        return (
            datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        )
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def random_event(rng: random.Random, span_ms: int) -> tuple[int | None, dict[str, Any]]:
    ms = NOW_MS - rng.randrange(span_ms) + rng.choice([0, 0, 0, 400_000])
    if rng.random() < 0.05:
        ms -= rng.choice([0, 60_000, 59_999, 1])  # minute boundaries
    event: dict[str, Any] = {}
    true_ms: int | None = ms
    r = rng.random()
    if r < 0.03:
        event["ts"] = "not a time"
        true_ms = None
    elif r < 0.05:
        true_ms = None  # no timestamp at all
    else:
        event["ts"] = timestamp_forms(ms, rng)
    if rng.random() < 0.9:
        event["route"] = rng.choice(["/a", "/a", "/b", "/c"])
    if rng.random() < 0.9:
        event["status"] = rng.choice([200, 200, 200, 404, 500, 503])
    x = rng.random()
    if x < 0.85:
        event["latency_ms"] = round(rng.lognormvariate(5, 1.2), 3)
    elif x < 0.88:
        event["latency_ms"] = float("nan")
    elif x < 0.91:
        event["latency_ms"] = -5.0
    elif x < 0.93:
        event["latency_ms"] = 0.0
    return true_ms, event


def run_case(tmp: Path, seed: int, n: int, span_ms: int) -> None:
    rng = random.Random(seed)
    events = [random_event(rng, span_ms) for _ in range(n)]
    spec = make_spec()
    store = Store.open(":memory:")  # durability is tested on files elsewhere
    oracle = Oracle()
    pos = 0
    batch_no = 0
    sent: list[tuple[str, list[dict[str, Any]]]] = []
    while pos < n:
        size = rng.randint(1, max(1, n // 3))
        batch = events[pos : pos + size]
        pos += size
        if rng.random() < 0.3:  # integer milliseconds: the exact integer path of the reader
            batch = [(ms, {**e, "ts": ms} if ms is not None else e) for ms, e in batch]
        batch_id = f"b{batch_no}"
        batch_no += 1
        now_ms = NOW_MS + rng.choice([0, 0, 60_000])
        expected_rejections = oracle.ingest(batch, now_ms)
        result = store.ingest("api", [e for _, e in batch], spec=spec, batch_id=batch_id, now=now_ms / 1000)
        assert result.rejections == expected_rejections
        assert result.accepted == len(batch) - len(expected_rejections)
        sent.append((batch_id, [e for _, e in batch]))
        if sent and rng.random() < 0.3:  # re-send an earlier batch: counted once
            again_id, again = rng.choice(sent)
            dup = store.ingest("api", again, spec=spec, batch_id=again_id, now=now_ms / 1000)
            assert dup.duplicate
        if rng.random() < 0.25:  # fold pending rows now and then: reads mix folded and pending rows
            store.fold()
    check_store(store, oracle, rng)
    store.compact()
    check_store(store, oracle, rng)
    store.close()


def check_store(store: Store, oracle: Oracle, rng: random.Random) -> None:
    all_minutes = [m for rows in oracle.rows.values() for m in rows]
    if not all_minutes:
        return
    lo, hi = min(all_minutes) - 3, max(all_minutes) + 3
    valid, good = store.minute_matrix(list(KEYS), lo, hi)
    for k, key in enumerate(KEYS):
        expect_v = np.zeros(hi - lo, np.int64)
        expect_g = np.zeros(hi - lo, np.int64)
        for m, (v, g) in oracle.rows[key].items():
            expect_v[m - lo] = v
            expect_g[m - lo] = g
        assert np.array_equal(valid[k], expect_v), key
        assert np.array_equal(good[k], expect_g), key
    requests = []
    for _ in range(12):
        a = rng.randint(lo - 2000, hi)
        b = rng.randint(a, hi + 2000)
        requests.extend((key, a, b) for key in KEYS)
    requests.append(("fast/0", lo, hi))
    wv, wg = store.window_counts(requests)
    hists = store.window_histograms(requests)
    for (key, a, b), v, g, h in zip(requests, wv, wg, hists, strict=True):
        assert (int(v), int(g)) == oracle.window(key, a, b), (key, a, b)
        if key in oracle.values:
            values = [x for m, x in oracle.values[key] if a <= m < b]
            assert h == LogHistogram.from_values(np.array(values, dtype=np.float64)), (key, a, b)
            assert h.total == v
        else:
            assert h.total == 0


def test_store_matches_oracle_plain_random(tmp_path: Path) -> None:
    for seed in range(2):
        # span of 4 days: crosses day rollups and the 48 h lateness bound.
        run_case(tmp_path, seed, 1500, 4 * 86_400_000)


def test_store_matches_oracle_sparse_histogram_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches spanning too many minutes for a dense cell array are counted by sorting."""
    monkeypatch.setattr(aggregate_module, "_DENSE_CELLS_LIMIT", 4096)
    run_case(tmp_path, 11, 800, 3 * 86_400_000)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 300), span_hours=st.sampled_from([1, 5, 30, 70]))
def test_store_matches_oracle_hypothesis(tmp_path: Path, seed: int, n: int, span_hours: int) -> None:
    run_case(tmp_path, seed + 100, n, span_hours * 3_600_000)


def coverage(runs: list[tuple[str, int, int, int]], widths: dict[str, int], lo: int, hi: int) -> Any:
    """How many times each minute row in ``[lo, hi)`` is counted by the signed runs."""
    steps = np.zeros(hi - lo + 1, np.int64)
    for level, a, b, sign in runs:
        assert sign in (1, -1) and a < b
        first, stop = a * widths[level], b * widths[level]
        assert lo <= first and stop <= hi
        steps[first - lo] += sign
        steps[stop - lo] -= sign
    return np.cumsum(steps)[:-1]


@settings(deadline=None)
@given(start=st.integers(-200_000, 400_000), length=st.integers(0, 150_000))
def test_split_range_covers_exactly(start: int, length: int) -> None:
    """Signed runs add up to each minute of the range once and to nothing outside it."""
    stop = start + length
    runs = split_range(start, stop)
    margin = 2 * 40_320
    times = coverage(runs, dict(LEVELS), start - margin, stop + margin)
    expected = np.zeros(length + 2 * margin, np.int64)
    expected[margin : margin + length] = 1
    assert np.array_equal(times, expected)
    # Rounding to the nearest unit leaves at most half a unit per side for the next level.
    rows = sum(b - a for _, a, b, _ in runs)
    assert rows <= length // 40_320 + 2 + 2 * (3 + 4 + 3 + 4 + 30)


@settings(deadline=None)
@given(start=st.integers(-5000, 200_000), length=st.integers(0, 20_000))
def test_split_range_with_schema_1_levels(start: int, length: int) -> None:
    """A store of schema 1 opened read-only is read with its three levels, exactly."""
    stop = start + length
    margin = 1440
    times = coverage(split_range(start, stop, LEVELS_V1), dict(LEVELS_V1), start - margin, stop + margin)
    expected = np.zeros(length + 2 * margin, np.int64)
    expected[margin : margin + length] = 1
    assert np.array_equal(times, expected)
