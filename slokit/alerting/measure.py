"""Per-minute history of every alerting SLO objective, read from the event store.

The alerting code works on :class:`~slokit.alerting.backtest.Series` (per-minute valid and good
counts of one objective); this module fills them from the store with one
:meth:`~slokit.sources.store.Store.minute_matrix` read for all objectives, applying corrections
the way :mod:`slokit.sources.status` does (its helpers, so both agree on which rows count).

* Occurrences: the counts as stored.
* Timeslices: each slice becomes one "event" at its first minute row, good when the slice is
  good (``good / valid >= timeSliceTarget``); slices without data are no events; windows count
  the slices wholly inside them (:class:`~slokit.alerting.backtest.Series`). Burn rate is then bad
  slices over slices with data, as :mod:`slokit.sources.status` computes it, and the low-traffic
  guard counts bad slices.
* RatioTimeslices: the event counts (a burn over events, not over per-slice ratios).

A grouped SLO (``groupBy``) is alerted per group, as the generated Prometheus rules alert per
series of ``sum by (...)``: one :class:`Series` per group the store holds (its ``group`` names the
labels, ``{route="/orders"}``), none for the SLO overall. A grouped SLO whose store holds no group
yet has the one overall series, so that no data is still noticed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from slokit.alerting.backtest import Series
from slokit.alerting.groups import labels_text
from slokit.alerting.policy import period_seconds
from slokit.engine.series import MinuteCounts
from slokit.engine.sli import SliceSeries
from slokit.sources.status import (
    ObjectiveTarget,
    correction_intervals,
    excluded_mask,
    group_targets_of,
    masked_runs,
    objective_targets,
    stored_groups,
)
from slokit.sources.store import Store
from slokit.spec.model import SLO, Spec


def unmeasured(spec: Spec, store: Store, slos: Sequence[SLO]) -> list[str]:
    """Why objectives of ``slos`` have no history in the store (one line each; empty when all do)."""
    targets = objective_targets(spec, store, slos)
    return [
        f"{tg.slo.name} objective {tg.index}: {tg.note}"
        for slo in slos
        for tg in targets[slo.name]
        if tg.note
    ]


def _as_slices(counts: MinuteCounts, minutes: int, slice_target: float) -> MinuteCounts:
    series = SliceSeries.from_minutes(counts, minutes, slice_target)
    n = len(counts)
    valid = np.zeros(n, dtype=np.int64)
    good = np.zeros(n, dtype=np.int64)
    first_rows = (series.first_slice + np.arange(series.has_data.size)) * minutes
    idx = first_rows - counts.first_minute
    keep = (idx >= 0) & (idx < n)
    valid[idx[keep]] = series.has_data[keep]
    good[idx[keep]] = series.good[keep]
    return MinuteCounts(counts.first_minute, valid, good)


def load_series(spec: Spec, store: Store, slos: Sequence[SLO], first_row: int, stop_row: int) -> list[Series]:
    """One :class:`Series` per measured objective of ``slos`` over rows ``[first_row, stop_row)``."""
    targets = objective_targets(spec, store, slos)
    keyed: list[ObjectiveTarget] = []
    stored = stored_groups(store, (tg for slo in slos for tg in targets[slo.name]))
    for slo in slos:
        groups = group_targets_of(store, targets[slo.name], stored)
        for tgs in [g for _, g in groups] if groups else [targets[slo.name]]:
            keyed.extend(tg for tg in tgs if tg.key is not None)
    keys = [tg.key for tg in keyed if tg.key is not None]
    if not keys:
        return []
    mv, mg = store.minute_matrix(keys, first_row, stop_row)
    out: list[Series] = []
    for i, tg in enumerate(keyed):
        slo = tg.slo
        counts = MinuteCounts(first_row, np.asarray(mv[i], np.int64), np.asarray(mg[i], np.int64))
        fixes = spec.corrections_for(slo)
        if fixes:
            runs = masked_runs(correction_intervals(fixes, first_row * 60, stop_row * 60))
            if runs:
                counts = counts.excluding(excluded_mask(first_row, len(counts), runs))
        objective = tg.objective
        if slo.budgeting_method == "Timeslices" and objective.time_slice_target is not None:
            counts = _as_slices(counts, tg.slice_minutes, objective.time_slice_target)
        slice_minutes = 1
        if slo.budgeting_method == "Timeslices" and objective.time_slice_target is not None:
            slice_minutes = tg.slice_minutes
        group = ""
        if len(slo.objectives) > 1:
            group = objective.display_name or f"objective-{tg.index}"
        if tg.group is not None:
            group += labels_text(tg.group)
        out.append(
            Series(
                slo.name,
                slo.service,
                objective.target,
                period_seconds(slo),
                counts,
                group,
                slice_minutes,
                objective=tg.index,
                labels=None if tg.group is None else tuple(tg.group.items()),
            )
        )
    return out
