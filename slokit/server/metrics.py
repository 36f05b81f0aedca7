"""``/metrics``: every SLO's state as Prometheus gauges, labelled by SLO and service, and by group.

A collector of its own (not module-level gauges) so each scrape reads the store once through
:func:`~slokit.sources.status.evaluate_all` and nothing stale lingers after a reload removes an
SLO. The registry belongs to the app, so two apps in one process never share series.

A grouped SLO is exported overall (as an ungrouped one: no group labels) and once per group,
with the group's labels added (see :func:`group_label_names` for how they are named) and
``group`` holding all of them as one text, so a group whose values are all empty (which
Prometheus reads as absent labels) stays apart from the overall series. With up to 1,000 groups
per SLO, samples are built directly (one label dict per group, shared by its gauges that need
no extra label), not through ``add_metric``, which zips names and values for every sample.

Every series of an SLO (overall, groups, alert states) also carries the SLO's ``metadata.labels``
(see :func:`slo_label_names`), so a dashboard can select by team or tier as it does on the
generated rules' alerts.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterator, Mapping, Sequence

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from starlette.requests import Request
from starlette.responses import Response

from slokit.alerting.groups import group_labels, labels_text
from slokit.alerting.state import AlertState
from slokit.exporters.prometheus_rules import slo_label_pairs
from slokit.server.auth import check_bearer
from slokit.server.state import ServerState
from slokit.sources.status import SLOState, evaluate_all
from slokit.spec.model import SLO, Spec

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_PHASE_VALUE = {"inactive": 0, "pending": 1, "firing": 2, "resolved": 0}

#: Label names of slokit's own series: a group label of one of these names is renamed.
RESERVED_LABELS = frozenset({"slo", "service", "window", "status", "rule", "severity", "objective", "group"})
#: Put before a group label's name until it no longer clashes.
GROUP_PREFIX = "group_"
#: Put before an SLO label's name until it no longer clashes.
SLO_LABEL_PREFIX = "label_"
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]")


@functools.lru_cache(maxsize=4096)
def group_label_names(fields: tuple[str, ...]) -> tuple[str, ...]:
    """The Prometheus label name of each ``groupBy`` field, so no group label overwrites another.

    A character other than an ASCII letter, digit or ``_`` becomes ``_`` (``http.route`` ->
    ``http_route``), a leading digit gets a ``_`` in front; then, while the name is one of
    :data:`RESERVED_LABELS`, starts with ``__`` (Prometheus's own) or is the name of an earlier
    field, ``group_`` is put in front (``service`` -> ``group_service``). Cached: a scrape asks it
    once per group.
    """
    taken = set(RESERVED_LABELS)
    out: list[str] = []
    for field in fields:
        name = _NOT_NAME.sub("_", field)
        if not name or name[0].isdigit():
            name = "_" + name
        while name in taken or name.startswith("__"):
            name = GROUP_PREFIX + name
        taken.add(name)
        out.append(name)
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def slo_label_names(names: tuple[str, ...], group_by: tuple[str, ...]) -> tuple[str, ...]:
    """The name on ``/metrics`` of each of an SLO's labels, so none overwrites a label of ours.

    ``names`` are the labels' names as the generated rules give them
    (:func:`~slokit.exporters.prometheus_rules.slo_label_pairs`). Group labels are named first
    (:func:`group_label_names`, unaware of the SLO's labels, so labelling an SLO never renames a
    group label); then, while a name is one of :data:`RESERVED_LABELS`, starts with ``__``, is
    a group label's name or an earlier SLO label's, ``label_`` is put in front. Depends on the
    spec only, so the names stay put across scrapes.
    """
    taken = set(RESERVED_LABELS).union(group_label_names(group_by))
    out: list[str] = []
    for name in names:
        while name in taken or name.startswith("__"):
            name = SLO_LABEL_PREFIX + name
        taken.add(name)
        out.append(name)
    return tuple(out)


def slo_labels(slo: SLO, group_by: tuple[str, ...]) -> dict[str, str]:
    """The SLO's ``metadata.labels`` as ``/metrics`` writes them (see :func:`slo_label_names`)."""
    pairs = slo_label_pairs(slo)
    names = slo_label_names(tuple(name for name, _ in pairs), group_by)
    return dict(zip(names, (value for _, value in pairs), strict=True))


def labels_by_slo(spec: Spec, states: Sequence[SLOState]) -> dict[str, dict[str, str]]:
    """Each evaluated SLO's exported labels, by SLO name (an SLO no longer in the spec has none)."""
    out: dict[str, dict[str, str]] = {}
    for s in states:
        slo = spec.slos.get(s.slo)
        if slo is not None and slo.metadata.labels:
            out[s.slo] = slo_labels(slo, s.group_by)
    return out


def _with_group(base: dict[str, str], group: Mapping[str, str]) -> dict[str, str]:
    """``base`` plus the group's labels (renamed) and ``group`` (the labels as one text)."""
    names = group_label_names(tuple(group))
    out = dict(base)
    out.update(zip(names, group.values(), strict=True))
    out["group"] = labels_text(group)
    return out


class _Families:
    """The gauges of one scrape, filled sample by sample."""

    def __init__(self) -> None:
        self.sli: list[Sample] = []
        self.target: list[Sample] = []
        self.remaining: list[Sample] = []
        self.burn: list[Sample] = []
        self.status: list[Sample] = []
        self.alert: list[Sample] = []

    def add(self, s: SLOState, labels: dict[str, str]) -> None:
        """One SLO overall or one group; ``labels`` is shared by the samples without extra labels."""
        if s.sli_value is not None:
            self.sli.append(Sample("slokit_slo_sli", labels, s.sli_value))
        if s.target is not None:
            self.target.append(Sample("slokit_slo_target", labels, s.target))
        if s.remaining is not None:
            self.remaining.append(Sample("slokit_slo_error_budget_remaining", labels, s.remaining))
        burn = self.burn
        for window, value in s.burn_rates.items():
            if value is not None:
                burn.append(Sample("slokit_slo_burn_rate", {**labels, "window": window}, value))
        self.status.append(Sample("slokit_slo_status", {**labels, "status": s.status}, 1.0))

    def add_alert(self, a: AlertState, own: Mapping[str, str] | None = None) -> None:
        """An alert, with its SLO's labels ``own``; an objective's name before the group's labels
        becomes ``objective``."""
        labels = {"slo": a.key.slo, "rule": a.key.rule, "severity": a.severity}
        if own:
            labels.update(own)
        group = a.key.group
        found = group_labels(group) if group else {}
        objective = group[: len(group) - len(labels_text(found))] if found else group
        if objective:
            labels["objective"] = objective
        if found:
            labels = _with_group(labels, found)
        self.alert.append(Sample("slokit_alert_state", labels, float(_PHASE_VALUE.get(a.phase, 0))))

    def metrics(self) -> Iterator[Metric]:
        for name, doc, samples in (
            ("slokit_slo_sli", "SLI over the SLO window (fraction good).", self.sli),
            ("slokit_slo_target", "SLO target (fraction).", self.target),
            (
                "slokit_slo_error_budget_remaining",
                "Error budget remaining (fraction; may be negative).",
                self.remaining,
            ),
            ("slokit_slo_burn_rate", "Burn rate over a window (1 = spends the budget exactly).", self.burn),
            ("slokit_slo_status", "1 for the SLO's current status.", self.status),
            ("slokit_alert_state", "Alert state: 0 inactive/resolved, 1 pending, 2 firing.", self.alert),
        ):
            metric = Metric(name, doc, "gauge")
            metric.samples = samples
            yield metric


def add_states(
    families: _Families, states: Sequence[SLOState], own: Mapping[str, Mapping[str, str]] | None = None
) -> None:
    """Every SLO overall, then each of its groups; ``own``: the SLOs' labels (:func:`labels_by_slo`)."""
    for s in states:
        base = {"slo": s.slo, "service": s.service}
        if own and s.slo in own:
            base.update(own[s.slo])
        families.add(s, base)
        for g in s.groups:
            if g.group is not None:
                families.add(g, _with_group(base, g.group))


class SloCollector(Collector):
    def __init__(self, state: ServerState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        with self.state.locked() as store:
            spec = self.state.spec
            states = evaluate_all(spec, store, time.time())
            alerts = self.state.alerts.load()
        families = _Families()
        own = labels_by_slo(spec, states)
        add_states(families, states, own)
        for a in alerts.values():
            families.add_alert(a, own.get(a.key.slo))
        yield from families.metrics()


def registry_for(state: ServerState) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SloCollector(state))
    return registry


async def metrics(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    state: ServerState = request.app.state.slokit
    if state.config.protect_read:  # SLO names and numbers are read data too
        check_bearer(request, state.config.token)
    registry: CollectorRegistry = request.app.state.registry
    return Response(await run_in_threadpool(generate_latest, registry), media_type=CONTENT_TYPE)
