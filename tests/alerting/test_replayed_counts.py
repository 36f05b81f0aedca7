"""``Replayed.of``: SLOs, objectives, groups and series of a backtest counted apart.

Oracle: the series below are built by hand, and each expected count is read off the list.
"""

from __future__ import annotations

import numpy as np

from slokit.alerting.backtest import Replayed, Series
from slokit.engine.series import MinuteCounts

COUNTS = MinuteCounts(0, np.zeros(3, np.int64), np.zeros(3, np.int64))


def series(slo: str, objective: int, labels: dict[str, str] | None) -> Series:
    return Series(
        slo,
        "svc",
        0.99,
        86400.0,
        COUNTS,
        objective=objective,
        labels=None if labels is None else tuple(labels.items()),
    )


def test_a_group_is_counted_once_per_slo_whichever_objectives_have_it() -> None:
    got = Replayed.of(
        [
            series("plain", 0, None),
            series("plain", 1, None),
            # grouped, two objectives; objective 1 has no data for /b, so /b is one series
            series("by-route", 0, {"route": "/a"}),
            series("by-route", 0, {"route": "/b"}),
            series("by-route", 1, {"route": "/a"}),
            # the same labels under another SLO are another group
            series("other", 0, {"route": "/a"}),
        ]
    )
    # SLOs: plain, by-route, other; objectives: 2 + 2 + 1; groups: /a, /b of by-route and /a of
    # other; series: the six listed
    assert got == Replayed(slos=3, objectives=5, groups=3, series=6)


def test_nothing_replayed() -> None:
    assert Replayed.of([]) == Replayed(0, 0, 0, 0)


def test_a_grouped_slo_without_groups_yet_is_one_series_and_no_group() -> None:
    assert Replayed.of([series("new", 0, None)]) == Replayed(slos=1, objectives=1, groups=0, series=1)
