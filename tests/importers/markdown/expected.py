"""Reading hand-written expected-objective files and comparing them with what the parser read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from slokit.importers.markdown import ImportedObjective

FIELDS = ("kind", "target", "op", "threshold", "unit", "percentile", "window")
DOCS = Path(__file__).resolve().parents[2] / "data" / "docs"
SEEDS = Path(__file__).resolve().parents[4] / "shared" / "seeds"


def load_expected(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    assert isinstance(data, list)
    return data


def as_fields(obj: ImportedObjective) -> dict[str, Any]:
    window = f"{obj.window} {obj.window_type}" if obj.window else None
    return {
        "line": obj.source_line,
        "service": obj.service,
        "kind": obj.sli_kind,
        "target": obj.target_percent,
        "op": obj.op,
        "threshold": obj.threshold,
        "unit": obj.unit,
        "percentile": obj.percentile,
        "window": window,
    }


def comparable(expected: dict[str, Any], actual: dict[str, Any]) -> dict[str, Any]:
    """``actual`` restricted to the keys the expected entry states, numbers as floats."""
    out: dict[str, Any] = {}
    for key in expected:
        value = actual.get(key)
        out[key] = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    return out


def normalised(expected: dict[str, Any]) -> dict[str, Any]:
    return {
        k: float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
        for k, v in expected.items()
    }
