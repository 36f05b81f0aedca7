"""Reading objectives out of one statement: a table row, a bullet or a sentence.

A statement is scanned left to right into atoms (percentiles, comparisons with a number and a
unit, bare percentages, windows); atoms are then paired into objectives: a percentile with the
threshold that follows it ("p95 < 400 ms"), a percentage with a threshold in the same clause
("99.5 % of requests within 500 ms"), or a percentage on its own ("99.9 % uptime"). Context the
statement inherits (the row's metric name, the parent bullet, the heading) fills what the
statement leaves out and is named in the explanation.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Literal

from slokit.importers.markdown.model import Op
from slokit.importers.markdown.numbers import NUMBER_RE, format_number, parse_number
from slokit.importers.markdown.units import UnitKind, read_unit
from slokit.importers.markdown.vocabulary import KIND_WORDS, Kind
from slokit.importers.markdown.windows import Window, find_windows

_OP_WORDS: tuple[tuple[Op, str], ...] = (
    (
        "lte",
        r"must not exceed|must not be (?:above|more than|over)|should not exceed|may not exceed|not exceed|"
        r"never (?:exceed|above)|no debe(?:n)? (?:superar|exceder)|no puede superar|"
        r"ne doi(?:t|vent) pas dépasser|"
        r"må ikke (?:overstige|overskride|være over)|darf (?:nicht|höchstens)(?: über)?|"
        r"soll(?:en)? nicht (?:überschreiten|über)",
    ),
    (
        "lte",
        r"<=|=<|≤|⩽|&lt;=|within|at most|no more than|not more than|no longer than|max\.?|maximum|up to|"
        r"inden for|indenfor|højst|maks\.?|maksimalt|maksimum|op til|innerhalb von|innerhalb|höchstens|"
        r"maximal|bis zu|nicht mehr als|como máximo|dentro de|hasta|a lo sumo|no más de|au plus|"
        r"au maximum|pas plus de|jusqu'à|dans un délai de|lte",
    ),
    (
        "gte",
        r">=|=>|≥|⩾|&gt;=|at least|no less than|not less than|minimum|min\.?|mindst|minimum|"
        r"mindestens|wenigstens|minimal|al menos|como mínimo|por lo menos|no menos de|au moins|"
        r"au minimum|pas moins de|gte",
    ),
    (
        "lt",
        r"<|&lt;|under|below|less than|lower than|faster than|shorter than|fewer than|mindre end|"
        r"lavere end|hurtigere end|kortere end|weniger als|unter|unterhalb von|schneller als|kürzer als|"
        r"menos de|menos que|por debajo de|inferior a|más rápido que|en menos de|moins de|moins que|"
        r"en dessous de|inférieure? à|sous|plus rapide que|lt",
    ),
    (
        "gt",
        r">|&gt;|more than|greater than|above|over|higher than|exceeds?|mere end|højere end|mehr als|"
        r"über|höher als|más de|más que|por encima de|superior a|plus de|plus que|au-dessus de|"
        r"supérieure? à|gt",
    ),
)
_APPROX = (
    r"(?:(?:approximately|approx\.?|about|around|roughly|ca\.?|cirka|omkring|etwa|circa|rund|"
    r"aproximadamente|alrededor de|environ|~|≈)\s*)?"
)
_OP_BEFORE_RE = re.compile(
    r"(?:(?<![\w])|(?<=[<>=≤≥]))(?:"
    + "|".join(f"(?P<o{i}>{pattern})" for i, (_, pattern) in enumerate(_OP_WORDS))
    + r")\s*:?\s*(?:(?:være|sein|be|ser|estar|être|el|la|los|las|le|les|den|die|der|das|the|de)\s+)?"
    + _APPROX
    + r"$",
    re.IGNORECASE,
)
_OP_AFTER_RE = re.compile(
    r"\s*(?:(?P<lte>or less|or lower|or fewer|or faster|or under|or below|eller mindre|eller derunder|"
    r"eller hurtigere|eller lavere|oder weniger|oder schneller|oder darunter|o menos|ou moins|"
    r"nicht überschreiten|nicht übersteigen|ikke overstige|ikke overskride|ne pas dépasser|"
    r"max(?:imum|\.)?|au maximum|maks(?:imum|imalt|\.)?|höchstens|como máximo|at most)|"
    r"(?P<gte>or more|or higher|or better|or above|eller mere|eller højere|eller bedre|oder mehr|"
    r"oder höher|oder besser|o más|ou plus|ou mieux|minimum|min\.|au minimum|mindst|mindestens|"
    r"como mínimo|at least))(?![\w])",
    re.IGNORECASE,
)
_PCTL_RES = (
    re.compile(r"(?<![\w])[pP]\s?(\d{1,2}(?:[.,]\d{1,3})?)(?![\d\w])"),
    re.compile(
        r"(?<![\w.,])(\d{1,2}(?:[.,]\d{1,3})?)\s*(?:st|nd|rd|th|e|ème|\.|-?tes?)?\s*%?\s*-?\s*"
        r"(?:percentile|percentil|perzentil|percentilo|centile|persentil|percentiel)",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?:percentile|percentil|perzentil|percentilo|centile)\s*(?:de\s+|of\s+|del\s+)?(\d{1,2}(?:[.,]\d{1,3})?)",
        re.IGNORECASE,
    ),
    re.compile(r"(?<![\w])(median|mediana|médiane|medianen?)(?![\w])", re.IGNORECASE),
)
_CLAUSE_BREAK = re.compile(r"[;,|]|\s(?:and|og|und|y|et|while|mens)\s", re.IGNORECASE)


@dataclass(slots=True)
class Atom:
    kind: Literal["pctl", "cmp", "pct", "window"]
    start: int
    end: int
    value: float = 0.0
    op: Op | None = None
    unit: str | None = None
    unit_kind: UnitKind | None = None
    window: Window | None = None
    raw: str = ""


@dataclass(slots=True)
class Context:
    """What a statement inherits from where it stands in the document."""

    name: str = ""
    #: Texts to look for the SLI kind in, most specific first (description, parents, headings).
    kind_texts: tuple[str, ...] = ()
    percentile: float | None = None
    window: Window | None = None
    window_source: str = ""
    comma_decimal: bool = False
    #: A table's target column: a plain "99.9" or "0.999" there is a target.
    target_cell: bool = False
    #: The statement is prose, not a table row or a labelled bullet.
    prose: bool = False


@dataclass(slots=True)
class Partial:
    """An objective being assembled; ``anchor`` spans the atoms it was read from."""

    start: int
    end: int
    kind: Kind | None = None
    target: float | None = None
    op: Op | None = None
    threshold: float | None = None
    unit: str | None = None
    unit_kind: UnitKind | None = None
    percentile: float | None = None
    window: Window | None = None
    negative_percent: bool = False
    notes: list[str] = field(default_factory=list)
    confidence: float = 1.0


def _op_before(text: str, pos: int) -> Op | None:
    tail = text[max(0, pos - 40) : pos]
    last = tail.rstrip()[-1:]
    if not last or not (last.isalpha() or last in "<>=≤≥⩽⩾~≈:."):
        return None  # cheap exit: the big pattern below can only end in a letter or a symbol
    m = _OP_BEFORE_RE.search(tail)
    if not m:
        return None
    return next((op for i, (op, _) in enumerate(_OP_WORDS) if m.group(f"o{i}")), None)


def scan(text: str, ctx: Context) -> list[Atom]:
    """Atoms of ``text``, left to right, not overlapping."""
    atoms: list[Atom] = []
    mask = bytearray(len(text) + 1)

    def free(start: int, end: int) -> bool:
        return not any(mask[start:end])

    def take(start: int, end: int) -> None:
        mask[start:end] = b"\x01" * (end - start)

    for wm in find_windows(text):
        atoms.append(Atom("window", wm.start, wm.end, window=wm.window, raw=text[wm.start : wm.end]))
        take(wm.start, wm.end)
    for pattern in _PCTL_RES:
        for m in pattern.finditer(text):
            if not free(m.start(), m.end()):
                continue
            raw = m.group(1)
            value = 50.0 if raw.lower().startswith("median") else parse_number(raw, percent=True)
            if not 0 < value < 100:
                continue
            atoms.append(Atom("pctl", m.start(), m.end(), value=value, raw=m.group(0)))
            take(m.start(), m.end())
    for m in NUMBER_RE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        unit = read_unit(text, m.end())
        end = m.end() + (unit.length if unit else 0)
        is_percent = unit is not None and unit.kind == "percent"
        value = parse_number(m.group(0), comma_decimal=ctx.comma_decimal, percent=is_percent)
        op = _op_before(text, m.start())
        after = _OP_AFTER_RE.match(text, end)
        if after and op is None:
            op = "lte" if after.group("lte") else "gte"
            end = after.end()
        if not free(m.start(), end):
            continue
        if unit is None:
            # A bare number is a target only in a table's target column ("99.9", "0.999").
            if ctx.target_cell and 0 < value < 1:
                atoms.append(Atom("pct", m.start(), end, value=round(value * 100, 10), op=op, raw=m.group(0)))
            elif ctx.target_cell and 50 <= value <= 100:
                atoms.append(Atom("pct", m.start(), end, value=value, op=op, raw=m.group(0)))
            continue
        if unit.kind == "percent":
            atoms.append(
                Atom(
                    "pct",
                    m.start(),
                    end,
                    value=value,
                    op=op,
                    unit="%",
                    unit_kind="percent",
                    raw=text[m.start() : end],
                )
            )
        elif unit.kind in ("time", "rate"):
            atoms.append(
                Atom(
                    "cmp",
                    m.start(),
                    end,
                    value=value,
                    op=op,
                    unit=unit.name,
                    unit_kind=unit.kind,
                    raw=text[m.start() : end],
                )
            )
        take(m.start(), end)
    atoms.sort(key=lambda a: a.start)
    return atoms


def _same_clause(text: str, start: int, end: int) -> bool:
    return _CLAUSE_BREAK.search(text, start, end) is None if end > start else True


def kind_in(text: str) -> Kind | None:
    """The first SLI kind whose words appear in ``text`` (kinds checked in vocabulary order)."""
    for kind, pattern in KIND_WORDS:
        if pattern.search(text):
            return kind
    return None


def assemble(text: str, ctx: Context) -> tuple[list[Partial], list[str]]:
    """Objectives in ``text`` and notes on atoms that could not be used."""
    atoms = scan(text, ctx)
    objs: list[Partial] = []
    problems: list[str] = []
    pending_pctl: Atom | None = None
    pending_pct: Atom | None = None
    windows = [a for a in atoms if a.kind == "window"]

    def flush_pct() -> None:
        nonlocal pending_pct
        if pending_pct is not None:
            objs.append(_ratio(pending_pct))
            pending_pct = None

    for atom in atoms:
        if atom.kind == "pctl":
            last = objs[-1] if objs else None
            if (
                last is not None
                and last.threshold is not None
                and last.percentile is None
                and last.target is None
                and re.fullmatch(r"[\s(\[]*(?:[\w-]+[\s(\[]+){0,2}", text[last.end : atom.start])
            ):
                last.percentile = atom.value
                last.end = atom.end
                last.notes.append(f"percentile p{format_number(atom.value)}: from '{atom.raw}'")
                continue
            if pending_pctl is not None and pending_pctl.value != atom.value:
                problems.append(f"percentile '{pending_pctl.raw}' has no threshold")
            pending_pctl = atom  # "P50 (Median)": the same percentile twice is one
        elif atom.kind == "cmp":
            if atom.op is None and not (
                atom.unit_kind == "rate"
                or pending_pctl is not None
                or ctx.percentile is not None
                or ctx.target_cell
                or (pending_pct is not None and _same_clause(text, pending_pct.end, atom.start))
            ):
                continue  # "30 days of backups": a duration, not a threshold
            obj = Partial(
                atom.start,
                atom.end,
                op=atom.op,
                threshold=atom.value,
                unit=atom.unit,
                unit_kind=atom.unit_kind,
            )
            if atom.op is None:
                obj.op = "gte" if atom.unit_kind == "rate" else "lte"
                obj.notes.append(
                    f"'{atom.raw}' has no operator: read as {'at least' if obj.op == 'gte' else 'at most'}"
                )
                obj.confidence -= 0.15
            else:
                op_m = _OP_BEFORE_RE.search(text[max(0, atom.start - 40) : atom.start])
                written = f"{op_m.group(0).strip()} {atom.raw}" if op_m else atom.raw
                value = format_number(atom.value)
                obj.notes.append(f"threshold {atom.op} {value} {atom.unit}: from '{written}'")
            if pending_pctl is not None and atom.unit_kind == "time":
                obj.percentile = pending_pctl.value
                obj.start = pending_pctl.start
                obj.notes.append(
                    f"percentile p{format_number(pending_pctl.value)}: from '{pending_pctl.raw}'"
                )
                pending_pctl = None
            elif (
                pending_pct is not None
                and atom.unit_kind == "time"
                and pending_pct.op not in ("lt", "lte")
                and _same_clause(text, pending_pct.end, atom.start)
            ):
                obj.target = pending_pct.value
                obj.start = pending_pct.start
                obj.notes.append(f"'{pending_pct.raw}' is the share of events within the threshold")
                pending_pct = None
            flush_pct()
            objs.append(obj)
        elif atom.kind == "pct":
            last = objs[-1] if objs else None
            if (
                last is not None
                and last.threshold is not None
                and last.unit_kind == "time"
                and last.target is None
                and (last.percentile is None or ctx.target_cell)
                and atom.op not in ("lt", "lte")
                and pending_pct is None
            ):
                last.target = atom.value
                last.end = atom.end
                last.notes.append(f"'{atom.raw}' is the share of events within the threshold")
                continue
            flush_pct()
            pending_pct = atom
    flush_pct()
    objs = _drop_restatements(text, objs)
    if pending_pctl is not None:
        ratios = [o for o in objs if o.threshold is None and not o.negative_percent]
        if len(objs) == 1 and ratios:
            # "Latency (p99) | 99.9 %": a percentile objective whose threshold is missing; lint reports it.
            ratios[0].percentile = pending_pctl.value
            ratios[0].notes.append(f"'{pending_pctl.raw}' is a percentile, but no threshold is stated")
            ratios[0].confidence -= 0.3
        elif objs or (ctx.percentile is None and not ctx.target_cell):
            problems.append(f"percentile '{pending_pctl.raw}' has no threshold")
        else:
            ctx.percentile = pending_pctl.value
    objs.sort(key=lambda o: o.start)
    starts = [w.start for w in windows]
    for i, obj in enumerate(objs):
        seg_start = objs[i - 1].end if i else 0
        seg_end = objs[i + 1].start if i + 1 < len(objs) else len(text)
        _finish(obj, text, seg_start, seg_end, windows, starts, ctx)
    return objs, problems


def _drop_restatements(text: str, objs: list[Partial]) -> list[Partial]:
    """'< 0.1 % (equals 99.9 % success)': the parenthesis restates the objective before it."""
    kept: list[Partial] = []
    for obj in objs:
        last = kept[-1] if kept else None
        if (
            last is not None
            and obj.threshold is None
            and last.threshold is None
            and obj.target == last.target
            and obj.negative_percent != last.negative_percent
            and "(" in text[last.end : obj.start]
        ):
            last.notes.append(f"'{text[obj.start : obj.end]}' restates it")
            continue
        kept.append(obj)
    return kept


def _ratio(atom: Atom) -> Partial:
    obj = Partial(atom.start, atom.end)
    if atom.op in ("lt", "lte"):
        obj.negative_percent = True
        obj.target = round(100 - atom.value, 10)
        obj.notes.append(
            f"'{atom.raw}' bounds the share of bad events: target {format_number(obj.target)} % good "
            f"(100 − {format_number(atom.value)})"
        )
    else:
        obj.target = atom.value
    return obj


def _finish(
    obj: Partial,
    text: str,
    seg_start: int,
    seg_end: int,
    windows: list[Atom],
    starts: list[int],
    ctx: Context,
) -> None:
    segment = text[seg_start:seg_end]
    # --- kind ---
    kind = kind_in(segment)
    source = "the statement"
    if kind is None and ctx.name:
        kind, source = kind_in(ctx.name), "the name"
    if kind is None:
        for hint in ctx.kind_texts:
            kind = kind_in(hint)
            if kind is not None:
                source = f"'{hint}'"
                obj.confidence -= 0.05
                break
    if obj.threshold is not None and obj.unit_kind == "rate":
        if kind not in ("throughput",):
            source = "the rate unit"
        kind = "throughput"
    elif obj.threshold is not None and obj.unit_kind == "time":
        if kind in (None, "availability", "error_rate", "throughput"):
            kind, source = "latency", "the time threshold"
    elif obj.threshold is None:
        if kind == "error_rate" and not obj.negative_percent and (obj.target or 0) >= 50:
            kind, source = "availability", "a share of good events"
        elif kind in (None, "latency", "throughput", "other") and obj.negative_percent:
            kind, source = "error_rate", "a bound on bad events"
        elif kind == "latency" and obj.percentile is None and ctx.percentile is None:
            kind, source = "availability", "a target share without a threshold"
        elif kind is None:
            kind, source = "availability", "a target share (default)"
            obj.confidence -= 0.1
    if kind == "availability" and obj.negative_percent:
        obj.notes.append("a bound on bad events of an availability statement (downtime share)")
    obj.kind = kind if kind is not None else "other"
    obj.notes.insert(0, f"kind {obj.kind}: from {source}")
    if obj.kind == "other":
        obj.confidence -= 0.15
    # --- percentile from context ---
    if (
        obj.threshold is not None
        and obj.unit_kind == "time"
        and obj.percentile is None
        and obj.target is None
    ) and ctx.percentile is not None:
        obj.percentile = ctx.percentile
        obj.notes.append(f"percentile p{format_number(ctx.percentile)}: from the name or parent")
    if obj.percentile is not None and obj.target is None:
        obj.target = obj.percentile
        obj.notes.append(
            f"target {format_number(obj.target)} %: a p{format_number(obj.percentile)} objective is "
            f"'{format_number(obj.percentile)} % of events within the threshold'"
        )
    if obj.threshold is None and ctx.percentile is not None and obj.kind == "latency":
        obj.percentile = ctx.percentile
        obj.notes.append("percentile stated but no threshold")
        obj.confidence -= 0.3
    if obj.threshold is not None and obj.target is None:
        obj.notes.append("no target share stated")
        obj.confidence -= 0.1
    # --- window ---
    first = bisect.bisect_left(starts, seg_start)
    own = windows[first] if first < len(windows) and windows[first].start < seg_end else None
    chosen = own if own is not None else (windows[0] if len(windows) == 1 else None)
    if chosen is None and windows:
        near = bisect.bisect_left(starts, obj.end)
        nearby = windows[max(0, near - 1) : near + 1]
        chosen = min(nearby, key=lambda w: abs(w.start - obj.end))
    if chosen is not None and chosen.window is not None:
        obj.window = chosen.window
        obj.notes.append(
            f"window {chosen.window.describe()}: from '{chosen.raw}'"
            + (f" ({chosen.window.note})" if chosen.window.note else "")
        )
    elif ctx.window is not None:
        obj.window = ctx.window
        obj.notes.append(f"window {ctx.window.describe()}: from {ctx.window_source}")
        obj.confidence -= 0.05
    else:
        obj.notes.append("no window stated")
        obj.confidence -= 0.2
    if ctx.prose:
        obj.confidence -= 0.1
