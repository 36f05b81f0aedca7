"""PromQL text helpers shared by the rule generators.

Small and exact on purpose: durations and numbers are written the way Prometheus (and Go)
write them, so generated rules read like hand-written ones and Sloth-compatible output matches
Sloth's byte for byte where Sloth's formatting is visible (``4w`` for 28 days, ``14.4``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal

from slokit.spec.bindings import WINDOW_PLACEHOLDER, promql_shape_problem

#: Units Prometheus' ``model.Duration.String`` uses, largest first; years and weeks only when exact.
_UNITS: tuple[tuple[str, int, bool], ...] = (
    ("y", 365 * 86400, True),
    ("w", 7 * 86400, True),
    ("d", 86400, False),
    ("h", 3600, False),
    ("m", 60, False),
    ("s", 1, False),
)
_LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def prom_duration(seconds: float) -> str:
    """``seconds`` as Prometheus prints a duration: 300 → ``5m``, 28 d → ``4w``, 30 d → ``30d``.

    Whole milliseconds are kept (``1s500ms``); weeks and years only when they divide exactly,
    as Prometheus does (90 days is ``90d``, not ``12w6d``).
    """
    ms = round(seconds * 1000)
    if ms <= 0:
        return "0s"
    out = ""
    for unit, size, exact in _UNITS:
        mult = size * 1000
        if exact and ms % mult:
            continue
        count, ms = divmod(ms, mult)
        if count:
            out += f"{count}{unit}"
    if ms:
        out += f"{ms}ms"
    return out


def go_float(value: float) -> str:
    """A float as Go's ``%g``/``%v`` prints it: shortest round-trip digits, ``2`` not ``2.0``.

    Python's ``repr`` gives the same digits (both are shortest round-trip); only the layout
    differs: Go uses exponent form when the decimal exponent is below -4 or at least 6
    (``1e+06``, ``1e-05``), with at least two exponent digits.
    """
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    exp = len(text) + exponent - 1  # decimal exponent of the first digit
    prefix = "-" if sign else ""
    if exp < -4 or exp >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{prefix}0.{'0' * (-exp - 1)}{text}"
    if len(text) <= exp + 1:
        return prefix + text + "0" * (exp + 1 - len(text))
    return f"{prefix}{text[: exp + 1]}.{text[exp + 1 :]}"


def go_quote(value: str) -> str:
    """A label value in double quotes with Go ``%q`` escapes (``"``, ``\\``, control characters)."""
    return json.dumps(value, ensure_ascii=False)


def label_filter(labels: Mapping[str, str]) -> str:
    """``{a="1", b="2"}``: sorted matchers as Prometheus' ``LabelSet.String`` writes them."""
    body = ", ".join(f"{key}={go_quote(labels[key])}" for key in sorted(labels))
    return "{" + body + "}"


def matchers(labels: Mapping[str, str]) -> str:
    """Equality matchers for a selector body, without braces: ``a="1",b="2"`` (sorted)."""
    return ",".join(f"{key}={go_quote(labels[key])}" for key in sorted(labels))


def label_name(text: str) -> str:
    """A valid Prometheus label name for ``text`` (OpenSLO label keys may hold ``-``, ``.``, ``/``)."""
    name = re.sub(r"[^a-zA-Z0-9_]", "_", text)
    if not name or name[0].isdigit():
        name = "_" + name
    return name


def is_label_name(text: str) -> bool:
    return _LABEL_NAME_RE.fullmatch(text) is not None


def fill_window(query: str, window: str) -> str:
    """The query with its ``{{window}}`` placeholder replaced by a PromQL duration."""
    return query.replace(WINDOW_PLACEHOLDER, window)


def le_pattern(value: float) -> str:
    """A regex (RE2, as in a ``le=~`` matcher) matching the spellings of one bucket bound.

    Exposition libraries write the bound 0.4 as ``0.4`` and Prometheus 3 normalises classic
    histogram ``le`` labels to float form (``1`` becomes ``1.0``); older series and other
    clients keep what they scraped. The pattern accepts the digits with any number of trailing
    zeros after the point (``0.4``, ``0.40``, ``1``, ``1.0``) and the exponent form Go writes
    for very large or small bounds (``1e+06``). Backslashes are doubled for the PromQL string.
    """
    if not value == value or value in (float("inf"), float("-inf")):
        raise ValueError("a bucket bound must be a finite number")
    plain = format(Decimal(repr(value)).normalize(), "f")
    if "." in plain:
        whole, frac = plain.split(".")
        pattern = re.escape(whole) + r"\." + frac + "0*"
    else:
        pattern = re.escape(plain) + r"(\.0*)?"
    alternatives = [pattern]
    go = go_float(value)
    if "e" in go:
        alternatives.append(re.escape(go))
    return "|".join(alternatives).replace("\\", "\\\\")


def shape_problem(expr: str) -> str | None:
    """A structural problem of a generated expression (unbalanced brackets, open string), or None."""
    found = promql_shape_problem(expr)
    if found is None:
        return None
    message, offset = found
    return f"{message} (character {offset + 1})"
