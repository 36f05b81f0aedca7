"""The scenarios and the example specs can never drift apart silently.

The oracle is the example YAML itself, loaded by slokit's loader: every stream and field a
``type: slokit`` binding reads must be produced by the scenario, and every SLO or service name
the scenario writes into ground truth must exist in the spec.
"""

from __future__ import annotations

import pytest

from slokit.simulator import scenario
from slokit.spec.model import SLO, MetricSource, SlokitQuery

from .conftest import example_spec

#: SLOs no source lists as affected by its errors or latencies, and why.
NOT_TIED_TO_A_SOURCE = {
    # a failed nightly backup is re-run the same day, so no injected incident reaches it
    "cnc-backup-retention",
    # DFM verdicts are a property of the uploaded files (1.5 % fail), which no incident changes
    "cnc-dfm-analysis-failures",
}


def bindings(slo: SLO) -> list[tuple[str, SlokitQuery]]:
    found = []
    for objective in slo.objectives:
        sli = slo.indicator_for(objective)
        sources: list[tuple[str, MetricSource | None]] = []
        if sli.ratio_metric is not None:
            rm = sli.ratio_metric
            sources += [("total", rm.total), ("good", rm.good), ("bad", rm.bad)]
        if sli.threshold_metric is not None:
            sources.append(("threshold", sli.threshold_metric.source))
        for role, source in sources:
            if source is not None and isinstance(source.binding, SlokitQuery):
                found.append((role, source.binding))
    return found


def test_every_stream_and_field_a_binding_reads_is_generated(example: str) -> None:
    spec = example_spec(example)
    sc = scenario(example)
    checked = 0
    for slo in spec:
        for role, binding in bindings(slo):
            assert binding.stream in sc.streams, f"{slo.name} ({role}) reads stream {binding.stream!r}"
            produced = sc.fields(binding.stream)
            needed = set(binding.where.fields) if binding.where is not None else set()
            if binding.value is not None:
                needed.add(binding.value)
            missing = needed - produced
            assert not missing, f"{slo.name} ({role}) reads {sorted(missing)} not in stream {binding.stream}"
            checked += 1
    assert checked >= len(spec)  # every SLO has at least one binding


def test_ground_truth_names_exist_in_the_spec(example: str) -> None:
    spec = example_spec(example)
    sc = scenario(example)
    listed: set[str] = set()
    for source in sc.sources:
        for name in (*source.error_slos, *source.latency_slos, *(d.slo for d in source.daily_slos)):
            assert name in spec.slos, f"source {source.name} names unknown SLO {name}"
            listed.add(name)
    for template in sc.templates:
        assert template.service in spec.services, f"incident on unknown service {template.service}"
        for effect in template.effects:
            sc.source(effect.source)  # raises for an unknown source
    assert set(spec.slos) - listed == {n for n in NOT_TIED_TO_A_SOURCE if n in spec.slos}


def test_slow_burns_run_at_twice_the_budget_of_the_objective_they_hurt(example: str) -> None:
    spec = example_spec(example)
    sc = scenario(example)
    burns = [t for t in sc.templates if t.kind == "slow_burn"]
    assert burns
    for template in burns:
        for effect in template.effects:
            source = sc.source(effect.source)
            objectives = [
                spec.slos[name]
                for name in source.error_slos
                if "objective" in spec.slos[name].metadata.labels["stage"]
            ]
            assert objectives, f"{source.name} feeds no objective"
            target = objectives[0].objectives[0].target
            assert effect.error_rate == pytest.approx(2 * (1 - target))
            assert source.error_rate < effect.error_rate / 4  # the baseline is well inside the budget
