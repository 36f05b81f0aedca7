"""Reading typed fields out of located YAML nodes, reporting every problem with its place.

Validation code asks for ``fields.number("target")`` and gets a float or None; whatever is wrong
(missing, wrong type, unknown sibling keys) has already been reported to the sink with the file,
line, column and field path, so one pass reports all errors of a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from slokit.errors import DiagnosticSink, Location
from slokit.spec.durations import Duration, parse_duration
from slokit.spec.yamlnodes import Node

#: RFC 1123 DNS label, as OpenSLO (and Kubernetes) require for object names.
DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
#: OpenSLO duration shorthand units; seconds are not part of the spec.
OPENSLO_UNITS = "mhdwMQY"
DESCRIPTION_MAX = 1050
DISPLAY_NAME_MAX = 63


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The closest allowed word, for "did you mean" hints; case-insensitive matches win."""
    options = list(choices)
    for option in options:
        if option.lower() == word.lower():
            return option
    import difflib  # only for a mistake's hint: not loaded for specs without one

    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return close[0] if close else None


def dns_label_problem(name: str) -> str | None:
    """Why ``name`` is not an RFC 1123 label, or None when it is one."""
    if not name:
        return "must not be empty"
    if len(name) > 63:
        return f"is {len(name)} characters long; at most 63 are allowed"
    if not DNS_LABEL_RE.match(name):
        return "may contain only lowercase letters, digits and '-', and must start and end alphanumeric"
    return None


@dataclass
class Context:
    """Where diagnostics go, and whether slokit-only rules are errors (strict) or warnings."""

    sink: DiagnosticSink = field(default_factory=DiagnosticSink)
    strict: bool = True

    @property
    def error_count(self) -> int:
        return len(self.sink.errors)

    def error(self, where: Node | Location | None, path: str, message: str, hint: str = "") -> None:
        self.sink.error(message, _location(where), path, hint)

    def warning(self, where: Node | Location | None, path: str, message: str, hint: str = "") -> None:
        self.sink.warning(message, _location(where), path, hint)

    def strict_error(self, where: Node | Location | None, path: str, message: str, hint: str = "") -> None:
        """A rule slokit adds beyond OpenSLO: an error when strict, a warning otherwise."""
        if self.strict:
            self.error(where, path, message, hint)
        else:
            self.warning(where, path, message, hint)


def _location(where: Node | Location | None) -> Location | None:
    if isinstance(where, Node):
        return where.loc
    return where


