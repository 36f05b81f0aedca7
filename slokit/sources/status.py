"""The state of every SLO at an instant, and as a series: the store's window sums through the engine.

This module only composes: the store (:mod:`slokit.sources.store`) answers "how many valid and
good events, which histogram, in these minute rows", the engine answers everything else (window
bounds, SLI, budget, burn, status, forecast). Nothing here counts events; the one formula applied
here is the Timeslices allowance (1 − target) · window length, per instant, because calendar
windows differ in length from one instant to the next.

What an :class:`SLOState` holds, for one SLO at instant ``t`` (floored to a whole minute, so
per-minute rows give exactly the raw-event answer):

* the SLO window: rolling ``(t − W, t]``, or the calendar window containing ``t`` in its time
  zone, of which only ``(start, t]`` has happened. **Calendar budgets are "events so far"**: the
  budget is that of the events seen since the window started, not a projection; the state
  carries the elapsed fraction and ``budget_basis`` says so in words;
* per objective: valid/good events (or good/bad slices), SLI, error budget (consumed and
  remaining as a fraction, in events for Occurrences, in time for every method), burn rates
  over the policy's windows (default 5m, 30m, 1h, 2h, 6h, 1d, 3d, plus every alert condition's
  ``lookbackWindow`` and its derived short window, a twelfth of it), and p50 … p99.9 of the
  window for threshold indicators, from merged histograms (within 1 %);
* for the SLO: with one objective, that objective; with several (non-composite), the objective
  with the least budget remaining (the one that breaks first); for a composite SLO, the
  weighted means of the objectives' consumed fractions, SLIs and burn rates
  (:func:`slokit.engine.sli.composite`), skipping objectives without data;
* status (``ok`` / ``burning`` / ``exhausted`` / ``no data``, from the 1 h burn) and the
  forecast (when the budget runs out at the 1 d burn), both from :mod:`slokit.engine.budget`;
* coverage: since when the store's rows for the objective are complete.

Corrections (``slokit/v1`` Correction, one-off or by RRULE in their own time zone) remove the
minute rows whose end lies in ``(start, start + duration]`` from every window, good and valid
alike.

Reads are batched: :func:`evaluate_all` asks the store for every objective's every window in one
:meth:`~slokit.sources.store.Store.window_counts` call (rollups from 1 minute to 28 days; windows minus
corrected rows become a few row runs each), one
:meth:`~slokit.sources.store.Store.window_histograms` call for the percentiles and one
:meth:`~slokit.sources.store.Store.minute_matrix` call for the Timeslices objectives, which need
minute rows to judge slices. :func:`history` reads one minute matrix and computes every instant
from prefix sums (:mod:`slokit.engine.series`), never by calling the point function in a loop.

A grouped SLO (``groupBy`` on its indicator) is evaluated once overall, from the parent key as
if it were ungrouped, and once per group the store holds (:meth:`~slokit.sources.store.Store.groups`):
each group is one more unit of the same batched reads, with the SLO's windows and corrections,
so a group's state is computed exactly as an SLO's; the overall state carries them in
``groups``. An objective that has no rows of a group is no data in that group.

Reports never change the store. An objective the store does not know yet, or counted under a
different definition (its fingerprint differs from the spec's), is reported as no data with a
note; only ``slokit ingest --spec`` (re)registers objectives. The fingerprints are read from the
store's ``slis`` table over its DuckDB connection, read-only (the store has no public read for
them).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

import numpy as np
from dateutil.rrule import rrulestr
from numpy.typing import NDArray

from slokit.engine import budget as eb
from slokit.engine.allowance import allowed_bad_fraction
from slokit.engine.burn import burn_rate
from slokit.engine.histogram import DEFAULT_LAYOUT, LogHistogram, quantiles_of_rows
from slokit.engine.series import MinuteCounts, rows_between
from slokit.engine.sli import SliceCounts, SliceSeries, composite, occurrences
from slokit.engine.windows import Window, to_utc, wall_to_instant, window_at, window_bounds_many
from slokit.sources.bound import BoundSLI, bind_objective
from slokit.sources.coverage import COMPLETE, LIVE, RAW_ARCHIVE
from slokit.spec.model import SLO, Correction, Objective, Spec

if TYPE_CHECKING:  # the Prometheus path must not pay for importing DuckDB and Arrow
    from slokit.sources.store import Store

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

#: Burn-rate windows every SLO shows (seconds): the long and short windows of the default tiers.
DEFAULT_BURN_WINDOWS: tuple[int, ...] = (300, 1800, 3600, 7200, 21600, 86400, 259200)
#: Burn window that decides "burning", and the one the forecast extrapolates.
STATUS_WINDOW = 3600
FORECAST_WINDOW = 86400
#: Percentiles reported for threshold indicators.
PERCENTILES: tuple[tuple[str, float], ...] = (
    ("p50", 0.5),
    ("p90", 0.9),
    ("p95", 0.95),
    ("p99", 0.99),
    ("p99.9", 0.999),
)
#: Words for :meth:`LogHistogram.quantile_flags`: -1 (rank on an underflowed value), +1 (overflowed).
CLAMPED = {-1: "at most", 1: "at least"}
BUDGET_ROLLING = "rolling window: the events of the whole window ending at the evaluation instant"
BUDGET_SO_FAR = (
    "events so far: the budget of the events since the calendar window started "
    "({elapsed:.1%} of it has elapsed), not a projection to its end"
)


def window_label(seconds: int) -> str:
    """``300 -> '5m'``, ``3600 -> '1h'``, ``86400 -> '1d'``: the largest unit that divides evenly."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def burn_windows(slo: SLO) -> tuple[int, ...]:
    """The default windows plus each burn-rate condition's lookback and its short window (1/12)."""
    found = set(DEFAULT_BURN_WINDOWS)
    for policy in slo.alert_policies:
        for condition in policy.conditions:
            lookback = condition.lookback_window
            if lookback.is_calendar or lookback.seconds < 60:
                continue
            found.add(lookback.seconds // 60 * 60)
            short = lookback.seconds // 12 // 60 * 60
            if short >= 60:
                found.add(short)
    return tuple(sorted(found))


# --- corrections ---


def correction_intervals(corrections: Sequence[Correction], lo: float, hi: float) -> Ints:
    """Occurrences ``(start, end]`` (epoch seconds, shape ``(k, 2)``) of corrections overlapping ``(lo, hi]``.

    A recurring correction repeats at the same wall time in its own zone (RRULE with the
    correction's start as DTSTART), so "Sundays 02:00 Europe/Copenhagen" stays at 02:00 local
    across DST; a wall time that does not exist that day starts at the clock jump.
    """
    spans: list[tuple[int, int]] = []
    for c in corrections:
        length = int(c.duration_seconds)
        if c.rrule is None:
            starts = [c.start.astimezone(UTC)]
        else:
            zone = ZoneInfo(c.time_zone)
            dtstart = c.start.astimezone(zone).replace(tzinfo=None)
            rule = rrulestr(c.rrule, dtstart=dtstart)
            margin = timedelta(days=2)
            lo_wall = datetime.fromtimestamp(lo - length, zone).replace(tzinfo=None) - margin
            hi_wall = datetime.fromtimestamp(hi, zone).replace(tzinfo=None) + margin
            walls = rule.between(max(lo_wall, dtstart), hi_wall, inc=True)
            starts = [wall_to_instant(w, zone) for w in walls]
            if c.until is not None:
                until = c.until.astimezone(UTC)
                starts = [s for s in starts if s <= until]
        for s in starts:
            a = math.floor(s.timestamp())
            if a < hi and a + length > lo:
                spans.append((a, a + length))
    return np.asarray(spans, dtype=np.int64).reshape(-1, 2)


def masked_runs(intervals: Ints) -> list[tuple[int, int]]:
    """Minute rows ``[first, stop)`` removed by correction intervals, merged and sorted."""
    if intervals.size == 0:
        return []
    first, stop = rows_between(intervals[:, 0], intervals[:, 1])
    runs: list[tuple[int, int]] = []
    for a, b in sorted(zip(first.tolist(), stop.tolist(), strict=True)):
        if b <= a:
            continue
        if runs and a <= runs[-1][1]:
            runs[-1] = (runs[-1][0], max(runs[-1][1], b))
        else:
            runs.append((a, b))
    return runs


def kept_runs(start: int, stop: int, masked: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Rows ``[start, stop)`` minus the masked runs, as disjoint runs."""
    out: list[tuple[int, int]] = []
    cur = start
    for a, b in masked:
        if b <= cur or a >= stop:
            continue
        if a > cur:
            out.append((cur, a))
        cur = max(cur, b)
    if cur < stop:
        out.append((cur, stop))
    return out


def excluded_mask(first_row: int, n_rows: int, masked: Sequence[tuple[int, int]]) -> NDArray[np.bool_]:
    """True for rows inside the excluded (corrected) minute runs."""
    mask = np.zeros(n_rows, dtype=np.bool_)
    for a, b in masked:
        mask[max(a - first_row, 0) : max(b - first_row, 0)] = True
    return mask


# --- what can be measured ---


@dataclass(frozen=True, slots=True)
class ObjectiveTarget:
    """One objective of one SLO, and whether (and how) the store measures it."""

    slo: SLO
    index: int
    objective: Objective
    bound: BoundSLI | None
    note: str | None
    coverage: str | None
    coverage_kind: str | None
    #: For one group of a grouped indicator: its labels, and its key in the store (None when the
    #: store has no rows of this group for this objective: no data).
    group: Mapping[str, str] | None = None
    group_key: str | None = None

    @property
    def key(self) -> str | None:
        if self.bound is None or self.note is not None:
            return None
        return self.bound.sli_key if self.group is None else self.group_key

    @property
    def slice_minutes(self) -> int:
        sw = self.objective.time_slice_window
        return 1 if sw is None else max(sw.seconds // 60, 1)


class CountsSource(Protocol):
    """What the evaluation reads, for a source other than the embedded :class:`Store`.

    The same window reads as the store (rows are whole minutes, ranges ``[start, stop)``), plus
    :meth:`measured`: whether the source measures an objective, under which key, with which
    coverage text. A Prometheus-compatible API implements it in
    :mod:`slokit.sources.prom_counts`.
    """

    def window_counts(self, requests: Sequence[tuple[str, int, int]]) -> tuple[Ints, Ints]: ...

    def window_histograms(self, requests: Sequence[tuple[str, int, int]]) -> list[LogHistogram]: ...

    def minute_matrix(self, sli_keys: Sequence[str], start: int, stop: int) -> tuple[Ints, Ints]: ...

    def measured(
        self, slo: SLO, index: int, objective: Objective
    ) -> tuple[BoundSLI | None, str | None, str | None, str | None]:
        """``(bound, note, coverage, coverage_kind)``; a note means "not measured, because"."""
        ...


def objective_targets(
    spec: Spec, store: Store | CountsSource, slos: Sequence[SLO]
) -> dict[str, list[ObjectiveTarget]]:
    """Per SLO, each objective with the key it is measured under, or a note saying why it is not."""
    if hasattr(store, "measured"):  # a CountsSource (the store has no such method)
        return {
            slo.name: [
                ObjectiveTarget(slo, i, o, *store.measured(slo, i, o)) for i, o in enumerate(slo.objectives)
            ]
            for slo in slos
        }
    stored = store.fingerprints()
    coverage = store.coverage()
    out: dict[str, list[ObjectiveTarget]] = {}
    for slo in slos:
        items = []
        for i, objective in enumerate(slo.objectives):
            bound = bind_objective(slo, i, objective)
            note: str | None = None
            cov: str | None = None
            kind: str | None = None
            if bound is None:
                note = (
                    "not measured by the embedded store: its indicator does not read `type: slokit` sources"
                )
            elif bound.sli_key not in stored:
                note = "the store has no rows for this objective yet: ingest its stream with --spec"
            elif stored[bound.sli_key] != bound.fingerprint:
                note = (
                    "the store counted this objective under a different definition; "
                    "ingest with this spec to start counting the new one"
                )
            else:
                found = coverage.get(bound.sli_key)
                if found is not None:
                    cov, kind = found.describe(), found.coverage
            items.append(ObjectiveTarget(slo, i, objective, bound, note, cov, kind))
        out[slo.name] = items
    return out


# --- the arithmetic over window sums (shared by the point and the series paths) ---


@dataclass(frozen=True, slots=True)
class _Numbers:
    """An objective's quantities over some windows (arrays of the same shape)."""

    sli: Floats
    consumed: Floats
    bad: Floats
    allowed_events: Floats
    burn: Floats


def _numbers(
    method: str,
    target: float,
    valid: Ints,
    good: Ints,
    slices: SliceCounts | None,
    slice_seconds: float,
) -> _Numbers:
    """SLI, consumed fraction and burn for each window; window length does not enter these."""
    if method == "Occurrences" or slices is None:
        b = eb.occurrences_budget(valid, good, target, 0.0)
        return _Numbers(
            occurrences(good, valid),
            b.consumed,
            b.bad,
            b.allowed_events,
            burn_rate(valid - good, valid, target),
        )
    if method == "Timeslices":
        sli = slices.timeslices()
        bad = slices.bad.astype(np.float64)
        with np.errstate(invalid="ignore"):
            consumed = np.where(slices.with_data > 0, bad * slice_seconds, np.nan)
        nan = np.full(sli.shape, np.nan)
        return _Numbers(
            sli,
            consumed,
            np.where(slices.with_data > 0, bad, np.nan),
            nan,
            burn_rate(slices.bad, slices.with_data, target),
        )
    sli = slices.ratio_timeslices()
    consumed = (1.0 - sli) / allowed_bad_fraction(target)
    nan = np.full(sli.shape, np.nan)
    return _Numbers(sli, consumed, nan, nan.copy(), consumed.copy())


# --- results ---


@dataclass(frozen=True, slots=True)
class ObjectiveState:
    """One objective's numbers over the SLO window at the instant (None = no data)."""

    index: int
    name: str
    sli_key: str | None
    target: float
    op: str | None
    value: float | None
    weight: float
    valid: int | None
    good: int | None
    bad: float | None
    slices: Mapping[str, int] | None
    sli: float | None
    consumed: float | None
    remaining: float | None
    allowed_events: float | None
    remaining_events: float | None
    allowed_seconds: float
    consumed_seconds: float | None
    remaining_seconds: float | None
    burn_rates: Mapping[str, float | None]
    percentiles: Mapping[str, float | None]
    #: Percentiles whose rank fell on a value outside the histogram's range: the value shown is
    #: then only a bound, "at least" (clamped from above) or "at most" (from below).
    percentile_bounds: Mapping[str, str]
    status: str
    coverage: str | None
    #: The store's coverage code: ``complete``, ``raw_archive`` or ``live`` (None: not measured).
    coverage_kind: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class SLOState:
    """One SLO at one instant; see the module docstring for each field's definition."""

    slo: str
    display_name: str | None
    service: str
    sli: str
    budgeting_method: str
    composite: bool
    window: str
    rolling: bool
    at: datetime
    window_start: datetime
    window_end: datetime
    elapsed_fraction: float
    budget_basis: str
    target: float | None
    sli_value: float | None
    consumed: float | None
    remaining: float | None
    allowed_seconds: float | None
    remaining_seconds: float | None
    remaining_events: float | None
    burn_rates: Mapping[str, float | None]
    percentiles: Mapping[str, float | None]
    percentile_bounds: Mapping[str, str]
    status: str
    forecast: datetime | None
    coverage: str
    #: ``live`` if any objective counts only from some time onward, else ``raw_archive`` if any
    #: was rebuilt from the archive, else ``complete``; None when nothing is measured.
    coverage_kind: str | None
    objectives: tuple[ObjectiveState, ...]
    notes: tuple[str, ...] = field(default=())
    #: The indicator's ``groupBy`` fields (empty: ungrouped).
    group_by: tuple[str, ...] = ()
    #: For the state of one group: its labels (``groupBy`` order); None for the SLO overall.
    group: Mapping[str, str] | None = None
    #: For the overall state of a grouped SLO: one state per group, ordered by labels.
    groups: tuple[SLOState, ...] = ()


#: 1 − target as written, cached: a report asks it of the same few targets many times.
_allowed_fraction = functools.lru_cache(maxsize=1024)(allowed_bad_fraction)


def _opt(x: Any) -> float | None:
    v = float(x)
    return None if math.isnan(v) else v


def _floor_minute(at: datetime | float) -> int:
    return math.floor(to_utc(at).timestamp() / 60) * 60


@dataclass(slots=True)
class _Cell:
    """Window sums collected for one objective: column 0 is the SLO window, then burn windows."""

    valid: Ints
    good: Ints
    slices: SliceCounts | None = None
    hist: Ints | None = None
    #: Values clamped into the lowest / highest bucket (out of the histogram's range).
    underflow: int = 0
    overflow: int = 0


def evaluate(spec: Spec, store: Store | CountsSource, slo: str, at: datetime | float) -> SLOState:
    """The state of one SLO at ``at``."""
    return evaluate_all(spec, store, at, [slo])[0]


def evaluate_all(
    spec: Spec, store: Store | CountsSource, at: datetime | float, slos: Sequence[str] | None = None
) -> list[SLOState]:
    """Every SLO's state at ``at`` (or only those named), from a handful of batched store reads."""
    chosen = [spec.slo(n) for n in slos] if slos is not None else list(spec)
    t = _floor_minute(at)
    t_row = t // 60
    by_slo = objective_targets(spec, store, chosen)
    corrections = {s.name: spec.corrections_for(s) for s in chosen}

    # Units of evaluation: every SLO overall, then each group of a grouped SLO (keyed by
    # _unit_id); every unit shares its SLO's window, burn windows and corrections.
    units: list[tuple[str, SLO, Mapping[str, str] | None]] = []
    targets: dict[str, list[ObjectiveTarget]] = {}
    stored = stored_groups(store, (tg for tgs in by_slo.values() for tg in tgs))
    for s in chosen:
        units.append((s.name, s, None))
        targets[s.name] = by_slo[s.name]
        for labels, group_targets in group_targets_of(store, by_slo[s.name], stored):
            uid = _unit_id(s.name, labels)
            units.append((uid, s, labels))
            targets[uid] = group_targets

    slo_plans: dict[str, tuple[Any, tuple[int, ...], list[tuple[int, int]]]] = {}
    for s in chosen:
        bounds = window_at(Window.of(s.time_window), t)
        windows = burn_windows(s)
        lo = min(bounds.start_epoch, t - max(windows))
        fixes = corrections[s.name]
        runs = masked_runs(correction_intervals(fixes, lo, t)) if fixes else []
        slo_plans[s.name] = (bounds, windows, runs)
    plans = {uid: slo_plans[s.name] for uid, s, _ in units}

    # Minute rows [first, stop) per SLO: its window so far, then each burn window.
    row_ranges: dict[str, list[tuple[int, int]]] = {}
    for name, (bounds, windows, _) in slo_plans.items():
        first = math.floor(bounds.start_epoch / 60)
        row_ranges[name] = [(min(first, t_row), t_row)] + [((t - w) // 60, t_row) for w in windows]
    ranges = row_ranges.__getitem__

    cells: dict[tuple[str, int], _Cell] = {}
    # Occurrences objectives: one window_counts call over rollups for every window of every SLO.
    requests: list[tuple[str, int, int]] = []
    owners: list[tuple[str, int, int]] = []
    dense: list[tuple[str, ObjectiveTarget]] = []
    for uid, s, _ in units:
        rs = ranges(s.name)
        runs = plans[uid][2]
        for tg in targets[uid]:
            if tg.key is None:
                continue
            if s.budgeting_method != "Occurrences":
                dense.append((uid, tg))
                continue
            cells[(uid, tg.index)] = _Cell(np.zeros(len(rs), np.int64), np.zeros(len(rs), np.int64))
            for j, (a, b) in enumerate(rs):
                for lo, hi in kept_runs(a, b, runs):
                    requests.append((tg.key, lo, hi))
                    owners.append((uid, tg.index, j))
    if requests:
        valid, good = store.window_counts(requests)
        for (name, index, j), v, g in zip(owners, valid.tolist(), good.tolist(), strict=True):
            cell = cells[(name, index)]
            cell.valid[j] += v
            cell.good[j] += g

    # Timeslices objectives: one dense minute read, slices judged on minute rows.
    if dense:
        lo_row = min(min(a for a, _ in ranges(tg.slo.name)) for _, tg in dense)
        keys = [tg.key for _, tg in dense if tg.key is not None]
        mv, mg = store.minute_matrix(keys, lo_row, t_row)
        for i, (uid, tg) in enumerate(dense):
            rs = ranges(tg.slo.name)
            counts = MinuteCounts(lo_row, mv[i], mg[i])
            runs = plans[tg.slo.name][2]
            if runs:
                counts = counts.excluding(excluded_mask(lo_row, len(counts), runs))
            cum = counts.cumulative()
            starts = np.array([a for a, _ in rs], np.int64)
            stops = np.array([b for _, b in rs], np.int64)
            v, g = cum.between(starts, stops)
            series = SliceSeries.from_minutes(counts, tg.slice_minutes, tg.objective.time_slice_target)
            cells[(uid, tg.index)] = _Cell(v, g, series.between(starts, stops))

    # Percentiles of threshold objectives over the SLO window: one window_histograms call.
    hreq: list[tuple[str, int, int]] = []
    howners: list[tuple[str, int]] = []
    for uid, s, _ in units:
        a, b = ranges(s.name)[0]
        for tg in targets[uid]:
            if tg.key is None or tg.bound is None or tg.bound.kind != "threshold":
                continue
            for lo, hi in kept_runs(a, b, plans[uid][2]):
                hreq.append((tg.key, lo, hi))
                howners.append((uid, tg.index))
    if hreq:
        width = DEFAULT_LAYOUT.n_buckets + 1
        for (name, index), h in zip(howners, store.window_histograms(hreq), strict=True):
            cell = cells[(name, index)]
            if cell.hist is None:
                cell.hist = np.zeros(width, np.int64)
            cell.hist[0] += h.zero
            cell.hist[1:] += h.counts
            cell.underflow += h.underflow
            cell.overflow += h.overflow
    hist_keys = [k for k, c in cells.items() if c.hist is not None]
    quantiles: dict[tuple[str, int], Floats] = {}
    clamped: dict[tuple[str, int], dict[str, str]] = {}
    for k in hist_keys:
        cell = cells[k]
        if (cell.underflow or cell.overflow) and cell.hist is not None:
            merged = LogHistogram(
                DEFAULT_LAYOUT, cell.hist[1:].copy(), int(cell.hist[0]), cell.underflow, cell.overflow
            )
            flags = merged.quantile_flags([q for _, q in PERCENTILES])
            clamped[k] = {
                label: CLAMPED[int(f)] for (label, _), f in zip(PERCENTILES, flags, strict=True) if f
            }
    if hist_keys:
        mat = np.stack([cells[k].hist for k in hist_keys])  # type: ignore[misc]
        qs = quantiles_of_rows(mat, [q for _, q in PERCENTILES], DEFAULT_LAYOUT, has_zero_column=True)
        quantiles = dict(zip(hist_keys, qs, strict=True))

    numbers = _all_numbers(units, targets, cells)
    codes = _objective_status(units, targets, plans, numbers)
    states = [
        _state(s, uid, labels, targets[uid], plans[uid], cells, numbers, quantiles, clamped, codes, t)
        for uid, s, labels in units
    ]
    states = _with_forecasts(states, [plans[uid][0] for uid, _, _ in units], t)
    return _nest_groups(states)


def _unit_id(slo: str, labels: Mapping[str, str]) -> str:
    """A group's id among the units of one evaluation (a NUL cannot occur in an SLO name)."""
    return slo + "\0" + json.dumps(list(labels.items()), ensure_ascii=False)


def _nest_groups(states: list[SLOState]) -> list[SLOState]:
    """The overall states in SLO order, each holding its groups' states (they follow it)."""
    runs: list[tuple[SLOState, list[SLOState]]] = []
    for state in states:
        if state.group is None:
            runs.append((state, []))
        else:
            runs[-1][1].append(state)
    return [replace(overall, groups=tuple(groups)) if groups else overall for overall, groups in runs]


def slo_groups(spec: Spec, store: Store | CountsSource, slo: str) -> list[dict[str, str]]:
    """The labels of every group the store holds for a grouped SLO (empty when ungrouped)."""
    s = spec.slo(slo)
    return [labels for labels, _ in group_targets_of(store, objective_targets(spec, store, [s])[s.name])]


def stored_groups(
    store: Store | CountsSource, targets: Iterable[ObjectiveTarget]
) -> dict[str, dict[str, dict[str, str]]]:
    """The store's groups of every grouped objective among ``targets`` (parent key → group key →
    labels), in one read; none from a source without groups (Prometheus)."""
    parents = sorted(
        {
            tg.bound.sli_key
            for tg in targets
            if tg.bound is not None and tg.bound.group_by and tg.key is not None
        }
    )
    if not parents:
        return {}
    many = getattr(store, "groups_many", None)  # the embedded store's; no CountsSource has it
    if many is None:
        return {}
    found: dict[str, dict[str, dict[str, str]]] = many(parents)
    return found


def group_targets_of(
    store: Store | CountsSource,
    targets: Sequence[ObjectiveTarget],
    stored: Mapping[str, Mapping[str, Mapping[str, str]]] | None = None,
) -> list[tuple[dict[str, str], list[ObjectiveTarget]]]:
    """Each group of a grouped SLO (ordered by labels) with its objectives' targets.

    A group is a combination of label values the store has rows for under any objective of the
    SLO; an objective that has no rows of that group gets no key (no data for that objective).
    Sources without groups (Prometheus, older stores) give none. ``stored``: the store's groups
    read beforehand (:func:`stored_groups`), to read them once for many SLOs.
    """
    if stored is None:
        stored = stored_groups(store, targets)
    if not stored:
        return []
    per_objective: list[dict[tuple[tuple[str, str], ...], str]] = []
    found: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
    for tg in targets:
        keys: dict[tuple[tuple[str, str], ...], str] = {}
        if tg.bound is not None and tg.bound.group_by and tg.key is not None:
            for sub_key, labels in stored.get(tg.bound.sli_key, {}).items():
                ident = tuple(labels.items())
                keys[ident] = sub_key
                found.setdefault(ident, dict(labels))
        per_objective.append(keys)
    out: list[tuple[dict[str, str], list[ObjectiveTarget]]] = []
    for ident in sorted(found):
        labels = found[ident]
        out.append(
            (
                labels,
                [
                    ObjectiveTarget(
                        tg.slo,
                        tg.index,
                        tg.objective,
                        tg.bound,
                        tg.note,
                        tg.coverage,
                        tg.coverage_kind,
                        labels,
                        keys.get(ident),
                    )
                    for tg, keys in zip(targets, per_objective, strict=True)
                ],
            )
        )
    return out


def _objective_status(
    units: Sequence[tuple[str, SLO, Mapping[str, str] | None]],
    targets: Mapping[str, list[ObjectiveTarget]],
    plans: Mapping[str, tuple[Any, tuple[int, ...], list[tuple[int, int]]]],
    numbers: Mapping[tuple[str, int], _Numbers],
) -> dict[tuple[str, int], int]:
    """Every measured objective's status code, from one :func:`eb.status` call over all of them
    (remaining budget at the instant and the burn over :data:`STATUS_WINDOW`)."""
    keys: list[tuple[str, int]] = []
    remaining: list[float] = []
    burn: list[float] = []
    for uid, s, _ in units:
        bounds, windows, _ = plans[uid]
        for tg in targets[uid]:
            nums = numbers.get((uid, tg.index))
            if nums is None:
                continue
            consumed = float(nums.consumed[0])
            if s.budgeting_method == "Timeslices":  # seconds of bad slices, as in _state
                consumed = consumed / (_allowed_fraction(tg.objective.target) * bounds.seconds)
            keys.append((uid, tg.index))
            remaining.append(1.0 - consumed)
            burn.append(float(nums.burn[1 + windows.index(STATUS_WINDOW)]))
    codes = eb.status(np.array(remaining, np.float64), np.array(burn, np.float64))
    return dict(zip(keys, codes.tolist(), strict=True))


def _with_forecasts(states: list[SLOState], bounds: Sequence[Any], t: int) -> list[SLOState]:
    """Each state with its forecast: when the budget runs out at the 1 d burn rate.

    One :func:`eb.exhaustion_seconds` call per distinct (window length, rolling) — the same
    arithmetic as :func:`eb.forecast` per SLO, on arrays: rolling windows need a burn above 1
    (otherwise the budget renews faster than it is spent), calendar windows any burn, and a
    calendar budget that lasts past its window's end never runs out.
    """
    label = window_label(FORECAST_WINDOW)
    groups: dict[tuple[float, bool], list[int]] = {}
    for i, (state, b) in enumerate(zip(states, bounds, strict=True)):
        if state.remaining is not None and state.burn_rates.get(label) is not None:
            groups.setdefault((float(b.seconds), state.rolling), []).append(i)
    out = list(states)
    for (length, rolling), members in groups.items():
        remaining = np.array([states[i].remaining for i in members], np.float64)
        burn = np.array([states[i].burn_rates[label] for i in members], np.float64)
        horizon = None if rolling else np.array([bounds[i].end_epoch for i in members], np.float64)
        when = eb.exhaustion_seconds(
            float(t), remaining, burn, length, min_burn=1.0 if rolling else 0.0, horizon_seconds=horizon
        )
        for i, seconds in zip(members, when.tolist(), strict=True):
            if not math.isnan(seconds):
                out[i] = replace(states[i], forecast=datetime.fromtimestamp(seconds, UTC))
    return out


def _all_numbers(
    units: Sequence[tuple[str, SLO, Mapping[str, str] | None]],
    targets: Mapping[str, list[ObjectiveTarget]],
    cells: Mapping[tuple[str, int], _Cell],
) -> dict[tuple[str, int], _Numbers]:
    """Every measured objective's numbers; Occurrences objectives sharing a target and a window
    count are computed together as one matrix (a thousand SLOs usually share a few targets)."""
    out: dict[tuple[str, int], _Numbers] = {}
    groups: dict[tuple[float, int], list[tuple[str, int]]] = {}
    for uid, s, _ in units:
        for tg in targets[uid]:
            key = (uid, tg.index)
            cell = cells.get(key)
            if cell is None:
                continue
            if s.budgeting_method == "Occurrences":
                groups.setdefault((tg.objective.target, cell.valid.size), []).append(key)
            else:
                out[key] = _numbers(
                    s.budgeting_method,
                    tg.objective.target,
                    cell.valid,
                    cell.good,
                    cell.slices,
                    tg.slice_minutes * 60.0,
                )
    for (target, _), keys in groups.items():
        valid = np.stack([cells[k].valid for k in keys])
        good = np.stack([cells[k].good for k in keys])
        nums = _numbers("Occurrences", target, valid, good, None, 60.0)
        for i, k in enumerate(keys):
            out[k] = _Numbers(
                nums.sli[i], nums.consumed[i], nums.bad[i], nums.allowed_events[i], nums.burn[i]
            )
    return out


def _state(
    slo: SLO,
    uid: str,
    group: Mapping[str, str] | None,
    targets: list[ObjectiveTarget],
    plan: tuple[Any, tuple[int, ...], list[tuple[int, int]]],
    cells: Mapping[tuple[str, int], _Cell],
    numbers: Mapping[tuple[str, int], _Numbers],
    quantiles: Mapping[tuple[str, int], Floats],
    clamped: Mapping[tuple[str, int], Mapping[str, str]],
    codes: Mapping[tuple[str, int], int],
    t: int,
) -> SLOState:
    """One SLO's state, without its forecast (:func:`_with_forecasts` adds it for all at once)."""
    bounds, windows, _ = plan
    window = Window.of(slo.time_window)
    length = bounds.seconds
    elapsed = 1.0 if window.rolling else (t - bounds.start_epoch) / length
    labels = [window_label(w) for w in windows]
    method = slo.budgeting_method
    objectives: list[ObjectiveState] = []
    rows: list[_Numbers] = []
    for tg in targets:
        o = tg.objective
        allowed_seconds = _allowed_fraction(o.target) * length
        cell = cells.get((uid, tg.index))
        found = numbers.get((uid, tg.index))
        nums = (
            found if found is not None else _Numbers(*(np.full(len(windows) + 1, np.nan) for _ in range(5)))
        )
        if method == "Timeslices":  # consumed so far holds seconds of bad slices: normalise
            nums = _Numbers(
                nums.sli, nums.consumed / allowed_seconds, nums.bad, nums.allowed_events, nums.burn
            )
        rows.append(nums)
        consumed = _opt(nums.consumed[0])
        remaining = None if consumed is None else 1.0 - consumed
        burns = {lab: _opt(x) for lab, x in zip(labels, nums.burn[1:], strict=True)}
        q = quantiles.get((uid, tg.index))
        pct = {} if q is None else {name: _opt(x) for (name, _), x in zip(PERCENTILES, q, strict=True)}
        status = eb.STATUS_NAMES[codes.get((uid, tg.index), eb.NO_DATA)]
        slices = None
        if cell is not None and cell.slices is not None and method != "Occurrences":
            sc = cell.slices
            slices = {
                "good": int(sc.good[0]),
                "bad": int(sc.bad[0]),
                "with_data": int(sc.with_data[0]),
                "without_data": int(sc.without_data[0]),
            }
        allowed_events = _opt(nums.allowed_events[0])
        bad = _opt(nums.bad[0])
        objectives.append(
            ObjectiveState(
                index=tg.index,
                name=o.display_name or f"objective {tg.index}",
                sli_key=tg.key,
                target=o.target,
                op=o.op,
                value=o.value,
                weight=o.composite_weight if o.composite_weight is not None else 1.0,
                valid=None if cell is None else int(cell.valid[0]),
                good=None if cell is None else int(cell.good[0]),
                bad=bad,
                slices=slices,
                sli=_opt(nums.sli[0]),
                consumed=consumed,
                remaining=remaining,
                allowed_events=allowed_events,
                remaining_events=None if allowed_events is None or bad is None else allowed_events - bad,
                allowed_seconds=allowed_seconds,
                consumed_seconds=None if consumed is None else consumed * allowed_seconds,
                remaining_seconds=None if remaining is None else remaining * allowed_seconds,
                burn_rates=burns,
                percentiles=pct,
                percentile_bounds=dict(clamped.get((uid, tg.index), {})),
                status=status,
                coverage=tg.coverage,
                coverage_kind=tg.coverage_kind,
                note=tg.note,
            )
        )

    if slo.is_composite:
        weights = np.array([o.weight for o in objectives])
        sli_v = _opt(composite(np.array([r.sli[0] for r in rows]), weights))
        consumed = _opt(composite(np.array([r.consumed[0] for r in rows]), weights))
        burn_all = composite(np.stack([r.burn[1:] for r in rows]), weights)
        slo_burns: Mapping[str, float | None] = {
            lab: _opt(x) for lab, x in zip(labels, burn_all, strict=True)
        }
        remaining = None if consumed is None else 1.0 - consumed
        target = None
        allowed_seconds = remaining_seconds = remaining_events = None
        slo_pct: Mapping[str, float | None] = {}
        slo_bounds: Mapping[str, str] = {}
        sli_name = "composite"
        burn_status = slo_burns.get(window_label(STATUS_WINDOW))
        status = eb.STATUS_NAMES[
            int(
                eb.status(
                    np.nan if remaining is None else remaining,
                    np.nan if burn_status is None else burn_status,
                )
            )
        ]
    else:
        lead = min(objectives, key=lambda o: math.inf if o.remaining is None else o.remaining)
        sli_v, consumed, remaining = lead.sli, lead.consumed, lead.remaining
        slo_burns = lead.burn_rates
        target = lead.target
        allowed_seconds, remaining_seconds = lead.allowed_seconds, lead.remaining_seconds
        remaining_events = lead.remaining_events
        slo_pct = lead.percentiles
        slo_bounds = lead.percentile_bounds
        sli_name = slo.indicator.name if slo.indicator is not None else ""
        status = lead.status  # same remaining budget and 1 h burn as the SLO's
    covers = sorted({o.coverage for o in objectives if o.coverage is not None})
    kinds = {o.coverage_kind for o in objectives if o.coverage_kind is not None}
    coverage_kind = next((k for k in (LIVE, RAW_ARCHIVE, COMPLETE) if k in kinds), None)
    notes = tuple(dict.fromkeys(f"{o.name}: {o.note}" for o in objectives if o.note))
    return SLOState(
        slo=slo.name,
        display_name=slo.metadata.display_name,
        service=slo.service,
        sli=sli_name,
        budgeting_method=method,
        composite=slo.is_composite,
        window=slo.time_window.describe(),
        rolling=window.rolling,
        at=datetime.fromtimestamp(t, UTC),
        window_start=bounds.start_utc,
        window_end=bounds.end_utc,
        elapsed_fraction=elapsed,
        budget_basis=BUDGET_ROLLING if window.rolling else BUDGET_SO_FAR.format(elapsed=elapsed),
        target=target,
        sli_value=sli_v,
        consumed=consumed,
        remaining=remaining,
        allowed_seconds=allowed_seconds,
        remaining_seconds=remaining_seconds,
        remaining_events=remaining_events,
        burn_rates=dict(slo_burns),
        percentiles=dict(slo_pct),
        percentile_bounds=dict(slo_bounds),
        status=status,
        forecast=None,
        coverage="; ".join(covers) if covers else "no data in the store",
        coverage_kind=coverage_kind,
        objectives=tuple(objectives),
        notes=notes,
        group_by=next(
            (tg.bound.group_by for tg in targets if tg.bound is not None and tg.bound.group_by), ()
        ),
        group=None if group is None else dict(group),
    )


# --- history: the same quantities as series ---


@dataclass(frozen=True, slots=True)
class History:
    """One SLO's quantities at ``at`` (epoch seconds, whole minutes); NaN = no data."""

    slo: str
    at: Ints
    sli: Floats
    consumed: Floats
    remaining: Floats
    burn_rates: Mapping[str, Floats]
    status: NDArray[np.int8]
    forecast: Floats
    #: Per objective (index order): SLI and remaining budget.
    objective_sli: Floats
    objective_remaining: Floats
    #: Percentile label -> series of the objective shown at each instant (with ``percentiles=True``
    #: and a threshold indicator; empty otherwise).
    percentiles: Mapping[str, Floats] = field(default_factory=dict)

    @property
    def status_names(self) -> list[str]:
        return [eb.STATUS_NAMES[int(c)] for c in self.status]


def history(
    spec: Spec,
    store: Store | CountsSource,
    slo: str,
    start: datetime | float,
    end: datetime | float,
    step: int | timedelta,
    *,
    percentiles: bool = False,
    group: Mapping[str, str] | None = None,
) -> History:
    """The SLO's state at ``start``, ``start + step``, … ≤ ``end`` (whole minutes), vectorized.

    One :meth:`~slokit.sources.store.Store.minute_matrix` read covers every window of every
    instant; window sums are prefix-sum differences. With ``percentiles``, one more batched
    :meth:`~slokit.sources.store.Store.window_histograms` call reads the window histogram of
    every instant (from rollups; a dense per-minute histogram matrix of a 30-day window would
    be hundreds of MB per indicator).

    With ``group`` (labels of one group of a grouped SLO), the series of that group; a group the
    store has no rows for is no data throughout.
    """
    s = spec.slo(slo)
    step_s = int(step.total_seconds()) if isinstance(step, timedelta) else int(step)
    if step_s < 60 or step_s % 60:
        raise ValueError("the step must be a positive whole number of minutes")
    t0, t1 = _floor_minute(start), _floor_minute(end)
    if t1 < t0:
        raise ValueError("end must not be before start")
    at = np.arange(t0, t1 + 1, step_s, dtype=np.int64)
    window = Window.of(s.time_window)
    w_start, w_end = window_bounds_many(window, at)
    windows = burn_windows(s)
    labels = [window_label(w) for w in windows]
    t_rows = at // 60
    first_rows = np.minimum(np.floor_divide(w_start, 60), t_rows)
    lo_row = int(min(first_rows.min(), (t0 - max(windows)) // 60))
    hi_row = int(t_rows.max())
    targets = objective_targets(spec, store, [s])[s.name]
    if group is not None:
        wanted = tuple(group.items())
        found = [tgs for labels, tgs in group_targets_of(store, targets) if tuple(labels.items()) == wanted]
        targets = found[0] if found else [replace(tg, group=dict(group), group_key=None) for tg in targets]
    fixes = spec.corrections_for(s)
    runs = masked_runs(correction_intervals(fixes, lo_row * 60, t1)) if fixes else []
    keys = [tg.key for tg in targets if tg.key is not None]
    mv, mg = store.minute_matrix(keys, lo_row, hi_row)
    lengths = (w_end - w_start).astype(np.float64)
    starts = np.concatenate([first_rows[None, :], (at[None, :] - np.array(windows)[:, None]) // 60])
    stops = np.broadcast_to(t_rows, starts.shape)
    n = at.size
    per: list[_Numbers] = []
    row = 0
    for tg in targets:
        if tg.key is None:
            per.append(_Numbers(*(np.full(starts.shape, np.nan) for _ in range(5))))
            continue
        counts = MinuteCounts(lo_row, mv[row], mg[row])
        row += 1
        if runs:
            counts = counts.excluding(excluded_mask(lo_row, len(counts), runs))
        v, g = counts.cumulative().between(starts, stops)
        slices = None
        if s.budgeting_method != "Occurrences":
            series = SliceSeries.from_minutes(counts, tg.slice_minutes, tg.objective.time_slice_target)
            slices = series.between(starts, stops)
        nums = _numbers(s.budgeting_method, tg.objective.target, v, g, slices, tg.slice_minutes * 60.0)
        if s.budgeting_method == "Timeslices":
            allowed = allowed_bad_fraction(tg.objective.target) * lengths
            consumed = nums.consumed.copy()
            consumed[0] = consumed[0] / allowed
            nums = _Numbers(nums.sli, consumed, nums.bad, nums.allowed_events, nums.burn)
        per.append(nums)
    sli_o = np.stack([p.sli[0] for p in per]) if per else np.full((0, n), np.nan)
    cons_o = np.stack([p.consumed[0] for p in per]) if per else np.full((0, n), np.nan)
    burn_o = np.stack([p.burn[1:] for p in per]) if per else np.full((0, len(windows), n), np.nan)
    if s.is_composite:
        weights = np.array([o.composite_weight or 1.0 for o in s.objectives])
        sli, consumed = composite(sli_o, weights), composite(cons_o, weights)
        burn = composite(burn_o, weights)
        pick = np.zeros(n, np.int64)
    else:
        # The objective with the least remaining budget at each instant (no data counts last).
        key = np.where(np.isnan(cons_o), -np.inf, cons_o)
        pick = np.argmax(key, axis=0)
        cols = np.arange(n)
        sli, consumed = sli_o[pick, cols], cons_o[pick, cols]
        burn = burn_o[pick, :, cols].T
    pct_series: dict[str, Floats] = {}
    thresholds = [
        (i, tg.key)
        for i, tg in enumerate(targets)
        if tg.key is not None and tg.bound is not None and tg.bound.kind == "threshold"
    ]
    if percentiles and thresholds and not s.is_composite:
        qs = _history_percentiles(store, thresholds, len(targets), first_rows, t_rows, runs)
        picked = qs[pick, np.arange(n)]  # (n, Q): the shown objective at each instant
        pct_series = {label: picked[:, j] for j, (label, _) in enumerate(PERCENTILES)}
    remaining = 1.0 - consumed
    status = eb.status(remaining, burn[windows.index(STATUS_WINDOW)])
    forecast = eb.exhaustion_seconds(
        at,
        remaining,
        burn[windows.index(FORECAST_WINDOW)],
        1.0,
        min_burn=1.0 if window.rolling else 0.0,
    )
    # exhaustion_seconds takes one period; scale the time left by each instant's window length.
    left = (forecast - at) * lengths
    forecast = at + left
    if not window.rolling:
        forecast[forecast > w_end] = np.nan
    return History(
        slo=s.name,
        at=at,
        sli=sli,
        consumed=consumed,
        remaining=remaining,
        burn_rates={lab: burn[i] for i, lab in enumerate(labels)},
        status=status,
        forecast=forecast,
        objective_sli=sli_o,
        objective_remaining=1.0 - cons_o,
        percentiles=pct_series,
    )


def _history_percentiles(
    store: Store | CountsSource,
    thresholds: Sequence[tuple[int, str]],
    n_objectives: int,
    first_rows: Ints,
    t_rows: Ints,
    runs: Sequence[tuple[int, int]],
) -> Floats:
    """Percentiles ``(objectives, instants, len(PERCENTILES))`` of each instant's SLO window."""
    n = t_rows.size
    width = DEFAULT_LAYOUT.n_buckets + 1
    dense = np.zeros((n_objectives, n, width), np.int64)
    requests: list[tuple[str, int, int]] = []
    owners: list[tuple[int, int]] = []
    for obj, key in thresholds:
        for i in range(n):
            for lo, hi in kept_runs(int(first_rows[i]), int(t_rows[i]), runs):
                requests.append((key, lo, hi))
                owners.append((obj, i))
    for (obj, i), h in zip(owners, store.window_histograms(requests), strict=True):
        dense[obj, i, 0] += h.zero
        dense[obj, i, 1:] += h.counts
    qs = quantiles_of_rows(
        dense.reshape(-1, width), [q for _, q in PERCENTILES], DEFAULT_LAYOUT, has_zero_column=True
    )
    return qs.reshape(n_objectives, n, len(PERCENTILES))
