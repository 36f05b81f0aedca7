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
    """The labels written by :func:`labels_text` at the end of an alert's group ({} when none).

    The group may start with an objective's name, which may itself hold a brace: the labels are
    the first brace from which the rest parses as labels to the end.
    """
    if not group.endswith("}"):
        return {}
    start = group.find("{")
    while start >= 0:
        found = _parse_labels(group[start + 1 : -1])
        if found is not None:
            return found
        start = group.find("{", start + 1)
    return {}


def _parse_labels(text: str) -> dict[str, str] | None:
    """``name="value",...`` (JSON strings) into a dict; None when ``text`` is not that."""
    decoder = json.JSONDecoder()
    out: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        eq = text.find("=", pos)
        if eq <= pos or any(c in '{}",' for c in text[pos:eq]):
            return None
        try:
            value, end = decoder.raw_decode(text, eq + 1)
        except json.JSONDecodeError:
            return None
        if not isinstance(value, str):
            return None
        out[text[pos:eq]] = value
        if end == len(text):
            break
        if text[end] != "," or end + 1 == len(text):
            return None
        pos = end + 1
    return out
