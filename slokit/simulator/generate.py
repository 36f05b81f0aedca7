"""Vectorized event generation: one Arrow table per stream per chunk of simulated time.

Time is cut into fixed chunks of six hours aligned to the epoch. Every random number of a
source in a chunk comes from a generator keyed by (seed, source, chunk), so a chunk's events do
not depend on which range was asked for, how it was split, or on the other sources: a 30-day
run, a one-day run and the streaming mode produce the same events for the same hours. Inside a
chunk everything is numpy: a Poisson count per minute, uniform offsets, one vector of draws per
field; there is no Python loop per event.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from slokit.simulator.incidents import Incident, effects_on, plan
from slokit.simulator.model import (
    Choice,
    Const,
    Flag,
    Id,
    Lognormal,
    Measure,
    Outcome,
    Periodic,
    Poisson,
    Scenario,
    Source,
)
from slokit.simulator.scenarios import LOAD_TEST_MINUTE, LOAD_TEST_MINUTES, LOAD_TEST_RATE
from slokit.simulator.traffic import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    expected_per_minute,
    keyed_rng,
    periodic_times,
    poisson_times,
)

CHUNK_MS = 6 * HOUR_MS
Int64s = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(slots=True)
class Col:
    """A column before it becomes Arrow: values (or codes into ``vocab`` for text), null mask.

    Streams are assembled, cut to the range and sorted in numpy; each column is converted to
    Arrow once, at the end, so text costs one ``take`` per column and chunk.
    """

    values: npt.NDArray[Any]
    mask: Bools | None = None
    vocab: tuple[str, ...] | None = None

    def __len__(self) -> int:
        return int(self.values.shape[0])


Columns = dict[str, Col]


def num(values: npt.NDArray[Any], mask: Bools | None = None) -> Col:
    return Col(values, mask if mask is not None and mask.any() else None)


def cat(values: Sequence[str | int | None], codes: Int64s) -> Col:
    """A categorical column: ``codes`` index ``values``; a ``None`` value is a null."""
    vocab = tuple(v for v in values if v is not None)
    if all(isinstance(v, str) for v in vocab):
        remap = np.asarray([-1 if v is None else vocab.index(v) for v in values], dtype=np.int32)
        return Col(remap[codes], vocab=tuple(str(v) for v in vocab))
    numbers = np.asarray([0 if v is None else v for v in values])
    nulls = np.asarray([v is None for v in values])
    return num(numbers[codes], nulls[codes])


def const(value: str | int | float | bool, n: int) -> Col:
    if isinstance(value, str):
        return Col(np.zeros(n, dtype=np.int32), vocab=(value,))
    return Col(np.full(n, value))


def source_key(name: str) -> int:
    """A stable number per source name: adding a source never changes another's events."""
    return zlib.crc32(name.encode())


@dataclass
class Simulation:
    """A planned simulation: scenario, seed, time range and its incidents (ground truth)."""

    scenario: Scenario
    seed: int
    start_ms: int
    end_ms: int
    rate_scale: float = 1.0
    incidents: list[Incident] = field(default_factory=list)

    def chunks(self) -> list[tuple[int, int]]:
        """The chunk windows covering the range, clipped to it."""
        first = self.start_ms // CHUNK_MS * CHUNK_MS
        return [
            (max(t, self.start_ms), min(t + CHUNK_MS, self.end_ms))
            for t in range(first, self.end_ms, CHUNK_MS)
        ]

    def batches(self) -> Iterator[dict[str, pa.Table]]:
        """Per chunk, in time order: one table per stream, sorted by ``ts``."""
        for start, end in self.chunks():
            yield generate_chunk(self, start, end)

    def schema(self, stream: str) -> pa.Schema:
        return pa.schema([pa.field(name, kind) for name, kind in self.scenario.streams[stream]])


