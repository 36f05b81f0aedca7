"""Reading a ``metricSource.spec`` into the binding of one of slokit's two engines.

``type: slokit`` reads events of a stream from the embedded store; ``type: prometheus`` reads
PromQL from a Prometheus-compatible engine. Other vendors' types (Datadog, New Relic, ...) are
kept as opaque mappings: slokit validates and converts them but does not evaluate them.

Problems are returned, not raised, so the loader can report every one of a file with its
place: ``BindingProblem.path`` is relative to the ``spec`` mapping (``where``, or ``""`` for the
mapping itself) and ``offset`` is a 0-based character position inside that field's text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from slokit.spec.model import Binding, PrometheusQuery, SlokitQuery

if TYPE_CHECKING:  # the predicate module is loaded when a 'where' is read: Prometheus specs have none
    from slokit.spec.predicate import Predicate

Role = Literal["good", "bad", "total", "raw", "threshold"]

#: The metricSource types slokit evaluates itself; matched exactly (OpenSLO's own examples use
#: ``type: Prometheus`` for other tools' adapters, which slokit leaves alone).
SLOKIT_TYPE = "slokit"
PROMETHEUS_TYPE = "prometheus"

STREAM_RE = re.compile(r"[a-z0-9][a-z0-9_.-]*")
STREAM_MAX = 128
#: The range placeholder of ratio queries, replaced by each window slokit evaluates (5m, 1h, ...).
WINDOW_PLACEHOLDER = "{{window}}"
METRIC_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_MATCHER_RE = re.compile(
    r"\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*"
    r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`[^`]*`)\s*"
)
_PLACEHOLDER_RE = re.compile(r"\{\{\s*(\.?[A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

_ROLE_WORDS = {
    "good": "ratioMetric.good",
    "bad": "ratioMetric.bad",
    "total": "ratioMetric.total",
    "raw": "ratioMetric.raw",
    "threshold": "thresholdMetric",
}


@dataclass(frozen=True, slots=True)
class BindingProblem:
    """One thing wrong with a metricSource spec."""

    path: str
    message: str
    hint: str = ""
    offset: int | None = None


def parse_binding(
    source_type: str | None, spec: Mapping[str, Any], role: Role
) -> tuple[Binding | None, list[BindingProblem]]:
    """The binding for ``source_type`` read from ``spec`` in ``role``, and every problem found.

    Returns ``(None, [])`` for types slokit does not evaluate, and ``(None, problems)`` when a
    slokit or prometheus spec is wrong.
    """
    if source_type == SLOKIT_TYPE:
        return _parse_slokit(spec, role)
    if source_type == PROMETHEUS_TYPE:
        return _parse_prometheus(spec, role)
    return None, []


def _suggest(word: str, allowed: tuple[str, ...]) -> str:
    import difflib  # only for a mistake's hint: not loaded for specs without one

    lowered = {a.lower(): a for a in allowed}
    close = lowered.get(word.lower()) or next(iter(difflib.get_close_matches(word, allowed, n=1)), None)
    listing = "allowed: " + ", ".join(allowed)
    return f"did you mean '{close}'? {listing}" if close else listing


def _unknown_keys(spec: Mapping[str, Any], allowed: tuple[str, ...], context: str) -> list[BindingProblem]:
    return [
        BindingProblem(str(key), f"unknown field '{key}' in a {context} spec", _suggest(str(key), allowed))
        for key in spec
        if key not in allowed
    ]


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _check_mapping(spec: Any) -> list[BindingProblem]:
    if isinstance(spec, Mapping):
        return []
    return [BindingProblem("", f"the metricSource spec must be a mapping, not {_type_name(spec)}")]


# --- type: slokit ---

_SLOKIT_KEYS = ("stream", "where", "value", "groupBy")
#: Sources whose ``groupBy`` defines the groups; ``good``/``bad`` may only repeat the total's.
_GROUPING_ROLES = ("total", "threshold", "good", "bad")


def _parse_slokit(spec: Mapping[str, Any], role: Role) -> tuple[Binding | None, list[BindingProblem]]:
    problems = _check_mapping(spec)
    if problems:
        return None, problems
    problems = _unknown_keys(spec, _SLOKIT_KEYS, "type: slokit")
    if role == "raw":
        problems.append(
            BindingProblem(
                "",
                "type: slokit cannot be a raw ratio: the store counts events itself",
                "describe the events with good (or bad) and total sources instead",
            )
        )

    stream = spec.get("stream")
    if stream is None:
        problems.append(
            BindingProblem("stream", "'stream' is required: the event stream to read", "e.g. stream: orders")
        )
    elif not isinstance(stream, str):
        problems.append(BindingProblem("stream", f"'stream' must be a name, not {_type_name(stream)}"))
    elif not STREAM_RE.fullmatch(stream) or len(stream) > STREAM_MAX:
        problems.append(
            BindingProblem(
                "stream",
                f"'{stream}' is not a valid stream name",
                f"use lowercase letters, digits, '_', '.', '-', starting with a letter or digit, "
                f"at most {STREAM_MAX} characters",
            )
        )

    where: Predicate | None = None
    raw_where = spec.get("where")
    if raw_where is not None:
        if not isinstance(raw_where, str):
            problems.append(
                BindingProblem(
                    "where",
                    f"'where' must be a predicate in text, not {_type_name(raw_where)}",
                    'quote it, e.g. where: "status < 500"',
                )
            )
        else:
            from slokit.spec.predicate import PredicateError, parse_predicate

            try:
                where = parse_predicate(raw_where)
            except PredicateError as exc:
                problems.append(BindingProblem("where", exc.message, exc.hint, exc.offset))

    value = spec.get("value")
    if role == "threshold":
        if value is None:
            problems.append(
                BindingProblem(
                    "value",
                    "'value' is required for a thresholdMetric: the numeric event field the "
                    "objective's op/value compare",
                    "e.g. value: latency_ms",
                )
            )
        elif not isinstance(value, str) or not value.strip():
            problems.append(BindingProblem("value", f"'value' must be a field name, not {_type_name(value)}"))
    elif value is not None:
        problems.append(
            BindingProblem(
                "value",
                f"'value' is only allowed in a thresholdMetric, not in {_ROLE_WORDS[role]}",
                "a ratio counts events: narrow them with 'where' instead",
            )
        )

    group_by: tuple[str, ...] = ()
    if "groupBy" in spec:
        group_by, group_problems = _group_by(spec["groupBy"], role)
        problems.extend(group_problems)

    if problems:
        return None, problems
    assert isinstance(stream, str)
    return (
        SlokitQuery(
            stream=stream, where=where, value=value if role == "threshold" else None, group_by=group_by
        ),
        [],
    )


def _group_by(raw: Any, role: Role) -> tuple[tuple[str, ...], list[BindingProblem]]:
    """``groupBy``: a non-empty list of distinct event field names (dots reach nested fields)."""
    example = "e.g. groupBy: [route] or groupBy: [route, method]"
    if role not in _GROUPING_ROLES:
        return (), [
            BindingProblem(
                "groupBy",
                f"'groupBy' is not allowed in {_ROLE_WORDS[role]}",
                "put it on ratioMetric.total (or the thresholdMetric)",
            )
        ]
    if not isinstance(raw, list):
        return (), [
            BindingProblem(
                "groupBy", f"'groupBy' must be a list of field names, not {_type_name(raw)}", example
            )
        ]
    if not raw:
        return (), [
            BindingProblem("groupBy", "'groupBy' is empty", "name at least one field, or remove groupBy")
        ]
    problems: list[BindingProblem] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(raw):
        path = f"groupBy[{i}]"
        if not isinstance(name, str) or not name.strip():
            what = "an empty name" if isinstance(name, str) else _type_name(name)
            problems.append(
                BindingProblem(path, f"a groupBy entry must be an event field name, not {what}", example)
            )
        elif name in seen:
            problems.append(
                BindingProblem(
                    path,
                    f"'{name}' is already listed in groupBy (entry {seen[name] + 1})",
                    "list each field once",
                )
            )
        else:
            seen[name] = i
    if problems:
        return (), problems
    return tuple(raw), []


def check_group_pair(total: Binding, narrowing: Binding, narrowing_role: Role) -> list[BindingProblem]:
    """A good/bad source may leave ``groupBy`` out or repeat the total's list exactly.

    Groups are the total's: good events are counted inside each of the total's groups, so a
    different list would describe groups that do not exist. ``path`` is relative to the good/bad
    source's spec.
    """
    if not (isinstance(total, SlokitQuery) and isinstance(narrowing, SlokitQuery)):
        return []
    if not narrowing.group_by or narrowing.group_by == total.group_by:
        return []
    if not total.group_by:
        return [
            BindingProblem(
                "groupBy",
                f"{_ROLE_WORDS[narrowing_role]} has groupBy but ratioMetric.total has none",
                "put groupBy on ratioMetric.total: the groups are the total's",
            )
        ]
    listing = ", ".join(total.group_by)
    return [
        BindingProblem(
            "groupBy",
            f"{_ROLE_WORDS[narrowing_role]} groupBy [{', '.join(narrowing.group_by)}] differs from "
            f"ratioMetric.total's [{listing}]",
            f"remove it here (the total's groups apply) or write exactly [{listing}]",
        )
    ]


# --- type: prometheus ---

_PROMETHEUS_KEYS = ("query", "histogram", "selector", "native")


def _parse_prometheus(spec: Mapping[str, Any], role: Role) -> tuple[Binding | None, list[BindingProblem]]:
    problems = _check_mapping(spec)
    if problems:
        return None, problems
    problems = _unknown_keys(spec, _PROMETHEUS_KEYS, "type: prometheus")
    query = spec.get("query")
    histogram = spec.get("histogram")
    selector = spec.get("selector")
    native = spec.get("native")

    if histogram is not None and role != "threshold":
        problems.append(
            BindingProblem(
                "histogram",
                f"'histogram' is only allowed in a thresholdMetric, not in {_ROLE_WORDS[role]}",
                "count good and total events with PromQL 'query' expressions instead",
            )
        )
    if query is None and histogram is None:
        if role == "threshold":
            problems.append(
                BindingProblem(
                    "",
                    "a prometheus thresholdMetric needs 'histogram' (a latency histogram) or 'query'",
                    "e.g. histogram: http_request_duration_seconds",
                )
            )
        else:
            problems.append(
                BindingProblem(
                    "query",
                    "'query' is required: a PromQL expression",
                    "e.g. query: 'sum(rate(http_requests_total[{{window}}]))'",
                )
            )
    if query is not None and histogram is not None:
        problems.append(
            BindingProblem("", "give either 'query' or 'histogram', not both", "a histogram needs no query")
        )
    if query is not None:
        problems.extend(_query_problems(query, role))

    if histogram is not None and role == "threshold":
        problems.extend(_histogram_problems(histogram))
    if histogram is None:
        for key, present in (("selector", selector is not None), ("native", native is not None)):
            if present:
                problems.append(
                    BindingProblem(key, f"'{key}' only applies together with 'histogram'", "remove it")
                )
    if selector is not None:
        problems.extend(_selector_problems(selector))
    if native is not None and not isinstance(native, bool):
        problems.append(BindingProblem("native", f"'native' must be true or false, not {_type_name(native)}"))

    if problems:
        return None, problems
    return (
        PrometheusQuery(
            query=query,
            histogram=histogram,
            selector=selector or "",
            native=bool(native),
        ),
        [],
    )


def _query_problems(query: Any, role: Role) -> list[BindingProblem]:
    if not isinstance(query, str):
        return [BindingProblem("query", f"'query' must be PromQL text, not {_type_name(query)}")]
    if not query.strip():
        return [BindingProblem("query", "'query' is empty", "write a PromQL expression")]
    problems: list[BindingProblem] = []
    for match in _PLACEHOLDER_RE.finditer(query):
        if match.group(0) != WINDOW_PLACEHOLDER:
            name = match.group(1)
            hint = (
                f"write {WINDOW_PLACEHOLDER} (Sloth writes {{{{.window}}}})"
                if name.lstrip(".") == "window"
                else f"the only placeholder is {WINDOW_PLACEHOLDER}"
            )
            problems.append(
                BindingProblem("query", f"unknown placeholder '{match.group(0)}'", hint, match.start())
            )
    if problems:
        return problems
    if role in ("good", "bad", "total") and WINDOW_PLACEHOLDER not in query:
        problems.append(
            BindingProblem(
                "query",
                f"a {_ROLE_WORDS[role]} query must contain the {WINDOW_PLACEHOLDER} placeholder",
                "slokit evaluates the query over each window it needs, e.g. "
                "sum(rate(http_requests_total[{{window}}]))",
            )
        )
    shape = promql_shape_problem(query)
    if shape is not None:
        message, offset = shape
        problems.append(BindingProblem("query", message, "", offset))
    return problems


_CLOSING = {"(": ")", "[": "]", "{": "}"}
_WHAT = {"(": "parenthesis", "[": "bracket", "{": "brace", ")": "parenthesis", "]": "bracket", "}": "brace"}


#: What the shape check stops at: the window placeholder (one word), a quote, a comment or a
#: bracket. Everything between is skipped by the regular expression engine, not a Python loop.
_SHAPE_STOP_RE = re.compile(re.escape(WINDOW_PLACEHOLDER) + r"|[\"'`#()\[\]{}]")
#: Where a quoted string may end: its quote, or a backslash escaping the next character.
_STRING_STOP_RE = {'"': re.compile(r'["\\]'), "'": re.compile(r"['\\]")}


def promql_shape_problem(text: str) -> tuple[str, int] | None:
    """The first structural problem of a PromQL text (unbalanced brackets, open string), or None.

    Not a PromQL parser: it catches the mistakes that make a query fail at evaluation time
    long after the spec was accepted. The ``{{window}}`` placeholder counts as one word.
    Returns a message and a 0-based offset.
    """
    stack: list[tuple[str, int]] = []
    search = _SHAPE_STOP_RE.search
    i = 0
    while (found := search(text, i)) is not None:
        i = found.start()
        char = found.group()
        if len(char) > 1:  # the placeholder
            i = found.end()
            continue
        if char in "\"'`":
            end = _string_end(text, i)
            if end is None:
                return f"the string starting with {char} is not closed", i
            i = end + 1
            continue
        if char == "#":  # PromQL comment to the end of the line
            newline = text.find("\n", i)
            if newline < 0:
                break
            i = newline + 1
            continue
        if char in _CLOSING:
            stack.append((char, i))
        else:
            if not stack:
                return f"this closing {_WHAT[char]} '{char}' has no opening one", i
            opener, at = stack.pop()
            if _CLOSING[opener] != char:
                return (
                    f"'{char}' closes the {_WHAT[opener]} '{opener}' opened at character {at + 1}",
                    i,
                )
        i += 1
    if stack:
        opener, at = stack[-1]
        return f"the {_WHAT[opener]} '{opener}' is never closed", at
    return None


def _string_end(text: str, start: int) -> int | None:
    """The index of the quote closing the string opened at ``start``, or None if it is open.

    Backslashes escape the next character in double- and single-quoted strings; backticks
    quote raw text.
    """
    quote = text[start]
    if quote == "`":
        end = text.find("`", start + 1)
        return None if end < 0 else end
    search = _STRING_STOP_RE[quote].search
    i = start + 1
    while (found := search(text, i)) is not None:
        i = found.start()
        if text[i] == quote:
            return i
        i += 2
    return None


def _histogram_problems(histogram: Any) -> list[BindingProblem]:
    if not isinstance(histogram, str):
        return [
            BindingProblem("histogram", f"'histogram' must be a metric name, not {_type_name(histogram)}")
        ]
    if not METRIC_NAME_RE.fullmatch(histogram):
        return [
            BindingProblem(
                "histogram",
                f"'{histogram}' is not a Prometheus metric name",
                "letters, digits, '_' and ':', not starting with a digit; put label matchers in 'selector'",
            )
        ]
    if histogram.endswith(("_bucket", "_count", "_sum")):
        base = histogram.rsplit("_", 1)[0]
        return [
            BindingProblem(
                "histogram",
                f"name the histogram, not one of its series: '{histogram}'",
                f"write histogram: {base} (slokit picks the series it needs itself)",
            )
        ]
    return []


def _selector_problems(selector: Any) -> list[BindingProblem]:
    if not isinstance(selector, str):
        return [
            BindingProblem(
                "selector", f"'selector' must be label matchers in text, not {_type_name(selector)}"
            )
        ]
    text = selector.strip()
    if not text:
        return []
    example = 'e.g. selector: \'{job="api", route!~"/health.*"}\''
    if not (text.startswith("{") and text.endswith("}")):
        return [BindingProblem("selector", "'selector' must be label matchers in braces", example, 0)]
    body = text[1:-1]
    base = selector.index("{") + 1
    pos = 0
    while pos < len(body):
        match = _LABEL_MATCHER_RE.match(body, pos)
        if match is None:
            return [
                BindingProblem(
                    "selector",
                    'expected a label matcher (label="value", !=, =~ or !~)',
                    example,
                    base + pos,
                )
            ]
        if match.group(1) == "=" and re.match(r"\s*le\s*=", body[pos:]):
            return [
                BindingProblem(
                    "selector",
                    "'le' is set by slokit from the objective's value",
                    "remove the le matcher",
                    base + pos,
                )
            ]
        pos = match.end()
        if pos < len(body):
            if body[pos] != ",":
                return [
                    BindingProblem("selector", "expected ',' between label matchers", example, base + pos)
                ]
            pos += 1
    return []


def check_ratio_pair(total: Binding, narrowing: Binding, narrowing_role: Role) -> list[BindingProblem]:
    """Cross-check a ratio's total with its good (or bad) source: both on one engine and stream.

    Good events are total's events narrowed by good's ``where``, so they must come from the same
    stream. ``path`` of the problems is relative to the good/bad source's spec.
    """
    if type(total) is not type(narrowing):
        return [
            BindingProblem(
                "",
                f"{_ROLE_WORDS[narrowing_role]} and ratioMetric.total use different metric source types",
                "read both from the same engine",
            )
        ]
    if (
        isinstance(total, SlokitQuery)
        and isinstance(narrowing, SlokitQuery)
        and total.stream != narrowing.stream
    ):
        return [
            BindingProblem(
                "stream",
                f"{_ROLE_WORDS[narrowing_role]} reads stream '{narrowing.stream}' but "
                f"ratioMetric.total reads '{total.stream}'",
                f"{narrowing_role} events are total's events narrowed by 'where': use stream "
                f"'{total.stream}'",
            )
        ]
    return check_group_pair(total, narrowing, narrowing_role)
