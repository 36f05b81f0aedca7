"""Walking the document: which statements to read, with which context, and what to skip.

Tables become one statement per row (metric name + target cells, with the window, service and
description columns as context), list items one statement each (parents' text as context,
so a percentile in a parent bullet reaches the thresholds in its children), paragraphs one per
sentence. Headings give the service and the section; a sentence such as "All SLOs are
measured over a rolling 30-day window" sets the window for its section.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field, replace

from slokit.importers.markdown.blocks import Block, Heading, Item, ItemList, Paragraph, Table, parse_blocks
from slokit.importers.markdown.model import BudgetClaim, ImportedObjective, ParseResult, Statement
from slokit.importers.markdown.numbers import NUMBER_RE, format_number, parse_number
from slokit.importers.markdown.objectives import Context, Partial, assemble, kind_in, scan
from slokit.importers.markdown.vocabulary import (
    ALERT_WORDS,
    BENCHMARK_WORDS,
    BUDGET_WORDS,
    BURN_WORDS,
    COLUMN_ROLES,
    EXAMPLE_WORDS,
    GENERIC_HEADING,
    IMPROVEMENT_WORDS,
    RESPONSE_WORDS,
    SECTION_REASONS,
    SLA_WORDS,
    ColumnRole,
    NonObjectiveReason,
    words,
)
from slokit.importers.markdown.windows import Window, WindowMatch, find_windows

_LANGUAGE_WORDS = {
    "en": words("the", "and", "of", "for", "with", "is", "are", "must", "within", "requests", "per"),
    "da": words(
        "og",
        "af",
        "der",
        "til",
        "med",
        "er",
        "skal",
        "ikke",
        "måned",
        "dage",
        "mål",
        "tjenesten",
        "procent",
        "inden",
        "mindst",
        "oppetid",
        "det",
        "en",
        "pr",
    ),
    "de": words(
        "und",
        "der",
        "die",
        "das",
        "nicht",
        "mit",
        "für",
        "ist",
        "sind",
        "muss",
        "werden",
        "pro",
        "innerhalb",
        "mindestens",
        "tage",
        "anfragen",
    ),
    "es": words(
        "el",
        "la",
        "los",
        "las",
        "que",
        "y",
        "para",
        "con",
        "por",
        "del",
        "debe",
        "días",
        "solicitudes",
        "menos",
    ),
    "fr": words(
        "le",
        "la",
        "les",
        "des",
        "et",
        "pour",
        "avec",
        "est",
        "du",
        "doit",
        "jours",
        "requêtes",
        "moins",
        "sur",
    ),
}
_COMMA_DECIMAL = {"da", "de", "es", "fr"}
_RETENTION = words(
    r"retention",
    r"retained",
    r"kept",
    r"stored",
    r"opbevar\w*",
    r"aufbewahr\w*",
    r"conserv\w*",
    r"retenci\w*",
    r"intervals?",
    r"frequency",
)
#: "allows about 43 minutes", "would permit 216 minutes": an allowance, i.e. budget arithmetic.
_BUDGET_VERB = re.compile(
    r"(?<![\w])(?:allows?|permits?|tillader|erlaubt|permite|permet)\s+(?:about\s+|up to\s+|roughly\s+|"
    r"ca\.?\s+|omkring\s+|etwa\s+|environ\s+)?(?=\d)",
    re.IGNORECASE,
)
#: "< 99.9 % for 5 minutes": a condition held for a while is an alert rule, not an objective.
_SUSTAINED = re.compile(
    r"(?:[<>≤≥]|below|above|under|over|unter|über|por debajo|por encima|sous|au-dessus)[^.;]{0,40}?\s"
    r"(?:for|during|durante|pendant|i|für|während)\s+(?:(?:at least|mindst|mindestens|al menos|au moins)\s+)?"
    r"\d+\s*(?:s|sec\w*|m|min\w*|h|hours?|timer?|stunden?|horas?|heures?)\b",
    re.IGNORECASE,
)
_DOC_SERVICE = re.compile(
    r"\bfor\s+(?:the\s+|our\s+|den\s+|det\s+|die\s+|das\s+|el\s+|la\s+|le\s+)?"
    r"((?:[\w.-]+\s+){0,3}?[\w.-]+)\s+(?:platform|platformen|plattform|plataforma|plateforme|service|"
    r"tjeneste|tjenesten|dienst|servicio|system|systemet|application|app|api)\b",
    re.IGNORECASE,
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅÄÖÜÉÈ0-9*\"(¿¡])")
_LABEL_SPLIT = re.compile(r"^\s*([^:\n]{1,80}?)\s*(?::|\s[–—-]\s)\s*(.*)$", re.DOTALL)
_BUDGET_AMOUNT = re.compile(
    NUMBER_RE.pattern
    + r"\s*(?P<unit>ms|milliseconds?|s|secs?|seconds?|sekunder|sekunden|segundos|secondes|min|mins|minutes?|"
    r"minutter|minuten|minutos|h|hrs?|hours?|timer|stunden|std|horas|heures|d|days?|dage|tage|días|jours)(?![\w])"
    r"(?P<per>\s*(?:/|per\b|pr\.|a\b|each\b|om\b|im\b|pro\b|por\b|al\b|par\b)\s*\w+)?",
    re.IGNORECASE,
)
_UNIT_SECONDS = (
    (re.compile(r"ms|milli", re.I), 0.001),
    (re.compile(r"s$|sec|sek|seg", re.I), 1.0),
    (re.compile(r"min", re.I), 60.0),
    (re.compile(r"h|tim|stun|std|hor|heur", re.I), 3600.0),
    (re.compile(r"d|dag|tag|día|jour", re.I), 86400.0),
)
_PER = (
    (words(r"months?", r"måned(?:en)?", r"monat", r"mes", r"mois"), "1M"),
    (words(r"years?", r"år(?:et)?", r"jahr", r"año", r"an"), "1Y"),
    (words(r"quarters?", r"kvartal(?:et)?", r"quartal", r"trimestre"), "1Q"),
    (words(r"weeks?", r"uge(?:n)?", r"woche", r"semana", r"semaine"), "1w"),
    (words(r"days?", r"dag(?:en)?", r"tag", r"día", r"jour"), "1d"),
)
_STATEMENT_ROLES: tuple[ColumnRole, ...] = ("name", "percentile", "threshold", "target")
_HINT_ROLES: tuple[ColumnRole, ...] = ("kind", "description")
_APPROX = re.compile(
    r"about|approx|around|roughly|~|≈|ca\.|cirka|omkring|etwa|circa|environ|aproximadamente", re.IGNORECASE
)


def slugify(text: str) -> str:
    """RFC 1123 name: ``OrderService`` -> ``order-service``, ``Tilgængelighed`` -> ``tilgaengelighed``."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", text)
    for src, dst in (
        ("æ", "ae"),
        ("ø", "oe"),
        ("å", "aa"),
        ("ß", "ss"),
        ("Æ", "Ae"),
        ("Ø", "Oe"),
        ("Å", "Aa"),
    ):
        text = text.replace(src, dst)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:63].rstrip("-")


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", slugify(text))


