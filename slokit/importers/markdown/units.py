"""Units after a number: time (ms … days), rates (requests/min, RPS), percentages, sizes.

Each unit is matched in several languages and normalised to one spelling, so ``2 sekunder``,
``2 s`` and ``2 seconds`` all read as ``2 s``. Thresholds keep the unit the author wrote (a
document that says ``2 s`` is not rewritten to ``2000 ms``); bindings convert when they need to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

UnitKind = Literal["time", "rate", "percent", "size"]

#: canonical time unit -> milliseconds
TIME_UNIT_MS: dict[str, float] = {
    "us": 0.001,
    "ms": 1.0,
    "s": 1000.0,
    "min": 60_000.0,
    "h": 3_600_000.0,
    "d": 86_400_000.0,
}

_TIME_WORDS: dict[str, str] = {
    "us": r"us|µs|μs|microseconds?|mikrosekunder|mikrosekunden?|microsegundos?|microsecondes?",
    "ms": r"ms|msec|millis|milliseconds?|millisekund(?:er)?|millisekunden?|milisegundos?|millisecondes?",
    "s": r"s|secs?|seconds?|sekund(?:er)?|sekunden?|sek|segundos?|secondes?|seg",
    "min": r"min|mins|minutes?|minut(?:ter)?|minuten?|minutos?|m",
    "h": r"h|hrs?|hours?|timer?|stunden?|std|horas?|heures?",
    "d": r"d|days?|dage?|døgn|tage?n?|días?|dias|jours?",
}

_RATE_NOUNS: dict[str, str] = {
    "requests": r"requests?|reqs?|calls|anmodninger|ordreanmodninger|forespørgsler|kald|anfragen|aufrufe|"
    r"requests|peticiones|solicitudes|requêtes|appels|queries",
    "orders": r"orders|ordrer|bestellungen|pedidos|commandes",
    "messages": r"messages|msgs|beskeder|meddelelser|nachrichten|mensajes",
    "events": r"events|hændelser|ereignisse|eventos|événements",
    "operations": r"ops|operations|writes|reads|jobs|operationer|operationen|operaciones|opérations",
    "transactions": r"transactions|transaktioner|transaktionen|transacciones",
}
_RATE_PER: dict[str, str] = {
    "s": r"s|sec|second|sekund|sekunde|segundo|seconde",
    "min": r"min|minute|minut|minuto",
    "h": r"h|hour|time|stunde|hora|heure",
}
_RATE_SHORT: dict[str, str] = {
    "rps": "requests/s",
    "qps": "requests/s",
    "tps": "transactions/s",
    "rpm": "requests/min",
}


def _alt(mapping: dict[str, str]) -> str:
    return "|".join(f"(?P<{key.replace('/', '_')}>{pattern})" for key, pattern in mapping.items())


_TIME_RE = re.compile(rf"\s*(?:{_alt(_TIME_WORDS)})(?![\w/])", re.IGNORECASE)
_PERCENT_RE = re.compile(
    r"\s*(?:%|percent\b|per cent\b|procent\b|prozent\b|por ciento\b|pour cent\b|pct\b)", re.IGNORECASE
)
_SIZE_RE = re.compile(r"\s*(?:[kmgt]i?b|bytes?)\b", re.IGNORECASE)
_RATE_RE = re.compile(
    r"\s*(?:(?P<short>rps|qps|tps|rpm)\b|(?:[\w-]+\s+){0,2}?(?P<noun>"
    + "|".join(_RATE_NOUNS.values())
    + r")?\s*(?:/|per\b|pr\.|pro\b|por\b|par\b|à la\b|i\b|a\b)\s*(?P<per>"
    + "|".join(p for p in _RATE_PER.values())
    + r")s?\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit read after a number: canonical spelling, what it measures, and how many chars it took."""

    name: str
    kind: UnitKind
    length: int


def _rate_name(noun: str | None, per: str) -> str:
    canonical_noun = "requests"
    if noun:
        for key, pattern in _RATE_NOUNS.items():
            if re.fullmatch(pattern, noun, re.IGNORECASE):
                canonical_noun = key
                break
    canonical_per = "s"
    for key, pattern in _RATE_PER.items():
        if re.fullmatch(pattern, per, re.IGNORECASE):
            canonical_per = key
            break
    return f"{canonical_noun}/{canonical_per}"


def read_unit(text: str, pos: int) -> Unit | None:
    """The unit starting at ``pos`` (after optional spaces), or None."""
    ahead = text[pos : pos + 40].lstrip()[:1]
    if not ahead or not (ahead.isalpha() or ahead in "%/"):
        return None
    m = _PERCENT_RE.match(text, pos)
    if m:
        return Unit("%", "percent", m.end() - pos)
    m = _RATE_RE.match(text, pos)
    if m and (m.group("short") or m.group("noun") or text[pos : m.end()].lstrip().startswith("/")):
        if m.group("short"):
            return Unit(_RATE_SHORT[m.group("short").lower()], "rate", m.end() - pos)
        return Unit(_rate_name(m.group("noun"), m.group("per")), "rate", m.end() - pos)
    m = _SIZE_RE.match(text, pos)
    if m:
        return Unit(m.group(0).strip().upper(), "size", m.end() - pos)
    m = _TIME_RE.match(text, pos)
    if m:
        for key in _TIME_WORDS:
            if m.group(key):
                return Unit(key, "time", m.end() - pos)
    return None


def to_ms(value: float, unit: str) -> float:
    return value * TIME_UNIT_MS[unit]