def simulation(
    scenario: Scenario,
    end_ms: int,
    days: float = 30,
    seed: int = 0,
    rate_scale: float = 1.0,
    incidents: Sequence[Incident] | None = None,
) -> Simulation:
    """Plan a simulation of ``days`` ending at ``end_ms`` (both floored to whole minutes)."""
    if days <= 0:
        raise ValueError(f"days must be positive, got {days}")
    if rate_scale <= 0:
        raise ValueError(f"rate scale must be positive, got {rate_scale}")
    if seed < 0:
        raise ValueError(f"seed must not be negative, got {seed}")
    end = end_ms // MINUTE_MS * MINUTE_MS
    start = (end - round(days * DAY_MS)) // MINUTE_MS * MINUTE_MS
    if incidents is None:
        incidents = plan(
            scenario.templates,
            start,
            end,
            seed,
            scenario.slos_of(),
            scenario.utc_offset_hours,
            scenario.daily_slos(),
        )
    return Simulation(scenario, seed, start, end, rate_scale, list(incidents))


def generate_chunk(sim: Simulation, start_ms: int, end_ms: int) -> dict[str, pa.Table]:
    """Every stream's events in ``[start, end)``, which must lie inside one aligned chunk."""
    chunk = start_ms // CHUNK_MS
    if (end_ms - 1) // CHUNK_MS != chunk:
        raise ValueError("a chunk must not cross a chunk boundary")
    parts: dict[str, list[Columns]] = {name: [] for name in sim.scenario.streams}
    for source in sim.scenario.sources:
        for stream, columns in generate_source(sim, source, chunk).items():
            parts[stream].append(columns)
    return {
        stream: _assemble(sim.schema(stream), pieces, start_ms, end_ms) for stream, pieces in parts.items()
    }


def _assemble(schema: pa.Schema, pieces: list[Columns], start_ms: int, end_ms: int) -> pa.Table:
    """Concatenate the sources of one stream, keep ``[start, end)``, sort by time (stably)."""
    ts = np.concatenate([p["ts"].values for p in pieces]) if pieces else np.zeros(0, np.int64)
    keep = np.flatnonzero((ts >= start_ms) & (ts < end_ms))
    order = keep[np.argsort(ts[keep], kind="stable")]
    arrays = []
    for fld in schema:
        columns = [(p.get(fld.name), len(p["ts"])) for p in pieces]
        arrays.append(_to_arrow(fld.type, columns, order))
    return pa.Table.from_arrays(arrays, schema=schema)


def _to_arrow(kind: pa.DataType, columns: list[tuple[Col | None, int]], order: Int64s) -> Any:
    if pa.types.is_string(kind):
        vocab: list[str] = []
        codes = []
        for column, n in columns:
            if column is None:
                codes.append(np.full(n, -1, dtype=np.int32))
                continue
            if column.vocab is None:
                raise TypeError("a text field was generated as numbers")
            code = column.values.astype(np.int32) + len(vocab)
            code[column.values < 0] = -1
            if column.mask is not None:
                code[column.mask] = -1
            codes.append(code)
            vocab.extend(column.vocab)
        picked = np.concatenate(codes)[order] if codes else np.zeros(0, np.int32)
        return pa.array(vocab, pa.string()).take(pa.array(picked, mask=picked < 0))
    values = []
    masks = []
    dtype = kind.to_pandas_dtype()
    for column, n in columns:
        if column is None:
            values.append(np.zeros(n, dtype=dtype))
            masks.append(np.ones(n, dtype=bool))
        else:
            values.append(column.values.astype(dtype, copy=False))
            masks.append(column.mask if column.mask is not None else np.zeros(n, dtype=bool))
    if not values:
        return pa.array([], kind)
    mask = np.concatenate(masks)[order]
    return pa.array(np.concatenate(values)[order], type=kind, mask=mask if mask.any() else None)


