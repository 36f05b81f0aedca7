"""Mergeable log-bucketed histograms for latency percentiles (relative error ≤ 1 %).

Why this shape: per-minute rows must merge into hour, day and 30-day windows by plain
addition, and a percentile over any window must be within a known bound of the exact
value. Logarithmic buckets (as in DDSketch) give both: with ``a`` the relative accuracy and
``gamma = (1 + a) / (1 - a)``, bucket ``i`` holds the values ``v`` with
``gamma**(i-1) < v <= gamma**i`` (``i = ceil(log_gamma(v))``) and is represented by
``2 * gamma**i / (gamma + 1)``, which is within ``a`` (relative) of every value in it.

The layout is fixed, so every histogram of a layout is a dense count array of the same
length and merging is ``+``. :data:`DEFAULT_LAYOUT`: ``a = 0.01``; buckets from
``ceil(log_gamma(1e-3)) = -345`` to ``ceil(log_gamma(1e6)) = 691`` (1,037 buckets), so values
in ``(gamma**-346, gamma**691]`` ≈ ``(0.000987, 1.0054e6]`` of the unit (milliseconds: one
microsecond to about 17 minutes) are in range. Around the range:

- values ``0 <= v <= zero_threshold`` (``gamma**ceil(log_gamma(1e-9))``, about 1e-9) go to a
  separate **zero bucket**, represented by 0;
- other values below the range are clamped into the lowest bucket and counted in
  ``underflow``; values above it into the highest bucket and counted in ``overflow``. A
  quantile whose rank falls on such a value is flagged (:meth:`LogHistogram.quantile_flags`):
  the returned value is then only a bound (the true value is smaller, resp. larger);
- NaN, negative values (including ``-inf``) and ``+inf`` are never binned: they are counted
  in ``nan``, ``negative`` and ``infinite`` and left out of every quantile and total.

Quantile rank (the definition used everywhere in slokit): for ``n`` binned values sorted
ascending, the ``q``-quantile is the value at 1-based rank ``max(1, ceil(q * n))`` — numpy's
``method="inverted_cdf"``, the smallest value with at least a fraction ``q`` of values at or
below it. ``q * n`` is rounded to 9 decimals first, so that ``0.07 * 100`` is rank 7 and not 8
(a floating-point artefact numpy keeps). The histogram's answer is the representative of the
bucket holding that rank, within ``a`` of the exact value (when not flagged).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

Counts = NDArray[np.int64]

#: Values are processed in chunks of this many so intermediates stay in the CPU cache.
_CHUNK: Final = 1 << 16


@dataclass(frozen=True, slots=True)
class Layout:
    """Which buckets a histogram has; histograms merge only with the same layout."""

    relative_accuracy: float = 0.01
    min_value: float = 1e-3
    max_value: float = 1e6
    zero_below: float = 1e-9
    gamma: float = field(init=False)
    log_gamma: float = field(init=False)
    #: Index of the lowest and the highest bucket.
    min_index: int = field(init=False)
    max_index: int = field(init=False)
    #: Values whose index is at or below this go to the zero bucket.
    zero_index: int = field(init=False)

    def __post_init__(self) -> None:
        if not 0 < self.relative_accuracy < 1:
            raise ValueError("relative_accuracy must be in (0, 1)")
        if not 0 < self.zero_below < self.min_value < self.max_value < math.inf:
            raise ValueError("need 0 < zero_below < min_value < max_value < inf")
        gamma = (1 + self.relative_accuracy) / (1 - self.relative_accuracy)
        log_gamma = math.log(gamma)
        object.__setattr__(self, "gamma", gamma)
        object.__setattr__(self, "log_gamma", log_gamma)
        object.__setattr__(self, "min_index", math.ceil(math.log(self.min_value) / log_gamma))
        object.__setattr__(self, "max_index", math.ceil(math.log(self.max_value) / log_gamma))
        object.__setattr__(self, "zero_index", math.ceil(math.log(self.zero_below) / log_gamma))

    @property
    def n_buckets(self) -> int:
        return self.max_index - self.min_index + 1

    @property
    def zero_threshold(self) -> float:
        """Largest value that lands in the zero bucket (upper bound of bucket ``zero_index``)."""
        return float(self.gamma**self.zero_index)

    @property
    def lowest_in_range(self) -> float:
        """Values must be above this (exclusive) not to underflow."""
        return float(self.gamma ** (self.min_index - 1))

    @property
    def highest_in_range(self) -> float:
        """Values must be at or below this not to overflow."""
        return float(self.gamma**self.max_index)

    def representatives(self) -> NDArray[np.float64]:
        """The value reported for each bucket: within ``relative_accuracy`` of all its values."""
        idx = np.arange(self.min_index, self.max_index + 1, dtype=np.float64)
        return 2.0 * np.exp(idx * self.log_gamma) / (self.gamma + 1.0)

    def upper_bounds(self) -> NDArray[np.float64]:
        """Inclusive upper bound of each bucket (``gamma**i``)."""
        idx = np.arange(self.min_index, self.max_index + 1, dtype=np.float64)
        return np.exp(idx * self.log_gamma)

    def index_of(self, value: float) -> int:
        """Bucket index of one in-range positive value (unclamped)."""
        return math.ceil(math.log(value) / self.log_gamma)


DEFAULT_LAYOUT: Final = Layout()


def quantile_rank(q: float, n: int) -> int:
    """1-based rank of the ``q``-quantile among ``n`` sorted values (see module docstring)."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be within [0, 1], got {q}")
    return max(1, math.ceil(round(q * n, 9)))