def detect_language(text: str) -> str:
    sample = text[:200_000]
    counts = {lang: len(pattern.findall(sample)) for lang, pattern in _LANGUAGE_WORDS.items()}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] > 0 else "en"


def non_objective_reason(text: str) -> NonObjectiveReason | None:
    """Why a statement with numbers is not an objective, or None if it may be one."""
    if BURN_WORDS.search(text):
        return "burn-rate rule"
    if ALERT_WORDS.search(text) and not RESPONSE_WORDS.search(text):
        return "alert threshold"
    if _SUSTAINED.search(text):
        return "alert threshold"
    label = _LABEL_SPLIT.match(text)
    if (
        label
        and re.search(r"(?<![\w])SLIs?(?![\w])", label.group(1))
        and not re.search(r"SLO", label.group(1))
    ):
        return "SLI definition"
    if BENCHMARK_WORDS.search(text):
        return "benchmark"
    head = " ".join(text.split()[:2])
    if IMPROVEMENT_WORDS.search(head):
        return "improvement target"
    if EXAMPLE_WORDS.match(text.lstrip("*_ (")):
        return "example"
    if re.search(
        r"(?<![\w])(?:current(?:ly)?|actual|observed|achieved|baseline|measured at|nuværende|"
        r"faktisk|opnået|aktuell|erreicht|actualmente|actuel(?:le)?)(?![\w])",
        text,
        re.IGNORECASE,
    ):
        return "measured value"
    return None


def _heading_reason(text: str) -> NonObjectiveReason | None:
    if re.search(
        r"(?<![\w])(?:slos?|objectives?|targets?|mål|ziele|objetivos|objectifs)(?![\w])", text, re.IGNORECASE
    ) and not IMPROVEMENT_WORDS.search(text):
        return None
    for reason, pattern in SECTION_REASONS:
        if pattern.search(text):
            return reason
    return None


_TITLE_SPLIT = re.compile(r"\s[–—-]\s|:\s|\s(?:for|für|pour|para|til|of|de la|del|des)\s", re.IGNORECASE)
_GENERIC_TITLE_WORDS = words(
    r"slo'?s?",
    r"slo'er",
    r"sli'?s?",
    r"service level objectives?",
    r"service[- ]level",
    r"objectives?",
    r"servicemål",
    r"mål",
    r"ziele",
    r"objetivos?",
    r"objectifs?",
    r"targets?",
    r"reliability",
    r"document",
    r"de nivel de servicio",
    r"de niveau de service",
    r"niveles de servicio",
    r"kpi-?",
    r"und",
    r"og",
    r"and",
    r"y",
    r"et",
    r"übersicht",
    r"overview",
    r"the",
    r"(?:q[1-4])",
    r"\(.*?\)",
    r"for",
    r"für",
    r"pour",
    r"d[eu] service",
    r"agreements?",
    r"matrix",
    r"slas?",
    r"del? servicio",
    r"\w*ziele",
    r"\w*mål",
)


