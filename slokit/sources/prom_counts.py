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
when it is exact). Percentiles of histogram thresholds are ``histogram_quantile`` over the SLO
window (for classic histograms interpolated here from one read of the bucket counts,
:func:`bucket_quantile`), computed after the store-shaped evaluation
(:meth:`PrometheusCounts.window_histograms` answers empty histograms): they interpolate inside
buckets, so the report marks them as approximate in the SLO's notes.

Each distinct (query, window, time) is asked once. Windows of two days or more are read as
daily tiles, one range query per binding query (:func:`tiles`: Prometheus streams a range of
one-day windows about twice as cheaply as it evaluates one 30-day ``increase()``). Queries of
one instant (or one tile range) are batched into a few HTTP requests: each count query is
wrapped in ``label_replace(…, "slokit_q", "<n>", "", "")`` and joined with ``or``, and up to
:data:`WORKERS` requests are in flight. A batch the engine refuses or fails on is split in
halves until the failing query is alone, so the error names its SLO and the others keep their
numbers. A failed query never becomes a number: its objective is recorded in
:attr:`PrometheusCounts.problems` and :func:`evaluate_all` reports it as no data with the
reason ("source unreachable: ...", "expected one series, ...").
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from slokit.engine.histogram import DEFAULT_LAYOUT, LogHistogram
from slokit.engine.windows import Window, to_utc, window_at
from slokit.errors import SlokitError
from slokit.sources import status
from slokit.sources.bound import BoundSLI, sli_key
from slokit.sources.prometheus import (
    PrometheusClient,
    PrometheusError,
    QueryFailed,
    SourceUnreachable,
    describe_labels,
    finite,
    parse_value,
    shorten,
)
from slokit.spec.bindings import WINDOW_PLACEHOLDER
from slokit.spec.model import SLO, MetricSource, Objective, PrometheusQuery, Spec

Ints = NDArray[np.int64]

#: Count queries per HTTP request (at most), and requests in flight at once.
BATCH = 64
WORKERS = 8
#: Windows at least this long are summed from daily tiles of :data:`TILE` seconds.
TILE = 86400
TILE_FROM = 2 * TILE
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
    #: Classic histograms: ``sum by (le) (increase(H_bucket{sel}[W]))``, read once for every
    #: percentile (interpolated here as ``histogram_quantile`` does) instead of once per percentile.
    buckets: CountQuery | None = None
    #: Ratios whose good (or bad) series are provably a subset of total's: one query for both.
    split: Split | None = None


@dataclass(frozen=True, slots=True)
class Split:
    """Total and its good (or bad) part from one query that reads only total's series.

    ``build(W)`` is ``sum by (slokit_g0, …) (label_replace(…(increase(total's selector[W]))…))``:
    each ``label_replace`` marks the series matching one of the matchers the part's selector adds
    to total's, with Prometheus' own regex semantics. Total is the sum of every group; the part,
    the groups whose marks agree with every added matcher (:meth:`in_part`). Prometheus then reads
    total's series once instead of reading the part's series a second time.
    """

    build: CountQuery
    #: Per added matcher: True for ``=``/``=~`` (the part has the mark), False for ``!=``/``!~``.
    positive: tuple[bool, ...]

    def in_part(self, labels: Mapping[str, str]) -> bool:
        """Whether a group of the answer belongs to the part."""
        return all((labels.get(f"{SPLIT_LABEL}{i}") == "1") == p for i, p in enumerate(self.positive))


def _is_rate(query: str) -> bool:
    return _RATE_RE.search(query) is not None and _INCREASE_RE.search(query) is None


def window_text(seconds: int) -> str:
    """A PromQL duration for a window of whole seconds (``86400s``: exact, no unit choice)."""
    return f"{seconds}s"


def count_query(query: str) -> CountQuery:
    """The binding's query as an event count over a window (rates scaled by its length)."""
    rate = _is_rate(query)
    built: dict[int, str] = {}  # a 30-day window asks for the same one-day tile query 30 times

    def build(seconds: int) -> str:
        found = built.get(seconds)
        if found is None:
            filled = query.replace(WINDOW_PLACEHOLDER, window_text(seconds))
            found = built[seconds] = f"({filled}) * {seconds}" if rate else filled
        return found

    return build


