"""SLI values for the three budgeting methods and for composite SLOs, vectorized over instants.

**No data** is NaN everywhere here: a window without valid events (or without a slice that
has data) has no SLI, never 100 % and never 0 %. :func:`has_data` names the test.

**Slices** (Timeslices, RatioTimeslices) are aligned to the epoch: slice ``k`` of length ``L``
minutes holds rows ``k·L .. k·L + L − 1``, i.e. the events in ``(60·k·L, 60·(k+1)·L]``. A
slice counts in a window only when it lies entirely inside it (rows ``[a, b)`` hold slices
``ceil(a/L) <= k < floor(b/L)``): the slice still running at ``t`` has no verdict yet, and a
slice cut by the window's start is not judged on part of its events. Slices with no valid
events are excluded from both numerator and denominator and counted separately.

- Timeslices: a slice is good when its ratio ``good/valid >= timeSliceTarget``
  (:func:`slice_good_by_ratio`), or, for a per-slice statistic such as "the p95 of each
  minute < 400 ms", when ``statistic op value`` holds (:func:`slice_good_by_statistic`).
  SLI = good slices / slices with data.
- RatioTimeslices: SLI = mean of the per-slice ratios over slices with data.

A per-slice percentile against a threshold needs no histogram when op is ``lt``/``lte`` and
the good count is "events meeting the threshold": the value at rank ``ceil(q·n)`` meets it
exactly when at least ``ceil(q·n)`` events do, i.e. when ``good/valid >= q``
(:func:`slice_good_by_ratio` with ``q``). Histograms are only needed for ``gt``/``gte`` or
when no threshold count was kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from slokit.engine.series import Int64s, MinuteCounts, prefix_sums, range_sums

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]
Operator = Literal["lt", "lte", "gt", "gte"]


def has_data(valid: ArrayLike) -> Bools:
    result: Bools = np.asarray(valid) > 0
    return result


def ratio(good: ArrayLike, valid: ArrayLike) -> Floats:
    """``good / valid`` elementwise; NaN (no data) where ``valid == 0``."""
    g = np.asarray(good, dtype=np.float64)
    v = np.asarray(valid, dtype=np.float64)
    out = np.full(np.broadcast(g, v).shape, np.nan)
    np.divide(g, v, out=out, where=v > 0)
    return out


def occurrences(good: ArrayLike, valid: ArrayLike) -> Floats:
    """Occurrences SLI: Σgood / Σvalid of the window sums; NaN when Σvalid = 0."""
    return ratio(good, valid)


def compare(values: ArrayLike, op: Operator, threshold: float) -> Bools:
    """``values op threshold`` for an OpenSLO operator; False where the value is NaN."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        if op == "lt":
            return v < threshold
        if op == "lte":
            return v <= threshold
        if op == "gt":
            return v > threshold
        if op == "gte":
            return v >= threshold
    raise ValueError(f"unknown operator {op!r}: use lt, lte, gt or gte")


