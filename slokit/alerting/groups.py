"""The group of an alert of a grouped SLO, written as labels and read back.

Kept apart from :mod:`slokit.alerting.measure` (which opens the store) so that notification code
can read the labels without importing DuckDB.
"""

from __future__ import annotations

import json
from collections.abc import Mapping


def labels_text(labels: Mapping[str, str]) -> str:
    """A group's labels as an alert's group: ``{route="/orders",method="GET"}`` (JSON strings)."""
    return "{" + ",".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in labels.items()) + "}"


def group_labels(group: str) -> dict[str, str]:
    """The labels written by :func:`labels_text` at the end of an alert's group ({} when none)."""
    start = group.find("{")
    if start < 0 or not group.endswith("}"):
        return {}
    decoder = json.JSONDecoder()
    text = group[start + 1 : -1]
    out: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        eq = text.find("=", pos)
        if eq < 0:
            return {}
        name = text[pos:eq]
        try:
            value, end = decoder.raw_decode(text, eq + 1)
        except json.JSONDecodeError:
            return {}
        if not isinstance(value, str):
            return {}
        out[name] = value
        pos = end + 1 if end < len(text) and text[end] == "," else end
        if end < len(text) and text[end] != ",":
            return {}
    return out