#: ``sum(increase|rate(selector[{{window}}]))``, the one shape :func:`split_query` recognises.
_STRING = r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`[^`]*`'
_MATCHER_RE = re.compile(rf"\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*({_STRING})\s*")
_SUM_RE = re.compile(
    r"\s*sum\s*\(\s*(?P<call>(?P<fn>increase|rate)\s*\(\s*(?P<metric>[a-zA-Z_:][a-zA-Z0-9_:]*)?\s*"
    r"(?:\{(?P<matchers>(?:"
    + _STRING
    + r"|[^}'\"`])*)\})?\s*\[\s*"
    + re.escape(WINDOW_PLACEHOLDER)
    + r"\s*\]\s*\))\s*\)\s*"
)
#: Labels that mark the groups of a split query (``slokit_g0``, ``slokit_g1``, ...).
SPLIT_LABEL = "slokit_g"
_REGEX_META = re.compile(r"[.+*?()|\[\]{}^$]")


def _matchers(text: str | None) -> list[tuple[str, str, str]] | None:
    """``(label, op, string literal as written)`` of a selector's braces; None if not plain matchers."""
    out: list[tuple[str, str, str]] = []
    text = text or ""
    pos = 0
    while text[pos:].strip():
        m = _MATCHER_RE.match(text, pos)
        if m is None:
            return None
        out.append((m.group(1), m.group(2), m.group(3)))
        pos = m.end()
        if pos < len(text):
            if text[pos] != ",":
                return None
            pos += 1
    return out


def _regex_of(op: str, literal: str) -> str | None:
    """The ``label_replace`` regex argument equivalent to one matcher, or None when unsure."""
    if op in ("=~", "!~"):
        return literal  # the same string literal: Prometheus anchors both the same way
    inner = literal[1:-1]
    if literal[0] == "`" or "\\" in inner or '"' in inner:
        return None
    return '"' + _REGEX_META.sub(lambda m: "\\\\" + m.group(0), inner) + '"'


def split_query(total: str, part: str) -> Split | None:
    """One query giving both ``total`` and ``part`` when part's series are provably a subset of total's.

    Both must be ``sum(increase(S[{{window}}]))`` (or both ``rate``) over one metric, and part's
    selector must be total's matchers plus others (none on ``__name__``) whose meaning
    ``label_replace`` reproduces exactly: ``=~``/``!~`` with the same regex literal, ``=``/``!=``
    with a plain value. Anything else (another function, a different metric, ``offset``, binary
    operators, ``sum by``...) is None: the two queries are then sent as written.
    """
    t, p = _SUM_RE.fullmatch(total), _SUM_RE.fullmatch(part)
    if t is None or p is None or t.group("fn") != p.group("fn") or t.group("metric") != p.group("metric"):
        return None
    if not t.group("metric"):
        return None
    tm, pm = _matchers(t.group("matchers")), _matchers(p.group("matchers"))
    if tm is None or pm is None:
        return None
    extra = list(pm)
    for m in tm:
        if m not in extra:
            return None
        extra.remove(m)
    if not extra or any(label == "__name__" or label.startswith(SPLIT_LABEL) for label, _, _ in pm):
        return None
    inner = t.group("call")
    positive = []
    for i, (label, op, literal) in enumerate(extra):
        regex = _regex_of(op, literal)
        if regex is None:
            return None
        mark = f"{SPLIT_LABEL}{i}"
        # Cleared first: a series that already had such a label must not keep its value.
        inner = (
            f'label_replace(label_replace({inner}, "{mark}", "", "", ""), "{mark}", "1", "{label}", {regex})'
        )
        positive.append(op in ("=", "=~"))
    groups = ", ".join(f"{SPLIT_LABEL}{i}" for i in range(len(extra)))
    return Split(count_query(f"sum by ({groups}) ({inner})"), tuple(positive))


def le_regex(value: float) -> str:
    """An ``le=~`` regex for the spellings a bucket bound has (``0.4``, ``0.40``, ``1``, ``1.0``)."""
    from decimal import Decimal  # only histogram thresholds need it

    plain = format(Decimal(repr(float(value))).normalize(), "f")
    if "." in plain:
        whole, frac = plain.split(".")
        return re.escape(whole).replace("\\", "\\\\") + "\\\\." + frac + "0*"
    return re.escape(plain).replace("\\", "\\\\") + "(\\\\.0*)?"