def _mask_quantities(text: str, comma_decimal: bool) -> str:
    for atom in reversed(scan(text, Context(comma_decimal=comma_decimal))):
        if atom.kind in ("cmp", "pct"):
            text = text[: atom.start] + " " * (atom.end - atom.start) + text[atom.end :]
    return text


def _is_role_only(text: str) -> bool:
    """ "SLO", "SLI/SLO", "Targets": a label that says what the items are, not what they measure."""
    rest = re.sub(
        r"(?<![\w])(?:slos?|slis?|slas?|targets?|objectives?|goals?|mål|ziele?|objetivos?|objectifs?)(?![\w])",
        " ",
        text,
        flags=re.IGNORECASE,
    )
    return not re.search(r"\w", rest)


def _could_be_service(label: str, comma_decimal: bool) -> bool:
    """A bullet label names a service or endpoint unless it names a role, a bound or a percentile."""
    if (
        _percentile_of(label, comma_decimal) is not None
        or re.search(r"[\d(]", label)
        or len(label.split()) > 3
    ):
        return False
    if re.fullmatch(
        r"(?:min|max|minimum|maximum|mindst|højst|mindestens|höchstens|mínimo|máximo)\.?",
        label,
        re.IGNORECASE,
    ):
        return False
    return not any(pattern.search(label) for role, pattern in COLUMN_ROLES if role != "service")


def _title_subject(title: str) -> str:
    """What a document title is about: "SLO'er for Lagerstyring" -> "Lagerstyring"."""
    for part in reversed(_TITLE_SPLIT.split(title)):
        rest = _GENERIC_TITLE_WORDS.sub(" ", part)
        rest = re.sub(r"[^\w\s-]", " ", rest).strip(" -")
        if rest and len(rest.split()) <= 4 and not kind_in(rest):
            return rest
    return ""


def _is_generic_heading(text: str) -> bool:
    return bool(
        GENERIC_HEADING.search(text)
        or kind_in(text)
        or _heading_reason(text)
        or re.search(r"\d", text)
        or not re.search(r"\w", text)
    )


@dataclass(slots=True)
class _Scope:
    """Context of one block: its headings, section window and section reason."""

    headings: list[Heading]
    window: Window | None = None
    window_source: str = ""
    reason: NonObjectiveReason | None = None


@dataclass(slots=True)
class _ListContext:
    name: str = ""
    kind_texts: tuple[str, ...] = ()
    percentile: float | None = None
    window: Window | None = None
    window_source: str = ""
    lines: tuple[int, ...] = ()
    parent_objectives: list[int] = field(default_factory=list)
    #: Set when a label above the list says its items are not objectives ("Alerting:").
    reason: NonObjectiveReason | None = None


class Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines()
        self.result = ParseResult()
        self.result.language = detect_language(text)
        self.comma_decimal = self.result.language in _COMMA_DECIMAL
        self.blocks: list[Block] = parse_blocks(text)
        self.known_services: dict[str, str] = {}
        self.doc_service = "service"
        self._service_explicit: list[bool] = []

    # --- entry point ---
    def read(self) -> ParseResult:
        scopes = self._scopes()
        self._find_services()
        for index, block in enumerate(self.blocks):
            scope = scopes[index]
            if isinstance(block, Table):
                self._table(block, scope)
            elif isinstance(block, ItemList):
                label = self._list_label(index, scope)
                self._items(block.items, scope, label)
            elif isinstance(block, Paragraph):
                if self._is_label(index):
                    continue
                self._paragraph(block, scope)
            elif isinstance(block, Heading) and scan_has_anchor(block.text, self.comma_decimal):
                self._heading(block, scope)
        self._adopt_services()
        return self.result

    # --- document structure ---
    def _scopes(self) -> list[_Scope]:
        stack: list[Heading] = []
        heading_of: list[list[Heading]] = []
        declared: dict[int, tuple[Window, str]] = {}
        for index, block in enumerate(self.blocks):
            if isinstance(block, Heading):
                while stack and stack[-1].level >= block.level:
                    stack.pop()
                stack.append(block)
                found = find_windows(block.text)
                if found and not scan_has_anchor(block.text, self.comma_decimal):
                    declared[id(block)] = (found[0].window, f"the heading '{block.text}' (line {block.line})")
            heading_of.append(list(stack))
            if isinstance(block, Table) and self._is_vertical(block):
                for row, line in zip(block.rows, block.row_lines, strict=False):
                    found = labelled_window(f"{row[0]}: {row[1]}")
                    if found:
                        owner = stack[-1] if stack and stack[-1].level > 1 else None
                        declared.setdefault(
                            id(owner) if owner is not None else 0,
                            (found[0].window, f"'{row[0]}: {row[1]}' (line {line})"),
                        )
            if (
                isinstance(block, Paragraph)
                and len(block.text) < 400
                and not _RETENTION.search(block.text)
                and not self._is_label(index)
            ):
                labelled = labelled_window(block.text)
                found = labelled or find_windows(block.text)
                if found and (labelled or not scan_has_anchor(block.text, self.comma_decimal)):
                    owner = stack[-1] if stack and stack[-1].level > 1 else None
                    key = id(owner) if owner is not None else 0
                    declared.setdefault(key, (found[0].window, f"'{block.text[:80]}' (line {block.line})"))
        scopes: list[_Scope] = []
        for headings in heading_of:
            scope = _Scope(headings)
            for heading in reversed(headings):
                if id(heading) in declared:
                    scope.window, scope.window_source = declared[id(heading)]
                    break
            else:
                if 0 in declared:
                    scope.window, scope.window_source = declared[0]
            for heading in headings:
                reason = _heading_reason(heading.text)
                if reason is not None:
                    scope.reason = reason
            scopes.append(scope)
        return scopes

    def _find_services(self) -> None:
        for block in self.blocks:
            if isinstance(block, Heading) and block.level > 1 and not _is_generic_heading(block.text):
                self.known_services.setdefault(_compact(block.text), slugify(block.text) or "service")
        title = next((b for b in self.blocks if isinstance(b, Heading) and b.level == 1), None)
        if title is not None and not _is_generic_heading(title.text.split(":")[0]):
            self.doc_service = slugify(title.text.split(":")[0]) or "service"
            return
        for block in self.blocks[:8]:
            if isinstance(block, Paragraph | Heading):
                m = _DOC_SERVICE.search(block.text)
                if m and not kind_in(m.group(1)) and re.search(r"[A-ZÆØÅÄÖÜ]", m.group(1)):
                    self.doc_service = slugify(m.group(1)) or "service"
                    return
        if title is not None:
            name = _title_subject(title.text)
            if name:
                self.doc_service = slugify(name) or "service"

    def _service(self, scope: _Scope, label: str, explicit: str = "") -> tuple[str, bool]:
        """Service slug and whether it was stated (column, prefix, heading) rather than defaulted."""
        if explicit:
            return slugify(explicit) or self.doc_service, True
        compact = _compact(label)
        for key, slug in sorted(self.known_services.items(), key=lambda kv: -len(kv[0])):
            if len(key) >= 3 and compact.startswith(key):
                return slug, True
        for heading in reversed(scope.headings):
            if heading.level > 1 and not _is_generic_heading(heading.text):
                return slugify(heading.text) or self.doc_service, True
        return self.doc_service, False

    def _adopt_services(self) -> None:
        """Objectives with only the document's service take the service of a same-named objective."""
        by_name: dict[str, set[str]] = {}
        for obj, explicit in zip(self.result.objectives, self._service_explicit, strict=True):
            if explicit and not any(
                p.search(obj.name) for r, p in COLUMN_ROLES if r not in ("service", "name")
            ):
                by_name.setdefault(_compact(obj.name), set()).add(obj.service)
        for i, (obj, explicit) in enumerate(zip(self.result.objectives, self._service_explicit, strict=True)):
            services = by_name.get(_compact(obj.name), set())
            if not explicit and len(services) == 1:
                service = next(iter(services))
                self.result.objectives[i] = replace(
                    obj,
                    service=service,
                    explanation=(
                        *obj.explanation,
                        f"service {service}: same name as an objective of that service",
                    ),
                )

    # --- statements ---
    def _line_of(self, snippet: str, start: int) -> int:
        probe = snippet.strip()[:24]
        for offset in range(0, 40):
            idx = start - 1 + offset
            if 0 <= idx < len(self.lines) and probe and probe in self.lines[idx]:
                return idx + 1
        return start

    def _skip(self, line: int, text: str, category: str, reason: str) -> None:
        self.result.skipped.append(Statement(line, text.strip(), category, reason))  # type: ignore[arg-type]

    def _emit(
        self,
        partials: list[Partial],
        *,
        name: str,
        scope: _Scope,
        line: int,
        lines: tuple[int, ...],
        source_text: str,
        service_label: str,
        explicit_service: str = "",
        label_is_service: bool = False,
    ) -> list[int]:
        indexes: list[int] = []
        for partial in partials:
            obj_name = name or (partial.kind or "objective")
            if partial.percentile is not None and f"{format_number(partial.percentile)}" not in obj_name:
                obj_name = f"{obj_name} p{format_number(partial.percentile)}"
            label_service = explicit_service
            if (
                not label_service
                and label_is_service
                and partial.notes
                and "from the statement" not in partial.notes[0]
                and "from the name" not in partial.notes[0]
                and _could_be_service(service_label, self.comma_decimal)
            ):
                label_service = service_label
            service, stated = self._service(scope, service_label, label_service)
            notes = list(partial.notes)
            notes.append(f"service {service}" + ("" if stated else " (no service stated: the document's)"))
            window = partial.window
            obj = ImportedObjective(
                service=service,
                name=obj_name.strip(),
                sli_kind=partial.kind or "other",
                target_percent=partial.target,
                op=partial.op,
                threshold=partial.threshold,
                unit=partial.unit,
                percentile=partial.percentile,
                window=window.duration if window else None,
                window_type=("rolling" if window.rolling else "calendar") if window else None,
                source_line=line,
                confidence=round(max(0.05, min(1.0, partial.confidence)), 2),
                source_text=source_text.strip(),
                source_lines=tuple(sorted(set(lines))),
                explanation=tuple(notes),
            )
            self.result.objectives.append(obj)
            self._service_explicit.append(stated)
            indexes.append(len(self.result.objectives) - 1)
        return indexes

    def _budget(
        self, text: str, line: int, target: float | None, objective: int | None, period_hint: str = ""
    ) -> bool:
        """Record a stated allowance; ``period_hint`` is where the period may be (a column header)."""
        m = _BUDGET_AMOUNT.search(text)
        if not m:
            return False
        raw = m.group(0)
        number = NUMBER_RE.match(raw)
        if number is None:  # pragma: no cover - the pattern starts with a number
            return False
        own = re.search(r"(?<![<≤\d.,])(" + NUMBER_RE.pattern + r")\s*%", text)
        if own is not None:
            # "A 99.9 % target allows 43 minutes" states its own target; "0.1 % = 43.2 minutes" its budget.
            share = parse_number(own.group(1), percent=True)
            target = share if share >= 50 else round(100 - share, 10)
        value = parse_number(number.group(0), comma_decimal=self.comma_decimal)
        unit = m.group("unit")
        factor = next(f for pattern, f in _UNIT_SECONDS if pattern.match(unit))
        per_text = (m.group("per") or "") + text[m.end() : m.end() + 40]
        per = next((dur for pattern, dur in _PER if m.group("per") and pattern.search(m.group("per"))), None)
        if per is None:
            found = find_windows(per_text) or find_windows(period_hint)
            per = found[0].window.duration if found else None
        if per is None and period_hint:
            per = next((dur for pattern, dur in _PER if pattern.search(period_hint)), None)
        decimals = len(re.split(r"[.,]", number.group(0))[1]) if re.search(r"[.,]\d", number.group(0)) else 0
        self.result.budgets.append(
            BudgetClaim(
                line,
                text.strip(),
                value * factor,
                factor,
                decimals,
                bool(_APPROX.search(text)),
                per,
                target,
                objective,
            )
        )
        return True

    def _statement(
        self,
        text: str,
        ctx: Context,
        scope: _Scope,
        *,
        line: int,
        lines: tuple[int, ...],
        name: str,
        service_label: str,
        explicit_service: str = "",
        label_is_service: bool = False,
        report_unreadable: bool = True,
    ) -> list[int]:
        """Read one statement; returns the indexes of the objectives it produced."""
        has_number = bool(re.search(r"\d", text))
        if scope.reason is not None:
            if has_number:
                self._skip(line, text, "non-objective", non_objective_reason(text) or scope.reason)
                if scope.reason == "budget arithmetic":
                    self._budget(text, line, None, None)
            return []
        reason = non_objective_reason(text)
        if reason is not None:
            if has_number:
                self._skip(line, text, "non-objective", reason)
            return []
        budget = BUDGET_WORDS.search(text) or _BUDGET_VERB.search(text)
        objective_text = text
        if budget is not None:
            cut = max(
                max(text.rfind(ch, 0, budget.start()) for ch in "(,;—–["), text.rfind(". ", 0, budget.start())
            )
            objective_text = text[: cut if cut >= 0 else 0]
            budget_text = text[cut + 1 if cut >= 0 else 0 :]
        partials, problems = assemble(objective_text, ctx)
        indexes = self._emit(
            partials,
            name=name,
            scope=scope,
            line=line,
            lines=lines,
            source_text=text,
            service_label=service_label,
            explicit_service=explicit_service,
            label_is_service=label_is_service,
        )
        if budget is not None:
            target = self.result.objectives[indexes[0]].target_percent if indexes else None
            if self._budget(budget_text, line, target, indexes[0] if indexes else None):
                self._skip(line, budget_text, "non-objective", "budget arithmetic")
        if not partials and report_unreadable and budget is None:
            looks = re.search(r"\d\s*%|[<>≤≥]\s*\d", text) or (ctx.target_cell and has_number)
            if looks or problems:
                why = "; ".join(problems) or "a number was found but no target or threshold could be read"
                self._skip(line, text, "unreadable", why)
        elif problems:
            self._skip(line, text, "unreadable", "; ".join(problems))
        return indexes

    # --- tables ---
    def _roles(self, table: Table) -> tuple[list[ColumnRole | None], list[Window | None]]:
        roles: list[ColumnRole | None] = []
        header_windows: list[Window | None] = []
        for cell in table.header:
            found = find_windows(cell)
            if not found:
                for part in re.finditer(r"\(([^)]*)\)", cell):
                    inner = find_windows(part.group(1), in_window_cell=True)
                    if inner:
                        found = [WindowMatch(part.start(), part.end(), inner[0].window)]
                        break
            header_windows.append(found[0].window if found else None)
            stripped = cell
            for w in reversed(found):
                stripped = stripped[: w.start] + stripped[w.end :]
            role: ColumnRole | None = None
            for candidate, pattern in COLUMN_ROLES:
                if pattern.search(stripped):
                    role = candidate
                    break
            if role is None and found:
                role = "window"
            roles.append(role)
        if "name" not in roles:
            targets = [i for i, r in enumerate(roles) if r == "target"]
            services = [i for i, r in enumerate(roles) if r == "service"]
            if (
                services
                and sum(1 for row in table.rows if services[0] < len(row) and kind_in(row[services[0]]))
                > len(table.rows) / 2
            ):
                roles[services[0]] = "name"
            elif len(targets) > 1:
                roles[targets[0]] = "name"
            else:
                for i, r in enumerate(roles):
                    if r is None:
                        roles[i] = "name"
                        break
        if "target" not in roles and "threshold" not in roles:
            for i, r in enumerate(roles):
                if r in (None, "description") and any(
                    i < len(row) and scan_has_anchor(row[i], self.comma_decimal) for row in table.rows
                ):
                    roles[i] = "target"
                    break
        return roles, header_windows

    def _metric_columns(self, table: Table, roles: list[ColumnRole | None]) -> list[int]:
        """Columns of a wide table: each header names a metric ("p95 latency", "Availability")."""
        columns = [
            i
            for i, header in enumerate(table.header)
            if roles[i] in (None, "target", "threshold", "percentile")
            and (kind_in(header) or _percentile_of(header, self.comma_decimal) is not None)
            and any(i < len(row) and re.search(r"\d", row[i]) for row in table.rows)
        ]
        names = [i for i, r in enumerate(roles) if r == "name" and i not in columns]
        if len(columns) < 2 or not names:
            return []
        if any(kind_in(row[names[0]]) for row in table.rows if names[0] < len(row)):
            return []
        return columns

    def _wide_table(
        self, table: Table, scope: _Scope, roles: list[ColumnRole | None], columns: list[int]
    ) -> None:
        name_col = next(i for i, r in enumerate(roles) if r == "name" and i not in columns)
        window_cols = [i for i, r in enumerate(roles) if r == "window"]
        for row, line in zip(table.rows, table.row_lines, strict=False):
            cells = [row[i] if i < len(row) else "" for i in range(len(table.header))]
            row_name = cells[name_col].strip()
            window, source = scope.window, scope.window_source
            for i in window_cols:
                found = find_windows(cells[i], in_window_cell=True)
                if found:
                    window, source = found[0].window, f"the window column ('{cells[i]}')"
            for i in columns:
                cell = cells[i].strip()
                if not cell:
                    continue
                header = table.header[i]
                unit = re.search(r"\(([^)]*)\)", header)
                if unit and re.fullmatch(r"[<>≤≥=~]*\s*[\d.,]+", cell):
                    cell = f"{cell} {unit.group(1)}"
                ctx = Context(
                    name=header,
                    kind_texts=tuple(h.text for h in reversed(scope.headings)),
                    window=window,
                    window_source=source,
                    comma_decimal=self.comma_decimal,
                    target_cell=True,
                    percentile=_percentile_of(header, self.comma_decimal),
                )
                self._statement(
                    f"{header} : {cell}",
                    ctx,
                    scope,
                    line=line,
                    lines=(line,),
                    name=f"{row_name} {header}",
                    service_label=row_name,
                    explicit_service=row_name if roles[name_col] == "service" else "",
                )

    @staticmethod
    def _is_vertical(table: Table) -> bool:
        """A two-column key/value table ("| **Compliance period** | 4w |") with an empty header."""
        return (
            len(table.header) == 2
            and not any(h.strip() for h in table.header)
            and all(len(row) >= 2 and not re.search(r"\d", row[0]) for row in table.rows)
        )

    def _table(self, table: Table, scope: _Scope) -> None:
        if self._is_vertical(table):
            items = [
                Item(f"{row[0]}: {row[1]}", line)
                for row, line in zip(table.rows, table.row_lines, strict=False)
            ]
            self._items(items, scope, self._list_label(-1, scope))
            return
        roles, header_windows = self._roles(table)
        columns = self._metric_columns(table, roles)
        if columns:
            self._wide_table(table, scope, roles, columns)
            return
        budget_only = "budget" in roles and "name" not in roles
        heading_name = scope.headings[-1].text if scope.headings else ""
        for row, line in zip(table.rows, table.row_lines, strict=False):
            cells = {i: (row[i] if i < len(row) else "") for i in range(len(roles))}

            def col(role: ColumnRole, cells: dict[int, str] = cells) -> list[tuple[int, str]]:
                return [(i, cells[i]) for i, r in enumerate(roles) if r == role and cells[i].strip()]

            if not any(c.strip() for c in cells.values()):
                continue
            row_text = " | ".join(c for c in row)
            if budget_only:
                target_cells = col("target")
                target = None
                if target_cells:
                    number = NUMBER_RE.search(target_cells[0][1])
                    if number:
                        target = parse_number(number.group(0), percent=True)
                for i, cell in col("budget"):
                    self._budget(cell, line, target, None, table.header[i])
                self._skip(line, row_text, "non-objective", "budget arithmetic")
                continue
            name = " ".join(c for _, c in col("name")).strip()
            pieces = [c for role in _STATEMENT_ROLES for _, c in col(role)]
            if len(pieces) > 1 and any(
                a.kind == "cmp"
                for p in pieces[1:]
                for a in scan(p, Context(comma_decimal=self.comma_decimal))
            ):
                # "Whisper p95 (30 s audio) | ≤ 3 s": quantities in the name are conditions, not thresholds.
                pieces[0] = _mask_quantities(pieces[0], self.comma_decimal)
            statement = " : ".join(pieces)
            window: Window | None = None
            window_source = scope.window_source
            for _, cell in col("window"):
                found = find_windows(cell, in_window_cell=True)
                if found:
                    window, window_source = found[0].window, f"the window column ('{cell}')"
            if window is None:
                for i, r in enumerate(roles):
                    if r in ("target", "threshold") and header_windows[i] is not None:
                        window = header_windows[i]
                        window_source = f"the column header '{table.header[i]}'"
            if window is None:
                window = scope.window
            kind_texts = tuple(c for role in _HINT_ROLES for _, c in col(role))
            kind_texts += tuple(h.text for h in reversed(scope.headings))
            ctx = Context(
                name=name,
                kind_texts=kind_texts,
                window=window,
                window_source=window_source,
                comma_decimal=self.comma_decimal,
                target_cell=True,
            )
            ctx.percentile = _percentile_of(heading_name, self.comma_decimal)
            for hint in kind_texts[: len(kind_texts) - len(scope.headings)]:
                ctx.percentile = _percentile_of(hint, self.comma_decimal) or ctx.percentile
            for role, reason in (("measured", "measured value"), ("alert", "alert threshold")):
                for _, cell in col(role):  # type: ignore[arg-type]
                    if re.search(r"\d", cell):
                        self._skip(line, f"{name}: {cell}", "non-objective", reason)
            explicit = " ".join(c for _, c in col("service"))
            indexes = self._statement(
                statement,
                ctx,
                scope,
                line=line,
                lines=(line,) + ((table.line,) if window is not None and "header" in window_source else ()),
                name=name or heading_name,
                service_label=name,
                explicit_service=explicit,
            )
            for i, cell in col("budget"):
                target = self.result.objectives[indexes[0]].target_percent if indexes else None
                if self._budget(cell, line, target, indexes[0] if indexes else None, table.header[i]):
                    self._skip(line, f"{name}: {cell}", "non-objective", "budget arithmetic")

    # --- lists ---
    def _is_label(self, index: int) -> bool:
        block = self.blocks[index]
        if not isinstance(block, Paragraph) or index + 1 >= len(self.blocks):
            return False
        following = self.blocks[index + 1]
        return (
            isinstance(following, ItemList)
            and len(block.text) <= 100
            and not scan_has_anchor(block.text, self.comma_decimal)
        )

    def _list_label(self, index: int, scope: _Scope) -> _ListContext:
        ctx = _ListContext(
            kind_texts=tuple(h.text for h in reversed(scope.headings)),
            window=scope.window,
            window_source=scope.window_source,
        )
        if index > 0 and self._is_label(index - 1):
            para = self.blocks[index - 1]
            assert isinstance(para, Paragraph)
            text = para.text.rstrip(":").strip()
            ctx.name = text
            ctx.kind_texts = (text, *ctx.kind_texts)
            ctx.percentile = _percentile_of(text, self.comma_decimal)
            found = find_windows(text)
            if found:
                ctx.window, ctx.window_source = found[0].window, f"'{text}' (line {para.line})"
            ctx.lines = (para.line,)
            ctx.reason = label_reason(text)
        if ctx.percentile is None:
            for heading in reversed(scope.headings):
                ctx.percentile = _percentile_of(heading.text, self.comma_decimal)
                if ctx.percentile is not None:
                    break
        return ctx

    def _items(self, items: list[Item], scope: _Scope, parent: _ListContext) -> None:
        if parent.name and _is_role_only(parent.name):
            # "**SLO**:" above a list names nothing: the heading does.
            heading = next((h.text for h in reversed(scope.headings)), "")
            parent = replace(parent, name=heading)
        for item in items:
            found = labelled_window(item.text)
            if found:
                parent = replace(
                    parent, window=found[0].window, window_source=f"'{item.text[:60]}' (line {item.line})"
                )
        for item in items:
            text = item.text
            if labelled_window(text):
                continue
            m = _LABEL_SPLIT.match(text)
            label = m.group(1).strip() if m and not re.search(r"[<>≤≥%]", m.group(1)) else ""
            is_percentile_label = (
                bool(label)
                and _percentile_of(label, self.comma_decimal) is not None
                and len(label.split()) <= 3
            )
            if (
                label
                and parent.name
                and (is_percentile_label or (not kind_in(label) and len(label.split()) <= 3))
            ):
                name = f"{parent.name} ({label})" if is_percentile_label else label
            else:
                name = label or parent.name
            if is_percentile_label and not parent.name and scope.headings:
                name = f"{scope.headings[-1].text} ({label})"
            if label and _is_role_only(label):
                name = parent.name or next((h.text for h in reversed(scope.headings)), label)
            ctx = Context(
                name=label or parent.name,
                kind_texts=(*((parent.name,) if parent.name else ()), *parent.kind_texts),
                percentile=parent.percentile,
                window=parent.window,
                window_source=parent.window_source,
                comma_decimal=self.comma_decimal,
            )
            if parent.name and label and not kind_in(label):
                ctx.name = f"{parent.name} {label}"
            indexes: list[int] = []
            if parent.reason is not None:
                if re.search(r"\d", text):
                    self._skip(item.line, text, "non-objective", parent.reason)
                if item.children:
                    self._items(item.children, scope, parent)
                continue
            if text:
                indexes = self._statement(
                    text,
                    ctx,
                    scope,
                    line=item.line,
                    lines=(item.line, *parent.lines),
                    name=name or text[:60],
                    service_label=label or name,
                    label_is_service=bool(label) and not kind_in(label),
                    report_unreadable=True,
                )
            # A budget line under an objective ("Maximum allowed downtime: 43.8 min") belongs to it.
            if (
                self.result.budgets
                and self.result.budgets[-1].line == item.line
                and self.result.budgets[-1].objective_index is None
                and parent.parent_objectives
            ):
                claim = self.result.budgets[-1]
                index = parent.parent_objectives[0]
                self.result.budgets[-1] = replace(
                    claim, objective_index=index, target_percent=self.result.objectives[index].target_percent
                )
            if item.children:
                child = _ListContext(
                    name=(label or text[:80]).strip() if not indexes else name,
                    kind_texts=(text, *ctx.kind_texts),
                    percentile=_percentile_of(text, self.comma_decimal) if not indexes else None,
                    window=parent.window,
                    window_source=parent.window_source,
                    lines=(item.line, *parent.lines),
                    parent_objectives=indexes,
                    reason=None if indexes else label_reason(label or text),
                )
                if child.percentile is None:
                    child.percentile = parent.percentile
                found = find_windows(text)
                if found:
                    child.window, child.window_source = found[0].window, f"the parent item (line {item.line})"
                self._items(item.children, scope, child)

    def _heading(self, heading: Heading, scope: _Scope) -> None:
        """ "### Settlement files — 99.9 % delivered on time (monthly)": an objective as a heading."""
        outer = _Scope(scope.headings[:-1], scope.window, scope.window_source, scope.reason)
        m = _LABEL_SPLIT.match(heading.text)
        name = m.group(1).strip() if m else heading.text
        ctx = Context(
            name=name,
            kind_texts=tuple(h.text for h in reversed(outer.headings)),
            window=scope.window,
            window_source=scope.window_source,
            comma_decimal=self.comma_decimal,
        )
        self._statement(
            heading.text, ctx, outer, line=heading.line, lines=(heading.line,), name=name, service_label=name
        )

    # --- paragraphs ---
    def _paragraph(self, para: Paragraph, scope: _Scope) -> None:
        heading = scope.headings[-1].text if scope.headings else ""
        for sentence in _SENTENCE_SPLIT.split(para.text):
            if not re.search(r"\d", sentence):
                continue
            line = self._line_of(sentence, para.line)
            ctx = Context(
                name="",
                kind_texts=(heading,) if heading else (),
                window=scope.window,
                window_source=scope.window_source,
                comma_decimal=self.comma_decimal,
                prose=True,
                percentile=_percentile_of(heading, self.comma_decimal),
            )
            if not scan_has_anchor(sentence, self.comma_decimal):
                if scope.reason is None and re.search(r"\d\s*%", sentence) and not find_windows(sentence):
                    self._skip(line, sentence, "unreadable", "a percentage without a readable objective")
                continue
            m = _LABEL_SPLIT.match(sentence)
            label = m.group(1).strip() if m and len(m.group(1).split()) <= 5 else ""
            self._statement(sentence, ctx, scope, line=line, lines=(line,), name=label, service_label=label)