def _ranks(qs: NDArray[np.float64], n: NDArray[np.int64]) -> NDArray[np.int64]:
    """Vectorized :func:`quantile_rank` for every (row total, q) pair: shape ``n.shape + qs.shape``."""
    if np.any((qs < 0.0) | (qs > 1.0)) or np.any(np.isnan(qs)):
        raise ValueError("quantiles must be within [0, 1]")
    prod = np.round(n[..., None].astype(np.float64) * qs, 9)
    return np.maximum(1, np.ceil(prod)).astype(np.int64)


@dataclass(slots=True)
class LogHistogram:
    """Counts per bucket of one :class:`Layout`, plus the zero bucket and rejection counters."""

    layout: Layout = DEFAULT_LAYOUT
    counts: Counts = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    zero: int = 0
    underflow: int = 0
    overflow: int = 0
    nan: int = 0
    negative: int = 0
    infinite: int = 0

    def __post_init__(self) -> None:
        if self.counts.size == 0:
            self.counts = np.zeros(self.layout.n_buckets, dtype=np.int64)
        elif self.counts.shape != (self.layout.n_buckets,):
            raise ValueError(f"counts must have {self.layout.n_buckets} buckets, got {self.counts.shape}")

    # --- building ---

    @classmethod
    def from_values(cls, values: ArrayLike, layout: Layout = DEFAULT_LAYOUT) -> LogHistogram:
        hist = cls(layout)
        hist.add_values(values)
        return hist

    def add_values(self, values: ArrayLike) -> None:
        """Bin a batch of values (vectorized; processed in cache-sized chunks)."""
        arr = np.asarray(values, dtype=np.float64).ravel()
        lay = self.layout
        # Bins of the bincount, offset by ``low = zero_index - 1``: [NaN or negative, zero,
        # underflow..., buckets..., overflow (and +inf)].
        low = lay.zero_index - 1
        high = lay.max_index + 1
        total = np.zeros(high - low + 1, dtype=np.int64)
        inv = 1.0 / lay.log_gamma
        buf = np.empty(min(_CHUNK, arr.size), dtype=np.float64)
        ibuf = np.empty(buf.size, dtype=np.intp)
        with np.errstate(divide="ignore", invalid="ignore"):
            for start in range(0, arr.size, _CHUNK):
                chunk = arr[start : start + _CHUNK]
                work = buf[: chunk.size]
                index = ibuf[: chunk.size]
                np.log(chunk, out=work)  # NaN for NaN and negative input, -inf for 0
                work *= inv
                np.ceil(work, out=work)
                np.clip(work, lay.zero_index, high, out=work)  # NaN stays NaN
                nans = np.isnan(work)
                if nans.any():
                    work[nans] = low
                np.subtract(work, low, out=index, casting="unsafe")
                total += np.bincount(index, minlength=total.size)
        rejected = int(total[0])
        if rejected:
            nan = int(np.count_nonzero(np.isnan(arr)))
            self.nan += nan
            self.negative += rejected - nan
        over = int(total[-1])
        if over:
            inf = int(np.count_nonzero(np.isposinf(arr)))
            self.infinite += inf
            over -= inf
        self.zero += int(total[1])
        under = int(total[2 : lay.min_index - low].sum())
        self.underflow += under
        self.overflow += over
        body = total[lay.min_index - low : lay.max_index - low + 1]
        self.counts += body
        self.counts[0] += under
        self.counts[-1] += over

    # --- merging ---

    def _check_layout(self, other: LogHistogram) -> None:
        if other.layout != self.layout:
            raise ValueError("cannot merge histograms with different layouts")

    def merge(self, other: LogHistogram) -> None:
        """Add ``other`` into this histogram (in place)."""
        self._check_layout(other)
        self.counts += other.counts
        self.zero += other.zero
        self.underflow += other.underflow
        self.overflow += other.overflow
        self.nan += other.nan
        self.negative += other.negative
        self.infinite += other.infinite

    def __add__(self, other: LogHistogram) -> LogHistogram:
        result = self.copy()
        result.merge(other)
        return result

    @classmethod
    def merged(cls, hists: Iterable[LogHistogram], layout: Layout = DEFAULT_LAYOUT) -> LogHistogram:
        result = cls(layout)
        for hist in hists:
            result.merge(hist)
        return result

    def copy(self) -> LogHistogram:
        return LogHistogram(
            self.layout,
            self.counts.copy(),
            self.zero,
            self.underflow,
            self.overflow,
            self.nan,
            self.negative,
            self.infinite,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LogHistogram):
            return NotImplemented
        return (
            self.layout == other.layout
            and bool(np.array_equal(self.counts, other.counts))
            and self.counters() == other.counters()
        )

    def counters(self) -> tuple[int, int, int, int, int, int]:
        return (self.zero, self.underflow, self.overflow, self.nan, self.negative, self.infinite)

    # --- reading ---

    @property
    def total(self) -> int:
        """Number of binned values (zero bucket included, rejected values excluded)."""
        return self.zero + int(self.counts.sum())

    @property
    def rejected(self) -> int:
        return self.nan + self.negative + self.infinite

    def quantiles(self, qs: Sequence[float] | NDArray[np.float64]) -> NDArray[np.float64]:
        """Estimated quantiles (NaN when empty); within ``relative_accuracy`` when not flagged."""
        full = np.concatenate(([self.zero], self.counts))[None, :]
        result: NDArray[np.float64] = quantiles_of_rows(full, qs, self.layout, has_zero_column=True)[0]
        return result

    def quantile(self, q: float) -> float:
        return float(self.quantiles([q])[0])

    def quantile_flags(self, qs: Sequence[float] | NDArray[np.float64]) -> NDArray[np.int8]:
        """-1 where the rank falls on an underflowed value, +1 on an overflowed one, else 0."""
        q = np.asarray(qs, dtype=np.float64)
        n = self.total
        if n == 0:
            return np.zeros(q.shape, dtype=np.int8)
        ranks = _ranks(q, np.asarray(n, dtype=np.int64))
        flags = np.zeros(q.shape, dtype=np.int8)
        flags[(ranks > self.zero) & (ranks <= self.zero + self.underflow)] = -1
        flags[ranks > n - self.overflow] = 1
        return flags

    def count_at_most(self, threshold: float) -> tuple[int, int]:
        """Bounds ``(surely, possibly)`` on how many binned values are ``<= threshold``.

        The values of the bucket holding ``threshold`` may lie on either side, so the exact
        count is between the two. Exact threshold counts come from an SLI's good count at
        ingest; this is for questions asked after the fact.
        """
        if math.isnan(threshold) or threshold < 0:
            return (0, 0)
        lay = self.layout
        body = self.counts.copy()
        body[0] -= self.underflow
        body[-1] -= self.overflow
        uppers = lay.upper_bounds()
        # Value groups in ascending order, each with an exclusive lower and inclusive upper bound.
        counts = np.concatenate(([self.zero, self.underflow], body, [self.overflow]))
        lower = np.concatenate(([-math.inf, lay.zero_threshold], uppers / lay.gamma, [uppers[-1]]))
        upper = np.concatenate(([lay.zero_threshold, lower[2]], uppers, [math.inf]))
        # Widened by 1e-9 (relative) so float noise at a bucket edge cannot break the bounds.
        surely = int(counts[upper * (1 + 1e-9) <= threshold].sum())
        possibly = int(counts[lower * (1 - 1e-9) < threshold].sum())
        return (surely, possibly)

    def count_above(self, threshold: float) -> tuple[int, int]:
        """Bounds ``(surely, possibly)`` on how many binned values are ``> threshold``."""
        surely_le, possibly_le = self.count_at_most(threshold)
        return (self.total - possibly_le, self.total - surely_le)

    # --- serialization ---

    def to_bytes(self) -> bytes:
        """Compact sparse form for storage (a minute of typical latencies: tens of bytes).

        ``b"S1"``, a flags byte (count width code in bits 0-1, custom layout in bit 2, offsets
        as byte deltas in bit 3), the layout's four floats when not the default, LEB128
        varints for the six counters and the number ``k`` of non-zero buckets, then ``k``
        bucket offsets (``uint8`` gaps after a varint first offset when every gap fits, else
        ``uint16``) and ``k`` counts in the narrowest of 1, 2, 4 or 8 bytes.
        """
        lay = self.layout
        nz = np.flatnonzero(self.counts)
        vals = self.counts[nz]
        top = int(vals.max()) if vals.size else 0
        code = 0 if top < 1 << 8 else 1 if top < 1 << 16 else 2 if top < 1 << 32 else 3
        gaps = np.diff(nz)
        small_gaps = nz.size > 0 and bool(np.all(gaps < 256))
        flags = code | (4 if lay != DEFAULT_LAYOUT else 0) | (8 if small_gaps else 0)
        out = bytearray(_MAGIC)
        out.append(flags)
        if lay != DEFAULT_LAYOUT:
            out += struct.pack("<4d", lay.relative_accuracy, lay.min_value, lay.max_value, lay.zero_below)
        for number in (*self.counters(), int(nz.size)):
            _put_varint(out, number)
        if small_gaps:
            _put_varint(out, int(nz[0]))
            out += gaps.astype("<u1").tobytes()
        else:
            out += nz.astype("<u2").tobytes()
        out += vals.astype(_WIDTHS[code]).tobytes()
        return bytes(out)

    @classmethod
    def from_bytes(cls, data: bytes) -> LogHistogram:
        try:
            return cls._from_bytes(memoryview(data))
        except (IndexError, struct.error) as exc:
            raise ValueError("histogram bytes are truncated") from exc

    @classmethod
    def _from_bytes(cls, data: memoryview) -> LogHistogram:
        if bytes(data[:2]) != _MAGIC:
            raise ValueError("not a slokit histogram (bad magic)")
        flags = data[2]
        pos = 3
        layout = DEFAULT_LAYOUT
        if flags & 4:
            layout = Layout(*struct.unpack_from("<4d", data, pos))
            pos += 32
        numbers = []
        for _ in range(7):
            value, pos = _get_varint(data, pos)
            numbers.append(value)
        *counters, k = numbers
        if flags & 8:
            first, pos = _get_varint(data, pos)
            gaps = np.frombuffer(data, dtype="<u1", count=k - 1, offset=pos).astype(np.intp)
            offsets = np.concatenate(([first], first + np.cumsum(gaps))).astype(np.intp)
            pos += k - 1
        else:
            offsets = np.frombuffer(data, dtype="<u2", count=k, offset=pos).astype(np.intp)
            pos += 2 * k
        dtype = _WIDTHS[flags & 3]
        width = np.dtype(dtype).itemsize
        if len(data) != pos + k * width:
            raise ValueError("histogram bytes have the wrong length")
        vals = np.frombuffer(data, dtype=dtype, count=k, offset=pos).astype(np.int64)
        if k and offsets.max() >= layout.n_buckets:
            raise ValueError("histogram bytes name a bucket outside the layout")
        counts = np.zeros(layout.n_buckets, dtype=np.int64)
        counts[offsets] = vals
        z, u, o, nan, neg, inf = counters
        return cls(layout, counts, z, u, o, nan, neg, inf)


