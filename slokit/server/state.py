"""The server's shared state: the spec, the store, runtime tables and the lock around them.

DuckDB connections are not safe to use from several threads at once, and ingest, reads and the
background evaluator all use the store's one connection: every use goes through
:meth:`ServerState.locked`. Writes are short transactions (one batch), so one lock costs little
and keeps every read consistent with a committed batch boundary.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from slokit.alerting.alert_store import AlertStore
from slokit.alerting.policy import AlertSettings, load_settings
from slokit.errors import SlokitError
from slokit.server.runtime import RuntimeTables, with_corrections
from slokit.sources.store import DEFAULT_LATENESS_SECONDS, Store
from slokit.spec.loader import load_paths
from slokit.spec.model import Spec

#: Largest request body accepted by ingest (after decompression too).
DEFAULT_MAX_BODY = 32 * 1024 * 1024
#: Most events in one ingest request.
DEFAULT_MAX_EVENTS = 200_000
#: DuckDB checkpoints the store file once its own write-ahead log passes this size.
CHECKPOINT_THRESHOLD = "2MiB"


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """What ``slokit serve`` was started with."""

    spec_paths: tuple[str, ...]
    store_path: str
    #: Bearer token for ingest and admin (and reads when ``protect_read``).
    token: str
    protect_read: bool = False
    max_body_bytes: int = DEFAULT_MAX_BODY
    max_events: int = DEFAULT_MAX_EVENTS
    eval_interval: float = 30.0
    watch_interval: float = 2.0
    lateness_seconds: float | None = DEFAULT_LATENESS_SECONDS
    alert_settings: str | None = None
    #: Notification settings (where each AlertNotificationTarget delivers); None = log notices only.
    notify_settings: str | None = None
    cors_origins: tuple[str, ...] = field(default=())


class ServerState:
    """Spec, store and runtime tables behind one lock; reloads the spec on request or file change."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._lock = threading.RLock()
        self.base_spec = self._load()
        self.settings: AlertSettings | None = (
            load_settings(config.alert_settings) if config.alert_settings else None
        )
        # The ingest path checks lateness itself, batch by batch in arrival order, before the
        # write-ahead log; the store folds many such batches at once, where its own check
        # (against the newest event of the combined batch) would reject events already accepted.
        self.store = Store.open(config.store_path, lateness_seconds=None)
        # DuckDB keeps the rows committed since its last checkpoint in memory, uncompressed,
        # until its own log passes the threshold. The folds commit rows every half second: at
        # 500 k events/s, with DuckDB's default (16 MiB) that memory grew by ~16 MiB over the ~6
        # minutes between checkpoints (the 10-minute soak's growth, +8 to +12 % depending on
        # where it ended in that cycle); with 2 MiB a checkpoint comes every ~50 s and it stays
        # under 3 MiB (the checkpointed file is ~3x smaller than those rows were in memory).
        self.store.connection.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        self.runtime = RuntimeTables(self.store._con)
        self.alerts = AlertStore.of(self.store)
        self.spec = with_corrections(self.base_spec, self.runtime.corrections())
        self.store.register(self.spec)
        self.generation = 0
        #: Bumped by every change an SLO list could show (a committed batch, corrections, a spec,
        #: alert transitions): the overview answer is cached per (version, minute).
        self.version = 0
        self.overview_cache: tuple[tuple[int, int], bytes] | None = None
        self._mtimes = self._spec_mtimes()
        self.ready = True
        #: Why the last automatic reload failed (None after a good load).
        self.reload_failed: str | None = None
        #: Called under the lock before every use of the store (the ingest pipeline folds the
        #: batches it has acknowledged but not yet moved into the store).
        self.before_read: Callable[[], None] | None = None

    @property
    def lock(self) -> threading.RLock:
        """The store lock itself, for the fold, which must not call :attr:`before_read`."""
        return self._lock

    def _load(self) -> Spec:
        spec, _ = load_paths(self.config.spec_paths)
        return spec

    @contextlib.contextmanager
    def locked(self) -> Iterator[Store]:
        """The store, under the lock, with every acknowledged batch folded into it."""
        with self._lock:
            if self.before_read is not None:
                self.before_read()
            yield self.store

    def close(self) -> None:
        with self._lock:
            self.store.close()

    # --- spec ---

    def reload(self) -> Spec:
        """Load the spec files again; a broken spec raises and the old one stays in use."""
        spec = self._load()
        with self._lock:
            self.base_spec = spec
            self.refresh_corrections()
            self.generation += 1
            self.reload_failed = None
            self._mtimes = self._spec_mtimes()
        return spec

    def touch(self) -> None:
        self.version += 1

    def refresh_corrections(self) -> None:
        with self._lock:
            self.version += 1
            self.spec = with_corrections(self.base_spec, self.runtime.corrections())
            self.store.register(self.spec)

    def _spec_mtimes(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for p in self.config.spec_paths:
            path = Path(p)
            files = (
                [path] if path.is_file() else [f for f in path.rglob("*") if f.suffix in (".yaml", ".yml")]
            )
            for f in files:
                with contextlib.suppress(OSError):
                    out[str(f)] = f.stat().st_mtime
        return out

    def mark_seen(self) -> None:
        """Remember the files' current times, so a broken edit is reported once, not every check."""
        self._mtimes = self._spec_mtimes()

    def spec_changed(self) -> bool:
        return self._spec_mtimes() != self._mtimes

    def spec_yaml(self, slo_name: str) -> str | None:
        """The YAML document an SLO was written in, cut from its file (None when not found)."""
        slo = self.spec.slos.get(slo_name)
        if slo is None or slo.location is None or not os.path.isfile(slo.location.file):
            return None
        try:
            text = Path(slo.location.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        docs = re.split(r"^---[ \t]*$", text, flags=re.MULTILINE)
        name_line = re.compile(rf"^\s+name:\s*['\"]?{re.escape(slo_name)}['\"]?\s*$", re.MULTILINE)
        for doc in docs:
            if re.search(r"^kind:\s*SLO\s*$", doc, re.MULTILINE) and name_line.search(doc):
                return doc.strip("\n") + "\n"
        return None


def token_from(explicit: str | None, env_name: str = "SLOKIT_API_TOKEN") -> str | None:
    """The configured token: the explicit one, else the environment variable."""
    if explicit:
        return explicit
    value = os.environ.get(env_name, "")
    return value or None


def require_token(token: str | None) -> str:
    if not token:
        raise SlokitError("no API token: set SLOKIT_API_TOKEN (or the variable named by --token-env)")
    return token
