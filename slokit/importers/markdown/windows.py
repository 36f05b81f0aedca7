"""Time windows as people write them: "30-day rolling", "over 24 h", "monthly", "pr. måned", "28d".

A window is normalised to OpenSLO shorthand plus rolling/calendar: fixed lengths use the largest
of d, h, m, s that divides them exactly ("24-hour rolling" is ``1d`` rolling, "4 weeks" is
``28d``); calendar periods use ``1d``, ``1w``, ``1M``, ``1Q``, ``1Y`` with rolling false. A rolling
month has no fixed length; it is read as ``30d`` and the reading says so.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from slokit.importers.markdown.vocabulary import words


@dataclass(frozen=True, slots=True)
class Window:
    duration: str
    rolling: bool
    #: How it was read, for --explain.
    note: str = ""

    def describe(self) -> str:
        return f"{self.duration} {'rolling' if self.rolling else 'calendar'}"


@dataclass(frozen=True, slots=True)
class WindowMatch:
    start: int
    end: int
    window: Window


_UNIT_SECONDS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_CAL_UNIT = {"d": "d", "w": "w", "M": "M", "Q": "Q", "Y": "Y"}

_UNIT_WORDS: tuple[tuple[str, str], ...] = (
    ("m", r"min(?:ute)?s?|minut(?:ter)?|minuten?|minutos?|m"),
    ("h", r"h|hrs?|hours?|timers|timer?|stunden?|std|horas?|heures?"),
    ("d", r"d|days?|dages|dage?|døgns?|tage?n?|días?|dias|jours?|j"),
    ("w", r"w|wk|weeks?|ugers|uger?|wochen?|semanas?|semaines?"),
    ("M", r"months?|mo|måneders|måned(?:er|s)?|monate?n?|mes(?:es)?|mois"),
    ("Q", r"quarters?|kvartal(?:er)?|quartale?|trimestres?"),
    ("Y", r"years?|yr|år|jahre?n?|años?|ans?|années?"),
)
_UNIT_RE = "|".join(f"(?P<u{key}>{pattern})" for key, pattern in _UNIT_WORDS)

_ROLLING = (
    r"rolling|sliding|trailing|glidende|rullende|løbende|gleitend(?:e[nrs]?)?|rollierend(?:e[nrs]?)?|"
    r"rollende[nrs]?|móvil(?:es)?|deslizantes?|glissante?s?|mobile|last|past|seneste|sidste|letzten|"
    r"vergangenen|últimos|últimas|derniers|dernières"
)
_WINDOW_NOUNS = (
    r"window|period|periode|vindue|tidsvindue|zeitraum|zeitfenster|fenster|messzeitraum|ventana|período|"
    r"periodo|fenêtre|période"
)
_WINDOW_PREP = (
    rf"(?:(?:{_ROLLING})\s+)?(?:{_WINDOW_NOUNS})\s+(?:(?:{_ROLLING})\s+)?(?:of|på|af|von|de|sur|über)|"
    r"over|across|during|in|within the last|over the (?:last|past)|in the (?:last|past)|per|"
    r"i løbet af|over de|inden for de|målt over|i|über|während|in den|innerhalb der|durante|en|en los|"
    r"en las|sobre|sur|pendant|sur les|au cours des|measured over|evaluated over"
)
_WINDOW_AFTER = (
    r"móviles|glissants|glissantes|gleitenden|rollierenden|rolling|window|windows|period|vindue|periode|glidende|rullende|fenster|zeitraum|ventana|"
    r"período|periodo|fenêtre|période|glissante?s?|móvil|gleitend|rollierend"
)

#: "30-day rolling", "rolling 28 days", "over 24 h", "28d", "4 uger", "(30 days)"
NUMERIC_WINDOW_RE = re.compile(
    rf"(?<![\w])(?:(?P<pre_roll>{_ROLLING})\s+|(?P<prep>{_WINDOW_PREP})\s+(?:(?:a|the|de|der|die|den|los|las|les|"
    rf"un|une|et|en)\s+)?(?P<pre_roll2>{_ROLLING})?\s*)?"
    rf"(?P<n>\d{{1,3}})\s*(?P<hyphen>-)?\s*(?:{_UNIT_RE})(?![\w/])(?P<post>\s*[-‐]?\s*(?:{_WINDOW_AFTER})\b)?",
    re.IGNORECASE,
)

_CALENDAR_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "1M",
        r"monthly|per (?:calendar )?month|each (?:calendar )?month|every month|a month|calendar month|"
        r"månedlig(?:t|e)?|månedsvis|pr\.? (?:kalender)?måned|per (?:kalender)?måned|om måneden|"
        r"kalendermåned(?:en)?|monatlich(?:e[nrs]?)?|pro (?:Kalender)?monat|je (?:Kalender)?monat|"
        r"im monat|kalendermonat|mensual(?:es|mente)?|por mes|al mes|cada mes|mes (?:natural|calendario)|"
        r"mensuel(?:le)?s?|par mois|chaque mois|mois (?:calendaire|civil)|month-to-date|mtd",
    ),
    (
        "1Q",
        r"quarterly|per (?:calendar )?quarter|calendar quarter|kvartalsvis|pr\.? kvartal|per kvartal|"
        r"vierteljährlich|quartalsweise|pro quartal|trimestral(?:mente)?|por trimestre|trimestriel(?:le)?|"
        r"par trimestre",
    ),
    (
        "1w",
        r"weekly|per (?:calendar )?week|each week|calendar week|ugentlig(?:t)?|pr\.? uge|per uge|"
        r"wöchentlich|pro woche|semanal(?:mente)?|por semana|hebdomadaire|par semaine",
    ),
    (
        "1d",
        r"daily|per day|each day|a day|calendar day|dagligt?|pr\.? dag|per dag|om dagen|täglich|pro tag|"
        r"diari[oa]|por día|al día|quotidien(?:ne)?|par jour",
    ),
    (
        "1Y",
        r"yearly|annual(?:ly)?|per year|calendar year|årlig(?:t)?|pr\.? år|per år|jährlich|pro jahr|"
        r"anual(?:mente)?|por año|annuel(?:le)?|par an",
    ),
)
CALENDAR_RE = re.compile(
    r"(?<![\w/])(?:"
    + "|".join(f"(?P<c{dur}>{pattern})" for dur, pattern in _CALENDAR_PATTERNS)
    + r")(?![\w])",
    re.IGNORECASE,
)
#: "daily backups": a frequency describing the thing, not the measurement window
_FREQUENCY_NOUN = words(
    r"backups?",
    r"snapshots?",
    r"runs?",
    r"jobs?",
    r"builds?",
    r"reports?",
    r"checks?",
    r"sikkerhedskopier",
    r"datensicherungen",
    r"copias",
    r"sauvegardes",
)


def normalise(count: int, unit: str) -> str:
    """``24, h`` -> ``1d``; ``4, w`` -> ``28d``; calendar units unchanged."""
    if unit in ("M", "Q", "Y"):
        return f"{count}{unit}"
    seconds = count * _UNIT_SECONDS[unit]
    for name, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds % size == 0:
            return f"{seconds // size}{name}"
    return f"{seconds}s"  # pragma: no cover - every unit above divides by one second


def _numeric(m: re.Match[str], *, in_window_cell: bool) -> Window | None:
    unit = next(key for key, _ in _UNIT_WORDS if m.group(f"u{key}"))
    rolling_word = bool(m.group("pre_roll") or m.group("pre_roll2"))
    post = (m.group("post") or "").strip().lower()
    compact = unit in ("d", "w") and re.fullmatch(r"\d+[dw]", m.group(0).strip()) is not None
    explicit = (
        rolling_word or bool(post) or bool(m.group("prep")) or bool(m.group("hyphen")) or in_window_cell
    )
    explicit = explicit or compact
    if not explicit:
        return None
    if m.group("prep") and not (rolling_word or post) and unit in ("m",) and not in_window_cell:
        return None  # "in 5 min" is a latency, not a window
    count = int(m.group("n"))
    if count == 0:
        return None
    if unit in ("M", "Q", "Y"):
        if rolling_word or "roll" in post or "glid" in post or "gleit" in post:
            days = count * {"M": 30, "Q": 90, "Y": 365}[unit]
            return Window(
                normalise(days, "d"),
                True,
                f"a rolling {m.group(0).strip()} has no fixed length: read as {days} days",
            )
        return Window(f"{count}{unit}", False, "calendar period")
    return Window(normalise(count, unit), True)


def find_windows(text: str, *, in_window_cell: bool = False) -> list[WindowMatch]:
    """Every window phrase in ``text`` (see :func:`_find_windows`); results are cached per text."""
    return list(_find_windows(text, in_window_cell))


@functools.lru_cache(maxsize=8192)
def _find_windows(text: str, in_window_cell: bool) -> tuple[WindowMatch, ...]:
    """Every window phrase in ``text``, left to right, without overlaps.

    ``in_window_cell``: the text is a window column or header, so a bare "30 days" is a window.
    Durations right after a comparison ("< 4 hours") are thresholds and are not returned.
    """
    found: list[WindowMatch] = []
    for m in NUMERIC_WINDOW_RE.finditer(text):
        before = text[max(0, m.start() - 40) : m.start()].rstrip()
        if before.endswith(("<", ">", "=", "≤", "≥", "~")) and not m.group("prep"):
            continue
        if (
            re.search(
                r"(?<![\w])(?:under|below|within|less than|at most|above|than|inden for|innerhalb|unter|"
                r"menos de|moins de|en|op til|up to|bis zu|hasta|jusqu'à)\s*$",
                before,
                re.IGNORECASE,
            )
            and not (m.group("pre_roll") or m.group("post") or m.group("prep"))
            and not in_window_cell
        ):
            continue
        window = _numeric(m, in_window_cell=in_window_cell)
        if window is not None:
            start = m.start("n") if not (m.group("pre_roll") or m.group("prep")) else m.start()
            found.append(WindowMatch(start, m.end(), window))
    for m in CALENDAR_RE.finditer(text):
        if any(w.start <= m.start() < w.end for w in found):
            continue
        if _FREQUENCY_NOUN.match(text, m.end() + 1) and text[m.end() : m.end() + 1] == " ":
            continue
        duration = next(key[1:] for key, value in m.groupdict().items() if value)
        found.append(
            WindowMatch(m.start(), m.end(), Window(duration, False, f"'{m.group(0)}': calendar period"))
        )
    found.sort(key=lambda w: w.start)
    return tuple(found)