def slice_range(first_row: int, n_rows: int, length: int) -> tuple[int, int]:
    """Slices ``[first, stop)`` lying entirely inside rows ``[first_row, first_row + n_rows)``."""
    if length < 1:
        raise ValueError("a slice is at least one minute long at minute resolution")
    first = -(-first_row // length)
    stop = (first_row + n_rows) // length
    return first, max(first, stop)


def slice_sums(prefix: NDArray[Any], first_row: int, length: int) -> tuple[int, NDArray[Any]]:
    """Per-slice sums of any row quantity from its :func:`~slokit.engine.series.prefix_sums`.

    Returns ``(first_slice, sums)`` for the slices entirely inside the prefix's rows; works
    for counts and for ``(rows, buckets)`` histogram matrices alike.
    """
    first, stop = slice_range(first_row, prefix.shape[0] - 1, length)
    k = np.arange(first, stop, dtype=np.int64)
    return first, range_sums(prefix, first_row, k * length, (k + 1) * length)


def slice_good_by_ratio(valid: ArrayLike, good: ArrayLike, slice_target: float) -> Bools:
    """A slice is good when it has data and ``good / valid >= slice_target``.

    Compared as a float division, which is correctly rounded: a slice whose exact ratio
    equals the target (19/20 against 0.95) is good, as the definition says.
    """
    with np.errstate(invalid="ignore"):
        result: Bools = ratio(good, valid) >= slice_target
    return result


def slice_good_by_statistic(statistic: ArrayLike, op: Operator, value: float) -> Bools:
    """A slice is good when its statistic (e.g. its p95 latency) satisfies ``op value``."""
    return compare(statistic, op, value)


@dataclass(frozen=True, slots=True)
class SliceCounts:
    """What the slices inside some windows add up to (arrays, one entry per window)."""

    good: Int64s
    with_data: Int64s
    without_data: Int64s
    #: Sum of the per-slice ratios of slices with data (RatioTimeslices).
    ratio_sum: Floats

    @property
    def bad(self) -> Int64s:
        return self.with_data - self.good

    def timeslices(self) -> Floats:
        """Timeslices SLI: good slices / slices with data; NaN without any."""
        return ratio(self.good, self.with_data)

    def ratio_timeslices(self) -> Floats:
        """RatioTimeslices SLI: mean per-slice ratio over slices with data; NaN without any."""
        out = np.full(self.with_data.shape, np.nan)
        np.divide(self.ratio_sum, self.with_data, out=out, where=self.with_data > 0)
        return out


@dataclass(frozen=True, slots=True)
class SliceSeries:
    """Epoch-aligned slices with their verdicts, ready for window sums at many instants."""

    first_slice: int
    length: int
    good: Bools
    has_data: Bools
    ratios: Floats

    @classmethod
    def from_minutes(
        cls,
        counts: MinuteCounts,
        length: int,
        slice_target: float | None = None,
        slice_good: Bools | None = None,
    ) -> SliceSeries:
        """Slices of ``length`` minutes from per-minute counts.

        The verdict comes from ``slice_target`` (Timeslices on the slice ratio) or from a
        precomputed ``slice_good`` array (e.g. :func:`slice_good_by_statistic` on per-slice
        percentiles), one entry per slice of :func:`slice_range`. RatioTimeslices needs neither.
        """
        first, valid = slice_sums(prefix_sums(counts.valid), counts.first_minute, length)
        _, good = slice_sums(prefix_sums(counts.good), counts.first_minute, length)
        v = np.asarray(valid, dtype=np.int64)
        g = np.asarray(good, dtype=np.int64)
        data = v > 0
        if slice_good is not None:
            if slice_good.shape != v.shape:
                raise ValueError(f"slice_good needs one entry per slice ({v.size})")
            verdict = slice_good & data
        elif slice_target is not None:
            verdict = slice_good_by_ratio(v, g, slice_target)
        else:
            verdict = np.zeros(v.shape, dtype=np.bool_)
        return cls(first, length, verdict, data, ratio(g, v))

    def between(self, start_rows: ArrayLike, stop_rows: ArrayLike) -> SliceCounts:
        """Slice totals of the windows with rows ``[start, stop)`` (broadcast arrays)."""
        a = np.asarray(start_rows, dtype=np.int64)
        b = np.asarray(stop_rows, dtype=np.int64)
        k0 = -(-a // self.length)
        k1 = np.maximum(b // self.length, k0)
        good = range_sums(prefix_sums(self.good.astype(np.int64)), self.first_slice, k0, k1)
        data = range_sums(prefix_sums(self.has_data.astype(np.int64)), self.first_slice, k0, k1)
        ratios = range_sums(prefix_sums(np.where(self.has_data, self.ratios, 0.0)), self.first_slice, k0, k1)
        total = np.broadcast_to(k1 - k0, np.shape(good))
        return SliceCounts(
            good.astype(np.int64),
            data.astype(np.int64),
            (total - data).astype(np.int64),
            ratios.astype(np.float64),
        )


def composite(values: ArrayLike, weights: ArrayLike) -> Floats:
    """Weighted mean over objectives (axis 0) of ``values``, skipping objectives without data.

    slokit defines a composite SLO's budget consumption as this weighted mean of its
    objectives' consumed fractions (each normalised by its own target, so 99.9 % and 95 %
    objectives mix sensibly); :func:`composite` over their SLIs gives the composite SLI shown
    beside it. NaN when no objective has data. Weights must be positive (``compositeWeight``
    defaults to 1).
    """
    vals = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.shape[0] != vals.shape[0]:
        raise ValueError("one weight per objective (axis 0 of values)")
    if np.any(~(w > 0)):
        raise ValueError("composite weights must be positive")
    wb = w.reshape(-1, *([1] * (vals.ndim - 1)))
    present = ~np.isnan(vals)
    num = np.sum(np.where(present, vals * wb, 0.0), axis=0)
    den = np.sum(np.where(present, wb, 0.0), axis=0)
    out = np.full(np.shape(num), np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out
