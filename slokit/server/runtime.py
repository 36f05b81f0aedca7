"""What the server adds at run time, kept in the store's DuckDB file beside the store's tables.

* ``server_corrections``: corrections added through the admin API (planned maintenance declared
  while the server runs). They join the spec's own corrections for every evaluation, and survive
  a restart because they live in the same file as the events they correct.
* ``server_acks``: alert acknowledgements with their times, so "critical alerts: < 15 minutes
  response" becomes measurable as ``acked_at - fired_at``.

Both tables are written through the store's connection; the caller holds the server's store lock.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from slokit.spec.model import Correction, Metadata, Selector, Spec

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS server_corrections (
        id VARCHAR PRIMARY KEY, slo VARCHAR NOT NULL, start_s DOUBLE NOT NULL,
        duration_s BIGINT NOT NULL, reason VARCHAR NOT NULL, created_at DOUBLE NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS server_acks (
        alert_id VARCHAR PRIMARY KEY, acked_at DOUBLE NOT NULL, acked_by VARCHAR NOT NULL,
        note VARCHAR NOT NULL)""",
)


@dataclass(frozen=True, slots=True)
class RuntimeCorrection:
    id: str
    slo: str
    start: float
    duration_seconds: int
    reason: str
    created_at: float

    def to_correction(self) -> Correction:
        return Correction(
            metadata=Metadata(name=f"runtime-{self.id}"),
            start=datetime.fromtimestamp(self.start, UTC),
            duration_seconds=self.duration_seconds,
            selector=Selector(slos=(self.slo,)),
            reason=self.reason,
            description="added through the API",
        )


@dataclass(frozen=True, slots=True)
class Ack:
    alert_id: str
    acked_at: float
    acked_by: str
    note: str


class RuntimeTables:
    """Runtime corrections and acknowledgements over a DuckDB connection the caller owns."""

    def __init__(self, con: Any) -> None:
        self._con = con
        for statement in _SCHEMA:
            self._con.execute(statement)

    def corrections(self) -> list[RuntimeCorrection]:
        rows = self._con.execute(
            "SELECT id, slo, start_s, duration_s, reason, created_at FROM server_corrections ORDER BY start_s"
        ).fetchall()
        return [
            RuntimeCorrection(str(a), str(b), float(c), int(d), str(e), float(f)) for a, b, c, d, e, f in rows
        ]

    def add_correction(self, slo: str, start: float, duration_seconds: int, reason: str) -> RuntimeCorrection:
        c = RuntimeCorrection(uuid.uuid4().hex[:12], slo, start, duration_seconds, reason, time.time())
        self._con.execute(
            "INSERT INTO server_corrections VALUES (?, ?, ?, ?, ?, ?)",
            [c.id, c.slo, c.start, c.duration_seconds, c.reason, c.created_at],
        )
        return c

    def remove_correction(self, correction_id: str) -> bool:
        found = self._con.execute("SELECT 1 FROM server_corrections WHERE id = ?", [correction_id]).fetchall()
        if not found:
            return False
        self._con.execute("DELETE FROM server_corrections WHERE id = ?", [correction_id])
        return True

    def acks(self) -> dict[str, Ack]:
        rows = self._con.execute("SELECT alert_id, acked_at, acked_by, note FROM server_acks").fetchall()
        return {str(a): Ack(str(a), float(b), str(c), str(d)) for a, b, c, d in rows}

    def ack(self, alert_id: str, by: str, note: str, at: float | None = None) -> Ack:
        """Record the first acknowledgement of an alert; a repeated one keeps the first time."""
        existing = self.acks().get(alert_id)
        if existing is not None:
            return existing
        a = Ack(alert_id, time.time() if at is None else at, by, note)
        self._con.execute(
            "INSERT INTO server_acks VALUES (?, ?, ?, ?)", [a.alert_id, a.acked_at, a.acked_by, a.note]
        )
        return a


def with_corrections(spec: Spec, extra: list[RuntimeCorrection]) -> Spec:
    """``spec`` with the runtime corrections added (for SLOs it still has)."""
    if not extra:
        return spec
    added = {f"runtime-{c.id}": c.to_correction() for c in extra if c.slo in spec.slos}
    return replace(spec, corrections={**spec.corrections, **added})