def generate_source(sim: Simulation, source: Source, chunk: int) -> dict[str, Columns]:
    """One source's events in a whole aligned chunk, per stream it writes to."""
    rng = keyed_rng(sim.seed, source_key(source.name), chunk)
    chunk_start = chunk * CHUNK_MS
    chunk_end = chunk_start + CHUNK_MS
    if source.kind == "backups":
        return {source.stream: _backups(sim, source, chunk_start, chunk_end)}
    if source.kind == "backup_audit":
        return {source.stream: _backup_audit(sim, source, chunk_start, chunk_end)}
    ts, per = _arrivals(sim, source, rng, chunk_start, chunk_end)
    p_bad, factor = effects_on(sim.incidents, source.name, ts, source.error_rate)
    if source.kind == "http":
        return {source.stream: _http(source, rng, ts, p_bad, factor)}
    if source.kind == "cad":
        return {source.stream: _cad(source, rng, ts, p_bad, factor)}
    if source.kind == "freshness":
        return {source.stream: _freshness(sim, source, rng, ts)}
    columns = _events(source, rng, ts, p_bad, factor)
    if per is not None:
        columns[per[0]] = per[1]
    if source.kind == "orders":
        return {
            source.stream: columns,
            "load_minutes": _load_minutes(sim, source, rng, columns, chunk_start, chunk_end),
        }
    return {source.stream: columns}


# --- arrivals ---


