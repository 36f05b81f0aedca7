"""``/metrics``: every SLO's state as Prometheus gauges, labelled by SLO and service.

A collector of its own (not module-level gauges) so each scrape reads the store once through
:func:`~slokit.sources.status.evaluate_all` and nothing stale lingers after a reload removes an
SLO. The registry belongs to the app, so two apps in one process never share series.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from slokit.server.auth import check_bearer
from slokit.server.state import ServerState
from slokit.sources.status import evaluate_all

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_PHASE_VALUE = {"inactive": 0, "pending": 1, "firing": 2, "resolved": 0}


class SloCollector(Collector):
    def __init__(self, state: ServerState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        with self.state.locked() as store:
            spec = self.state.spec
            states = evaluate_all(spec, store, time.time())
            alerts = self.state.alerts.load()
        labels = ["slo", "service"]
        sli = GaugeMetricFamily("slokit_slo_sli", "SLI over the SLO window (fraction good).", labels=labels)
        target = GaugeMetricFamily("slokit_slo_target", "SLO target (fraction).", labels=labels)
        remaining = GaugeMetricFamily(
            "slokit_slo_error_budget_remaining",
            "Error budget remaining (fraction; may be negative).",
            labels=labels,
        )
        burn = GaugeMetricFamily(
            "slokit_slo_burn_rate",
            "Burn rate over a window (1 = spends the budget exactly).",
            labels=[*labels, "window"],
        )
        status = GaugeMetricFamily(
            "slokit_slo_status", "1 for the SLO's current status.", labels=[*labels, "status"]
        )
        alert = GaugeMetricFamily(
            "slokit_alert_state",
            "Alert state: 0 inactive/resolved, 1 pending, 2 firing.",
            labels=["slo", "rule", "severity"],
        )
        for s in states:
            lv = [s.slo, s.service]
            if s.sli_value is not None:
                sli.add_metric(lv, s.sli_value)
            if s.target is not None:
                target.add_metric(lv, s.target)
            if s.remaining is not None:
                remaining.add_metric(lv, s.remaining)
            for window, value in s.burn_rates.items():
                if value is not None:
                    burn.add_metric([*lv, window], value)
            status.add_metric([*lv, s.status], 1.0)
        for a in alerts.values():
            alert.add_metric([a.key.slo, a.key.rule, a.severity], _PHASE_VALUE.get(a.phase, 0))
        yield from (sli, target, remaining, burn, status, alert)


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
