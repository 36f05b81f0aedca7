"""Budget gates: the state an ErrorBudgetPolicy assigns and whether it blocks deploys.

Oracle: the states of the policy below, read by hand for each remaining budget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from slokit.alerting.gate import decide

POLICY = """\
apiVersion: slokit/v1
kind: ErrorBudgetPolicy
metadata: {name: deploy-gate}
spec:
  slos: [api-availability]
  states:
    - {name: healthy, below: 100}
    - {name: careful, below: 25}
    - {name: exhausted, below: 0, blockDeploys: true, description: only fixes ship}
"""


@pytest.mark.parametrize(
    ("remaining", "state", "blocks"),
    [
        (0.80, "healthy", False),
        (0.25, "careful", False),  # at or below 25 %
        (0.10, "careful", False),
        (0.0, "exhausted", True),
        (-0.4, "exhausted", True),
    ],
)
def test_states(specs: dict[str, Callable[..., Any]], remaining: float, state: str, blocks: bool) -> None:
    spec = specs["load"](specs["slo"](), POLICY)
    (v,) = decide(spec, {"api-availability": remaining})
    assert v.state is not None and v.state.name == state
    assert v.blocks is blocks
    if blocks:
        assert "blocks deploys" in v.reason and "only fixes ship" in v.reason


def test_no_data_and_ungated(specs: dict[str, Callable[..., Any]]) -> None:
    spec = specs["load"](specs["slo"](), specs["slo"]("other"), POLICY)
    verdicts = decide(spec, {"api-availability": None, "other": -1.0})
    assert [(v.slo, v.blocks) for v in verdicts] == [("api-availability", False), ("other", False)]
    assert "no data" in verdicts[0].reason
    assert "no ErrorBudgetPolicy" in verdicts[1].reason


def test_unknown_slo_is_named(specs: dict[str, Callable[..., Any]]) -> None:
    spec = specs["load"](specs["slo"](), POLICY)
    with pytest.raises(KeyError, match="no SLO named 'nope'"):
        decide(spec, {}, ["nope"])