_WINDOW_LABEL = dict(COLUMN_ROLES)["window"]


def label_reason(text: str) -> NonObjectiveReason | None:
    """Why the items under a label ("Alerting:", "Improvement targets") are not objectives."""
    reason = _heading_reason(text)
    if reason is None and ALERT_WORDS.search(text) and not RESPONSE_WORDS.search(text):
        reason = "alert threshold"
    if reason is None and SLA_WORDS.match(text.strip("*_ :")):
        reason = "SLA commitment"
    return reason


def labelled_window(text: str) -> list[WindowMatch]:
    """The window of a "Measurement window: 30 days" statement (label names a window), else []."""
    m = _LABEL_SPLIT.match(text)
    if not m or not _WINDOW_LABEL.search(m.group(1)) or re.search(r"%|[<>≤≥]", m.group(2)):
        return []
    return find_windows(m.group(2), in_window_cell=True)


@functools.lru_cache(maxsize=8192)
def _percentile_of(text: str, comma_decimal: bool) -> float | None:
    for atom in scan(text, Context(comma_decimal=comma_decimal)):
        if atom.kind == "pctl":
            return atom.value
    return None


@functools.lru_cache(maxsize=8192)
def scan_has_anchor(text: str, comma_decimal: bool) -> bool:
    """Whether ``text`` holds a target or threshold (not just a window or a percentile)."""
    return any(a.kind in ("pct", "cmp") for a in scan(text, Context(comma_decimal=comma_decimal)))


def read(text: str) -> ParseResult:
    return Reader(text).read()
