"""Window counts from a Prometheus-compatible engine, read as :mod:`slokit.sources.status` reads the store.

:class:`PrometheusCounts` answers the same three reads as the embedded
:class:`~slokit.sources.store.Store` (``window_counts``, ``window_histograms``, ``minute_matrix``)
for objectives whose SLIs are bound ``type: prometheus``, so
:func:`slokit.sources.status.evaluate_all` and :func:`~slokit.sources.status.history` run unchanged
over Prometheus. A request for minute rows ``[start, stop)`` becomes the binding's query with
``{{window}}`` = ``(stop − start)`` minutes, evaluated at ``time = stop · 60``: the events of
``(t − W, t]``, the same window the store sums.

* Ratio SLIs: the ``good`` (or ``bad``) and ``total`` queries; a query using ``rate()`` /
  ``irate()`` (and no ``increase()``) is a per-second rate and is multiplied by the window.
* Classic histograms: ``sum(increase(H_count{sel}[W]))`` valid events,
  ``sum(increase(H_bucket{sel, le=~"V"}[W]))`` events at or below ``V``.
* Native histograms: ``histogram_count`` and ``histogram_fraction(0, V, ...)`` (an interpolated
  fraction: approximate unless ``V`` is a bucket boundary).

Counts are rounded to whole events and ``good`` is clamped to ``[0, total]``: ``increase()``
extrapolates, so on arbitrary data a count is an estimate (``docs/prometheus-source.md`` says
when it is exact). Percentiles of histogram thresholds come from ``histogram_quantile`` over the
SLO window, computed after the store-shaped evaluation (:meth:`PrometheusCounts.window_histograms`
answers empty histograms): they interpolate inside buckets, so the report marks them as
approximate in the SLO's notes.

Queries of one evaluation instant are batched into a few HTTP requests: each count query is
wrapped in ``label_replace(…, "slokit_q", "<n>", "", "")`` and joined with ``or``, and the
batches run concurrently. A batch the engine refuses is retried query by query so the error
names the SLO. A failed query never becomes a number: its objective is recorded in
:attr:`PrometheusCounts.problems` and :func:`evaluate_all` reports it as no data with the
reason ("source unreachable: ...", "expected one series, ...").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from slokit.engine.histogram import DEFAULT_LAYOUT, LogHistogram
from slokit.errors import SlokitError
from slokit.sources import status
from slokit.sources.bound import BoundSLI, sli_key
from slokit.sources.prometheus import (
    PrometheusClient,
    PrometheusError,
    QueryFailed,
    describe_labels,
    finite,
)
from slokit.spec.bindings import WINDOW_PLACEHOLDER
from slokit.spec.model import SLO, MetricSource, Objective, PrometheusQuery, Spec

Ints = NDArray[np.int64]

#: Count queries per HTTP request, and requests in flight at once.
BATCH = 64
WORKERS = 4
#: Points per range query (Prometheus refuses more than 11 000).
MAX_POINTS = 10_000
#: Label that tells the answers of a batched query apart.
TAG = "slokit_q"

_RATE_RE = re.compile(r"\bi?rate\s*\(")
_INCREASE_RE = re.compile(r"\bincrease\s*\(")

_J = TypeVar("_J")
_R = TypeVar("_R")

#: A count query for a window of ``seconds``.
CountQuery = Callable[[int], str]


@dataclass(frozen=True, slots=True)
class Counting:
    """How one objective is counted: valid events, and good or bad events (exactly one)."""

    total: CountQuery
    good: CountQuery | None = None
    bad: CountQuery | None = None
    #: ``(q, seconds) -> histogram_quantile(...)`` for histogram thresholds (approximate percentiles).
    quantile: Callable[[float, int], str] | None = None


def _is_rate(query: str) -> bool:
    return _RATE_RE.search(query) is not None and _INCREASE_RE.search(query) is None


def window_text(seconds: int) -> str:
    """A PromQL duration for a window of whole seconds (``86400s``: exact, no unit choice)."""
    return f"{seconds}s"


def count_query(query: str) -> CountQuery:
    """The binding's query as an event count over a window (rates scaled by its length)."""
    rate = _is_rate(query)

    def build(seconds: int) -> str:
        filled = query.replace(WINDOW_PLACEHOLDER, window_text(seconds))
        return f"({filled}) * {seconds}" if rate else filled

    return build


