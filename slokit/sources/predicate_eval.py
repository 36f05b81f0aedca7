"""Evaluating a predicate over a whole batch of events at once.

Ingest evaluates every SLI's predicates on each batch, so this is columnar: one pyarrow compute
kernel per condition, combined with SQL's three-valued (Kleene) logic, and only at the very end
collapsed to a boolean mask in which *unknown* counts as *not matching*:

* a field that is null, or missing from the batch altogether, makes its condition unknown
  (``IS NULL`` is the one condition that is true there);
* ``NOT unknown`` is unknown, ``false AND unknown`` is false, ``true OR unknown`` is true;
* a condition whose field has the wrong type for its value (``status = 'ok'`` on a numeric
  column, ``route LIKE 'a%'`` on numbers) is unknown for every event and reported once per batch
  as a :class:`TypeMismatch`, never raised: one bad field must not stop a batch.

Integer and floating columns compare with integer and float values numerically (through
float64 when they mix, so integers beyond 2**53 may round). Strings compare by code point, LIKE
is case-sensitive with ``%``, ``_`` and backslash escapes, and NaN behaves as in IEEE arithmetic
(it equals nothing, is not null, and ``!=`` anything).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from slokit.spec.predicate import (
    And,
    Between,
    Compare,
    Expr,
    In,
    IsNull,
    Like,
    Not,
    Or,
    Predicate,
)
from slokit.spec.predicate import Literal as Value

BoolArray = npt.NDArray[np.bool_]
ArrowArray = Any  # pa.Array | pa.ChunkedArray; pyarrow ships no type information
Kind = Literal["number", "string", "bool", "other"]

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": pc.equal,
    "!=": pc.not_equal,
    "<": pc.less,
    "<=": pc.less_equal,
    ">": pc.greater,
    ">=": pc.greater_equal,
}
_KIND_WORDS = {"number": "a number", "string": "text", "bool": "true/false"}


@dataclass(frozen=True, slots=True)
class TypeMismatch:
    """A condition that could not be applied to a field of this batch because of its type."""

    field: str
    column_type: str
    expected: str
    #: Events with a (non-null) value in that field, none of which could match the condition.
    rows: int

    def describe(self) -> str:
        return (
            f"field '{self.field}' holds {self.column_type} values but the predicate compares it "
            f"with {self.expected}; {self.rows} event(s) did not match"
        )


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The outcome of one predicate on one batch."""

    #: Events for which the predicate is true: the ones that count.
    mask: BoolArray
    mismatches: tuple[TypeMismatch, ...] = ()
    #: Per field the predicate reads: events where it is null or absent.
    missing: Mapping[str, int] = field(default_factory=dict)
    #: Events for which the predicate is unknown (neither true nor false) because of a missing
    #: or null field or a type mismatch; None means none. ``NOT predicate`` is true exactly on
    #: the events that are neither in ``mask`` nor here.
    unknown: BoolArray | None = None

    @property
    def count(self) -> int:
        return int(np.count_nonzero(self.mask))