def _arrivals(
    sim: Simulation, source: Source, rng: np.random.Generator, start: int, end: int
) -> tuple[Int64s, tuple[str, Col] | None]:
    arrival = source.arrival
    if isinstance(arrival, Poisson):
        minutes = np.arange(start // MINUTE_MS, end // MINUTE_MS, dtype=np.int64)
        expected = expected_per_minute(
            arrival.profile,
            arrival.peak_per_minute * sim.rate_scale,
            sim.seed,
            source_key(source.name),
            minutes,
        )
        return poisson_times(rng, minutes, expected), None
    return _periodic(sim, arrival, start, end)


def _periodic(
    sim: Simulation, arrival: Periodic, start: int, end: int
) -> tuple[Int64s, tuple[str, Col] | None]:
    interval = round(arrival.interval_s * 1000)
    phase = round(arrival.phase_s * 1000) - round(sim.scenario.utc_offset_hours * HOUR_MS)
    if arrival.per is None:
        return periodic_times(start, end, interval, phase), None
    name, values = arrival.per
    times = []
    labels = []
    for i in range(len(values)):
        t = periodic_times(start, end, interval, phase + round(i * arrival.stagger_s * 1000))
        times.append(t)
        labels.append(np.full(t.size, i, dtype=np.int64))
    ts = np.concatenate(times)
    index = np.concatenate(labels)
    order = np.argsort(ts, kind="stable")
    return ts[order], (name, cat(values, index[order]))


# --- generic events ---


def _choice(rng: np.random.Generator, weights: Sequence[float], n: int) -> Int64s:
    """Category indices drawn by weight: one uniform per event against the cumulative weights."""
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    cumulative /= cumulative[-1]
    u = rng.random(n)
    if len(weights) <= 8:  # a few comparisons beat a binary search per value
        index = np.zeros(n, dtype=np.int64)
        for edge in cumulative[:-1]:
            index += u >= edge
        return index
    index = np.searchsorted(cumulative, u, side="right")
    return np.minimum(index, len(weights) - 1).astype(np.int64)


def _events(source: Source, rng: np.random.Generator, ts: Int64s, p_bad: Floats, factor: Floats) -> Columns:
    n = ts.size
    bad = rng.random(n) < p_bad
    normals = rng.standard_normal(n) if source.latency is not None else None
    columns: Columns = {"ts": num(ts)}
    for spec in source.fields:
        if isinstance(spec, Const):
            columns[spec.name] = const(spec.value, n)
        elif isinstance(spec, Choice):
            columns[spec.name] = cat(spec.values, _choice(rng, spec.weights, n))
        elif isinstance(spec, Flag):
            columns[spec.name] = num(bad if spec.bad_value else ~bad)
        elif isinstance(spec, Outcome):
            index = _choice(rng, spec.weights, n)
            index[bad] = len(spec.good)
            columns[spec.name] = cat((*spec.good, spec.bad), index)
        elif isinstance(spec, Measure):
            if source.latency is None or normals is None:
                raise ValueError(f"source {source.name} has a Measure field but no latency")
            values = np.round(source.latency.sample(normals, factor), spec.decimals)
            columns[spec.name] = num(values, bad if spec.only_good else None)
        elif isinstance(spec, Id):
            columns[spec.name] = num(rng.integers(0, 2**48, n, dtype=np.int64))
    return columns


# --- HTTP ---

_SERVER_ERRORS = (500, 502, 503, 504)
_SERVER_WEIGHTS = (0.25, 0.25, 0.4, 0.1)
_CLIENT_ERRORS = (400, 401, 403, 404, 409, 422, 429)
_CLIENT_WEIGHTS = (0.3, 0.15, 0.05, 0.3, 0.08, 0.07, 0.05)
#: Requests that time out (504) take this long.
TIMEOUT_MS = 15_000.0


def _http(source: Source, rng: np.random.Generator, ts: Int64s, p_bad: Floats, factor: Floats) -> Columns:
    """HTTP requests: 5xx exactly on bad events, 4xx at the client error rate, per-route latency."""
    http = source.http
    latency = source.latency
    if http is None or latency is None:
        raise ValueError(f"HTTP source {source.name} needs http and latency settings")
    n = ts.size
    bad = rng.random(n) < p_bad
    route = _choice(rng, [r.weight for r in http.routes], n)
    client = rng.random(n) < http.client_error_rate
    server_code = np.asarray(_SERVER_ERRORS)[_choice(rng, _SERVER_WEIGHTS, n)]
    client_code = np.asarray(_CLIENT_ERRORS)[_choice(rng, _CLIENT_WEIGHTS, n)]
    normals = rng.standard_normal(n)
    methods = tuple(dict.fromkeys(r.method for r in http.routes))
    method = np.asarray([methods.index(r.method) for r in http.routes])[route]
    scale = np.asarray([r.scale for r in http.routes])[route]
    success = np.where(method == methods.index("POST"), 201, 200) if "POST" in methods else np.full(n, 200)
    columns: Columns = {
        "ts": num(ts),
        "service": const(http.service, n),
        "route": cat([r.route for r in http.routes], route),
        "method": cat(methods, method),
    }
    gateway = http.gateway
    if gateway is None:
        status = np.where(bad, server_code, np.where(client, client_code, success))
        ms = latency.sample(normals, factor) * scale
        ms = np.where(bad, np.where(server_code == 504, TIMEOUT_MS, ms * 0.3), ms)
        columns["status"] = num(status.astype(np.int64))
        columns["latency_ms"] = num(np.round(ms, 1))
        return columns
    # a gateway: proxied requests carry the upstream's status and time plus the overhead
    upstream_error = rng.random(n) < gateway.upstream_error_rate
    local = (rng.random(n) < gateway.local_reply_rate) & ~bad
    upstream_ms = np.round(gateway.upstream.sample(rng.standard_normal(n)) * scale, 1)
    overhead = np.round(latency.sample(normals, factor), 1)
    proxied = ~bad & ~local
    upstream_status = np.where(upstream_error, server_code, np.where(client, client_code, success))
    local_code = np.where(client_code == 429, 429, 404)
    own_error = np.where(server_code == 500, 503, server_code)
    status = np.where(bad, own_error, np.where(local, local_code, upstream_status))
    total = np.where(proxied, np.round(upstream_ms + overhead, 1), overhead)
    total = np.where(bad & (server_code == 504), TIMEOUT_MS, total)
    no_route = local & (local_code == 404)
    columns["route"].values[no_route] = -1
    columns["status"] = num(status.astype(np.int64))
    columns["latency_ms"] = num(total)
    columns["upstream_status"] = num(upstream_status.astype(np.int64), ~proxied)
    columns["upstream_latency_ms"] = num(upstream_ms, ~proxied)
    columns["gateway_overhead_ms"] = num(overhead, ~proxied)
    return columns


# --- CAD jobs ---

CAD_FILE_MB = Lognormal(8, 40)
CAD_INVALID_RATE = 0.03
CAD_DFM_FAIL_RATE = 0.015
#: Job duration grows with file size: duration ∝ (file_mb / median file)^CAD_SIZE_EXPONENT.
CAD_SIZE_EXPONENT = 0.35


def _cad(source: Source, rng: np.random.Generator, ts: Int64s, p_bad: Floats, factor: Floats) -> Columns:
    """CAD jobs: invalid files are rejected fast; a failed job stopped before DFM half the time."""
    latency = source.latency
    if latency is None:
        raise ValueError("the CAD source needs a duration distribution")
    n = ts.size
    bad_draw = rng.random(n) < p_bad
    normals = rng.standard_normal(n)
    file_mb = np.round(CAD_FILE_MB.sample(rng.standard_normal(n)), 2)
    valid = rng.random(n) >= CAD_INVALID_RATE
    dfm_ok = rng.random(n) >= CAD_DFM_FAIL_RATE
    before_dfm = rng.random(n) < 0.5
    ids = rng.integers(0, 2**48, n, dtype=np.int64)
    bad = bad_draw & valid
    duration = latency.sample(normals, factor) * (file_mb / CAD_FILE_MB.median) ** CAD_SIZE_EXPONENT
    duration = np.where(valid, np.where(bad, duration * 0.4, duration), duration * 0.02)
    return {
        "ts": num(ts),
        "job_id": num(ids),
        "file_mb": num(file_mb),
        "valid": num(valid),
        "ok": num(valid & ~bad),
        "dfm_ok": num(dfm_ok, ~valid | (bad & before_dfm)),
        "duration_s": num(np.round(duration, 2)),
    }


# --- MToGo order rollups and load test ---


def _load_minutes(
    sim: Simulation, source: Source, rng: np.random.Generator, orders: Columns, start: int, end: int
) -> Columns:
    """One row per minute of order traffic, plus the nightly 15-minute load test at 1500/min."""
    latency = source.latency
    outcome = orders["outcome"]
    if latency is None or outcome.vocab is None:
        raise ValueError("the orders source needs a latency distribution and an outcome")
    ts = orders["ts"].values
    value = orders["payment_to_event_ms"].values
    first = start // MINUTE_MS
    count = (end - start) // MINUTE_MS
    minute = ts // MINUTE_MS - first
    requests = np.bincount(minute, minlength=count)
    created = outcome.values == outcome.vocab.index("created")
    failed = outcome.values == outcome.vocab.index("failed")
    n_created = np.bincount(minute[created], minlength=count)
    n_failed = np.bincount(minute[failed], minlength=count)
    p95 = p95_per_group(minute[created], value[created], count)
    attempts = n_created + n_failed
    ratio = np.divide(n_failed, attempts, out=np.zeros(count), where=attempts > 0)
    minutes = np.arange(first, first + count, dtype=np.int64)
    # the load test: LOAD_TEST_RATE orders a minute (plus a little overshoot) at 03:00 local
    local = (minutes * MINUTE_MS + round(sim.scenario.utc_offset_hours * HOUR_MS)) % DAY_MS // MINUTE_MS
    test = np.flatnonzero((local >= LOAD_TEST_MINUTE) & (local < LOAD_TEST_MINUTE + LOAD_TEST_MINUTES))
    test_requests = LOAD_TEST_RATE + rng.poisson(60, test.size)
    test_ts = minutes[test] * MINUTE_MS + MINUTE_MS // 2
    p_bad, factor = effects_on(sim.incidents, source.name, test_ts, source.error_rate)
    test_failed = rng.binomial(test_requests, p_bad)
    test_p95 = np.empty(test.size)
    for i, n in enumerate(test_requests):
        sample = latency.sample(rng.standard_normal(int(n)), factor[i] * 1.15)
        test_p95[i] = np.sort(sample)[int(np.ceil(0.95 * n)) - 1]
    no_test = np.zeros(test.size, dtype=bool)
    return {
        "ts": num(np.concatenate([minutes, minutes[test]]) * MINUTE_MS + MINUTE_MS - 1),
        "service": const("order-service", count + test.size),
        "source": cat(("production", "load-test"), np.repeat([0, 1], [count, test.size])),
        "requests": num(np.concatenate([requests, test_requests]).astype(np.int64)),
        "p95_ms": num(
            np.round(np.concatenate([p95, test_p95]), 1), np.concatenate([n_created == 0, no_test])
        ),
        "error_ratio": num(
            np.round(np.concatenate([ratio, test_failed / test_requests]), 6),
            np.concatenate([attempts == 0, no_test]),
        ),
    }


def p95_per_group(group: Int64s, value: Floats, count: int) -> Floats:
    """Nearest-rank p95 of ``value`` per group 0..count-1 (NaN for empty groups), vectorized."""
    result = np.full(count, np.nan)
    if not group.size:
        return result
    # one sort of (group, value) packed into a float: values are latencies far below 2**32
    order = np.argsort(group * 2.0**32 + value, kind="stable")
    sizes = np.bincount(group, minlength=count)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    present = sizes > 0
    rank = np.ceil(0.95 * sizes[present]).astype(np.int64) - 1
    result[present] = value[order][starts[present] + rank]
    return result


# --- CNC backups, backup audit and metrics freshness ---


@dataclass(frozen=True, slots=True)
class BackupRun:
    day: int
    completed_ms: int
    schedule: str
    ok: bool
    size_gb: float
    duration_minutes: float


def backup_runs(sim: Simulation, source: Source, first_day: int, last_day: int) -> list[BackupRun]:
    """The backups of local days ``first_day..last_day``: the nightly run and any re-run by hand.

    A nightly run fails when an incident makes it fail (the baseline never does); the team
    re-runs it by hand when the incident ends.
    """
    latency = source.latency
    if latency is None or not isinstance(source.arrival, Periodic):
        raise ValueError("the backup source needs a duration distribution and a daily schedule")
    offset = round(sim.scenario.utc_offset_hours * HOUR_MS)
    runs: list[BackupRun] = []
    key = source_key(source.name)
    for day in range(first_day, last_day + 1):
        rng = keyed_rng(sim.seed, key, 5, day)
        u, normal, size_noise = rng.random(), rng.standard_normal(), rng.normal(0.0, 1.5)
        begin = day * DAY_MS - offset + round(source.arrival.phase_s * 1000)
        minutes = round(float(latency.median * np.exp(latency.sigma * normal)), 2)
        size = round(140.0 + 0.25 * (day % 400) + size_noise, 2)
        p_bad, _ = effects_on(sim.incidents, source.name, np.asarray([begin]), source.error_rate)
        if u >= p_bad[0]:
            runs.append(BackupRun(day, begin + round(minutes * MINUTE_MS), "daily", True, size, minutes))
            continue
        failed_after = round(minutes * 0.3, 2)
        runs.append(
            BackupRun(day, begin + round(failed_after * MINUTE_MS), "daily", False, size, failed_after)
        )
        rerun = _incident_end(sim.incidents, source.name, begin)
        runs.append(BackupRun(day, rerun + round(minutes * MINUTE_MS), "manual", True, size, minutes))
    return runs


def _incident_end(incidents: list[Incident], source: str, t: int) -> int:
    ends = [
        inc.end_ms
        for inc in incidents
        if any(e.source == source for e in inc.effects) and inc.start_ms <= t < inc.end_ms
    ]
    return max(ends) if ends else t + HOUR_MS


def local_day(sim: Simulation, t_ms: Int64s | int) -> Any:
    """The scenario's local calendar day (days since the epoch) of epoch milliseconds."""
    return (t_ms + round(sim.scenario.utc_offset_hours * HOUR_MS)) // DAY_MS


def _backups(sim: Simulation, source: Source, start: int, end: int) -> Columns:
    days = range(int(local_day(sim, start)) - 1, int(local_day(sim, end)) + 1)
    runs = [r for r in backup_runs(sim, source, days.start, days.stop) if start <= r.completed_ms < end]
    runs.sort(key=lambda r: r.completed_ms)
    return {
        "ts": num(np.asarray([r.completed_ms for r in runs], dtype=np.int64)),
        "schedule": cat(
            ("daily", "manual"), np.asarray([r.schedule == "manual" for r in runs], dtype=np.int64)
        ),
        "ok": num(np.asarray([r.ok for r in runs], dtype=bool)),
        "size_gb": num(np.asarray([r.size_gb for r in runs], dtype=np.float64)),
        "duration_minutes": num(np.asarray([r.duration_minutes for r in runs], dtype=np.float64)),
    }


RETENTION_DAYS = 30


def _backup_audit(sim: Simulation, source: Source, start: int, end: int) -> Columns:
    """Every 5 minutes: the age of the newest good backup and, of the 30 local days before the
    sample's day, how many have a good backup (the day itself is not counted: it may not have
    run yet)."""
    if not isinstance(source.arrival, Periodic):
        raise ValueError("the backup audit runs on a schedule")
    ts, _ = _periodic(sim, source.arrival, start, end)
    backup = sim.scenario.source("backups")
    first = int(local_day(sim, start)) - RETENTION_DAYS - 2
    runs = [r for r in backup_runs(sim, backup, first, int(local_day(sim, end))) if r.ok]
    done = np.asarray(sorted(r.completed_ms for r in runs), dtype=np.int64)
    newest = np.searchsorted(done, ts, side="right") - 1
    age_hours = np.where(newest >= 0, (ts - done[np.maximum(newest, 0)]) / HOUR_MS, np.nan)
    # per local day, when its first good backup completed (never: a huge number)
    never = np.iinfo(np.int64).max
    day_index = np.arange(first, int(local_day(sim, end)) + 1)
    good_at = np.full(day_index.size, never, dtype=np.int64)
    for r in runs:
        good_at[r.day - first] = min(good_at[r.day - first], r.completed_ms)
    sample_day = local_day(sim, ts) - first
    window = sample_day[:, None] - np.arange(1, RETENTION_DAYS + 1)[None, :]
    retained = (good_at[window] <= ts[:, None]).sum(axis=1).astype(np.int64)
    n = ts.size
    return {
        "ts": num(ts),
        "service": const("cnc-data-persistence", n),
        "check": const("backup-audit", n),
        "location": const("backup-store", n),
        "ok": num(np.ones(n, dtype=bool)),
        "last_good_backup_age_hours": num(np.round(age_hours, 3), np.isnan(age_hours)),
        "retained_daily_backups": num(retained),
    }


def _freshness(sim: Simulation, source: Source, rng: np.random.Generator, ts: Int64s) -> Columns:
    """Every minute: age of the newest API event; a stalled pipeline makes it grow without bound."""
    latency = source.latency
    if latency is None:
        raise ValueError("the freshness source needs an age distribution")
    age = latency.sample(rng.standard_normal(ts.size))
    for incident in sim.incidents:
        if not any(e.source == source.name and e.error_rate for e in incident.effects):
            continue
        for begin, stop in incident.windows():
            inside = (ts >= begin) & (ts < stop)
            age = np.where(inside, (ts - begin) / 1000 + age, age)
    n = ts.size
    return {
        "ts": num(ts),
        "service": const("cnc-api", n),
        "check": const("metrics-freshness", n),
        "location": const("collector", n),
        "ok": num(np.ones(n, dtype=bool)),
        "newest_event_age_s": num(np.round(age, 1)),
    }


def source_events(sim: Simulation, source: Source) -> pa.Table:
    """All events of one source over the simulation's range, in its own stream's columns.

    For inspecting what one producer did (tests, docs); files hold whole streams.
    """
    schema = sim.schema(source.stream)
    tables = []
    for start, end in sim.chunks():
        columns = generate_source(sim, source, start // CHUNK_MS).get(source.stream)
        if columns is not None:
            tables.append(_assemble(schema, [columns], start, end))
    return pa.concat_tables(tables) if tables else schema.empty_table()