def le_regex(value: float) -> str:
    """An ``le=~`` regex for the spellings a bucket bound has (``0.4``, ``0.40``, ``1``, ``1.0``)."""
    plain = format(Decimal(repr(float(value))).normalize(), "f")
    if "." in plain:
        whole, frac = plain.split(".")
        return re.escape(whole).replace("\\", "\\\\") + "\\\\." + frac + "0*"
    return re.escape(plain).replace("\\", "\\\\") + "(\\\\.0*)?"


def counting(slo: SLO, objective: Objective) -> Counting | str:
    """How to count the objective from Prometheus, or why it cannot be counted."""
    sli = slo.indicator_for(objective)

    def query_of(source: MetricSource | None, where: str) -> CountQuery | str | None:
        if source is None:
            return None
        binding = source.binding
        if not isinstance(binding, PrometheusQuery):
            return "its indicator does not read `type: prometheus` sources"
        if binding.query is None or WINDOW_PLACEHOLDER not in binding.query:
            return f"{where}: the PromQL query needs a [{WINDOW_PLACEHOLDER}] range"
        return count_query(binding.query)

    ratio = sli.ratio_metric
    if ratio is not None:
        if ratio.raw is not None:
            return "a raw ratio query gives no event counts: bind good (or bad) and total counters"
        total = query_of(ratio.total, "ratioMetric.total")
        good = query_of(ratio.good, "ratioMetric.good")
        bad = query_of(ratio.bad, "ratioMetric.bad")
        for found in (total, good, bad):
            if isinstance(found, str):
                return found
        assert not isinstance(total, str) and not isinstance(good, str) and not isinstance(bad, str)
        if total is None or (good is None and bad is None):
            return "the ratio needs total and good (or bad) queries"
        return Counting(total, good=good, bad=None if good is not None else bad)
    assert sli.threshold_metric is not None
    binding = sli.threshold_metric.source.binding
    if not isinstance(binding, PrometheusQuery):
        return "its indicator does not read `type: prometheus` sources"
    if binding.histogram is None:
        return (
            "a threshold on a PromQL query compares sample values, not events: "
            "bind a latency histogram (histogram + selector)"
        )
    if objective.value is None or objective.op is None:
        return "a histogram threshold needs the objective's op and value"
    inner = binding.selector.strip()
    inner = inner[1:-1].strip() if inner.startswith("{") else inner
    name = binding.histogram
    below = objective.op in ("lt", "lte")
    if binding.native:
        sel = "{" + inner + "}" if inner else ""
        value = repr(float(objective.value))

        def hist(s: int) -> str:
            return f"sum(increase({name}{sel}[{window_text(s)}]))"

        def native_total(s: int) -> str:
            return f"histogram_count({hist(s)})"

        def native_below(s: int) -> str:
            return f"histogram_count({hist(s)}) * histogram_fraction(0, {value}, {hist(s)})"

        def native_quantile(q: float, s: int) -> str:
            return f"histogram_quantile({q!r}, {hist(s)})"

        if below:
            return Counting(native_total, good=native_below, quantile=native_quantile)
        return Counting(native_total, bad=native_below, quantile=native_quantile)
    le = f'le=~"{le_regex(objective.value)}"'
    bucket_sel = "{" + (inner + ", " if inner else "") + le + "}"
    count_sel = "{" + inner + "}" if inner else ""

    def classic_total(s: int) -> str:
        return f"sum(increase({name}_count{count_sel}[{window_text(s)}]))"

    def classic_below(s: int) -> str:
        return f"sum(increase({name}_bucket{bucket_sel}[{window_text(s)}]))"

    def classic_quantile(q: float, s: int) -> str:
        buckets = f"increase({name}_bucket{count_sel}[{window_text(s)}])"
        return f"histogram_quantile({q!r}, sum by (le) ({buckets}))"

    if below:
        return Counting(classic_total, good=classic_below, quantile=classic_quantile)
    return Counting(classic_total, bad=classic_below, quantile=classic_quantile)