class EventBatch:
    """A batch of events as columns, converted to Arrow once however many predicates read it.

    Accepts a ``pyarrow.Table``/``RecordBatch`` or a mapping of field name to a numpy array, an
    Arrow array or a Python list. Nested fields are found by a column of that exact name
    (``http.status``) or else by walking struct columns (``http`` → ``status``).
    """

    def __init__(
        self, data: pa.Table | pa.RecordBatch | Mapping[str, Any], num_rows: int | None = None
    ) -> None:
        self._raw: Mapping[str, Any]
        if isinstance(data, pa.Table | pa.RecordBatch):
            self._raw = {name: data.column(i) for i, name in enumerate(data.schema.names)}
            rows = data.num_rows
        else:
            self._raw = data
            lengths = {len(values) for values in data.values()}
            if len(lengths) > 1:
                raise ValueError(f"columns of one batch have different lengths: {sorted(lengths)}")
            if lengths:
                rows = lengths.pop()
            elif num_rows is None:
                raise ValueError("a batch without columns needs num_rows")
            else:
                rows = num_rows
        if num_rows is not None and num_rows != rows:
            raise ValueError(f"num_rows={num_rows} but the columns hold {rows} rows")
        self.num_rows: int = rows
        self._columns: dict[str, tuple[ArrowArray | None, Kind, str]] = {}
        self._numbers: dict[str, tuple[npt.NDArray[Any], BoolArray | None] | None] = {}
        self._arrow: dict[str, ArrowArray | None] = {}
        self._encoded: dict[str, pa.DictionaryArray | None] = {}
        self._string_codes: dict[str, tuple[pa.Array, npt.NDArray[Any], BoolArray | None] | None] = {}
        #: Plain text columns worth dictionary-encoding (several conditions or a grouping read them).
        self._encode: set[str] = set()

    def numbers(self, name: str) -> tuple[npt.NDArray[Any], BoolArray | None] | None:
        """A numeric column as a numpy array plus its null mask (None: no nulls), for the
        numeric fast path; None when the column is absent or not one of :data:`_NUMPY_TYPES`.

        Null slots hold 0 (callers mask them). Zero-copy for a null-free single-chunk column.
        """
        if name not in self._numbers:
            column = self.column(name)[0]
            found: tuple[npt.NDArray[Any], BoolArray | None] | None = None
            if column is not None and column.type in _NUMPY_TYPES:
                nulls = None
                if column.null_count:
                    nulls = np.asarray(pc.is_null(column).to_numpy(zero_copy_only=False), np.bool_)
                    column = pc.fill_null(column, 0)
                if isinstance(column, pa.ChunkedArray) and column.num_chunks == 1:
                    column = column.chunk(0)
                found = (np.asarray(column.to_numpy()), nulls)
            self._numbers[name] = found
        return self._numbers[name]

    def arrow_column(self, name: str) -> ArrowArray | None:
        """The column ``name`` as stored (a dictionary column stays encoded); None when absent.

        Found as :meth:`column` finds it (an exact name, else a walk through struct columns);
        for grouping and text conditions, which read a column's distinct values and would
        only lose by decoding it.
        """
        if name not in self._arrow:
            values = self._lookup(name)
            if values is not None and not isinstance(values, pa.Array | pa.ChunkedArray):
                try:
                    values = pa.array(values)
                except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
                    values = None
            self._arrow[name] = values
        return self._arrow[name]

    def kind(self, name: str) -> Kind:
        """The kind of column ``name`` (of its values, for a dictionary column), without
        decoding a dictionary column as :meth:`column` does."""
        if name not in self._columns:
            raw = self.arrow_column(name)
            if raw is not None:
                value_type = raw.type.value_type if pa.types.is_dictionary(raw.type) else raw.type
                return "other" if pa.types.is_null(value_type) else _kind_of(value_type)
        return self.column(name)[1]

    def null_count(self, name: str) -> int:
        """Events where ``name`` is null or absent (a dictionary column is not decoded)."""
        if name not in self._columns:
            raw = self.arrow_column(name)
            if raw is not None and pa.types.is_dictionary(raw.type):
                encoded = self.encoded(name)
                if encoded is not None and encoded.dictionary.null_count == 0:
                    return int(encoded.null_count)
        column = self.column(name)[0]
        return self.num_rows if column is None else int(column.null_count)

    def encode(self, names: Iterable[str]) -> None:
        """Mark text columns to be dictionary-encoded for their conditions.

        Encoding a text column costs about two equality tests on it; after that every
        condition on it is evaluated once per distinct value and looked up per event, so it
        pays when several conditions (or a grouping, which encodes anyway) read the column.
        A column stored as a dictionary is always read that way, without being marked.
        """
        self._encode.update(names)

    def encoded(self, name: str) -> pa.DictionaryArray | None:
        """The column dictionary-encoded (a dictionary column as it is), one chunk; None when
        absent or of a type Arrow cannot encode (lists, records)."""
        if name not in self._encoded:
            raw = self.arrow_column(name)
            found: Any = None
            if raw is not None:
                if isinstance(raw, pa.ChunkedArray) and pa.types.is_dictionary(raw.type):
                    found = raw.chunk(0) if raw.num_chunks == 1 else raw.combine_chunks()
                elif pa.types.is_dictionary(raw.type):
                    found = raw
                else:
                    try:
                        found = pc.dictionary_encode(raw)
                    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
                        found = None
                    if isinstance(found, pa.ChunkedArray):
                        found = found.chunk(0) if found.num_chunks == 1 else found.combine_chunks()
            self._encoded[name] = found
        return self._encoded[name]

    def string_codes(self, name: str) -> tuple[pa.Array, npt.NDArray[Any], BoolArray | None] | None:
        """A text column as (its distinct values, each event's index into them, which events
        are null or None): for a dictionary column, or a text column marked by :meth:`encode`.
        None otherwise (then conditions read the text itself)."""
        if name not in self._string_codes:
            found = None
            raw = self.arrow_column(name)
            wanted = raw is not None and (pa.types.is_dictionary(raw.type) or name in self._encode)
            encoded = self.encoded(name) if wanted and self.kind(name) == "string" else None
            if encoded is not None and encoded.dictionary.null_count == 0:
                indices = encoded.indices
                nulls = None
                if indices.null_count:
                    nulls = np.asarray(pc.is_null(indices).to_numpy(zero_copy_only=False), np.bool_)
                    indices = pc.fill_null(indices, pa.scalar(0, indices.type))
                codes = np.asarray(indices.to_numpy(zero_copy_only=False))
                found = (encoded.dictionary, codes, nulls)
            self._string_codes[name] = found
        return self._string_codes[name]

    def column(self, name: str) -> tuple[ArrowArray | None, Kind, str]:
        """The column ``name`` (None when absent or all-null), its kind and its type's name."""
        if name not in self._columns:
            self._columns[name] = self._resolve(name)
        return self._columns[name]

    def _resolve(self, name: str) -> tuple[ArrowArray | None, Kind, str]:
        values = self._lookup(name)
        if values is None:
            return None, "other", "no"
        if not isinstance(values, pa.Array | pa.ChunkedArray):
            try:
                values = pa.array(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
                # Mixed Python values Arrow cannot type: only which ones are null is usable.
                nulls = pa.array([None if v is None else True for v in values], pa.bool_())
                return nulls, "other", "mixed-type"
        kind_type = values.type
        if pa.types.is_dictionary(kind_type):
            values = pc.cast(values, kind_type.value_type)
            kind_type = kind_type.value_type
        if pa.types.is_null(kind_type):
            return None, "other", "no"
        return values, _kind_of(kind_type), str(kind_type)

    def _lookup(self, name: str) -> Any:
        if name in self._raw:
            return self._raw[name]
        parts = name.split(".")
        for split in range(len(parts) - 1, 0, -1):
            head = ".".join(parts[:split])
            if head in self._raw:
                current = self._raw[head]
                if not isinstance(current, pa.Array | pa.ChunkedArray):
                    try:
                        current = pa.array(current)
                    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
                        return None
                for part in parts[split:]:
                    if not pa.types.is_struct(current.type) or current.type.get_field_index(part) < 0:
                        return None
                    current = pc.struct_field(current, [part])
                return current
        return None


#: Column types the numeric fast path reads as numpy arrays. Not uint64: its values beyond
#: int64 have no common type with the int64 literals numpy could compare exactly.
_NUMPY_TYPES = frozenset(
    (
        pa.int8(),
        pa.int16(),
        pa.int32(),
        pa.int64(),
        pa.uint8(),
        pa.uint16(),
        pa.uint32(),
        pa.float32(),
        pa.float64(),
    )
)


def _kind_of(arrow_type: pa.DataType) -> Kind:
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "number"
    if (
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_string_view(arrow_type)
    ):
        return "string"
    if pa.types.is_boolean(arrow_type):
        return "bool"
    return "other"


def evaluate(
    predicate: Predicate | Expr | None,
    batch: EventBatch | pa.Table | pa.RecordBatch | Mapping[str, Any],
) -> Evaluation:
    """Which events of ``batch`` match ``predicate`` (None matches every event)."""
    events = batch if isinstance(batch, EventBatch) else EventBatch(batch)
    n = events.num_rows
    if predicate is None:
        return Evaluation(np.ones(n, dtype=np.bool_))
    expr = predicate.expr if isinstance(predicate, Predicate) else predicate
    run = _Run(events)
    if run.fast(expr):
        mask, unknown = run.tri(expr)
    else:
        result = run.expr(expr)
        mask = _to_mask(result, n)
        unknown = _to_mask(pc.is_null(result), n) if result.null_count else None
    missing = {}
    for name in sorted(run.fields):
        missing[name] = events.null_count(name)
    return Evaluation(mask, tuple(run.mismatches.values()), missing, unknown)


def text_condition_fields(predicate: Predicate | Expr | None) -> list[str]:
    """The field of every text condition in ``predicate`` (comparisons, IN and BETWEEN with
    text values, LIKE), once per condition: what :meth:`EventBatch.encode` weighs."""
    if predicate is None:
        return []
    node = predicate.expr if isinstance(predicate, Predicate) else predicate
    if isinstance(node, And | Or):
        return [name for operand in node.operands for name in text_condition_fields(operand)]
    if isinstance(node, Not):
        return text_condition_fields(node.operand)
    if isinstance(node, Like):
        return [node.field.name]
    compared = _compared(node)
    if compared is None or not all(v.kind == "string" for v in compared[1]):
        return []
    return [compared[0]]


def _compared(node: Expr) -> tuple[str, tuple[Value, ...]] | None:
    """The field a comparison, BETWEEN or IN reads and the values it compares it with; None
    for other nodes."""
    if isinstance(node, Compare):
        return node.field.name, (node.value,)
    if isinstance(node, Between):
        return node.field.name, (node.low, node.high)
    if isinstance(node, In):
        return node.field.name, node.values
    return None


def predicate_mask(
    predicate: Predicate | Expr | None,
    batch: EventBatch | pa.Table | pa.RecordBatch | Mapping[str, Any],
) -> BoolArray:
    """Just the boolean mask of :func:`evaluate`."""
    return evaluate(predicate, batch).mask


def _to_mask(result: ArrowArray, n: int) -> BoolArray:
    filled = pc.fill_null(result, False)
    if isinstance(filled, pa.ChunkedArray):
        if filled.num_chunks == 0:
            return np.zeros(n, dtype=np.bool_)
        filled = filled.combine_chunks()
    mask: BoolArray = filled.to_numpy(zero_copy_only=False)
    return mask


class _Run:
    """One evaluation: walks the tree, remembering mismatches and the fields read."""

    def __init__(self, events: EventBatch) -> None:
        self.events = events
        self.n = events.num_rows
        self.mismatches: dict[tuple[str, str, str], TypeMismatch] = {}
        self.fields: set[str] = set()

    def unknown(self) -> ArrowArray:
        return pa.nulls(self.n, pa.bool_())

    # --- the numeric fast path: numpy (true, unknown) pairs, no Arrow round trip ---

    def fast(self, node: Expr) -> bool:
        """Whether ``node`` has a condition the numpy path evaluates itself (then the tree is
        combined in numpy, and any other subtree is evaluated by Arrow and converted once)."""
        if isinstance(node, And | Or):
            return any(self.fast(operand) for operand in node.operands)
        if isinstance(node, Not):
            return self.fast(node.operand)
        return self._fast_condition(node) is not None or self._on_dictionary(node)

    def _on_dictionary(self, node: Expr) -> bool:
        """Whether ``node`` is a text condition evaluated once per distinct value
        (:meth:`EventBatch.string_codes`): a fitting comparison, IN, BETWEEN, LIKE or IS NULL."""
        compared = (node.field.name, ()) if isinstance(node, Like | IsNull) else _compared(node)
        if compared is None or not all(value.kind == "string" for value in compared[1]):
            return False
        return self.events.string_codes(compared[0]) is not None

    def _dictionary_condition(
        self, node: Compare | In | IsNull | Like | Between
    ) -> tuple[BoolArray, BoolArray | None]:
        """A text condition evaluated on the column's distinct values, then looked up per event."""
        name = node.field.name
        self.fields.add(name)
        found = self.events.string_codes(name)
        assert found is not None
        dictionary, codes, nulls = found
        if isinstance(node, IsNull):
            null = np.zeros(self.n, np.bool_) if nulls is None else nulls.copy()
            return (~null if node.negated else null), None
        per_value = _to_mask(self.apply(node, dictionary, "string", str(dictionary.type)), len(dictionary))
        if per_value.size == 0:  # every event null: their index 0 must still be a valid one
            per_value = np.zeros(1, np.bool_)
        true = np.take(per_value, codes)
        if nulls is not None:
            true &= ~nulls
        return true, nulls

    def _fast_condition(self, node: Expr) -> tuple[npt.NDArray[Any], BoolArray | None] | None:
        """The numpy column of a numeric comparison (=, <, BETWEEN, IN ...) that needs no type
        mismatch report."""
        compared = _compared(node)
        if compared is None or not all(value.kind == "number" for value in compared[1]):
            return None
        if self.events.kind(compared[0]) != "number":
            return None
        return self.events.numbers(compared[0])

    def tri(self, node: Expr) -> tuple[BoolArray, BoolArray | None]:
        """``node`` as numpy (true, unknown) masks, unknown None when no event is unknown.

        SQL's three-valued logic on the pair: false is neither true nor unknown.
        """
        if isinstance(node, And | Or):
            true, unknown = self.tri(node.operands[0])
            for operand in node.operands[1:]:
                true_b, unknown_b = self.tri(operand)
                true, unknown = _kleene(isinstance(node, And), true, unknown, true_b, unknown_b)
            return true, unknown
        if isinstance(node, Not):
            true, unknown = self.tri(node.operand)
            return (~true if unknown is None else ~(true | unknown)), unknown
        if self._on_dictionary(node):
            assert isinstance(node, Compare | In | IsNull | Like | Between)
            return self._dictionary_condition(node)
        found = self._fast_condition(node)
        if found is None:  # an Arrow condition, converted once
            result = self.expr(node)
            unknown = _to_mask(pc.is_null(result), self.n) if result.null_count else None
            return _to_mask(result, self.n), unknown
        assert isinstance(node, Compare | Between | In)
        self.fields.add(node.field.name)
        values, nulls = found
        with np.errstate(invalid="ignore"):
            if isinstance(node, Compare):
                true = _NUMPY_COMPARE[node.op](values, _number(values, node.value))
            elif isinstance(node, In):
                wanted = [v.value for v in node.values]
                if values.dtype.kind in "iu" and all(isinstance(v, int) for v in wanted):
                    true = np.isin(values, np.array(wanted, np.int64))  # exact: int64 holds both
                else:  # through float64, as the comparisons
                    true = np.isin(values.astype(np.float64, copy=False), np.array(wanted, np.float64))
                if node.negated:
                    true = ~true
            else:
                true = values >= _number(values, node.low)
                true &= values <= _number(values, node.high)
                if node.negated:
                    true = ~true
        if nulls is not None:
            true &= ~nulls
        return true, nulls

    def constant(self, value: bool) -> ArrowArray:
        return pa.array(np.full(self.n, value, dtype=np.bool_))

    def expr(self, node: Expr) -> ArrowArray:
        if isinstance(node, And):
            result = self.expr(node.operands[0])
            for operand in node.operands[1:]:
                result = pc.and_kleene(result, self.expr(operand))
            return result
        if isinstance(node, Or):
            result = self.expr(node.operands[0])
            for operand in node.operands[1:]:
                result = pc.or_kleene(result, self.expr(operand))
            return result
        if isinstance(node, Not):
            return pc.invert(self.expr(node.operand))
        return self.condition(node)

    def condition(self, node: Compare | In | IsNull | Like | Between) -> ArrowArray:
        name = node.field.name
        self.fields.add(name)
        column, kind, type_name = self.events.column(name)
        return self.apply(node, column, kind, type_name)

    def apply(
        self,
        node: Compare | In | IsNull | Like | Between,
        column: ArrowArray | None,
        kind: Kind,
        type_name: str,
    ) -> ArrowArray:
        """``node`` on ``column`` (the event column, or a dictionary's distinct values)."""
        name = node.field.name
        if isinstance(node, IsNull):
            if column is None:
                return self.constant(not node.negated)
            return pc.is_valid(column) if node.negated else pc.is_null(column)
        if column is None:
            return self.unknown()
        if isinstance(node, Like):
            if kind != "string":
                return self.mismatch_result(name, column, type_name, "text (LIKE)")
            if "\\\\" in node.pattern:  # an escaped backslash: see like_regex
                result = pc.match_substring_regex(column, like_regex(node.pattern))
            else:
                result = pc.match_like(column, arrow_like_pattern(node.pattern))
            return pc.invert(result) if node.negated else result
        if isinstance(node, Compare):
            if not _fits(kind, node.value):
                return self.mismatch_result(name, column, type_name, _KIND_WORDS[node.value.kind])
            return _COMPARE[node.op](column, _scalar(node.value))
        if isinstance(node, Between):
            if not _fits(kind, node.low):
                return self.mismatch_result(name, column, type_name, _KIND_WORDS[node.low.kind])
            inside = pc.and_kleene(
                pc.greater_equal(column, _scalar(node.low)), pc.less_equal(column, _scalar(node.high))
            )
            return pc.invert(inside) if node.negated else inside
        # IN / NOT IN
        first = node.values[0]
        if not _fits(kind, first):
            return self.mismatch_result(name, column, type_name, _KIND_WORDS[first.kind])
        values = [v.value for v in node.values]
        haystack = column
        if kind == "number" and any(isinstance(v, float) for v in values):
            haystack = pc.cast(column, pa.float64())
            value_set = pa.array([float(v) for v in values], pa.float64())
        elif kind == "number":
            value_set = pa.array(values, pa.int64())
            if not pa.types.is_integer(column.type):
                value_set = pc.cast(value_set, pa.float64())
        elif kind == "string":
            value_set = pa.array(values, pa.string())
        else:
            value_set = pa.array(values, pa.bool_())
        found = pc.is_in(haystack, value_set=value_set)
        if column.null_count:
            # is_in answers false for a null input; SQL says unknown.
            found = pc.if_else(pc.is_valid(column), found, pa.scalar(None, pa.bool_()))
        return pc.invert(found) if node.negated else found

    def mismatch_result(self, name: str, column: ArrowArray, type_name: str, expected: str) -> ArrowArray:
        self.mismatch(name, type_name, expected, len(column) - column.null_count)
        return self.unknown()

    def mismatch(self, name: str, type_name: str, expected: str, rows: int) -> None:
        key = (name, type_name, expected)
        if key not in self.mismatches:
            self.mismatches[key] = TypeMismatch(name, type_name, expected, rows)


def _kleene(
    conjunction: bool,
    true_a: BoolArray,
    unknown_a: BoolArray | None,
    true_b: BoolArray,
    unknown_b: BoolArray | None,
) -> tuple[BoolArray, BoolArray | None]:
    """AND (``conjunction``) or OR of two (true, unknown) pairs in SQL's three-valued logic."""
    true = true_a & true_b if conjunction else true_a | true_b
    if unknown_a is None and unknown_b is None:
        return true, None
    # false = neither true nor unknown; AND is false when either side is, OR when both are.
    false_a = ~true_a if unknown_a is None else ~(true_a | unknown_a)
    false_b = ~true_b if unknown_b is None else ~(true_b | unknown_b)
    false = false_a | false_b if conjunction else false_a & false_b
    return true, ~(true | false)


def _number(values: npt.NDArray[Any], value: Value) -> Any:
    """The literal in the type numpy compares exactly with ``values``: integers with integer
    columns as Python ints (numpy 2 compares those exactly, even out of the column's range),
    otherwise float64 (so float32 columns widen, as Arrow's float64 comparison would)."""
    v = value.value
    if isinstance(v, int) and values.dtype.kind in "iu":
        return v
    return np.float64(v)


_NUMPY_COMPARE: dict[str, Callable[[Any, Any], BoolArray]] = {
    "=": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


def _fits(kind: Kind, value: Value) -> bool:
    return kind == value.kind


def _scalar(value: Value) -> pa.Scalar:
    v = value.value
    if isinstance(v, bool):
        return pa.scalar(v, pa.bool_())
    if isinstance(v, str):
        return pa.scalar(v, pa.string())
    if isinstance(v, float):
        return pa.scalar(v, pa.float64())
    return pa.scalar(v, pa.int64())


def like_regex(pattern: str) -> str:
    """The LIKE pattern as an anchored RE2 expression (``%`` any run, ``_`` one character).

    For patterns with an escaped backslash: pyarrow's ``match_like`` (26.0) misses such a
    pattern at the end of a ``%`` pattern (``%\\\\`` matches no text ending in a backslash),
    so those are matched through a regular expression of our own.
    """
    out = ["(?s)^"]
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        i += 1
    out.append("$")
    return "".join(out)


def arrow_like_pattern(pattern: str) -> str:
    """The LIKE pattern in the form pyarrow reads correctly.

    In LIKE a backslash makes the next character literal. pyarrow turns the pattern into an RE2
    regular expression and passes ``\\a``-style escapes of ordinary characters straight through,
    where RE2 reads them as control characters (``\\a`` is the bell). Only ``%``, ``_`` and the
    backslash itself need escaping, so any other escaped character is written plainly.
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            following = pattern[i + 1]
            out.append(char + following if following in "%_\\" else following)
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)
