"""Alert state and transition history, kept in the event store's DuckDB file.

Two tables of their own, created when absent, beside the store's tables and written through the
same connection (:meth:`AlertStore.of` takes a :class:`~slokit.sources.store.Store`):

* ``alert_state``: one row per alert key (SLO, rule, group) with its current
  :class:`~slokit.alerting.state.AlertState`;
* ``alert_transitions``: every :class:`~slokit.alerting.state.Transition`, append-only.

An evaluation pass saves its new states and transitions in one transaction before anything is
sent; after a notifier succeeds the evaluator saves the "announced" mark. So a restart reads
back firing alerts (not forgotten) together with whether they were announced (not re-paged),
and an announcement interrupted by a crash is made again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import duckdb

from slokit.alerting.state import PHASES, AlertKey, AlertState, Phase, Transition

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS alert_state (
        slo VARCHAR NOT NULL, rule VARCHAR NOT NULL, grp VARCHAR NOT NULL,
        phase VARCHAR NOT NULL, severity VARCHAR NOT NULL, alert_id VARCHAR NOT NULL,
        since DOUBLE, fired_at DOUBLE, resolved_at DOUBLE, notified_at DOUBLE,
        resolved_notified BOOLEAN NOT NULL, peak_burn DOUBLE NOT NULL,
        long_burn DOUBLE, short_burn DOUBLE,
        PRIMARY KEY (slo, rule, grp))""",
    # added later; stores written before it get the column (NULL: not known)
    "ALTER TABLE alert_state ADD COLUMN IF NOT EXISTS budget_spent DOUBLE",
    """CREATE TABLE IF NOT EXISTS alert_transitions (
        alert_id VARCHAR NOT NULL, slo VARCHAR NOT NULL, rule VARCHAR NOT NULL, grp VARCHAR NOT NULL,
        from_phase VARCHAR NOT NULL, to_phase VARCHAR NOT NULL, at_s DOUBLE NOT NULL,
        severity VARCHAR NOT NULL, long_burn DOUBLE, short_burn DOUBLE)""",
)

_STATE_COLUMNS = (
    "slo, rule, grp, phase, severity, alert_id, since, fired_at, resolved_at, notified_at, "
    "resolved_notified, peak_burn, long_burn, short_burn, budget_spent"
)


def _phase(value: Any) -> Phase:
    for p in PHASES:
        if p == value:
            return p
    raise ValueError(f"unknown alert phase {value!r} in the alert store")


class AlertStore:
    """Reads and writes alert state over a DuckDB connection it does not own."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        for statement in _SCHEMA:
            self._con.execute(statement)

    @classmethod
    def of(cls, store: Any) -> AlertStore:
        """The alert store inside an event store's file (its connection, its transactions)."""
        return cls(store.connection)

    def load(self) -> dict[AlertKey, AlertState]:
        rows = self._con.execute(f"SELECT {_STATE_COLUMNS} FROM alert_state").fetchall()
        out: dict[AlertKey, AlertState] = {}
        for r in rows:
            key = AlertKey(str(r[0]), str(r[1]), str(r[2]))
            out[key] = AlertState(
                key,
                _phase(r[3]),
                str(r[4]),
                str(r[5]),
                r[6],
                r[7],
                r[8],
                r[9],
                bool(r[10]),
                float(r[11]),
                r[12],
                r[13],
                r[14],
            )
        return out

    def save(self, states: Iterable[AlertState], transitions: Sequence[Transition] = ()) -> None:
        """Upsert ``states`` and append ``transitions``, atomically."""
        rows = [
            (
                s.key.slo,
                s.key.rule,
                s.key.group,
                s.phase,
                s.severity,
                s.alert_id,
                s.since,
                s.fired_at,
                s.resolved_at,
                s.notified_at,
                s.resolved_notified,
                s.peak_burn,
                s.long_burn,
                s.short_burn,
                s.budget_spent,
            )
            for s in states
        ]
        trows = [
            (
                t.alert_id,
                t.key.slo,
                t.key.rule,
                t.key.group,
                t.from_phase,
                t.to_phase,
                t.at,
                t.severity,
                t.long_burn,
                t.short_burn,
            )
            for t in transitions
        ]
        if not rows and not trows:
            return
        self._con.begin()
        try:
            if rows:
                self._con.executemany(
                    f"INSERT OR REPLACE INTO alert_state ({_STATE_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
            if trows:
                self._con.executemany(
                    "INSERT INTO alert_transitions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", trows
                )
            self._con.commit()
        except BaseException:
            self._con.rollback()
            raise

    def history(self, slo: str | None = None, since: float | None = None) -> list[Transition]:
        """Recorded transitions in the order they happened, optionally for one SLO or since an instant."""
        where: list[str] = []
        params: list[Any] = []
        if slo is not None:
            where.append("slo = ?")
            params.append(slo)
        if since is not None:
            where.append("at_s >= ?")
            params.append(since)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._con.execute(
            "SELECT alert_id, slo, rule, grp, from_phase, to_phase, at_s, severity, long_burn, short_burn "
            f"FROM alert_transitions {clause} ORDER BY at_s, rowid",
            params,
        ).fetchall()
        return [
            Transition(AlertKey(r[1], r[2], r[3]), r[0], _phase(r[4]), _phase(r[5]), r[6], r[7], r[8], r[9])
            for r in rows
        ]

    def firing(self) -> Mapping[AlertKey, AlertState]:
        return {k: s for k, s in self.load().items() if s.phase == "firing"}