class PrometheusCounts:
    """A :class:`~slokit.sources.status.CountsSource` over a Prometheus-compatible query API."""

    def __init__(self, client: PrometheusClient, *, batch: int = BATCH, workers: int = WORKERS) -> None:
        self.client = client
        self.batch = batch
        self.workers = workers
        self._countings: dict[str, Counting] = {}
        self._cache: dict[tuple[str, int], float | None] = {}
        #: Objective key -> why its numbers could not be read (first problem seen).
        self.problems: dict[str, str] = {}
        #: Problems known before evaluating: these objectives are reported as not measured.
        self.known_problems: dict[str, str] = {}
        #: HTTP query requests sent so far (for benchmarks and tests).
        self.requests_sent = 0

    # --- CountsSource ---

    def measured(
        self, slo: SLO, index: int, objective: Objective
    ) -> tuple[BoundSLI | None, str | None, str | None, str | None]:
        key = sli_key(slo.name, index)
        found = counting(slo, objective)
        if isinstance(found, str):
            return None, f"not measured from Prometheus: {found}", None, None
        self._countings[key] = found
        ratio = slo.indicator_for(objective).ratio_metric is not None
        bound = BoundSLI(key, slo.name, index, "prometheus", "ratio" if ratio else "threshold", None)
        where = f"Prometheus API at {self.client.config.url}"
        return bound, self.known_problems.get(key), where, None

    def window_counts(self, requests: Sequence[tuple[str, int, int]]) -> tuple[Ints, Ints]:
        """Valid and good events of each ``(key, start, stop)``: the window ``(start·60, stop·60]``."""
        wanted: list[tuple[str, str, int]] = []  # (key, query, time)
        for key, start, stop in requests:
            seconds = (stop - start) * 60
            if seconds <= 0:
                continue
            c = self._countings[key]
            for build in (c.total, c.good or c.bad):
                assert build is not None
                wanted.append((key, build(seconds), stop * 60))
        self._fetch(wanted)
        valid = np.zeros(len(requests), np.int64)
        good = np.zeros(len(requests), np.int64)
        for i, (key, start, stop) in enumerate(requests):
            seconds = (stop - start) * 60
            if seconds <= 0 or key in self.problems:
                continue
            c = self._countings[key]
            t = self._cache.get((c.total(seconds), stop * 60))
            other = c.good or c.bad
            assert other is not None
            o = self._cache.get((other(seconds), stop * 60))
            valid[i], good[i] = _pair(t, o, c.good is not None)
        return valid, good

    def window_histograms(self, requests: Sequence[tuple[str, int, int]]) -> list[LogHistogram]:
        """Empty histograms: percentiles come from ``histogram_quantile`` instead (:meth:`percentiles`)."""
        return [LogHistogram(DEFAULT_LAYOUT) for _ in requests]

    def minute_matrix(self, sli_keys: Sequence[str], start: int, stop: int) -> tuple[Ints, Ints]:
        """Per-minute valid and good events from range queries of 1-minute windows, step 60 s."""
        width = max(stop - start, 0)
        valid = np.zeros((len(sli_keys), width), np.int64)
        good = np.zeros((len(sli_keys), width), np.int64)
        if width == 0:
            return valid, good
        jobs: list[tuple[int, str, bool, int, int]] = []  # (row, query, is_total, first row, last row)
        for row, key in enumerate(sli_keys):
            c = self._countings[key]
            other = c.good or c.bad
            assert other is not None
            for lo in range(start, stop, MAX_POINTS):
                hi = min(lo + MAX_POINTS, stop)
                jobs.append((row, c.total(60), True, lo, hi))
                jobs.append((row, other(60), False, lo, hi))
        totals = np.zeros((len(sli_keys), width), np.float64)
        others = np.zeros((len(sli_keys), width), np.float64)

        def run(job: tuple[int, str, bool, int, int]) -> tuple[int, bool, int, NDArray[np.float64]] | None:
            row, query, is_total, lo, hi = job
            key = sli_keys[row]
            try:
                # Row r holds the events of (r·60, (r+1)·60]: the 1-minute window ending at (r+1)·60.
                series = self.client.range(query, (lo + 1) * 60, hi * 60, 60)
                self.requests_sent += 1
            except PrometheusError as exc:
                self.problems.setdefault(key, str(exc))
                return None
            if len(series) > 1:
                shown = ", ".join(describe_labels(s.labels) for s in series[:3])
                self.problems.setdefault(
                    key, f"expected one series, the query returned {len(series)} ({shown})"
                )
                return None
            out = np.zeros(hi - lo, np.float64)
            if series:
                cols = np.rint(np.asarray(series[0].times) / 60).astype(np.int64) - 1 - lo
                vals = np.asarray(series[0].values, np.float64)
                if not np.isfinite(vals).all():
                    self.problems.setdefault(key, f"the query returned NaN or Inf: {query}")
                    return None
                ok = (cols >= 0) & (cols < hi - lo)
                out[cols[ok]] = vals[ok]
            return row, is_total, lo, out

        for done in self._map(run, jobs):
            if done is None:
                continue
            row, is_total, lo, out = done
            target = totals if is_total else others
            target[row, lo - start : lo - start + out.size] = out
        for row, key in enumerate(sli_keys):
            if key in self.problems:
                continue
            c = self._countings[key]
            valid[row], good[row] = _pairs(totals[row], others[row], c.good is not None)
        return valid, good

    def percentiles(self, key: str, seconds: int, at: int) -> dict[str, float | None] | None:
        """``histogram_quantile`` of each report percentile over ``(at − seconds, at]``; None: no histogram.

        Interpolated inside classic buckets (linearly; native histograms exponentially), so they
        are approximations: exact only where a percentile falls on a bucket bound.
        """
        c = self._countings.get(key)
        if c is None or c.quantile is None or seconds <= 0:
            return None
        queries = [c.quantile(q, seconds) for _, q in status.PERCENTILES]
        combined = " or ".join(f'label_replace(({q}), "{TAG}", "{n}", "", "")' for n, q in enumerate(queries))
        try:
            samples = self.client.instant(combined, at)
            self.requests_sent += 1
        except PrometheusError:
            return None
        found: dict[int, float] = {}
        for sample in samples:
            found[int(sample.labels.get(TAG, "-1"))] = sample.value
        out: dict[str, float | None] = {}
        for n, (label, _) in enumerate(status.PERCENTILES):
            value = found.get(n)
            out[label] = value if value is not None and math.isfinite(value) else None
        return out

    # --- fetching ---

    def _map(self, fn: Callable[[_J], _R], jobs: Sequence[_J]) -> Iterable[_R]:
        if len(jobs) <= 1 or self.workers <= 1:
            return [fn(j) for j in jobs]
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(fn, jobs))

    def _fetch(self, wanted: Sequence[tuple[str, str, int]]) -> None:
        """Fill the cache for every ``(key, query, time)`` not cached, in batched requests."""
        by_time: dict[int, dict[str, list[str]]] = {}
        for key, query, t in wanted:
            if (query, t) in self._cache or key in self.problems:
                continue
            by_time.setdefault(t, {}).setdefault(query, []).append(key)
        batches: list[tuple[int, list[tuple[str, list[str]]]]] = []
        for t, queries in by_time.items():
            items = list(queries.items())
            for i in range(0, len(items), self.batch):
                batches.append((t, items[i : i + self.batch]))
        for answers in self._map(self._run_batch, batches):
            for (query, t), (value, problem, keys) in answers.items():
                if problem is not None:
                    for key in keys:
                        self.problems.setdefault(key, problem)
                else:
                    self._cache[(query, t)] = value

    def _run_batch(
        self, batch: tuple[int, list[tuple[str, list[str]]]]
    ) -> dict[tuple[str, int], tuple[float | None, str | None, list[str]]]:
        t, items = batch
        out: dict[tuple[str, int], tuple[float | None, str | None, list[str]]] = {}
        if len(items) == 1:
            query, keys = items[0]
            out[(query, t)] = (*self._one(query, t), keys)
            return out
        combined = " or ".join(
            f'label_replace(({q}), "{TAG}", "{n}", "", "")' for n, (q, _) in enumerate(items)
        )
        try:
            samples = self.client.instant(combined, t)
            self.requests_sent += 1
        except QueryFailed:
            # One of them is refused (or is a scalar): ask one by one, so the error names its SLO.
            for query, keys in items:
                out[(query, t)] = (*self._one(query, t), keys)
            return out
        except PrometheusError as exc:
            for query, keys in items:
                out[(query, t)] = (None, str(exc), keys)
            return out
        found: dict[int, list[float]] = {}
        labels: dict[int, list[Mapping[str, str]]] = {}
        for s in samples:
            n = int(s.labels.get(TAG, "-1"))
            found.setdefault(n, []).append(s.value)
            labels.setdefault(n, []).append({k: v for k, v in s.labels.items() if k != TAG})
        for n, (query, keys) in enumerate(items):
            values = found.get(n, [])
            if len(values) > 1:
                shown = ", ".join(describe_labels(lab) for lab in labels[n][:3])
                problem = (
                    f"expected one series, the query returned {len(values)} ({shown}): "
                    f"aggregate it, e.g. sum(...): {query}"
                )
                out[(query, t)] = (None, problem, keys)
                continue
            try:
                value = finite(values[0], query) if values else None
            except QueryFailed as exc:
                out[(query, t)] = (None, str(exc), keys)
                continue
            out[(query, t)] = (value, None, keys)
        return out

    def _one(self, query: str, t: int) -> tuple[float | None, str | None]:
        try:
            value = self.client.value(query, t)
            self.requests_sent += 1
        except PrometheusError as exc:
            return None, str(exc)
        return value, None


