"""History series from the store agree with the status layer's burn rates (the oracle).

Occurrences and Timeslices SLOs on the same events, with a correction window: the burn rate the
alerting series give over 5m and 1h at several instants must equal ``slokit report``'s.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from slokit.alerting.backtest import verdicts_at
from slokit.alerting.measure import load_series
from slokit.alerting.policy import Policy, Rule, alerting_slos
from slokit.engine.burn import Tier
from slokit.sources.status import evaluate_all
from slokit.sources.store import Store

T0 = 1_780_000_020 // 60 * 60

SLICES = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: api-uptime}
spec:
  service: api
  budgetingMethod: Timeslices
  timeWindow: [{duration: 30d, isRolling: true}]
  objectives: [{target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 2m}]
  indicator:
    metadata: {name: uptime-sli}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: slokit, spec: {stream: requests, where: "status < 500"}}}
        total: {metricSource: {type: slokit, spec: {stream: requests}}}
"""
CORRECTION = f"""\
apiVersion: slokit/v1
kind: Correction
metadata: {{name: maintenance}}
spec:
  slos: [api-availability, api-uptime]
  start: "{datetime.fromtimestamp(T0 + 40 * 60, UTC).isoformat()}"
  duration: 10m
  reason: planned maintenance
"""


def test_series_burns_match_the_status_layer(tmp_path: Path, specs: dict[str, Callable[..., Any]]) -> None:
    spec = specs["load"](specs["slo"](), SLICES, CORRECTION)
    rng = np.random.default_rng(5)
    ts = np.sort(rng.integers(T0 * 1000, (T0 + 120 * 60) * 1000, 6000)).astype(np.int64)
    p_bad = np.where((ts > (T0 + 30 * 60) * 1000) & (ts < (T0 + 70 * 60) * 1000), 0.3, 0.01)
    status = np.where(rng.random(ts.size) < p_bad, 500, 200)
    with Store.open(tmp_path / "s.duckdb", lateness_seconds=None) as store:
        store.ingest("requests", pa.table({"ts": ts, "status": status}), spec=spec, now=T0 + 130 * 60)
        slos = alerting_slos(spec)
        assert [s.name for s in slos] == ["api-availability", "api-uptime"]
        rules = (Rule("a", Tier(0.0, 3600, 300, "page", 1.0)),)
        for minute in (T0 // 60 + 50, T0 // 60 + 65, T0 // 60 + 100, T0 // 60 + 121):
            series = load_series(spec, store, slos, minute - 61, minute)
            states = {s.slo: s for s in evaluate_all(spec, store, minute * 60.0)}
            for s in series:
                ((_, _, _, _, long_burn, short_burn, _),) = verdicts_at(s, Policy("p", rules), minute)
                expect = states[s.slo].burn_rates
                for got, label in ((long_burn, "1h"), (short_burn, "5m")):
                    want = expect[label]
                    if want is None:
                        assert math.isnan(got)
                    else:
                        assert got == pytest.approx(want), (s.slo, minute, label)
