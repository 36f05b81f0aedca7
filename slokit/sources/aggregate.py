"""One batch of events → per-minute rows of one bound indicator, on whole columns at once.

For a :class:`~slokit.sources.bound.BoundSLI` and a batch (an Arrow table plus each row's minute
index and whether the row was accepted), this computes

* per minute: valid and good event counts;
* for threshold indicators: per (minute, bucket) counts of a log-bucketed histogram of the
  value, in the layout of :mod:`slokit.engine.histogram` (so rows merge by addition into hour,
  day and window histograms);
* why events were left out of the indicator: a field its predicates need is missing
  (SQL's *unknown*), or the value is NaN/±inf, negative or not a number.

Missing fields follow the predicate language's SQL semantics: a comparison with a missing field
is unknown, and an event whose ``total``, ``good`` or ``bad`` predicate is unknown is **invalid
for that indicator** (neither good nor bad) and counted in ``missing_fields`` (or
``type_mismatch`` when a condition did not fit a field's type). Without that rule a ``bad``
predicate on a missing field would silently count the event as good. The evaluator
(:mod:`slokit.sources.predicate_eval`) reports the unknown events along with the matching ones.

Counting is ``numpy.bincount`` over whole columns, without compacting them by masks; no Python
loop runs per event. A :class:`Batch` is prepared once per batch and shared by every indicator
of the stream, so shared predicates, value columns and bucket codes cost once.
:func:`aggregate_all` counts indicators together: the distinct row masks they need (often few:
a ratio of ``status < 500`` and a latency threshold over ``status < 500`` need two) give each
row a class, and one ``bincount`` of ``(minute · width + bucket) · classes + class`` yields
every member's counts and histogram cells as sums over classes. :func:`aggregate` is the
per-indicator path (one ``bincount`` of ``3 · minute + state``, or of ``(minute · width +
bucket) · 2 + good``), used where a fused count would be too large, and the reference the
fused one is tested against.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from slokit.engine.histogram import DEFAULT_LAYOUT, bucket_codes, screened_bucket_codes
from slokit.sources.bound import BoundSLI, group_sli_key
from slokit.sources.events import (
    EXACT_INTEGERS,
    ChunkRanges,
    float64_values,
    label_texts,
    not_numbers,
    number_text,
    value_text,
)
from slokit.sources.predicate_eval import EventBatch, evaluate, text_condition_fields
from slokit.spec.predicate import Predicate

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
CodeArray = npt.NDArray[np.int32]
#: Label codes of one field (int32), and group codes over several fields (int32 or int64).
LabelArray = npt.NDArray[np.int32]
GroupArray = npt.NDArray[np.signedinteger[Any]]

#: Reasons an accepted event is not counted for an indicator (stable names for summaries).
MISSING_FIELDS = "missing_fields"
TYPE_MISMATCH = "type_mismatch"
NOT_A_NUMBER = "non_numeric"
NAN_VALUE = "nan"
INFINITE_VALUE = "infinite"
NEGATIVE_VALUE = "negative"
INVALID_REASONS = (MISSING_FIELDS, TYPE_MISMATCH, NOT_A_NUMBER, NAN_VALUE, INFINITE_VALUE, NEGATIVE_VALUE)

#: Histogram bucket codes stored beside the regular columns: how many values were clamped into
#: the lowest / highest bucket (they are counted in that bucket too), so a stored histogram
#: rebuilds the engine's ``underflow`` / ``overflow`` counters exactly.
UNDERFLOW_CODE = -1
OVERFLOW_CODE = -2

#: Rows per chunk of :meth:`Batch.cells` (its temporaries stay in the CPU cache).
_CHUNK = 1 << 15

#: Above this many (minute × bucket) cells a batch's histogram is counted with a sort
#: (``numpy.unique``) instead of a dense ``bincount``.
_DENSE_CELLS_LIMIT = 1 << 23


@dataclass(slots=True)
class SliRows:
    """Per-minute rows of one indicator from one batch (only minutes with valid events)."""

    sli_key: str
    minute: IntArray
    valid: IntArray
    good: IntArray
    #: Long-form histogram cells: (minute, bucket code, count); empty for ratio indicators.
    hist_minute: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    hist_bucket: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    hist_count: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    invalid: dict[str, int] = field(default_factory=dict)
    #: Descriptions of predicate conditions that could not apply to a field's type.
    warnings: list[str] = field(default_factory=list)
    #: A group's rows: the key of the indicator it is a group of (None: an indicator's own rows).
    parent: str | None = None
    #: A group's rows: label name → text, in the indicator's ``group_by`` order (empty otherwise).
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def total_valid(self) -> int:
        return int(self.valid.sum())

    @property
    def total_good(self) -> int:
        return int(self.good.sum())


class Batch:
    """One batch prepared once for all the indicators aggregated from it.

    Holds each row's offset from the batch's first accepted minute (so every indicator's
    counts are one ``bincount`` of ``offset * k + state``), and caches predicate results,
    value checks and histogram bucket codes: indicators of one stream often share a
    ``total`` predicate or a value field (``latency < 400`` and ``latency < 1000``).
    """

    def __init__(
        self,
        table: pa.Table,
        minute: IntArray,
        accepted: BoolArray,
        *,
        minute_range: tuple[int, int] | None = None,
        chunk_ranges: ChunkRanges | None = None,
    ) -> None:
        """``minute_range``: the lowest and highest minute of all rows, when the caller knows it;
        ``chunk_ranges``: those of each chunk of rows (:attr:`Timestamps.chunk_ranges`)."""
        self.table = table
        self.events = EventBatch(table)
        self.minute = minute
        self.accepted = accepted
        self.any = bool(accepted.any())
        self.all_accepted = self.any and bool(accepted.all())
        if self.all_accepted and minute_range is not None:
            lo, hi = minute_range
        elif self.all_accepted:
            lo, hi = int(minute.min()), int(minute.max())
        elif self.any:
            lo = int(np.min(minute, where=accepted, initial=np.iinfo(np.int64).max))
            hi = int(np.max(minute, where=accepted, initial=np.iinfo(np.int64).min))
        else:
            lo, hi = 0, -1
        self.lo = lo
        self.span = hi - lo + 1
        #: Each :data:`_CHUNK` rows' lowest and highest minute (when every row is accepted and
        #: the reader's chunks were these).
        self._chunk_minutes = (
            chunk_ranges[1]
            if self.all_accepted and minute_range is not None and chunk_ranges and chunk_ranges[0] == _CHUNK
            else None
        )
        self._offset: IntArray | None = None
        self._buffer: IntArray | None = None
        self._truths: dict[Predicate, tuple[BoolArray, BoolArray, str, tuple[str, ...]]] = {}
        self._values: dict[str, tuple[FloatArray, dict[str, BoolArray]]] = {}
        self._code_ranges: dict[str, tuple[int, int]] = {}
        #: Per value field, the objectives' good conditions ``(op, threshold)`` (:meth:`plan`).
        self._wanted: dict[str, set[tuple[str, float]]] = {}
        self._compared: dict[tuple[str, str, float], BoolArray] = {}
        self._codes: dict[str, tuple[CodeArray, BoolArray | None, BoolArray | None]] = {}
        self._labels: dict[str, tuple[LabelArray, list[str]]] = {}
        self._groups: dict[tuple[str, ...], _GroupCodes] = {}

    def offset(self) -> IntArray:
        """``minute - lo`` for every row (rejected rows get offset 0; they are masked out)."""
        if self._offset is None:
            offset = self.minute - self.lo
            if not self.all_accepted:
                offset[~self.accepted] = 0
            self._offset = offset
        return self._offset

    def scaled_offset(self, k: int, plus: IntArray | npt.NDArray[np.int8]) -> IntArray:
        """``offset · k + plus`` written into the batch's scratch buffer (valid until the next call)."""
        out = np.multiply(self.offset(), k, out=self.buffer())
        out += plus
        return out

    def cells(
        self,
        k: int,
        plus: Callable[[slice], IntArray | CodeArray | npt.NDArray[np.int8]],
        shift: int = 0,
    ) -> IntArray:
        """``offset · k + plus(rows) - shift`` for every row, into the scratch buffer (valid until
        the next call), built in cache-sized chunks so the temporaries of ``plus`` stay in the
        CPU cache.
        """
        out = self.buffer()
        direct = self.all_accepted and self._offset is None
        for start in range(0, out.size, _CHUNK):
            rows = slice(start, start + _CHUNK)
            part = out[rows]
            if direct:  # offset = minute - lo, computed here instead of as an array of its own
                np.multiply(self.minute[rows], k, out=part)
                part -= self.lo * k + shift
            else:
                np.multiply(self.offset()[rows], k, out=part)
                if shift:
                    part -= shift
            part += plus(rows)
        return out

    def count_cells(
        self,
        k: int,
        plus: Callable[[slice], IntArray | CodeArray | npt.NDArray[np.int8]],
        shift: int,
        size: int,
    ) -> IntArray:
        """``bincount(offset · k + plus(rows) - shift, minlength=size)``, chunk by chunk.

        Events arrive roughly in time order, so a chunk's cells usually lie in a narrow range:
        it is counted into that range of the result at once, while it is in the CPU cache,
        and the cell numbers are never written out for the whole batch. Chunks whose cells
        spread wider (out-of-order events, rejected rows at offset 0) are set aside in the
        scratch buffer and counted together at the end.
        """
        dense = np.zeros(size, np.int64)
        n = self.minute.size
        part = np.empty(min(_CHUNK, n), np.int64)
        narrow = np.empty(min(_CHUNK, n), np.int32)
        spill = self.buffer()
        spilled = 0
        direct = self.all_accepted and self._offset is None
        for start in range(0, n, _CHUNK):
            rows = slice(start, start + _CHUNK)
            length = min(_CHUNK, n - start)
            if direct:
                # The chunk's minutes bound its cells: counted in int32 cells relative to its
                # first minute, without a pass for the lowest and highest cell.
                minutes = self.minute[rows]
                if self._chunk_minutes is not None:
                    first, last = self._chunk_minutes[start // _CHUNK]
                else:
                    first, last = int(minutes.min()), int(minutes.max())
                width = (last - first + 1) * k
                if width <= 4 * length:
                    cell32 = narrow[:length]
                    np.subtract(minutes, first, out=cell32, casting="unsafe")
                    cell32 *= np.int32(k)
                    cell32 += plus(rows)
                    if shift:
                        cell32 -= np.int32(shift)
                    at = (first - self.lo) * k
                    dense[at : at + width] += np.bincount(cell32, minlength=width)
                    continue
            cell = part[:length]
            if direct:
                np.multiply(self.minute[rows], k, out=cell)
                cell -= self.lo * k + shift
            else:
                np.multiply(self.offset()[rows], k, out=cell)
                cell -= shift
            cell += plus(rows)
            low, high = int(cell.min()), int(cell.max())
            if high - low < 4 * cell.size:
                cell -= low
                dense[low : high + 1] += np.bincount(cell, minlength=high - low + 1)
            else:
                spill[spilled : spilled + cell.size] = cell
                spilled += cell.size
        if spilled:
            dense += np.bincount(spill[:spilled], minlength=size)
        return dense

    def buffer(self) -> IntArray:
        """A scratch int64 array of the batch's length, reused by every indicator."""
        if self._buffer is None:
            self._buffer = np.empty(self.minute.shape, np.int64)
        return self._buffer

    def truth(self, predicate: Predicate) -> tuple[BoolArray, BoolArray, str, tuple[str, ...]]:
        """(true, unknown, why unknown, warnings) of a predicate; see the module docstring."""
        if predicate not in self._truths:
            result = evaluate(predicate, self.events)
            true = np.asarray(result.mask, dtype=np.bool_)
            warnings = tuple(m.describe() for m in result.mismatches)
            if result.unknown is None:
                unknown = np.zeros(true.shape, np.bool_)
            else:
                unknown = np.asarray(result.unknown, dtype=np.bool_)
            reason = MISSING_FIELDS if any(result.missing.values()) else TYPE_MISMATCH
            self._truths[predicate] = (true, unknown, reason, warnings)
        return self._truths[predicate]

    def values(self, name: str) -> tuple[FloatArray, dict[str, BoolArray]]:
        """The value column as float64 and, per reason, which rows cannot be a value.

        A plain numeric column (no nulls, no text) is checked while its bucket codes are
        computed (:func:`screened_bucket_codes`): one pass instead of a check and a binning.
        """
        if name not in self._values:
            plain = _plain_numbers(self.table, name)
            wanted = sorted(self._wanted.get(name, ()))
            outs = [np.empty(plain.size if plain is not None else 0, np.bool_) for _ in wanted]
            compares = [(_COMPARISONS[op], t, out) for (op, t), out in zip(wanted, outs, strict=True)]
            screened = screened_bucket_codes(plain, compares=compares) if plain is not None else None
            if plain is not None and screened is not None:
                for (op, t), out in zip(wanted, outs, strict=True):
                    self._compared[(name, op, t)] = out
                codes, under, over, code_range = screened
                self._values[name] = (plain, {})
                self._codes[name] = (codes, under, over)
                self._code_ranges[name] = code_range
            else:
                values, bad, _ = numeric_values(self.table, name)
                self._values[name] = (values, bad)
        return self._values[name]

    def compared(self, name: str, op: str, threshold: float | None) -> BoolArray:
        """:func:`compare` of the value column, computed with its bucket codes when :meth:`plan`
        named it (the values are then read from memory once)."""
        values, _ = self.values(name)
        if threshold is not None and (name, op, threshold) in self._compared:
            return self._compared[(name, op, threshold)]
        return compare(values, op, threshold)

    def codes(self, name: str) -> tuple[CodeArray, BoolArray | None, BoolArray | None]:
        """Bucket codes of the value column (unusable values binned as 1.0; callers mask them)."""
        if name not in self._codes:
            values, bad = self.values(name)  # codes a plain column on the way
            if name not in self._codes:
                masks = [m for m in bad.values() if m.any()]
                if masks:
                    values = np.where(np.logical_or.reduce(masks), 1.0, values)
                self._codes[name] = bucket_codes(values)
        return self._codes[name]

    def label_codes(self, name: str) -> tuple[LabelArray, list[str]]:
        """Each row's label of field ``name`` as a code, and the label text of each code.

        Codes index distinct texts (so a null and an empty string are one group, ``""``);
        see :func:`label_codes`.
        """
        if name not in self._labels:
            column = self.events.arrow_column(name)
            if column is not None and (
                self.events.kind(name) == "string" or pa.types.is_dictionary(column.type)
            ):
                encoded = self.events.encoded(name)  # shared with text conditions on the field
                column = encoded if encoded is not None else column
            codes, texts = label_codes(column, self.minute.size)
            written = label_texts(self.table, name)
            if written is not None and written.null_count < len(written):
                codes, texts = _with_written_texts(codes, texts, written)
            self._labels[name] = (codes, texts)
        return self._labels[name]

    def plan(self, bounds: Sequence[BoundSLI]) -> None:
        """Tell the events which text columns to dictionary-encode: those read by two or more
        distinct text conditions, or grouped by (see :meth:`EventBatch.encode`); and which good
        conditions of value fields to compute with their bucket codes (:meth:`compared`)."""
        uses: Counter[str] = Counter()
        seen: set[Predicate] = set()
        for bound in bounds:
            for predicate in (bound.total_where, bound.good_where, bound.bad_where):
                if predicate is not None and predicate not in seen:
                    seen.add(predicate)
                    uses.update(text_condition_fields(predicate))
            uses.update(dict.fromkeys(bound.group_by, 2))
            field_name, op, threshold = bound.value_field, bound.op, bound.threshold
            if bound.kind == "threshold" and field_name and op in _COMPARISONS and threshold is not None:
                self._wanted.setdefault(field_name, set()).add((op, threshold))
        self.events.encode(name for name, count in uses.items() if count >= 2)

    def group_codes(self, names: tuple[str, ...]) -> _GroupCodes:
        """Every row's combined group code over the fields ``names`` (shared by indicators
        grouping by the same fields)."""
        if names not in self._groups:
            self._groups[names] = _combine([self.label_codes(name) for name in names])
        return self._groups[names]

    def code_range(self, name: str) -> tuple[int, int]:
        """The lowest and highest bucket code of the value column."""
        if name not in self._code_ranges:
            codes = self.codes(name)[0]
            self._code_ranges[name] = (int(codes.min()), int(codes.max())) if codes.size else (0, -1)
        return self._code_ranges[name]


@dataclass(slots=True)
class _Selected:
    """Which rows one indicator counts: valid, valid and good; why the others were left out."""

    bound: BoundSLI
    valid: BoolArray
    good: BoolArray
    invalid: dict[str, int]
    warnings: list[str]


def _select(batch: Batch, bound: BoundSLI) -> _Selected:
    """The rows of ``batch`` that ``bound`` counts (see the module docstring)."""
    invalid = dict.fromkeys(INVALID_REASONS, 0)
    warnings: list[str] = []
    candidate = batch.accepted
    if bound.total_where is not None:
        true, unknown, reason, notes = batch.truth(bound.total_where)
        warnings.extend(notes)
        if unknown.any():
            invalid[reason] += int(np.count_nonzero(unknown & candidate))
        # (Every row accepted: the predicate's own mask, so indicators sharing it share one array.)
        candidate = true if batch.all_accepted else candidate & true
    good: BoolArray
    if bound.kind == "threshold":
        assert bound.value_field is not None
        _, bad_value = batch.values(bound.value_field)
        for name, mask in bad_value.items():
            if mask.any():
                invalid[name] += int(np.count_nonzero(mask & candidate))
                candidate = candidate & ~mask
        good = batch.compared(bound.value_field, bound.op or "", bound.threshold)
    else:
        narrowing = bound.good_where if bound.good_where is not None else bound.bad_where
        if narrowing is None:
            good = candidate
        else:
            true, unknown, reason, notes = batch.truth(narrowing)
            warnings.extend(notes)
            if unknown.any():
                invalid[reason] += int(np.count_nonzero(unknown & candidate))
                candidate = candidate & ~unknown
            good = true if bound.good_where is not None else ~true
    return _Selected(bound, candidate, good, {k: v for k, v in invalid.items() if v}, warnings)


def aggregate(batch: Batch, bound: BoundSLI) -> SliRows:
    """Per-minute rows of ``bound`` from the accepted rows of ``batch``, on its own.

    :func:`aggregate_all` gives the same rows for many indicators at a lower cost; this is the
    per-indicator path it falls back to (and is checked against).
    """
    return _aggregate_one(batch, _select(batch, bound))


def _aggregate_one(batch: Batch, chosen: _Selected) -> SliRows:
    bound = chosen.bound
    if bound.kind == "threshold":
        assert bound.value_field is not None
        codes = batch.codes(bound.value_field)
        rows = _counts_and_histogram(bound.sli_key, batch, chosen.valid, chosen.good, *codes)
    else:
        rows = _counts(bound.sli_key, batch, chosen.valid, chosen.good)
    rows.invalid = chosen.invalid
    rows.warnings = chosen.warnings
    return rows


#: A fused count combines at most this many distinct row masks (``2**4`` classes per cell).
_MAX_FEATURES = 4
#: Literals of :class:`_Fused`: a mask that is false or true on every row.
_FALSE = -1
_TRUE = -2


@dataclass(slots=True)
class _Fused:
    """Indicators counted together: one ``bincount`` of ``(offset · width + code) · 2**k + class``.

    ``features`` are the distinct row masks the members need (valid, valid-and-good); a row's
    class says which of them it is in. Each member's valid and good masks are one feature or a
    constant (a literal), so its counts are sums over classes. Threshold members share one
    value field, whose bucket code is the middle of the key.
    """

    value_field: str | None = None
    features: list[BoolArray] = field(default_factory=list)
    #: Feature counts (a cheap test before comparing two masks in full).
    sizes: list[int] = field(default_factory=list)
    members: list[tuple[int, _Selected, int, int]] = field(default_factory=list)

    def admit(self, index: int, chosen: _Selected) -> bool:
        """Add an indicator if its masks fit (field and feature limit); False leaves it unchanged."""
        value_field = chosen.bound.value_field if chosen.bound.kind == "threshold" else None
        if value_field is not None and self.value_field not in (None, value_field):
            return False
        features, sizes = list(self.features), list(self.sizes)
        valid = _literal(features, sizes, chosen.valid)
        if chosen.good is chosen.valid:
            good = valid
        elif valid == _TRUE:  # every row valid: the good mask as it is (often a shared predicate's)
            good = _literal(features, sizes, chosen.good)
        else:
            good = _literal(features, sizes, chosen.valid & chosen.good)
        if len(features) > _MAX_FEATURES:
            return False
        self.features, self.sizes = features, sizes
        if value_field is not None:
            self.value_field = value_field
        self.members.append((index, chosen, valid, good))
        return True


def _literal(features: list[BoolArray], sizes: list[int], mask: BoolArray) -> int:
    """``mask`` as a constant or the index of an equal feature (appended when new)."""
    for i, feature in enumerate(features):
        if feature is mask:
            return i
    size = int(np.count_nonzero(mask))
    if size == 0:
        return _FALSE
    if size == mask.size:
        return _TRUE
    for i, feature in enumerate(features):
        if sizes[i] == size and np.array_equal(feature, mask):
            return i
    features.append(mask)
    sizes.append(size)
    return len(features) - 1


def aggregate_all(batch: Batch, bounds: Sequence[BoundSLI]) -> list[SliRows]:
    """Per-minute rows of every indicator in ``bounds`` (in that order) from one batch.

    The same rows as :func:`aggregate` of each, at the cost of few ``bincount`` calls instead
    of one per indicator: indicators whose masks are few distinct ones (a ratio of
    ``status < 500`` over all events and a latency threshold over ``status < 500`` need two)
    and that histogram at most one value field are counted in one pass (:class:`_Fused`).

    An indicator with ``group_by`` is followed by its groups' rows (:func:`aggregate_groups`),
    so the list is longer than ``bounds`` when some indicator is grouped.
    """
    batch.plan(bounds)
    chosen = [_select(batch, bound) for bound in bounds]
    if not batch.any:
        return [_aggregate_one(batch, c) for c in chosen]
    parents = _aggregate_fused(batch, chosen)
    if not any(bound.group_by for bound in bounds):
        return parents
    out: list[SliRows] = []
    for rows, selected in zip(parents, chosen, strict=True):
        out.append(rows)
        if selected.bound.group_by:
            out.extend(_group_rows(batch, selected))
    return out


def _aggregate_fused(batch: Batch, chosen: list[_Selected]) -> list[SliRows]:
    """Each chosen indicator's own rows, counted in as few fused passes as their masks allow."""
    groups: list[_Fused] = []
    for index, selected in enumerate(chosen):
        if not any(group.admit(index, selected) for group in groups):
            group = _Fused()
            admitted = group.admit(index, selected)
            assert admitted  # two masks always fit an empty group
            groups.append(group)
    out: list[SliRows | None] = [None] * len(chosen)
    for group in groups:
        fused = _fused_rows(batch, group)
        for (index, selected, _, _), rows in zip(group.members, fused, strict=True):
            rows = rows if rows is not None else _aggregate_one(batch, selected)
            rows.invalid = selected.invalid
            rows.warnings = selected.warnings
            out[index] = rows
    return [rows for rows in out if rows is not None]


def _fused_rows(batch: Batch, group: _Fused) -> list[SliRows | None]:
    """Each member's rows from one ``bincount`` (None for all when the cells would be too many)."""
    classes = 1 << len(group.features)
    codes: CodeArray | None = None
    under = over = None
    low, width = 0, 1
    if group.value_field is not None:
        codes, under, over = batch.codes(group.value_field)
        low, high = batch.code_range(group.value_field)
        width = high - low + 1
    span = batch.span
    size = span * width * classes
    if size > _DENSE_CELLS_LIMIT:
        return [None] * len(group.members)
    features = group.features
    scale = [np.int32(width << bit) for bit in range(len(features))]

    def class_and_code(rows: slice) -> CodeArray:
        # class · width + code, where a row's class says which of the group's masks it is in
        # (bit i for feature i); built per chunk, in the CPU cache (low is subtracted by cells).
        if not features:
            assert codes is not None
            return codes[rows]
        c = features[0][rows] * scale[0]
        for feature, factor in zip(features[1:], scale[1:], strict=True):
            c += feature[rows] * factor
        if codes is not None:
            c += codes[rows]
        return c

    # Cells ordered (minute, class, bucket): sums over buckets and classes read contiguous rows.
    if not features and codes is None:
        counted = batch.count_cells(1, lambda rows: np.zeros(1, np.int8), 0, size)
    else:
        counted = batch.count_cells(classes * width, class_and_code, low if codes is not None else 0, size)
    dense = counted.reshape(span, classes, width)
    per_class = dense[:, :, 0] if width == 1 else dense.sum(axis=2)
    ids = np.arange(classes)
    results: list[SliRows | None] = []
    for _, selected, valid_literal, good_literal in group.members:
        in_valid = _classes(ids, valid_literal)
        valid_per = per_class[:, in_valid].sum(axis=1)
        good_per = per_class[:, _classes(ids, good_literal)].sum(axis=1)
        present = np.flatnonzero(valid_per)
        rows = SliRows(
            selected.bound.sli_key,
            (present + batch.lo).astype(np.int64),
            valid_per[present].astype(np.int64),
            good_per[present].astype(np.int64),
        )
        if selected.bound.kind == "threshold":
            per_bucket = np.zeros((span, width), np.int64)
            for c in np.flatnonzero(in_valid):  # (adding slices beats a reduction over classes)
                per_bucket += dense[:, c, :]
            minute_off, column = np.nonzero(per_bucket)
            count = per_bucket[minute_off, column]
            _histogram_cells(rows, batch, selected.valid, minute_off, column + low, count, under, over)
        results.append(rows)
    return results


def _classes(ids: IntArray, literal: int) -> BoolArray:
    """Which classes of a fused count are in the mask given by ``literal``."""
    if literal == _TRUE:
        return np.ones(ids.size, np.bool_)
    if literal == _FALSE:
        return np.zeros(ids.size, np.bool_)
    return ((ids >> literal) & 1).astype(np.bool_)


def numeric_values(
    table: pa.Table, name: str
) -> tuple[FloatArray, dict[str, BoolArray], tuple[float, float] | None]:
    """The column as float64, per reason which rows cannot be an indicator value, and the
    column's (min, max) when every value is usable (then the reasons are empty)."""
    n = table.num_rows
    if name not in table.column_names:
        return np.full(n, np.nan), {MISSING_FIELDS: np.ones(n, np.bool_)}, None
    plain = _plain_numbers(table, name)
    if plain is not None and n:
        value_range = _usable_range(plain)
        if value_range is not None:
            return plain, {}, value_range  # the usual column: nothing to report, no masks
    column = table.column(name)
    kind = column.type
    missing = (
        np.array(column.is_null().to_numpy(zero_copy_only=False), np.bool_)
        if column.null_count
        else np.zeros(n, np.bool_)
    )
    not_number = np.zeros(n, np.bool_)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        values = plain if plain is not None else float64_values(column)
        coerced = not_numbers(table, name)
        if coerced:
            not_number[coerced] = True
            missing[coerced] = False
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_dictionary(kind):
        text = column if pa.types.is_string(kind) else column.cast(pa.string())
        values, not_number = _text_numbers(text)
        not_number &= ~missing
    else:  # booleans, lists, records, bytes: no value of these is a number
        values = np.full(n, np.nan)
        not_number = ~missing
    if column.null_count:
        values = np.where(missing, 0.0, values)
    with np.errstate(invalid="ignore"):
        nan = np.isnan(values) & ~not_number & ~missing
        infinite = np.isinf(values)
        negative = values < 0
    negative &= ~infinite
    reasons = {
        MISSING_FIELDS: missing,
        NOT_A_NUMBER: not_number,
        NAN_VALUE: nan,
        INFINITE_VALUE: infinite,
        NEGATIVE_VALUE: negative,
    }
    return values, reasons, None


def _plain_numbers(table: pa.Table, name: str) -> FloatArray | None:
    """A present numeric column without nulls or text values, as float64; None otherwise."""
    if name not in table.column_names:
        return None
    column = table.column(name)
    kind = column.type
    numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
    if not numeric or column.null_count or not_numbers(table, name):
        return None
    return float64_values(column)


def _usable_range(values: FloatArray) -> tuple[float, float] | None:
    """(min, max) when no value is NaN, infinite or negative, in two reductions (NaN makes
    ``min`` NaN); None otherwise."""
    low = float(values.min())
    if not low >= 0.0:
        return None
    high = float(values.max())
    return (low, high) if high < np.inf else None


def _text_numbers(column: pa.ChunkedArray) -> tuple[FloatArray, BoolArray]:
    """Numbers written as text (CSV, JSON strings): one Arrow cast, value by value only on failure."""
    n = len(column)
    try:
        values = np.asarray(column.cast(pa.float64()).to_numpy(zero_copy_only=False), np.float64)
        return values, np.zeros(n, np.bool_)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    values = np.full(n, np.nan)
    bad = np.zeros(n, np.bool_)
    for i, text in enumerate(column.to_pylist()):
        if text is None:
            continue
        try:
            values[i] = float(text)
        except ValueError:
            bad[i] = True
    return values, bad


#: The ufunc of each objective op (:func:`compare`).
_COMPARISONS: dict[str, np.ufunc] = {
    "lt": np.less,
    "lte": np.less_equal,
    "gt": np.greater,
    "gte": np.greater_equal,
}


def compare(values: FloatArray, op: str, threshold: float | None) -> BoolArray:
    """Which values meet ``<op> threshold`` (the objective's good condition)."""
    if threshold is None:
        raise ValueError("a threshold indicator needs the objective's value")
    with np.errstate(invalid="ignore"):
        if op == "lt":
            return values < threshold
        if op == "lte":
            return values <= threshold
        if op == "gt":
            return values > threshold
        if op == "gte":
            return values >= threshold
    raise ValueError(f"unknown objective op {op!r}; expected lt, lte, gt or gte")


def _counts(key: str, batch: Batch, valid: BoolArray, good: BoolArray) -> SliRows:
    """Valid and good per minute in one ``bincount`` of ``offset * 3 + state``.

    state is 0 for rows not valid for the indicator, 1 for valid and bad, 2 for valid and good.
    """
    empty = np.zeros(0, np.int64)
    if not batch.any:
        return SliRows(key, empty, empty.copy(), empty.copy())

    def state(rows: slice) -> npt.NDArray[np.int8]:
        v = valid[rows]
        return v.view(np.int8) + (v & good[rows]).view(np.int8)

    code = batch.cells(3, state)
    both = np.bincount(code, minlength=3 * batch.span)
    valid_per = both[1::3] + both[2::3]
    present = np.flatnonzero(valid_per)
    return SliRows(
        key,
        (present + batch.lo).astype(np.int64),
        valid_per[present].astype(np.int64),
        both[2::3][present].astype(np.int64),
    )


def _counts_and_histogram(
    key: str,
    batch: Batch,
    valid: BoolArray,
    good: BoolArray,
    codes: CodeArray,
    under: BoolArray | None,
    over: BoolArray | None,
) -> SliRows:
    """Counts and long-form histogram cells of a threshold indicator in one ``bincount``.

    Each row's cell is ``(offset · width + bucket) · 2 + good``; rows that are not valid go
    to an extra last bucket of each minute, which is dropped, so no column is compacted by a
    mask. Valid and good per minute are sums over the cells, so they cost no second pass.
    """
    empty = np.zeros(0, np.int64)
    if not batch.any:
        return SliRows(key, empty, empty.copy(), empty.copy())
    width = DEFAULT_LAYOUT.n_buckets + 2  # zero bucket, the buckets, then the "not valid" column
    span = batch.span
    if span * width * 2 <= _DENSE_CELLS_LIMIT:
        all_valid = bool(valid.all())

        def bucket_and_good(rows: slice) -> CodeArray:
            c = codes[rows] * 2
            v = valid[rows]
            c += (good[rows] & v).view(np.int8)
            if not all_valid:
                np.putmask(c, ~v, 2 * (width - 1))
            return c

        cell = batch.cells(2 * width, bucket_and_good)
        dense = np.bincount(cell, minlength=span * width * 2).reshape(span, width, 2)[:, : width - 1, :]
        # (An add of the two halves: a reduction over an axis of length 2 is slow in numpy.)
        per_bucket = dense[:, :, 0] + dense[:, :, 1]
        good_per = dense[:, :, 1].sum(axis=1)
        valid_per = per_bucket.sum(axis=1)
        minute_off, column = np.nonzero(per_bucket)
        count = per_bucket[minute_off, column]
    else:
        # Sparse: sort the cells of the valid rows instead of a dense array over the span.
        cell = (batch.offset()[valid] * width + codes[valid]) * 2 + good[valid]
        where, both = np.unique(cell, return_counts=True)
        bucket_cell, is_good = np.divmod(where, 2)
        minute_all = bucket_cell // width
        valid_per = np.bincount(minute_all, weights=both, minlength=span).astype(np.int64)
        good_per = np.bincount(minute_all, weights=both * is_good, minlength=span).astype(np.int64)
        cells, inverse = np.unique(bucket_cell, return_inverse=True)
        count = np.bincount(inverse, weights=both).astype(np.int64)
        minute_off, column = np.divmod(cells, width)
    present = np.flatnonzero(valid_per)
    rows = SliRows(
        key,
        (present + batch.lo).astype(np.int64),
        np.asarray(valid_per[present], np.int64),
        np.asarray(good_per[present], np.int64),
    )
    _histogram_cells(rows, batch, valid, minute_off, column, count, under, over)
    return rows


def _histogram_cells(
    rows: SliRows,
    batch: Batch,
    valid: BoolArray,
    minute_off: npt.NDArray[np.integer[Any]],
    column: npt.NDArray[np.integer[Any]],
    count: npt.NDArray[np.integer[Any]],
    under: BoolArray | None,
    over: BoolArray | None,
) -> None:
    """Long-form cells into ``rows``: (minute offset, bucket code, count) of the valid rows,
    then per minute how many were clamped low / high (:data:`UNDERFLOW_CODE`, ...)."""
    parts_m = [minute_off.astype(np.int64) + batch.lo]
    parts_b = [column.astype(np.int64)]
    parts_c = [np.asarray(count, np.int64)]
    for code, mask in ((UNDERFLOW_CODE, under), (OVERFLOW_CODE, over)):
        if mask is not None and (mask & valid).any():
            um, uc = np.unique(batch.minute[mask & valid], return_counts=True)
            parts_m.append(um)
            parts_b.append(np.full(um.size, code, np.int64))
            parts_c.append(uc.astype(np.int64))
    rows.hist_minute = np.concatenate(parts_m)
    rows.hist_bucket = np.concatenate(parts_b)
    rows.hist_count = np.concatenate(parts_c)


# --- grouping: one series per distinct value of the ``group_by`` fields ---

#: Combined group codes are compacted (renumbered densely) before they could pass this.
_MAX_GROUP_CODE = 1 << 40


def label_text(value: Any) -> str:
    """The text of one label value, from the value alone (never from the column's type, which
    depends on the other events of the batch): ``""`` for a missing or null value, as
    Prometheus treats an absent label; a number by its value (:func:`number_text`: ``200``
    for ``200`` and ``200.0``, ``0.5``); other values as JSON writes them (:func:`value_text`:
    the string itself, ``true``)."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    return value_text(value)


def _with_written_texts(
    codes: LabelArray, texts: list[str], written: pa.ChunkedArray
) -> tuple[LabelArray, list[str]]:
    """Label codes of a mixed-type column with the rows whose value was not a number labelled
    by that value's text (``written``, null on the other rows) instead of the conversion's."""
    has_text = np.asarray(written.is_valid().to_numpy(zero_copy_only=False), np.bool_)
    own_codes, own_texts = label_codes(written, codes.size)
    merged = np.where(has_text, own_codes + len(texts), codes).astype(np.int32)
    return _distinct(merged, texts + own_texts)


def _distinct(codes: LabelArray, texts: list[str]) -> tuple[LabelArray, list[str]]:
    """Codes renumbered so that equal texts share one code (``""`` of a null and of an empty
    string; ``0`` of ``0.0`` and ``-0.0``)."""
    distinct = list(dict.fromkeys(texts))
    if len(distinct) == len(texts):
        return codes, texts
    number = {text: i for i, text in enumerate(distinct)}
    return np.array([number[text] for text in texts], np.int32)[codes], distinct


def label_codes(column: Any, n: int) -> tuple[LabelArray, list[str]]:
    """Each of ``n`` rows' label as a code into the returned texts (distinct texts).

    The column is dictionary-encoded by Arrow, so a label is formatted once per distinct
    value, not once per event; a null (or absent column) is the text ``""``. Types Arrow
    cannot encode (lists, records) are formatted value by value, then encoded.
    """
    if column is None or n == 0:
        return np.zeros(n, np.int32), [""]
    if isinstance(column, pa.ChunkedArray):
        column = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    if pa.types.is_null(column.type):
        return np.zeros(n, np.int32), [""]
    small = _small_range_codes(column)
    if small is not None:
        return small
    if not pa.types.is_dictionary(column.type):
        try:
            column = pc.dictionary_encode(column)
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
            texts = [label_text(value) for value in column.to_pylist()]
            column = pc.dictionary_encode(pa.array(texts, pa.string()))
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
    texts = [label_text(value) for value in column.dictionary.to_pylist()]
    indices = column.indices
    if indices.null_count:
        texts.append("")  # the code of a null
        indices = pc.fill_null(indices, pa.scalar(len(texts) - 1, indices.type))
    codes = np.asarray(indices.to_numpy(zero_copy_only=False)).astype(np.int32, copy=False)
    return _distinct(codes, texts)


#: Integer columns whose values span at most this many numbers are coded by value.
_SMALL_RANGE = 4096


def _small_range_codes(column: pa.Array) -> tuple[LabelArray, list[str]] | None:
    """Codes of a boolean column, or of an integer column of a narrow range (status codes),
    straight from the values (``value - lowest``; nulls last): a hash of every value, as
    dictionary encoding does, costs several times more. None for other columns."""
    kind = column.type
    if not (pa.types.is_boolean(kind) or pa.types.is_integer(kind)):
        return None
    nulls = None
    low = high = 0
    if not pa.types.is_boolean(kind):
        extremes = pc.min_max(column)
        low, high = extremes["min"].as_py(), extremes["max"].as_py()
        if low is None or high - low >= _SMALL_RANGE or max(-low, high) > EXACT_INTEGERS:
            return None  # (beyond 2**53 several values may share a label: see label_text)
    if column.null_count:
        nulls = np.asarray(column.is_null().to_numpy(zero_copy_only=False), np.bool_)
        column = pc.fill_null(column, pa.scalar(False if pa.types.is_boolean(kind) else low, kind))
    values = np.asarray(column.to_numpy(zero_copy_only=False))
    if pa.types.is_boolean(kind):
        codes = values.astype(np.int32)
        texts = ["false", "true"]
    else:
        # subtract in the column's own width first: the values may not fit int32, their
        # distances from the lowest do (the range is narrow)
        base = np.uint64(low) if values.dtype == np.uint64 else np.int64(low)
        codes = (values.astype(base.dtype) - base).astype(np.int32)
        seen = np.zeros(high - low + 1, np.bool_)
        seen[codes] = True  # (a scatter: no chain of increments to one counter, as bincount has)
        used = np.flatnonzero(seen)
        if used.size <= (high - low) // 2:  # sparse values (200, 404, 500): number the ones used
            number = np.zeros(high - low + 1, np.int32)
            number[used] = np.arange(used.size)
            codes = number.take(codes)
        else:
            used = np.arange(high - low + 1)
        texts = [str(low + i) for i in used.tolist()]
    if nulls is not None:
        codes[nulls] = len(texts)
        texts.append("")
    return codes, texts


@dataclass(frozen=True, slots=True)
class _GroupCodes:
    """Every row's group code over several fields, and how to read a code's labels back.

    A code is a mixed-radix number of the fields' label codes; when the product of the
    fields' label counts would grow too large, the codes seen so far are renumbered densely
    (``base``: per earlier field, the label code of each renumbered code).
    """

    code: GroupArray
    #: Codes lie in ``[0, size)``.
    size: int
    texts: tuple[list[str], ...]
    base: tuple[IntArray, ...]
    #: Label counts of the fields after those in ``base`` (the digits of a code, in order).
    radices: tuple[int, ...]

    def labels(self, codes: IntArray) -> list[tuple[str, ...]]:
        """The label texts of each code in ``codes``, field by field."""
        per_field = _field_digits(self, codes)
        columns = [
            [texts[c] for c in part.tolist()] for texts, part in zip(self.texts, per_field, strict=True)
        ]
        return list(zip(*columns, strict=True))


def _combine(fields: list[tuple[LabelArray, list[str]]]) -> _GroupCodes:
    """One group code per row from each field's label codes (see :class:`_GroupCodes`)."""
    code: GroupArray | None = None
    size = 1
    base: tuple[IntArray, ...] = ()
    radices: tuple[int, ...] = ()
    texts: list[list[str]] = []
    for field_code, field_texts in fields:
        count = len(field_texts)
        if code is not None and size * count > _MAX_GROUP_CODE:
            seen, inverse = np.unique(code, return_inverse=True)
            partial = _GroupCodes(code, size, tuple(texts), base, radices)
            base = tuple(_field_digits(partial, seen))
            radices = ()
            code, size = inverse.astype(np.int64).reshape(-1), int(seen.size)
        code = field_code if code is None else code.astype(np.int64) * count + field_code
        size *= count
        radices += (count,)
        texts.append(field_texts)
    assert code is not None, "grouping needs at least one field"
    return _GroupCodes(code, size, tuple(texts), base, radices)


def _field_digits(codes: _GroupCodes, which: IntArray) -> list[IntArray]:
    """Per field so far, the label code of each code in ``which``."""
    digits: list[IntArray] = []
    rest = which
    for radix in reversed(codes.radices):
        rest, digit = np.divmod(rest, radix)
        digits.append(digit)
    return [part[rest] for part in codes.base] + digits[::-1]


def aggregate_groups(batch: Batch, bound: BoundSLI) -> list[SliRows]:
    """The rows of each group of ``bound`` present in ``batch`` (none when it is not grouped).

    A group is present when it has at least one valid event for the indicator; its rows are
    what ``bound`` alone would hold if only that group's events existed, so the groups' rows
    add up to the indicator's own rows, cell by cell. Ordered by label texts.
    """
    if not bound.group_by:
        return []
    return _group_rows(batch, _select(batch, bound))


def _group_rows(batch: Batch, chosen: _Selected) -> list[SliRows]:
    """Per-group rows of one indicator: counts over (minute, group[, bucket], good).

    Dense when the cells fit (:data:`_DENSE_CELLS_LIMIT`): one chunked ``bincount`` as the
    fused count does (:meth:`Batch.count_cells`), rows not valid for the indicator in an extra
    group whose cells are dropped, so no column is compacted. When the groups' codes span too
    many cells, they are first renumbered over the valid rows; if the cells are still too many,
    the valid rows' cells are sorted and counted (``numpy.unique``). A Python loop runs per
    group (to cut its rows out), never per event.
    """
    bound = chosen.bound
    valid = chosen.valid
    if not batch.any or not bound.group_by or not valid.any():
        return []
    grouping = batch.group_codes(bound.group_by)
    threshold = bound.kind == "threshold"
    bucket: CodeArray | None = None
    under = over = None
    low, width = 0, 1
    if threshold:
        assert bound.value_field is not None
        bucket, under, over = batch.codes(bound.value_field)
        low, high = batch.code_range(bound.value_field)
        width = high - low + 1
    span = batch.span
    per_group = span * width * 2
    code, count = grouping.code, grouping.size
    renumbered: IntArray | None = None
    if (count + 1) * per_group > _DENSE_CELLS_LIMIT:
        # Number the groups with valid rows 0, 1, ...; rows not valid get the extra group.
        if count <= max(4 * valid.size, 1 << 16):
            key = np.where(valid, code, count)
            renumbered = np.flatnonzero(np.bincount(key, minlength=count + 1)[:count])
            number = np.full(count + 1, renumbered.size, np.int64)
            number[renumbered] = np.arange(renumbered.size)
            code = number[key]
        else:
            renumbered, inverse = np.unique(code[valid], return_inverse=True)
            code = np.full(valid.size, renumbered.size, np.int64)
            code[valid] = inverse.reshape(-1)
        count = int(renumbered.size)
    good = valid if chosen.good is valid else chosen.good & valid
    if (count + 1) * per_group <= _DENSE_CELLS_LIMIT:
        pairs, cells = _dense_group_cells(batch, code, count, valid, good, bucket, low, width)
    else:
        pairs, cells = _sorted_group_cells(batch, code, valid, good, bucket, low, width)
    group, minute_off, valid_n, good_n = pairs
    starts = _run_starts(group)
    present = group[starts]
    bounds_of = np.append(starts, group.size)
    cell_group, cell_minute, cell_bucket, cell_n = cells
    cell_at = np.searchsorted(cell_group, present)
    cell_end = np.searchsorted(cell_group, present, side="right")
    clamped: list[tuple[int, IntArray, IntArray, IntArray]] = []
    for clamp_code, mask in ((UNDERFLOW_CODE, under), (OVERFLOW_CODE, over)):
        if threshold and mask is not None:
            hit = np.flatnonzero(mask & valid)
            if hit.size:
                where, hits = np.unique(
                    code[hit].astype(np.int64) * span + batch.offset()[hit], return_counts=True
                )
                clamped.append((clamp_code, where // span, where % span, hits.astype(np.int64)))
    labels = grouping.labels(present if renumbered is None else renumbered[present])
    lo = batch.lo
    out: list[SliRows] = []
    for i, g in enumerate(present.tolist()):
        named = dict(zip(bound.group_by, labels[i], strict=True))
        a, b = int(bounds_of[i]), int(bounds_of[i + 1])
        rows = SliRows(
            group_sli_key(bound.sli_key, named),
            minute_off[a:b] + lo,
            valid_n[a:b],
            good_n[a:b],
            parent=bound.sli_key,
            labels=named,
        )
        if threshold:
            c, d = int(cell_at[i]), int(cell_end[i])
            parts_m = [cell_minute[c:d] + lo]
            parts_b = [cell_bucket[c:d] + low]
            parts_c = [cell_n[c:d]]
            for clamp_code, where_group, where_minute, hits in clamped:
                e, f = np.searchsorted(where_group, [g, g + 1])
                if f > e:
                    parts_m.append(where_minute[e:f] + lo)
                    parts_b.append(np.full(int(f - e), clamp_code, np.int64))
                    parts_c.append(hits[e:f])
            rows.hist_minute = np.concatenate(parts_m)
            rows.hist_bucket = np.concatenate(parts_b)
            rows.hist_count = np.concatenate(parts_c)
        out.append(rows)
    order = sorted(range(len(out)), key=lambda i: labels[i])
    return [out[i] for i in order]


#: Long-form counts of groups, ordered by group: (group, minute offset, valid, good) and
#: (group, minute offset, bucket column, count).
_GroupLong = tuple[IntArray, IntArray, IntArray, IntArray]


def _dense_group_cells(
    batch: Batch,
    code: GroupArray,
    count: int,
    valid: BoolArray,
    good: BoolArray,
    bucket: CodeArray | None,
    low: int,
    width: int,
) -> tuple[_GroupLong, _GroupLong]:
    """Group counts from one chunked ``bincount`` over cells ordered (minute, group, good,
    bucket); rows not valid go to group ``count``, whose cells are dropped."""
    span = batch.span
    step = np.int32(2 * width)
    extra = np.int32(count)
    narrow = code.astype(np.int32) if code.dtype != np.int32 else code
    all_valid = bool(valid.all())
    good_step = np.int32(width)

    def group_good_bucket(rows: slice) -> CodeArray:
        g = narrow[rows] * step if all_valid else np.where(valid[rows], narrow[rows], extra) * step
        g += good[rows] * good_step
        if bucket is not None:
            g += bucket[rows]
        return g

    k = (count + 1) * width * 2
    counted = batch.count_cells(k, group_good_bucket, low, span * k)
    # Group-major copies (group, minute[, bucket]): their nonzero entries come out ordered by
    # group, then minute and bucket, as the rows are cut out.
    dense = counted.reshape(span, count + 1, 2, width)[:, :count].transpose(1, 0, 2, 3)
    per_bucket = np.add(dense[:, :, 0, :], dense[:, :, 1, :], out=np.empty((count, span, width), np.int64))
    valid_per = per_bucket.sum(axis=2)
    good_per = dense[:, :, 1, :].sum(axis=2)
    at = np.flatnonzero(valid_per)
    group, minute_off = np.divmod(at, span)
    pairs = (group, minute_off, valid_per.ravel()[at], good_per.ravel()[at])
    if bucket is None:
        empty = np.zeros(0, np.int64)
        return pairs, (empty, empty, empty, empty)
    at = np.flatnonzero(per_bucket)
    pair, column = np.divmod(at, width)
    group, minute_off = np.divmod(pair, span)
    return pairs, (group, minute_off, column, per_bucket.ravel()[at])


def _sorted_group_cells(
    batch: Batch,
    code: GroupArray,
    valid: BoolArray,
    good: BoolArray,
    bucket: CodeArray | None,
    low: int,
    width: int,
) -> tuple[_GroupLong, _GroupLong]:
    """Group counts of the valid rows by sorting their cells (too many for a dense count)."""
    span = batch.span
    cell = code[valid].astype(np.int64) * span + batch.offset()[valid]
    if bucket is not None:
        cell *= width
        cell += bucket[valid]
        cell -= low
    cell *= 2
    cell += good[valid]
    where, both = np.unique(cell, return_counts=True)
    bucket_cell, is_good = np.divmod(where, 2)
    pair_of = bucket_cell // width
    starts = _run_starts(pair_of)
    group, minute_off = np.divmod(pair_of[starts], span)
    pairs = (
        group,
        minute_off,
        np.add.reduceat(both, starts).astype(np.int64),
        np.add.reduceat(both * is_good, starts).astype(np.int64),
    )
    if bucket is None:
        empty = np.zeros(0, np.int64)
        return pairs, (empty, empty, empty, empty)
    starts = _run_starts(bucket_cell)
    pair, column = np.divmod(bucket_cell[starts], width)
    group, minute_off = np.divmod(pair, span)
    cells = (group, minute_off, column, np.add.reduceat(both, starts).astype(np.int64))
    return pairs, cells


def _run_starts(ordered: IntArray) -> IntArray:
    """Where each run of equal values starts in a sorted array."""
    if ordered.size == 0:
        return np.zeros(0, np.int64)
    change = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    return np.concatenate(([0], change)).astype(np.int64)


def merge_rows(key: str, parts: Sequence[SliRows]) -> SliRows:
    """Several indicators' or groups' rows added into one (per minute, and per histogram cell).

    For a store that folds groups beyond its cap into one series: the sum is what that
    series would hold had its events been one group.
    """
    empty = np.zeros(0, np.int64)
    if not parts:
        return SliRows(key, empty, empty.copy(), empty.copy())
    minute = np.concatenate([p.minute for p in parts])
    minutes, inverse = np.unique(minute, return_inverse=True)
    valid = np.zeros(minutes.size, np.int64)
    good = np.zeros(minutes.size, np.int64)
    np.add.at(valid, inverse, np.concatenate([p.valid for p in parts]))
    np.add.at(good, inverse, np.concatenate([p.good for p in parts]))
    rows = SliRows(key, minutes.astype(np.int64), valid, good)
    hist_minute = np.concatenate([p.hist_minute for p in parts])
    if hist_minute.size:
        hist_bucket = np.concatenate([p.hist_bucket for p in parts])
        cells = np.stack([hist_minute, hist_bucket], axis=1)
        keys, where = np.unique(cells, axis=0, return_inverse=True)
        count = np.zeros(keys.shape[0], np.int64)
        np.add.at(count, where.reshape(-1), np.concatenate([p.hist_count for p in parts]))
        rows.hist_minute = keys[:, 0].astype(np.int64)
        rows.hist_bucket = keys[:, 1].astype(np.int64)
        rows.hist_count = count
    return rows