def _pair(total: float | None, other: float | None, other_is_good: bool) -> tuple[int, int]:
    """Whole valid and good events; no series means no events."""
    t = max(round(total or 0.0), 0)
    o = max(round(other or 0.0), 0)
    good = o if other_is_good else t - o
    return t, min(max(good, 0), t)


def _pairs(total: NDArray[np.float64], other: NDArray[np.float64], other_is_good: bool) -> tuple[Ints, Ints]:
    t = np.maximum(np.rint(total), 0).astype(np.int64)
    o = np.maximum(np.rint(other), 0).astype(np.int64)
    good = o if other_is_good else t - o
    return t, np.clip(good, 0, t)


# --- evaluation with problems reported as no data ---


def evaluate_all(
    spec: Spec, source: PrometheusCounts, at: datetime | float, slos: Sequence[str] | None = None
) -> list[status.SLOState]:
    """:func:`slokit.sources.status.evaluate_all` over Prometheus, failed queries as no data.

    A first pass reads everything; if some objectives' queries failed, a second pass (answered
    from the cache, no new queries for the rest) reports those objectives as not measured,
    with the reason as their note, instead of a number made from partial answers.
    """
    source.known_problems = {}
    states = status.evaluate_all(spec, source, at, slos)
    if source.problems:
        source.known_problems = dict(source.problems)
        states = status.evaluate_all(spec, source, at, slos)
    # Percentile queries of all SLOs run concurrently, one request per objective.
    wanted = [
        (o.sli_key, _window_seconds(s), int(s.at.timestamp()))
        for s in states
        for o in s.objectives
        if o.sli_key is not None and o.sli is not None
    ]
    answers = source._map(lambda job: source.percentiles(*job), wanted)
    found = {job[0]: pct for job, pct in zip(wanted, answers, strict=True) if pct is not None}
    return [_with_percentiles(s, found) for s in states]


