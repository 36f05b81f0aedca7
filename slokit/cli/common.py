"""What several commands do the same way: read --at, load the spec and its --slo names, open a store.

Keeping it here means every command words these errors alike and exits with the same codes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from slokit.cli.validate import check_paths
from slokit.errors import SlokitError, UsageError
from slokit.spec.loader import load_paths
from slokit.spec.model import Spec

if TYPE_CHECKING:  # imported when a store is opened: the Prometheus path never needs DuckDB
    from slokit.sources.store import Store


def parse_at(text: str, flag: str = "--at") -> datetime:
    """An instant from a flag (ISO 8601; UTC when it has no offset); a bad value is a usage error."""
    if text.strip().lower() == "now":  # the default: no need to import the budget command for it
        return datetime.now(UTC)
    from slokit.cli.budget import parse_instant

    try:
        return parse_instant(text, ZoneInfo("UTC"))
    except ValueError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def load_spec(paths: tuple[str, ...], slo_names: tuple[str, ...] = ()) -> Spec:
    """The spec at ``paths``; every ``--slo`` name must be one of its SLOs."""
    check_paths(paths)
    spec, _ = load_paths(paths)
    for name in slo_names:
        if name not in spec.slos:
            known = ", ".join(sorted(spec.slos)) or "none"
            raise UsageError(f"--slo {name!r}: the spec has no such SLO; known SLOs: {known}")
    return spec


def open_store_read_only(store_path: str) -> Store:
    """An existing store, opened for reading; a missing one says how to create it."""
    if Path(store_path).is_dir():
        raise SlokitError(
            f"--store {store_path} is a folder; give the store file written by slokit ingest, "
            f"e.g. --store {Path(store_path) / 'slo.duckdb'}"
        )
    if not Path(store_path).is_file():
        raise SlokitError(
            f"no store at {store_path}: create one with slokit ingest FILE --store {store_path}"
        )
    from slokit.sources.store import Store

    return Store.open(store_path, read_only=True)  # a held lock or a foreign file: a message with a hint