_MAGIC: Final = b"S1"
_WIDTHS: Final = ("<u1", "<u2", "<u4", "<u8")


def _put_varint(out: bytearray, number: int) -> None:
    while number >= 0x80:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)


def _get_varint(data: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def quantiles_of_rows(
    rows: ArrayLike,
    qs: Sequence[float] | NDArray[np.float64],
    layout: Layout = DEFAULT_LAYOUT,
    *,
    has_zero_column: bool = False,
) -> NDArray[np.float64]:
    """Quantiles of many histograms at once: ``rows`` is ``(N, buckets)`` counts.

    With ``has_zero_column`` the first column is the zero bucket (value 0). Returns
    ``(N, len(qs))``; rows without values give NaN. This is how a percentile series over a
    range is computed: window sums of per-minute bucket counts (prefix sums), then this.
    """
    mat = np.asarray(rows, dtype=np.int64)
    if mat.ndim != 2:
        raise ValueError("rows must be a 2-D array of bucket counts")
    q = np.asarray(qs, dtype=np.float64)
    reps = layout.representatives()
    if has_zero_column:
        reps = np.concatenate(([0.0], reps))
    if mat.shape[1] != reps.size:
        raise ValueError(f"rows must have {reps.size} columns, got {mat.shape[1]}")
    cum = np.cumsum(mat, axis=1)
    n = cum[:, -1]
    ranks = _ranks(q, n)  # (N, Q)
    # First column whose cumulative count reaches the rank, per row: counts are sorted rows,
    # so a per-row searchsorted is a count of columns strictly below the rank.
    pos = np.empty(ranks.shape, dtype=np.intp)
    for j in range(q.size):  # loop over the handful of quantiles, not over rows
        pos[:, j] = np.sum(cum < ranks[:, j : j + 1], axis=1)
    out = reps[np.minimum(pos, reps.size - 1)]
    out[n == 0, :] = np.nan
    return out


def bucket_codes(
    values: NDArray[np.float64], layout: Layout = DEFAULT_LAYOUT, *, known_inside: bool = False
) -> tuple[NDArray[np.int32], NDArray[np.bool_] | None, NDArray[np.bool_] | None]:
    """The bucket of each value as a small non-negative code, for counting cells with ``bincount``.

    For finite, non-negative ``values`` (callers screen NaN, negative and infinite values
    first): code 0 is the zero bucket, code ``1 + (i - layout.min_index)`` is bucket ``i``
    (values below or above the layout's range are clamped into its lowest or highest
    bucket). Returns the codes and which values were clamped low (underflow) and high
    (overflow), None when none were. The binning is :meth:`LogHistogram.add_values`' (same
    floating-point steps), so counting codes gives the same histogram; the store keeps
    per-minute rows of such counts. ``known_inside`` says the caller has checked that every
    value lies strictly inside the layout's range, which skips the range checks.
    """
    arr = np.asarray(values, dtype=np.float64).ravel()
    codes = np.empty(arr.size, np.int32)  # half the memory traffic of int64 for its users
    inv = 1.0 / layout.log_gamma
    shift = float(layout.min_index - 1)
    work = np.empty(min(_CHUNK, arr.size), np.float64)
    clamped = False
    with np.errstate(divide="ignore"):
        # In cache-sized chunks: log, scale, ceil and shift each stay in the CPU cache.
        for start in range(0, arr.size, _CHUNK):
            chunk = arr[start : start + _CHUNK]
            index = work[: chunk.size]
            np.log(chunk, out=index)  # -inf for 0
            index *= inv
            np.ceil(index, out=index)
            if not known_inside and (index.min() < layout.min_index or index.max() > layout.max_index):
                # As add_values: everything at or below zero_index is the zero bucket, and one
                # index above the range stands for all values above it.
                np.clip(index, layout.zero_index, layout.max_index + 1, out=index)
                clamped = True
            np.subtract(index, shift, out=codes[start : start + chunk.size], casting="unsafe")
    under, over = _clamped(codes, layout) if clamped else (None, None)
    return codes, under, over


def _clamped(
    codes: NDArray[np.int32], layout: Layout
) -> tuple[NDArray[np.bool_] | None, NDArray[np.bool_] | None]:
    """Move clamped indices (zero bucket, below and above the range) to their codes in place;
    which values underflowed and overflowed (None when none did)."""
    under = over = None
    zero = codes == layout.zero_index - layout.min_index + 1
    low = codes < 1
    if low.any():
        under = low & ~zero
        codes[low] = 1
        codes[zero] = 0
    high = codes > layout.n_buckets
    if high.any():
        over = high
        codes[high] = layout.n_buckets
    return under, over


def screened_bucket_codes(
    values: NDArray[np.float64],
    layout: Layout = DEFAULT_LAYOUT,
    *,
    compares: Sequence[tuple[np.ufunc, float, NDArray[np.bool_]]] = (),
) -> tuple[NDArray[np.int32], NDArray[np.bool_] | None, NDArray[np.bool_] | None, tuple[int, int]] | None:
    """:func:`bucket_codes` of values not screened yet, plus the lowest and highest code.

    None when some value is NaN, negative or +inf (the caller then screens them out and calls
    :func:`bucket_codes`). This spares the caller a pass over the values to check them: the
    check is a reduction of each chunk of bucket indices while it is in the CPU cache (NaN
    and negative values have a NaN index, +inf an infinite one), and gives the code range too.

    ``compares``: ``(comparison ufunc, threshold, out)`` triples; ``out`` is filled with
    ``comparison(values, threshold)`` chunk by chunk while each chunk is in the cache (an
    objective's good condition), sparing another read of the values from memory. Only valid
    when the result is not None.
    """
    arr = np.asarray(values, dtype=np.float64).ravel()
    codes = np.empty(arr.size, np.int32)
    inv = 1.0 / layout.log_gamma
    shift = float(layout.min_index - 1)
    work = np.empty(min(_CHUNK, arr.size), np.float64)
    clamped = False
    lowest, highest = math.inf, -math.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        for start in range(0, arr.size, _CHUNK):
            chunk = arr[start : start + _CHUNK]
            index = work[: chunk.size]
            np.log(chunk, out=index)  # -inf for 0, NaN for NaN and negative values
            for comparison, threshold, out in compares:
                comparison(chunk, threshold, out=out[start : start + chunk.size])
            index *= inv
            np.ceil(index, out=index)
            top = float(index.max())
            if not top < math.inf:  # NaN (max propagates it) or +inf
                return None
            bottom = float(index.min())
            if bottom < layout.min_index or top > layout.max_index:
                np.clip(index, layout.zero_index, layout.max_index + 1, out=index)
                clamped = True
            lowest, highest = min(lowest, bottom), max(highest, top)
            np.subtract(index, shift, out=codes[start : start + chunk.size], casting="unsafe")
    if clamped:
        under, over = _clamped(codes, layout)
        return codes, under, over, (int(codes.min()), int(codes.max()))
    if arr.size == 0:
        return codes, None, None, (0, -1)
    return codes, None, None, (int(lowest - shift), int(highest - shift))