def _window_seconds(state: status.SLOState) -> int:
    return int(state.at.timestamp()) - int(state.window_start.timestamp())


APPROXIMATE = (
    "percentiles from Prometheus are histogram_quantile interpolations inside histogram buckets "
    "(approximate: exact only where a percentile falls on a bucket bound; corrections not applied)"
)


def _with_percentiles(
    state: status.SLOState, found: Mapping[str, dict[str, float | None]]
) -> status.SLOState:
    """The state with approximate percentiles of histogram-threshold objectives, and a note saying so."""
    objectives = []
    for o in state.objectives:
        pct = None if o.sli_key is None else found.get(o.sli_key)
        if pct is not None:
            o = replace(o, percentiles=pct, percentile_bounds={})
        objectives.append(o)
    if not any(o.sli_key in found for o in state.objectives if o.sli_key is not None):
        return state
    lead = min(objectives, key=lambda o: math.inf if o.remaining is None else o.remaining)
    return replace(
        state,
        objectives=tuple(objectives),
        percentiles={} if state.composite else dict(lead.percentiles),
        percentile_bounds={},
        notes=(*state.notes, APPROXIMATE),
    )


def history(
    spec: Spec,
    source: PrometheusCounts,
    slo: str,
    start: datetime | float,
    end: datetime | float,
    step: int | timedelta,
) -> status.History:
    """:func:`slokit.sources.status.history` over Prometheus; a failed query is an error, not a series."""
    source.known_problems = {}
    found = status.history(spec, source, slo, start, end, step)
    if source.problems:
        detail = "; ".join(f"{key}: {why}" for key, why in sorted(source.problems.items()))
        raise SlokitError(f"cannot build the history of SLO {slo!r} from Prometheus: {detail}")
    return found


def unreachable(states: Iterable[status.SLOState]) -> list[str]:
    """Notes of objectives whose source could not be reached (for a CLI's exit status)."""
    return [n for s in states for n in s.notes if "source unreachable" in n]