def _query_text(source: MetricSource) -> str:
    binding = source.binding
    assert isinstance(binding, PrometheusQuery) and binding.query is not None
    return binding.query


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
        part = ratio.good if good is not None else ratio.bad
        assert ratio.total is not None and part is not None
        split = split_query(_query_text(ratio.total), _query_text(part))
        return Counting(total, good=good, bad=None if good is not None else bad, split=split)
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

    def classic_buckets(s: int) -> str:
        return f"sum by (le) (increase({name}_bucket{count_sel}[{window_text(s)}]))"

    if below:
        return Counting(classic_total, good=classic_below, quantile=classic_quantile, buckets=classic_buckets)
    return Counting(classic_total, bad=classic_below, quantile=classic_quantile, buckets=classic_buckets)


class PrometheusCounts:
    """A :class:`~slokit.sources.status.CountsSource` over a Prometheus-compatible query API."""

    def __init__(
        self,
        client: PrometheusClient,
        *,
        batch: int = BATCH,
        workers: int = WORKERS,
        tile_from: int = TILE_FROM,
        split: bool = True,
    ) -> None:
        self.client = client
        #: Read total and good (or bad) with one query where :func:`split_query` proves it exact.
        self.split = split
        #: Split query -> (total query, part query, its plan), for the answers of split queries.
        self._splits: dict[str, tuple[str, str, Split]] = {}
        self.batch = batch
        self.workers = workers
        self.tile_from = tile_from
        self._lock = threading.Lock()
        self._countings: dict[str, Counting] = {}
        self._cache: dict[tuple[str, int], float | None] = {}
        #: Objective key -> why its numbers could not be read (first problem seen).
        self.problems: dict[str, str] = {}
        #: Problems known before evaluating: these objectives are reported as not measured.
        self.known_problems: dict[str, str] = {}
        #: HTTP query requests answered so far, and batched count requests planned (before any
        #: split of a failed batch): for benchmarks and tests.
        self.requests_sent = 0
        self.batches_planned = 0
        #: ``(key, start, stop)`` window reads not asked for (burn windows left out of the report):
        #: answered as zero events without a query, and dropped from the states afterwards.
        self.skipped: frozenset[tuple[str, int, int]] = frozenset()

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
        """Valid and good events of each ``(key, start, stop)``: the window ``(start·60, stop·60]``.

        Windows of two days or more are summed from daily tiles (:func:`tiles`), read with one
        range query per binding query; shorter ones are one instant query each.
        """
        wanted: list[tuple[str, str, int, bool]] = []  # (key, query, time, is a daily tile)
        plans: list[tuple[Counting, list[tuple[int, int]]] | None] = []
        for key, start, stop in requests:
            seconds = (stop - start) * 60
            if seconds <= 0 or (key, start, stop) in self.skipped:
                plans.append(None)
                continue
            c = self._countings[key]
            pieces = tiles(seconds, stop * 60, self.tile_from)
            plans.append((c, pieces))
            tiled = len(pieces) > 1 or seconds >= self.tile_from
            other = c.good or c.bad
            assert other is not None
            for w, at in pieces:
                if c.split is not None and self.split:
                    query = c.split.build(w)
                    self._splits[query] = (c.total(w), other(w), c.split)
                    wanted.append((key, query, at, tiled and w == TILE))
                    continue
                for build in (c.total, other):
                    wanted.append((key, build(w), at, tiled and w == TILE))
        self._fetch(wanted)
        valid = np.zeros(len(requests), np.int64)
        good = np.zeros(len(requests), np.int64)
        for i, ((key, _, _), plan) in enumerate(zip(requests, plans, strict=True)):
            if plan is None or key in self.problems:
                continue
            c, pieces = plan
            other = c.good or c.bad
            assert other is not None
            t = _sum(self._cache.get((c.total(w), at)) for w, at in pieces)
            o = _sum(self._cache.get((other(w), at)) for w, at in pieces)
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
                with self._lock:
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
        if c.buckets is not None:
            return self._bucket_percentiles(c.buckets, seconds, at)
        queries = [c.quantile(q, seconds) for _, q in status.PERCENTILES]
        combined = " or ".join(f'label_replace(({q}), "{TAG}", "{n}", "", "")' for n, q in enumerate(queries))
        try:
            samples = self.client.instant(combined, at)
            with self._lock:
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

    def _bucket_percentiles(
        self, buckets: CountQuery, seconds: int, at: int
    ) -> dict[str, float | None] | None:
        """The percentiles from one read of the window's bucket counts (daily tiles when long)."""
        counts: dict[float, float] = {}
        try:
            pieces = tiles(seconds, at, self.tile_from)
            tiled = seconds >= self.tile_from
            days = [t for w, t in pieces if tiled and w == TILE]
            reads = [(buckets(w), t, t) for w, t in pieces if not (tiled and w == TILE)]
            if days:
                reads.append((buckets(TILE), min(days), max(days)))
            for query, t0, t1 in reads:
                found = self._series(query, t0, t1)
                if not _on_grid(found, range(t0, t1 + 1, TILE)):
                    found = [f for t in range(t0, t1 + 1, TILE) for f in self._series(query, t, t)]
                for labels, points in found:
                    le = parse_value(labels.get("le"))
                    counts[le] = counts.get(le, 0.0) + sum(points.values())
        except PrometheusError:
            return None
        return {label: bucket_quantile(q, counts) for label, q in status.PERCENTILES}

    # --- fetching ---

    def _map(self, fn: Callable[[_J], _R], jobs: Sequence[_J]) -> list[_R]:
        """``[fn(job) for job in jobs]`` with up to :attr:`workers` jobs in flight; the first error is raised.

        Plain threads rather than ``concurrent.futures``, whose import (with ``logging``) costs a
        short CLI run more than the few lines here.
        """
        if len(jobs) <= 1 or self.workers <= 1:
            return [fn(j) for j in jobs]
        results: list[_R | None] = [None] * len(jobs)
        errors: list[BaseException] = []
        pending = iter(range(len(jobs)))
        lock = threading.Lock()

        def work() -> None:
            while not errors:
                with lock:
                    i = next(pending, None)
                if i is None:
                    return
                try:
                    results[i] = fn(jobs[i])
                except BaseException as exc:
                    errors.append(exc)

        threads = [threading.Thread(target=work, daemon=True) for _ in range(min(self.workers, len(jobs)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return results  # type: ignore[return-value]  # every slot was filled: no error

    def _fetch(self, wanted: Sequence[tuple[str, str, int, bool]]) -> None:
        """Fill the cache for every ``(key, query, time, tile)`` not cached, in batched requests.

        Instant queries are grouped by time; daily tiles of one query by their place on the
        day grid, read as one range query (step one day) from its first to its last tile. Each
        request carries up to :attr:`batch` queries (fewer when that leaves workers idle).
        """
        instant: dict[int, dict[str, list[str]]] = {}
        ranged: dict[tuple[str, int], tuple[list[int], list[str]]] = {}
        for key, query, t, tile in wanted:
            if (query, t) in self._cache or key in self.problems:
                continue
            if tile:
                times, keys = ranged.setdefault((query, t % TILE), ([], []))
                times.append(t)
                keys.append(key)
            else:
                instant.setdefault(t, {}).setdefault(query, []).append(key)
        by_span: dict[tuple[int, int], dict[str, list[str]]] = {}
        for (query, _), (times, keys) in ranged.items():
            span = by_span.setdefault((min(times), max(times)), {})
            span.setdefault(query, []).extend(keys)
        for t, queries in instant.items():
            for query in list(queries):
                for (t0, t1), span in by_span.items():
                    if query in span and t0 <= t <= t1 and (t - t0) % TILE == 0:
                        span[query].extend(queries.pop(query))  # a daily tile read anyway answers it
                        break
        # The tile ranges first: they are the heaviest requests, so they should start first.
        groups = [(t0, t1, queries) for (t0, t1), queries in by_span.items()]
        groups += [(t, t, queries) for t, queries in instant.items() if queries]
        jobs: list[tuple[int, int, list[tuple[str, list[str]]]]] = []
        for t0, t1, queries in groups:
            items = [(q, sorted(set(k))) for q, k in queries.items()]
            # Equal parts, at most `batch` queries each, and at least one per worker: a
            # multi-core engine evaluates them in parallel, and no part is left running alone.
            parts = max(-(-len(items) // self.batch), min(self.workers, len(items)))
            jobs += [(t0, t1, items[i::parts]) for i in range(parts)]
        self.batches_planned += len(jobs)
        for answers in self._map(self._run_batch, jobs):
            for (query, t), (value, problem, keys) in answers.items():
                if problem is not None:
                    for key in keys:
                        self.problems.setdefault(key, problem)
                else:
                    self._cache[(query, t)] = value

    def _run_batch(self, job: tuple[int, int, list[tuple[str, list[str]]]]) -> dict[tuple[str, int], _Answer]:
        """One request for several queries (instant at ``t0`` when ``t0 == t1``, else daily tiles)."""
        t0, t1, items = job
        times = list(range(t0, t1 + 1, TILE))
        out: dict[tuple[str, int], _Answer] = {}
        if len(items) == 1:
            query, keys = items[0]
            for qt, answer in self._one(query, t0, t1).items():
                out[qt] = (*answer, keys)
            return out
        combined = " or ".join(
            f'label_replace(({q}), "{TAG}", "{n}", "", "")' for n, (q, _) in enumerate(items)
        )
        try:
            found = self._series(combined, t0, t1)
        except PrometheusError as exc:
            if isinstance(exc, QueryFailed) or (isinstance(exc, SourceUnreachable) and exc.answered):
                # The engine refused or failed on one of them (or one is a scalar): split the
                # batch in halves until the failing query is alone, so its error names its SLO
                # and the other SLOs still get their numbers.
                half = len(items) // 2
                out.update(self._run_batch((t0, t1, items[:half])))
                out.update(self._run_batch((t0, t1, items[half:])))
                return out
            for query, keys in items:
                for t in times:
                    out[(query, t)] = (None, str(exc), keys)
            return out
        if not _on_grid(found, times):
            # The engine (or a query frontend in front of it) moved the range to other times,
            # e.g. aligned to the step for its cache: ask for each tile with an instant query.
            for t in times:
                out.update(self._run_batch((t, t, items)))
            return out
        by_tag: dict[int, list[tuple[Mapping[str, str], dict[int, float]]]] = {}
        for labels, points in found:
            n = int(labels.get(TAG, "-1"))
            by_tag.setdefault(n, []).append(({k: v for k, v in labels.items() if k != TAG}, points))
        for n, (query, keys) in enumerate(items):
            for qt, answer in self._answers(query, by_tag.get(n, []), times).items():
                out[qt] = (*answer, keys)
        return out

    def _series(self, query: str, t0: int, t1: int) -> list[tuple[Mapping[str, str], dict[int, float]]]:
        """Every series of ``query`` at ``t0`` (instant) or on the day grid from ``t0`` to ``t1``."""
        if t0 == t1:
            samples = self.client.instant(query, t0)
            found = [(s.labels, {t0: s.value}) for s in samples]
        else:
            series = self.client.range(query, t0, t1, TILE)
            found = [
                (s.labels, {round(t): v for t, v in zip(s.times, s.values, strict=True)}) for s in series
            ]
        with self._lock:
            self.requests_sent += 1
        return found

    def _one(self, query: str, t0: int, t1: int) -> dict[tuple[str, int], tuple[float | None, str | None]]:
        times = range(t0, t1 + 1, TILE)
        try:
            found = self._series(query, t0, t1)
        except PrometheusError as exc:
            return {(q, t): (None, str(exc)) for q in self._answered_by(query) for t in times}
        if not _on_grid(found, times):  # moved by the engine: one instant query per tile
            out: dict[tuple[str, int], tuple[float | None, str | None]] = {}
            for t in times:
                out.update(self._one(query, t, t))
            return out
        return self._answers(query, found, times)

    def _answered_by(self, query: str) -> tuple[str, ...]:
        """The queries whose values an answer to ``query`` gives: itself, and total and part if split."""
        split = self._splits.get(query)
        return (query,) if split is None else (query, split[0], split[1])

    def _answers(
        self, query: str, found: Sequence[tuple[Mapping[str, str], dict[int, float]]], times: Iterable[int]
    ) -> dict[tuple[str, int], tuple[float | None, str | None]]:
        """Each ``(query, time)``'s value or problem; a split query also answers its total and part."""
        split = self._splits.get(query)
        if split is None:
            return {(query, t): answer for t, answer in _answers(query, found, times).items()}
        total_q, part_q, plan = split
        times = list(times)
        try:
            for _, points in found:
                for value in points.values():
                    finite(value, query)
        except QueryFailed as exc:
            return {(q, t): (None, str(exc)) for q in (query, total_q, part_q) for t in times}
        groups = [(points, plan.in_part(labels)) for labels, points in found]
        out: dict[tuple[str, int], tuple[float | None, str | None]] = {}
        for t in times:
            # No group at t: no series, as total's and part's own queries would answer.
            total: float | None = None
            part: float | None = None
            for points, inside in groups:
                got = points.get(t)
                if got is not None:
                    total = got if total is None else total + got
                    if inside:
                        part = got if part is None else part + got
            out[(query, t)] = out[(total_q, t)] = (total, None)
            out[(part_q, t)] = (part, None)
        return out


def _on_grid(found: Sequence[tuple[Mapping[str, str], dict[int, float]]], times: Iterable[int]) -> bool:
    """Whether every point of the answer is at one of the times asked for."""
    grid = set(times)
    return all(t in grid for _, points in found for t in points)


#: An answer to one query at one time: value (None: no series), problem, the keys that asked.
_Answer = tuple[float | None, str | None, list[str]]


def _answers(
    query: str, found: Sequence[tuple[Mapping[str, str], dict[int, float]]], times: Iterable[int]
) -> dict[int, tuple[float | None, str | None]]:
    """Each time's one finite value (None: no series), or the problem with the whole answer."""
    times = list(times)
    problem = None
    if len(found) > 1:
        shown = ", ".join(describe_labels(labels) for labels, _ in found[:3])
        problem = (
            f"expected one series, the query returned {len(found)} ({shown}"
            f"{', ...' if len(found) > 3 else ''}): aggregate it, e.g. sum(...): {shorten(query)}"
        )
    points = found[0][1] if len(found) == 1 else {}
    try:
        for value in points.values():
            finite(value, query)
    except QueryFailed as exc:
        problem = str(exc)
    if problem is not None:
        return {t: (None, problem) for t in times}
    return {t: (points.get(t), None) for t in times}


def bucket_quantile(q: float, counts: Mapping[float, float]) -> float | None:
    """``histogram_quantile(q, ...)`` of cumulative bucket counts by upper bound, as Prometheus 2 computes it.

    The rank ``q`` · count falls in the first bucket whose cumulative count reaches it; the
    answer is linear inside that bucket, from its lower bound (0 for the first) to its upper
    bound, and the highest finite bound when it falls in the ``+Inf`` bucket. Counts that
    decrease with the bound (increase() extrapolates each series separately) are raised to the
    count below, as Prometheus does. None where Prometheus answers NaN: no ``+Inf`` bucket,
    fewer than two buckets, no events.
    """
    bounds = sorted(counts)
    if len(bounds) < 2 or bounds[-1] != math.inf:
        return None
    cum = list(np.maximum.accumulate([counts[b] for b in bounds]))
    if not cum[-1] > 0:
        return None
    rank = q * cum[-1]
    i = next(k for k, c in enumerate(cum[:-1]) if c >= rank) if cum[-2] >= rank else len(cum) - 1
    if i == len(cum) - 1:
        return bounds[-2]
    if i == 0 and bounds[0] <= 0:
        return bounds[0]
    lower, below = (0.0, 0.0) if i == 0 else (bounds[i - 1], cum[i - 1])
    return float(lower + (bounds[i] - lower) * (rank - below) / (cum[i] - below))


def tiles(seconds: int, end: int, tile_from: int) -> list[tuple[int, int]]:
    """The ``(window seconds, evaluation time)`` pieces a window ``(end − seconds, end]`` is read as.

    A window shorter than ``tile_from`` is itself. A longer one is cut into daily tiles ending
    at ``end``, ``end − 1 d``, ... and the remainder at its start: the pieces are disjoint and
    cover the window, so their event counts add up to its count. Why: Prometheus reads every
    sample of a range either way, but an instant ``increase()`` over 30 days holds all of them
    in one buffer, while a range query of one-day windows streams them; the tiles are read
    about twice as fast, and the one-day burn window is the last tile.
    """
    if seconds < tile_from:
        return [(seconds, end)]
    n = seconds // TILE
    out = [(TILE, end - i * TILE) for i in range(n)]
    rest = seconds - n * TILE
    if rest:
        out.append((rest, end - n * TILE))
    return out


def _sum(values: Iterable[float | None]) -> float | None:
    """The sum of the pieces that have series; None when none has (no data)."""
    found = [v for v in values if v is not None]
    return sum(found) if found else None


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
    spec: Spec,
    source: PrometheusCounts,
    at: datetime | float,
    slos: Sequence[str] | None = None,
    windows: Sequence[int] | None = None,
) -> list[status.SLOState]:
    """:func:`slokit.sources.status.evaluate_all` over Prometheus, failed queries as no data.

    A first pass reads everything; if some objectives' queries failed, a second pass (answered
    from the cache, no new queries for the rest) reports those objectives as not measured,
    with the reason as their note, instead of a number made from partial answers.

    ``windows`` (seconds) chooses the burn-rate windows to report (:func:`chosen_windows`); the
    others are not queried and do not appear in the states. None: every window.
    """
    source.known_problems = {}
    chosen = [spec.slo(n) for n in slos] if slos is not None else list(spec)
    keep = None if windows is None else chosen_windows(windows)
    source.skipped = frozenset() if keep is None else skipped_reads(spec, chosen, at, keep)
    states = status.evaluate_all(spec, source, at, slos)
    if source.problems:
        source.known_problems = dict(source.problems)
        states = status.evaluate_all(spec, source, at, slos)
    if keep is not None:
        states = keep_burn_windows(states, keep)
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


def chosen_windows(windows: Iterable[int]) -> frozenset[int]:
    """The burn windows a report shows: those asked for, plus 1 h and 1 d.

    The status ("burning") reads the 1-hour burn rate and the forecast the 1-day one
    (:data:`slokit.sources.status.STATUS_WINDOW`, ``FORECAST_WINDOW``), so those two are always
    computed and shown.
    """
    return frozenset(windows) | {status.STATUS_WINDOW, status.FORECAST_WINDOW}


def skipped_reads(
    spec: Spec, slos: Sequence[SLO], at: datetime | float, keep: frozenset[int]
) -> frozenset[tuple[str, int, int]]:
    """The ``(key, start, stop)`` window reads of the burn windows not in ``keep``.

    The same reads :func:`slokit.sources.status.evaluate_all` plans (each window minus the
    corrected minutes), less every read a kept window or the SLO window also makes: only reads
    no reported number depends on are skipped. Should the plan differ, a read not listed here
    is simply queried: skipping fails safe.
    """
    t = math.floor(to_utc(at).timestamp() / 60) * 60
    t_row = t // 60
    drop: set[tuple[str, int, int]] = set()
    need: set[tuple[str, int, int]] = set()
    for slo in slos:
        if slo.budgeting_method != "Occurrences":
            continue
        bounds = window_at(Window.of(slo.time_window), t)
        windows = status.burn_windows(slo)
        lo = min(bounds.start_epoch, t - max(windows))
        fixes = spec.corrections_for(slo)
        runs = status.masked_runs(status.correction_intervals(fixes, lo, t)) if fixes else []
        first = min(math.floor(bounds.start_epoch / 60), t_row)
        spans = [(True, first)] + [(w in keep, (t - w) // 60) for w in windows]
        for index in range(len(slo.objectives)):
            key = sli_key(slo.name, index)
            for kept, start in spans:
                pieces = {(key, a, b) for a, b in status.kept_runs(start, t_row, runs)}
                (need if kept else drop).update(pieces)
    return frozenset(drop - need)


def keep_burn_windows(states: Iterable[status.SLOState], keep: frozenset[int]) -> list[status.SLOState]:
    """The states with only the burn rates of the windows in ``keep`` (seconds)."""
    labels = {status.window_label(w) for w in keep}

    def only(rates: Mapping[str, float | None]) -> dict[str, float | None]:
        return {k: v for k, v in rates.items() if k in labels}

    return [
        replace(
            s,
            burn_rates=only(s.burn_rates),
            objectives=tuple(replace(o, burn_rates=only(o.burn_rates)) for o in s.objectives),
        )
        for s in states
    ]


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
