"""Per-minute counts and window sums over them: the one place windowing meets minute rows.

**Rows.** Row ``m`` (epoch minutes, an int64) holds the events with timestamp ``ts`` (epoch
seconds) in ``(60·m, 60·m + 60]``: :func:`minute_of` is ``ceil(ts / 60) - 1``. The row's end is
closed and its start open, like the window ``(t − W, t]`` of DESIGN.md; an event at exactly
12:00:00 belongs to the row of 11:59.

**Rule for windows.** A row is in the window ``(start, end]`` when the row's *end*
``60·m + 60`` is in it — rows ``floor(start/60) <= m < floor(end/60)`` (:func:`rows_between`).
When ``start`` and ``end`` are whole minutes, this puts exactly the events with
``start < ts <= end`` in the window: summing per-minute rows equals windowing the raw events.
(For other bounds, a partial row counts when its end is inside, as a Prometheus sample would.)

**Prefix sums.** Window sums for many windows at many instants come from one cumulative sum:
``sum(rows a..b-1) = P[b] − P[a]``. Everything here works on any trailing shape, so the same
code sums ``(minutes,)`` counts and ``(minutes, buckets)`` histogram matrices. Rows outside the
dense range count as zero: the caller chooses a range that covers the windows it asks for.

**Corrections** are a boolean mask of excluded rows; excluded rows lose their events from both
good and valid (:meth:`MinuteCounts.excluding`, :func:`correction_mask`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

Int64s = NDArray[np.int64]

#: Largest total whose float64 sum is exact; per-minute aggregation checks against it.
_EXACT_FLOAT_INT = 2**53


def minute_of(ts_seconds: ArrayLike) -> Int64s:
    """Row of each timestamp (epoch seconds, int or float): ``ceil(ts / 60) − 1``."""
    ts = np.asarray(ts_seconds)
    if np.issubdtype(ts.dtype, np.integer):
        return (ts.astype(np.int64) - 1) // 60
    return (np.ceil(ts.astype(np.float64) / 60.0) - 1).astype(np.int64)


def minute_of_ms(ts_millis: ArrayLike) -> Int64s:
    """Row of each integer epoch-millisecond timestamp (exact integer arithmetic)."""
    return (np.asarray(ts_millis, dtype=np.int64) - 1) // 60_000


def rows_between(start_seconds: ArrayLike, end_seconds: ArrayLike) -> tuple[Int64s, Int64s]:
    """Rows ``[first, stop)`` of the windows ``(start, end]`` (see the rule above)."""
    start = np.floor_divide(np.asarray(start_seconds), 60).astype(np.int64)
    end = np.floor_divide(np.asarray(end_seconds), 60).astype(np.int64)
    return start, np.maximum(end, start)


def prefix_sums(values: ArrayLike) -> NDArray[Any]:
    """Cumulative sums along axis 0 with a leading zero row: ``P[k] = sum(values[:k])``."""
    arr = np.asarray(values)
    out = np.zeros((arr.shape[0] + 1, *arr.shape[1:]), dtype=arr.dtype)
    np.cumsum(arr, axis=0, out=out[1:])
    return out


def range_sums(
    prefix: NDArray[Any], first_row: int, start_rows: ArrayLike, stop_rows: ArrayLike
) -> NDArray[Any]:
    """Sums of rows ``[start, stop)`` (epoch minutes, broadcast together) from :func:`prefix_sums`.

    ``prefix`` was built over rows ``first_row .. first_row + len(prefix) − 2``; rows outside
    that range contribute zero. Result shape: ``broadcast(start, stop).shape + prefix.shape[1:]``.
    """
    n = prefix.shape[0] - 1
    a = np.clip(np.asarray(start_rows, dtype=np.int64) - first_row, 0, n)
    b = np.clip(np.asarray(stop_rows, dtype=np.int64) - first_row, 0, n)
    a, b = np.broadcast_arrays(a, np.maximum(a, b))
    result: NDArray[Any] = prefix[b] - prefix[a]
    return result


def rolling_rows(end_minutes: ArrayLike, window_minutes: ArrayLike) -> tuple[Int64s, Int64s]:
    """Rows of rolling windows ``(t − W, t]`` for whole-minute ``t = 60·end`` and ``W = 60·width``.

    Instants and widths broadcast against each other: pass ``ends[None, :]`` and
    ``widths[:, None]`` to get every (window, instant) pair at once.
    """
    end = np.asarray(end_minutes, dtype=np.int64)
    width = np.asarray(window_minutes, dtype=np.int64)
    if np.any(width < 0):
        raise ValueError("window widths must not be negative")
    return end - width, end + np.zeros_like(width)


def correction_mask(first_row: int, n_rows: int, intervals: ArrayLike) -> NDArray[np.bool_]:
    """Rows excluded by corrections given as ``(start, end]`` second intervals, shape ``(k, 2)``.

    A row is excluded when its end is inside an interval (the window rule above), so a
    whole-minute correction removes exactly the events with ``start < ts <= end``.
    """
    spans = np.asarray(intervals, dtype=np.int64).reshape(-1, 2)
    first, stop = rows_between(spans[:, 0], spans[:, 1])
    a = np.clip(first - first_row, 0, n_rows)
    b = np.clip(stop - first_row, 0, n_rows)
    delta = np.zeros(n_rows + 1, dtype=np.int64)
    np.add.at(delta, a, 1)
    np.add.at(delta, b, -1)
    mask: NDArray[np.bool_] = np.cumsum(delta[:-1]) > 0
    return mask


@dataclass(frozen=True, slots=True)
class MinuteCounts:
    """Dense valid and good counts for rows ``first_minute .. first_minute + len − 1``."""

    first_minute: int
    valid: Int64s
    good: Int64s

    def __post_init__(self) -> None:
        if self.valid.shape != self.good.shape or self.valid.ndim != 1:
            raise ValueError("valid and good must be 1-D arrays of the same length")

    @classmethod
    def from_rows(
        cls, minutes: ArrayLike, valid: ArrayLike, good: ArrayLike, first_minute: int, stop_minute: int
    ) -> MinuteCounts:
        """Densify sparse rows (any order, duplicates summed) over ``[first_minute, stop_minute)``.

        Rows outside the range are dropped; ``good <= valid`` is required per row.
        """
        m = np.asarray(minutes, dtype=np.int64).ravel()
        v = np.asarray(valid, dtype=np.int64).ravel()
        g = np.asarray(good, dtype=np.int64).ravel()
        if not m.shape == v.shape == g.shape:
            raise ValueError("minutes, valid and good must have the same length")
        if np.any(g < 0) or np.any(g > v):
            raise ValueError("every row needs 0 <= good <= valid")
        n = max(int(stop_minute) - int(first_minute), 0)
        keep = (m >= first_minute) & (m < first_minute + n)
        idx = m[keep] - first_minute
        vk, gk = v[keep], g[keep]
        if int(vk.sum()) >= _EXACT_FLOAT_INT:
            raise ValueError("counts too large to aggregate exactly")
        dense_v = np.bincount(idx, weights=vk, minlength=n).astype(np.int64)
        dense_g = np.bincount(idx, weights=gk, minlength=n).astype(np.int64)
        return cls(int(first_minute), dense_v, dense_g)

    def __len__(self) -> int:
        return int(self.valid.shape[0])

    @property
    def stop_minute(self) -> int:
        return self.first_minute + len(self)

    @property
    def bad(self) -> Int64s:
        return self.valid - self.good

    def excluding(self, mask: NDArray[np.bool_]) -> MinuteCounts:
        """The same counts with masked rows removed from both good and valid."""
        if mask.shape != self.valid.shape:
            raise ValueError("the correction mask must have one entry per row")
        keep = ~mask
        return MinuteCounts(self.first_minute, self.valid * keep, self.good * keep)

    def cumulative(self) -> Cumulative:
        return Cumulative(self.first_minute, prefix_sums(self.valid), prefix_sums(self.good))


@dataclass(frozen=True, slots=True)
class Cumulative:
    """Prefix sums of :class:`MinuteCounts`: window sums in O(1) per (window, instant)."""

    first_minute: int
    valid: NDArray[Any]
    good: NDArray[Any]

    def between(self, start_rows: ArrayLike, stop_rows: ArrayLike) -> tuple[Int64s, Int64s]:
        """``(valid, good)`` sums over rows ``[start, stop)``, broadcast."""
        v = range_sums(self.valid, self.first_minute, start_rows, stop_rows).astype(np.int64)
        g = range_sums(self.good, self.first_minute, start_rows, stop_rows).astype(np.int64)
        return v, g

    def rolling(self, end_minutes: ArrayLike, window_minutes: ArrayLike) -> tuple[Int64s, Int64s]:
        """``(valid, good)`` over ``(t − W, t]`` for every broadcast (end, width) pair."""
        return self.between(*rolling_rows(end_minutes, window_minutes))