class Fields:
    """A mapping node being read field by field; keys outside ``allowed`` are reported at once."""

    def __init__(self, ctx: Context, node: Node | None, path: str, allowed: Sequence[str], what: str) -> None:
        self.ctx = ctx
        self.path = path
        self.what = what
        self.node = node
        self.ok = node is not None and node.is_map
        self.values: dict[str, Node] = node.value if self.ok and node is not None else {}
        if node is not None and not node.is_map:
            ctx.error(node, path, f"{what} must be a mapping, got {node.type_name()}")
        for key in self.values:
            if key not in allowed:
                guess = suggest(key, allowed)
                hint = f"did you mean '{guess}'? " if guess else ""
                hint += f"allowed fields: {', '.join(allowed)}"
                assert node is not None
                ctx.strict_error(node.key_locs.get(key), join(path, key), f"unknown field '{key}'", hint)

    def has(self, key: str) -> bool:
        return key in self.values

    def get(self, key: str) -> Node | None:
        """The value node of ``key``; an explicit ``null`` counts as absent."""
        node = self.values.get(key)
        if node is None or (node.is_scalar and node.value is None):
            return None
        return node

    def key_loc(self, key: str) -> Location | None:
        if self.node is not None and key in self.node.key_locs:
            return self.node.key_locs[key]
        return self.node.loc if self.node is not None else None

    def p(self, key: str) -> str:
        return join(self.path, key)

    def missing(self, key: str, hint: str = "") -> None:
        if self.ok:
            self.ctx.error(self.node, self.p(key), f"'{key}' is required in {self.what}", hint)

    def forbid(self, key: str, reason: str, hint: str = "") -> None:
        if self.has(key):
            self.ctx.error(self.key_loc(key), self.p(key), f"'{key}' is not allowed {reason}", hint)

    def _type_error(self, key: str, node: Node, expected: str, hint: str = "") -> None:
        self.ctx.error(node, self.p(key), f"must be {expected}, got {node.type_name()}", hint)

    def string(
        self, key: str, *, required: bool = False, max_len: int | None = None, hint: str = ""
    ) -> str | None:
        node = self.get(key)
        if node is None:
            if required:
                self.missing(key, hint)
            return None
        if not node.is_scalar or not isinstance(node.value, str):
            if node.is_scalar and not isinstance(node.value, bool) and node.value is not None:
                return str(node.raw)  # numbers are fine where free text is expected
            self._type_error(key, node, "a string", hint)
            return None
        value: str = node.value
        if required and not value.strip():
            self.ctx.error(node, self.p(key), "must not be empty", hint)
            return None
        if max_len is not None and len(value) > max_len:
            self.ctx.error(
                node, self.p(key), f"is {len(value)} characters long; at most {max_len} are allowed"
            )
        return value

    def text(self, key: str, *, required: bool = False, hint: str = "") -> str | None:
        """A string that must really be a string in YAML (names, enums, references)."""
        node = self.get(key)
        if node is None:
            if required:
                self.missing(key, hint)
            return None
        if not node.is_scalar or not isinstance(node.value, str):
            self._type_error(key, node, "a string", hint)
            return None
        if required and not node.value.strip():
            self.ctx.error(node, self.p(key), "must not be empty", hint)
            return None
        return str(node.value)

    def description(self, key: str = "description") -> str:
        return self.string(key, max_len=DESCRIPTION_MAX) or ""

    def name(self, key: str, *, required: bool = True, what: str = "a name") -> str | None:
        value = self.text(key, required=required)
        if value is None:
            return None
        problem = dns_label_problem(value)
        if problem:
            self.ctx.error(
                self.get(key),
                self.p(key),
                f"{what} '{value}' {problem}",
                "use an RFC 1123 label such as 'checkout-latency'",
            )
            return None
        return value

    def boolean(self, key: str, *, required: bool = False) -> bool | None:
        node = self.get(key)
        if node is None:
            if required:
                self.missing(key, "write true or false")
            return None
        if not node.is_scalar or not isinstance(node.value, bool):
            self._type_error(key, node, "true or false")
            return None
        return bool(node.value)

    def number(self, key: str, *, required: bool = False, hint: str = "") -> float | None:
        node = self.get(key)
        if node is None:
            if required:
                self.missing(key, hint)
            return None
        value = node.value
        if not node.is_scalar or isinstance(value, bool) or not isinstance(value, int | float):
            extra = (
                " (remove the quotes)"
                if node.is_scalar and isinstance(value, str) and _numeric(value)
                else ""
            )
            self._type_error(key, node, "a number" + extra, hint)
            return None
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            self.ctx.error(node, self.p(key), "must be a finite number", hint)
            return None
        return number

    def enum(self, key: str, choices: Sequence[str], *, required: bool = False) -> str | None:
        allowed = ", ".join(choices)
        value = self.text(key, required=required, hint=f"one of: {allowed}")
        if value is None:
            return None
        if value not in choices:
            guess = suggest(value, choices)
            hint = f"did you mean '{guess}'? " if guess else ""
            self.ctx.error(
                self.get(key), self.p(key), f"'{value}' is not allowed", hint + f"one of: {allowed}"
            )
            return None
        return value

    def mapping(self, key: str, *, required: bool = False, hint: str = "") -> Node | None:
        node = self.get(key)
        if node is None:
            if required:
                self.missing(key, hint)
            return None
        if not node.is_map:
            self._type_error(key, node, "a mapping", hint)
            return None
        return node

    def seq(self, key: str, *, required: bool = False, hint: str = "") -> list[Node] | None:
        node = self.get(key)
        if node is None:
            if required:
                self.missing(key, hint)
            return None
        if not node.is_seq:
            self._type_error(key, node, "a list", hint)
            return None
        items: list[Node] = node.value
        return items

    def duration(self, key: str, *, required: bool = False, units: str = OPENSLO_UNITS) -> Duration | None:
        node = self.get(key)
        if node is None:
            if required:
                self.missing(key, "a duration such as 5m, 1h, 28d, 4w or 1M")
            return None
        return read_duration(self.ctx, node, self.p(key), units)


def read_duration(ctx: Context, node: Node, path: str, units: str = OPENSLO_UNITS) -> Duration | None:
    if not node.is_scalar or not isinstance(node.value, str):
        ctx.error(node, path, f"must be a duration string such as '30d', got {node.type_name()}")
        return None
    try:
        return parse_duration(node.value, units)
    except ValueError as exc:
        ctx.error(node, path, str(exc))
        return None


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
