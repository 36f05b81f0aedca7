"""The alert state machine, step by step, and its persistence across a restart.

Oracle: the transitions written out by hand for each sequence of breaching evaluations.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from slokit.alerting.alert_store import AlertStore
from slokit.alerting.state import AlertKey, AlertState, due_notices, mark_notified, step

KEY = AlertKey("api-availability", "page-1h")


def run(seq: list[bool], for_s: float, t0: float = 1000.0, dt: float = 30.0) -> list[str]:
    s = AlertState(KEY)
    phases: list[str] = []
    for i, b in enumerate(seq):
        s, _ = step(s, b, t0 + i * dt, for_s, "page", 20.0, 30.0)
        phases.append(s.phase)
    return phases


def test_for_zero_fires_at_once_and_resolves() -> None:
    assert run([False, True, True, False, False], 0) == [
        "inactive",
        "firing",
        "firing",
        "resolved",
        "resolved",
    ]


def test_pending_for_two_minutes() -> None:
    # 30 s steps, for = 120 s: breaching at t=0,30,60,90,120 → fires at the fifth evaluation.
    assert run([True] * 6, 120) == ["pending"] * 4 + ["firing"] * 2


def test_pending_that_stops_is_not_announced() -> None:
    s = AlertState(KEY)
    records = []
    for i, b in enumerate([True, True, False]):
        s, tr = step(s, b, 100.0 + 30 * i, 120, "page")
        records += tr
        assert due_notices(s, 100.0 + 30 * i) == []
    assert [(t.from_phase, t.to_phase) for t in records] == [("inactive", "pending"), ("pending", "inactive")]


def test_notices_dedup_and_renotify() -> None:
    s, _ = step(AlertState(KEY), True, 0.0, 0, "page", 15.0, 16.0)
    first = due_notices(s, 0.0, renotify_seconds=3600)
    assert [(n.kind, n.repeat) for n in first] == [("firing", False)]
    s = mark_notified(s, first[0])
    for t in (30.0, 60.0, 3599.0):
        s, _ = step(s, True, t, 0, "page", 15.0, 16.0)
        assert due_notices(s, t, 3600) == []  # still firing: nothing new to say
    s, _ = step(s, True, 3600.0, 0, "page")
    again = due_notices(s, 3600.0, 3600)
    assert [(n.kind, n.repeat, n.alert_id) for n in again] == [("firing", True, first[0].alert_id)]
    s = mark_notified(s, again[0])
    s, tr = step(s, False, 3630.0, 0, "page")
    assert [(t.from_phase, t.to_phase) for t in tr] == [("firing", "resolved")]
    resolved = due_notices(s, 3630.0, 3600)
    assert [(n.kind, n.started_at, n.ended_at) for n in resolved] == [("resolved", 0.0, 3630.0)]
    s = mark_notified(s, resolved[0])
    assert due_notices(s, 3660.0, 3600) == []


def test_new_breach_after_resolve_is_a_new_alert() -> None:
    s, _ = step(AlertState(KEY), True, 0.0, 0, "page")
    old = s.alert_id
    s, _ = step(s, False, 60.0, 0, "page")
    s, _ = step(s, True, 120.0, 0, "page")
    assert s.phase == "firing" and s.alert_id != old


def test_peak_burn_is_the_confirmed_burn() -> None:
    s = AlertState(KEY)
    for t, (lb, sb) in enumerate([(15.0, 40.0), (30.0, 20.0), (18.0, 18.0)]):
        s, _ = step(s, True, float(t), 0, "page", lb, sb)
    # the burn both windows confirm is min(long, short): 15, 20, 18 → peak 20
    assert s.peak_burn == 20.0


def test_restart_neither_repages_nor_forgets(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    con = duckdb.connect(str(db))
    store = AlertStore(con)
    s, tr = step(AlertState(KEY), True, 0.0, 0, "page", 20.0, 25.0)
    other, tr2 = step(AlertState(AlertKey("web", "page-1h")), True, 0.0, 0, "page")
    store.save([s, other], tr + tr2)
    notice = due_notices(s, 0.0)[0]
    store.save([mark_notified(s, notice)])  # the page for KEY went out; the one for web did not
    con.close()

    con = duckdb.connect(str(db))  # restart
    store = AlertStore(con)
    states = store.load()
    assert states[KEY].phase == "firing" and states[KEY].alert_id == s.alert_id
    assert due_notices(states[KEY], 30.0) == []  # already sent: no second page
    pending = due_notices(states[AlertKey("web", "page-1h")], 30.0)
    assert [n.kind for n in pending] == ["firing"]  # never delivered: sent after the restart
    s2, tr3 = step(states[KEY], False, 60.0, 0, "page")
    store.save([s2], tr3)
    history = store.history(slo="api-availability")
    assert [(t.from_phase, t.to_phase, t.at) for t in history] == [
        ("inactive", "pending", 0.0),
        ("pending", "firing", 0.0),
        ("firing", "resolved", 60.0),
    ]
    assert [n.kind for n in due_notices(store.load()[KEY], 60.0)] == ["resolved"]
    con.close()


def test_a_store_written_before_budget_spent_gets_the_column(tmp_path: Path) -> None:
    """An ``alert_state`` table of the earlier schema (no ``budget_spent``) is read back, with the
    share unknown, and a new state keeps its share through a save and a reopen."""
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        """CREATE TABLE alert_state (
        slo VARCHAR NOT NULL, rule VARCHAR NOT NULL, grp VARCHAR NOT NULL,
        phase VARCHAR NOT NULL, severity VARCHAR NOT NULL, alert_id VARCHAR NOT NULL,
        since DOUBLE, fired_at DOUBLE, resolved_at DOUBLE, notified_at DOUBLE,
        resolved_notified BOOLEAN NOT NULL, peak_burn DOUBLE NOT NULL,
        long_burn DOUBLE, short_burn DOUBLE,
        PRIMARY KEY (slo, rule, grp))"""
    )
    con.execute(
        "INSERT INTO alert_state VALUES ('api', 'page-1h', '', 'firing', 'page', 'x1', "
        "60, 60, NULL, 60, false, 20.0, 20.0, 30.0)"
    )
    con.close()
    con = duckdb.connect(str(db))
    store = AlertStore(con)
    (old,) = store.load().values()
    assert (old.phase, old.notified_at, old.budget_spent) == ("firing", 60, None)
    new, _ = step(AlertState(AlertKey("pay", "page-1h")), True, 120.0, 0, "page", 166.0, 2000.0, 0.2315)
    store.save([new])
    con.close()
    con = duckdb.connect(str(db))
    assert AlertStore(con).load()[AlertKey("pay", "page-1h")].budget_spent == 0.2315
    con.close()
