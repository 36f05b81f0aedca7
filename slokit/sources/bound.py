"""Which indicators a spec binds to the embedded event store, one per (SLO, objective).

The aggregation unit is the objective, not the SLI object: a threshold SLI's good count depends
on the objective's ``op``/``value`` (``latency < 400`` and ``latency < 1000`` on the same SLI
are different counts), and composite SLOs give each objective its own indicator. Each unit is
keyed ``sli_key = "<slo name>/<objective index>"``.

A fingerprint of everything that decides the counts (stream, the three ``where`` texts, the
value field, op and threshold) lets the store notice when a spec change redefines an indicator,
so old rows are never silently mixed with new ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from slokit.spec.model import SLO, MetricSource, Objective, SlokitQuery, Spec

if TYPE_CHECKING:
    from slokit.spec.predicate import Predicate


@dataclass(frozen=True, slots=True)
class BoundSLI:
    """One objective measured from events of ``stream``.

    Ratio: valid = ``total_where``; good = valid AND ``good_where``, or valid AND NOT
    ``bad_where``. Threshold: valid = ``total_where`` with a usable ``value_field``; good = valid
    AND ``value <op> threshold``.
    """

    sli_key: str
    slo: str
    objective_index: int
    stream: str
    kind: Literal["ratio", "threshold"]
    total_where: Predicate | None
    good_where: Predicate | None = None
    bad_where: Predicate | None = None
    value_field: str | None = None
    op: str | None = None
    threshold: float | None = None
    #: Event fields that split the counts into groups (the total's ``groupBy``); empty: one series.
    group_by: tuple[str, ...] = ()
    fingerprint: str = ""


def fields_needed(bounds: Iterable[BoundSLI]) -> frozenset[str]:
    """Every event field the indicators read (predicate fields and value fields).

    A reader can skip other columns (Parquet) when no raw archive needs the whole event.
    """
    names: set[str] = set()
    for b in bounds:
        for predicate in (b.total_where, b.good_where, b.bad_where):
            if predicate is not None:
                names.update(predicate.fields)
        if b.value_field is not None:
            names.add(b.value_field)
        names.update(b.group_by)
    return frozenset(names)


def sli_key(slo: str, objective_index: int) -> str:
    return f"{slo}/{objective_index}"


def group_sli_key(parent: str, labels: dict[str, str]) -> str:
    """The key of one group of a grouped indicator: ``slo/0{route="/orders",method="GET"}``.

    Labels in ``group_by`` order, values escaped as Prometheus writes them, so the key is unique
    and readable; the parent key alone holds the indicator's total over every group.
    """
    inner = ",".join(f"{name}={json.dumps(value, ensure_ascii=False)}" for name, value in labels.items())
    return f"{parent}{{{inner}}}"


def bound_slis(spec: Spec) -> list[BoundSLI]:
    """Every objective of ``spec`` whose indicator reads only ``type: slokit`` sources."""
    found: list[BoundSLI] = []
    for slo in spec:
        for index, objective in enumerate(slo.objectives):
            bound = bind_objective(slo, index, objective)
            if bound is not None:
                found.append(bound)
    return found


def bind_objective(slo: SLO, index: int, objective: Objective) -> BoundSLI | None:
    sli = slo.indicator_for(objective)
    key = sli_key(slo.name, index)
    if sli.threshold_metric is not None:
        source = _slokit(sli.threshold_metric.source)
        if source is None or source.value is None or objective.op is None or objective.value is None:
            return None
        parts: dict[str, Any] = {
            "kind": "threshold",
            "stream": source.stream,
            "where": _raw_where(sli.threshold_metric.source),
            "value": source.value,
            "op": objective.op,
            "threshold": objective.value,
        }
        if source.group_by:
            parts["group_by"] = list(source.group_by)
        return BoundSLI(
            key,
            slo.name,
            index,
            source.stream,
            "threshold",
            source.where,
            value_field=source.value,
            op=objective.op,
            threshold=float(objective.value),
            group_by=source.group_by,
            fingerprint=_fingerprint(parts),
        )
    ratio = sli.ratio_metric
    if ratio is None or ratio.total is None:
        return None
    total = _slokit(ratio.total)
    good = _slokit(ratio.good) if ratio.good is not None else None
    bad = _slokit(ratio.bad) if ratio.bad is not None else None
    if total is None or (good is None and bad is None):
        return None
    parts = {
        "kind": "ratio",
        "stream": total.stream,
        "total": _raw_where(ratio.total),
        "good": _raw_where(ratio.good) if good is not None else None,
        "bad": _raw_where(ratio.bad) if bad is not None else None,
    }
    if total.group_by:
        parts["group_by"] = list(total.group_by)
    return BoundSLI(
        key,
        slo.name,
        index,
        total.stream,
        "ratio",
        total.where,
        good_where=good.where if good is not None else None,
        bad_where=bad.where if bad is not None and good is None else None,
        group_by=total.group_by,
        fingerprint=_fingerprint(parts),
    )


def _slokit(source: MetricSource | None) -> SlokitQuery | None:
    if source is None or not isinstance(source.binding, SlokitQuery):
        return None
    return source.binding


def _raw_where(source: MetricSource | None) -> str | None:
    if source is None:
        return None
    where = source.spec.get("where")
    return None if where is None else str(where)


def _fingerprint(parts: dict[str, Any]) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    import hashlib  # here: loading OpenSSL costs a few ms of every command's start

    return hashlib.sha256(text.encode()).hexdigest()[:16]
