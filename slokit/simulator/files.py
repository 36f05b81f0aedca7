"""Writing a simulation to disk: one file per stream, the incidents and a manifest.

Files are written chunk by chunk (six simulated hours at a time), so a 30-day run of a busy
platform never sits in memory at once. Output is byte-for-byte deterministic for the same
scenario, seed, range and rate scale: nothing time- or machine-dependent is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from slokit.simulator.generate import CHUNK_MS, Simulation
from slokit.simulator.incidents import rfc3339
from slokit.simulator.traffic import DAY_MS

Format = Literal["parquet", "jsonl"]
FORMATS: tuple[Format, ...] = ("parquet", "jsonl")
MANIFEST = "manifest.json"
INCIDENTS = "incidents.json"
#: Parquet row groups end at every UTC midnight and whenever they reach this many rows. A row
#: group never spans more than a day, so ``slokit ingest``, which reads a row group at a time,
#: never sees a batch reaching back further than its default lateness (48 h).
ROW_GROUP_ROWS = 1 << 20


def write(
    sim: Simulation,
    out: Path,
    fmt: Format = "parquet",
    progress: Callable[[int, int], None] | None = None,
    example: str | None = None,
) -> dict[str, Any]:
    """Write every stream, ``incidents.json`` and ``manifest.json`` under ``out``; the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    writers = {
        stream: _writer(fmt, out / f"{stream}.{fmt}", sim.schema(stream)) for stream in sim.scenario.streams
    }
    counts = dict.fromkeys(sim.scenario.streams, 0)
    chunks = sim.chunks()
    try:
        for done, ((_, chunk_end), batch) in enumerate(zip(chunks, sim.batches(), strict=True), start=1):
            for stream, table in batch.items():
                counts[stream] += table.num_rows
                writers[stream].add(table)
                if chunk_end % DAY_MS == 0:
                    writers[stream].flush()
            if progress is not None:
                progress(done, len(chunks))
    finally:
        for writer in writers.values():
            writer.close()
    (out / INCIDENTS).write_text(
        json.dumps([incident.to_json() for incident in sim.incidents], indent=2) + "\n", encoding="utf-8"
    )
    manifest = {
        "example": example or sim.scenario.name,
        "seed": sim.seed,
        "start": rfc3339(sim.start_ms),
        "end": rfc3339(sim.end_ms),
        "rate_scale": sim.rate_scale,
        "format": fmt,
        "chunk_hours": CHUNK_MS // 3_600_000,
        "streams": {
            stream: {"file": f"{stream}.{fmt}", "events": counts[stream]} for stream in sim.scenario.streams
        },
        "events": sum(counts.values()),
        "incidents": {"file": INCIDENTS, "count": len(sim.incidents)},
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


class _Writer:
    def add(self, table: pa.Table) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        """End the current row group (Parquet); nothing to do for line formats."""

    def close(self) -> None:
        raise NotImplementedError


class _ParquetWriter(_Writer):
    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._writer = pq.ParquetWriter(path, schema, compression="zstd")
        self._pending: list[pa.Table] = []
        self._rows = 0

    def add(self, table: pa.Table) -> None:
        if table.num_rows:
            self._pending.append(table)
            self._rows += table.num_rows
        if self._rows >= ROW_GROUP_ROWS:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self._writer.write_table(pa.concat_tables(self._pending), row_group_size=max(self._rows, 1))
        self._pending = []
        self._rows = 0

    def close(self) -> None:
        self.flush()
        self._writer.close()


class _JsonlWriter(_Writer):
    def __init__(self, path: Path) -> None:
        self._file = path.open("wb")

    def add(self, table: pa.Table) -> None:
        if table.num_rows:
            self._file.write(jsonl_bytes(table))

    def close(self) -> None:
        self._file.close()


def _writer(fmt: Format, path: Path, schema: pa.Schema) -> _Writer:
    return _ParquetWriter(path, schema) if fmt == "parquet" else _JsonlWriter(path)


def jsonl_bytes(table: pa.Table) -> bytes:
    """The table as JSON Lines, built with Arrow kernels (no Python loop per event).

    Null fields are left out of their line, which is what a missing field means to a predicate;
    so are NaN and infinite numbers, which JSON cannot write.
    """
    members = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        key = json.dumps(name) + ":"
        kind = column.type
        if pa.types.is_string(kind):
            members.append(pc.binary_join_element_wise(key, _json_strings(column), ""))
        elif pa.types.is_floating(kind):
            finite = pc.if_else(pc.is_finite(column), column, pa.scalar(None, kind))  # JSON has no NaN
            members.append(pc.binary_join_element_wise(key, pc.cast(finite, pa.string()), ""))
        elif pa.types.is_boolean(kind) or pa.types.is_integer(kind):
            members.append(pc.binary_join_element_wise(key, pc.cast(column, pa.string()), ""))
        else:
            raise TypeError(f"cannot write a {kind} column as JSON")
    body = pc.binary_join_element_wise(*members, ",", null_handling="skip")
    lines = pc.binary_join_element_wise("{", body, "}\n", "")
    array = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    return _string_bytes(array)


def _json_strings(column: Any) -> Any:
    """Text values as JSON string literals: Arrow kernels for the usual case, ``json.dumps`` for
    values holding control characters (which JSON requires as escapes)."""
    if pc.any(pc.match_substring_regex(column, "[\\x00-\\x1f]")).as_py():
        values = column.to_pylist()
        return pa.array(
            [None if v is None else json.dumps(v, ensure_ascii=False) for v in values], pa.string()
        )
    escaped = pc.replace_substring(pc.replace_substring(column, "\\", "\\\\"), '"', '\\"')
    return pc.binary_join_element_wise('"', escaped, '"', "")


def _string_bytes(array: pa.Array) -> bytes:
    """The concatenated values of a string array: its data buffer between the first and last offset."""
    if array.type != pa.string():
        array = array.cast(pa.string())
    offsets = array.buffers()[1]
    data = array.buffers()[2]
    if data is None or offsets is None:
        return b""
    view = memoryview(offsets).cast("i")
    begin = view[array.offset]
    end = view[array.offset + len(array)]
    return bytes(memoryview(data)[begin:end])
