"""YAML text to a tree of nodes that remember where every key and value came from.

Validation must point at ``file:line:column``, which plain ``yaml.safe_load`` forgets. We use
PyYAML's *composer* (the C one when libyaml is present) and convert its node graph ourselves,
which also lets us refuse what a spec file should never contain: duplicate keys (silently
last-wins in PyYAML), custom tags, alias bombs, absurd nesting, binary data and huge inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from slokit.errors import Diagnostic, Location, SpecError

#: Largest file the loader reads. A spec of a thousand SLOs is well under 2 MB; anything over
#: this limit is almost certainly the wrong file (a log, a dump), and rejected before reading it.
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Nodes after alias expansion; guards against "billion laughs" documents.
MAX_NODES = 1_000_000
MAX_DEPTH = 64

_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _DeepInComposer(Exception):
    """A collection nested deeper than MAX_DEPTH met while composing (before recursing into it)."""


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The safe loader, with a depth guard and tag resolution remembered per scalar text.

    The composer calls ``descend_resolver``/``ascend_resolver`` around every node and
    ``resolve`` when it starts a collection, before composing its children, so counting levels
    there stops absurd nesting before PyYAML's C composer recurses into it (it recurses without
    a limit). Path resolvers are not used by the safe loader; if some were added, PyYAML's own
    methods run as well.

    The composer asks for the tag of every node; a spec repeats the same keys and values many
    times, and each answer costs a few regular expression matches. The answer depends only on
    the text and whether it was quoted, so it is looked up once per stream. The cache lives on
    the loader, so resolvers added later to PyYAML's classes are still seen by the next load.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._tags: dict[tuple[str, tuple[bool, bool]], str] = {}
        self._level = 0

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        self._level += 1
        if self.yaml_path_resolvers:
            super().descend_resolver(current_node, current_index)

    def ascend_resolver(self) -> None:
        self._level -= 1
        if self.yaml_path_resolvers:
            super().ascend_resolver()

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is not yaml.ScalarNode:
            if self._level > MAX_DEPTH:
                raise _DeepInComposer
            return super().resolve(kind, value, implicit)
        if self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = self._tags.get(key)
        if tag is None:
            tag = self._tags[key] = super().resolve(kind, value, implicit)
        return tag


_TAG = "tag:yaml.org,2002:"
NodeKind = Literal["map", "seq", "scalar"]


@dataclass(slots=True, eq=False)
class Node:
    """One YAML value. ``value`` is a dict of nodes (map), a list of nodes (seq) or a Python scalar.

    Scalars keep their source text (``raw``) and quoting ``style`` so callers can place a column
    inside a string and read timestamps exactly as written.
    """

    kind: NodeKind
    value: Any
    loc: Location
    #: For maps: where each key was written.
    key_locs: dict[str, Location] = field(default_factory=dict)
    raw: str = ""
    style: str | None = None
    tag: str = ""

    @property
    def is_map(self) -> bool:
        return self.kind == "map"

    @property
    def is_seq(self) -> bool:
        return self.kind == "seq"

    @property
    def is_scalar(self) -> bool:
        return self.kind == "scalar"

    def type_name(self) -> str:
        """A user-facing name of this node's type, for "expected X, got Y" messages."""
        if self.kind == "map":
            return "a mapping"
        if self.kind == "seq":
            return "a list"
        v = self.value
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "a boolean"
        if isinstance(v, int):
            return "an integer"
        if isinstance(v, float):
            return "a number"
        return "a string"

    def to_python(self) -> Any:
        """Plain Python data (dicts, lists, scalars) for free-form fields such as a metric ``spec``."""
        if self.kind == "map":
            return {k: v.to_python() for k, v in self.value.items()}
        if self.kind == "seq":
            return [v.to_python() for v in self.value]
        return self.value


@dataclass(slots=True)
class Document:
    node: Node
    file: str
    index: int


def _loc(file: str, mark: Any) -> Location:
    if mark is None:
        return Location(file)
    return Location(file, int(mark.line) + 1, int(mark.column) + 1)


_STR = _TAG + "str"
_MERGE = _TAG + "merge"
_TIMESTAMP = _TAG + "timestamp"
_CONSTRUCTED = frozenset(_TAG + name for name in ("int", "float", "bool", "null"))
_ScalarNode = yaml.ScalarNode
_MappingNode = yaml.MappingNode


class _Converter:
    """Turns a composed PyYAML node graph into :class:`Node` trees, collecting every problem."""

    def __init__(self, file: str, diagnostics: list[Diagnostic]) -> None:
        self.file = file
        self.diagnostics = diagnostics
        self.count = 0
        self.constructor = yaml.SafeLoader("")  # only its scalar constructors are used
        self.active: set[int] = set()

    def error(self, message: str, mark: Any, hint: str = "") -> None:
        self.diagnostics.append(Diagnostic(message, _loc(self.file, mark), "", hint))

    def convert(self, ynode: yaml.Node, depth: int = 0) -> Node:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig(ynode)
        mark = ynode.start_mark
        loc = Location(self.file) if mark is None else Location(self.file, mark.line + 1, mark.column + 1)
        if depth > MAX_DEPTH:
            raise _TooDeep(ynode)
        if isinstance(ynode, _ScalarNode):
            return self._scalar(ynode, loc)
        key = id(ynode)
        if key in self.active:
            raise _Recursive(ynode)
        self.active.add(key)
        try:
            if isinstance(ynode, _MappingNode):
                return self._map(ynode, loc, depth)
            assert isinstance(ynode, yaml.SequenceNode)
            items = [self.convert(item, depth + 1) for item in ynode.value]
        finally:
            self.active.discard(key)
        return Node("seq", items, loc, tag=ynode.tag)

    def _scalar(self, ynode: yaml.ScalarNode, loc: Location) -> Node:
        tag = ynode.tag
        raw = str(ynode.value)
        value: Any
        if tag == _STR:
            value = raw
        elif tag in _CONSTRUCTED:
            try:
                value = self.constructor.construct_object(ynode, deep=True)
            except (yaml.YAMLError, ValueError, OverflowError):
                value = raw
        elif tag == _TIMESTAMP:
            # Kept as written: OpenSLO timestamps have their own format, checked by the caller.
            value = raw
        else:
            self.error(
                f"YAML tag {tag!r} is not supported here",
                ynode.start_mark,
                "write plain values; custom tags such as !Ref or !!binary are not part of OpenSLO",
            )
            value = raw
            tag = _STR
        return Node("scalar", value, loc, raw=raw, style=ynode.style, tag=tag)

    def _map(self, ynode: yaml.MappingNode, loc: Location, depth: int) -> Node:
        out: dict[str, Node] = {}
        key_locs: dict[str, Location] = {}
        merged: list[yaml.Node] = []
        for key_node, value_node in ynode.value:
            if key_node.tag == _MERGE:
                merged.append(value_node)
                continue
            if not isinstance(key_node, _ScalarNode):
                self.error("a mapping key must be a plain word, not a list or mapping", key_node.start_mark)
                continue
            key = str(key_node.value)
            mark = key_node.start_mark
            key_loc = (
                Location(self.file) if mark is None else Location(self.file, mark.line + 1, mark.column + 1)
            )
            if key in out:
                first = key_locs[key]
                self.error(
                    f"duplicate key {key!r} (first written at line {first.line})",
                    key_node.start_mark,
                    "each key may appear once in a mapping; remove or rename one of them",
                )
                continue
            out[key] = self.convert(value_node, depth + 1)
            key_locs[key] = key_loc
        # YAML merge keys (``<<: *defaults``): keys written in the mapping itself win.
        for source in merged:
            sources = source.value if isinstance(source, yaml.SequenceNode) else [source]
            for src in sources:
                if not isinstance(src, yaml.MappingNode):
                    self.error("a merge key (<<) must refer to a mapping", src.start_mark)
                    continue
                converted = self.convert(src, depth + 1)
                for key, value in converted.value.items():
                    if key not in out:
                        out[key] = value
                        key_locs[key] = converted.key_locs[key]
        return Node("map", out, loc, key_locs=key_locs, tag=ynode.tag)


class _Limit(Exception):
    def __init__(self, ynode: yaml.Node | yaml.Event) -> None:
        super().__init__()
        self.mark = ynode.start_mark


class _TooBig(_Limit):
    pass


class _TooDeep(_Limit):
    pass


class _Recursive(_Limit):
    pass


_STARTS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _check_depth(text: str) -> bool:
    """Refuse absurd nesting before composing: PyYAML's C composer recurses without a limit.

    Returns whether the stream uses an alias: only then can a document share or repeat nodes,
    so only then is its expanded size worth computing.
    """
    depth = 0
    aliases = False
    starts, ends, alias = _STARTS, _ENDS, yaml.AliasEvent
    for event in yaml.parse(text, Loader=_BaseLoader):
        kind = type(event)
        if kind in starts:
            depth += 1
            if depth > MAX_DEPTH:
                raise _TooDeep(event)
        elif kind in ends:
            depth -= 1
        elif kind is alias:
            aliases = True
    return aliases


def _expanded_size(ynode: yaml.Node, memo: dict[int, int], active: set[int]) -> int:
    """Values after alias expansion, computed on the shared graph (linear time, no expansion)."""
    key = id(ynode)
    if key in memo:
        return memo[key]
    if key in active:
        raise _Recursive(ynode)
    size = 1
    if isinstance(ynode, yaml.MappingNode | yaml.SequenceNode):
        active.add(key)
        children = (
            [n for pair in ynode.value for n in pair] if isinstance(ynode, yaml.MappingNode) else ynode.value
        )
        for child in children:
            size += _expanded_size(child, memo, active)
            if size > MAX_NODES:
                break
        active.discard(key)
    memo[key] = size
    return size


def read_text(path: Path, display: str | None = None) -> str:
    """Read a spec file, refusing huge, binary and non-UTF-8 files with a clear error."""
    name = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SpecError(
                "",
                [
                    Diagnostic(
                        f"file is {size / 1048576:.1f} MB; spec files are limited to "
                        f"{MAX_FILE_BYTES // 1048576} MB",
                        Location(name),
                        hint="point slokit at the folder of SLO specs, not at data or log files",
                    )
                ],
            )
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(
            "", [Diagnostic(f"cannot read file: {exc.strerror or exc}", Location(name))]
        ) from None
    return decode(data, name)


def decode(data: bytes, name: str) -> str:
    """Bytes to text; binary data (NUL bytes, invalid UTF-8) is rejected with its offset."""
    if len(data) > MAX_FILE_BYTES:
        raise SpecError(
            "",
            [
                Diagnostic(
                    f"input is {len(data) / 1048576:.1f} MB; "
                    f"specs are limited to {MAX_FILE_BYTES // 1048576} MB",
                    Location(name),
                )
            ],
        )
    nul = data.find(b"\x00", 0, 65536)
    if nul >= 0:
        raise SpecError("", [_binary(data, nul, name)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError("", [_binary(data, exc.start, name, "is not UTF-8 text")]) from None
    return text


def _binary(data: bytes, offset: int, name: str, what: str = "contains a NUL byte") -> Diagnostic:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return Diagnostic(
        f"this looks like a binary file: it {what} at byte {offset}",
        Location(name, line, column),
        hint="spec files must be UTF-8 YAML text",
    )


def _parse_in_one_pass(text: str, file: str) -> tuple[list[Document], list[Diagnostic]] | None:
    """:func:`parse_documents` for a stream that reads without a YAML error or a limit hit.

    One parse instead of two: the loader guards depth while composing. On any YAML error or
    limit this returns None and the caller reads the stream again the careful way (depth first,
    over the whole stream), so what is reported about a bad file does not change.
    """
    diagnostics: list[Diagnostic] = []
    documents: list[Document] = []
    converter = _Converter(file, diagnostics)
    aliases = "*" in text  # an alias is written with '*'; without one no node is shared
    try:
        for index, ynode in enumerate(yaml.compose_all(text, Loader=_Loader)):
            if ynode is None:
                continue
            if isinstance(ynode, yaml.ScalarNode) and ynode.tag == _TAG + "null":
                continue
            if aliases and _expanded_size(ynode, {}, set()) > MAX_NODES:
                return None
            documents.append(Document(converter.convert(ynode), file, index))
    except (yaml.YAMLError, _Limit, _DeepInComposer, RecursionError):
        return None
    if not documents:
        return None
    return documents, diagnostics


def parse_documents(text: str, file: str) -> tuple[list[Document], list[Diagnostic]]:
    """All non-empty documents of a YAML stream, plus every problem found while reading it.

    Syntax errors stop reading the file (the parser cannot resynchronise) and are returned as a
    single diagnostic at the parser's position; structural problems (duplicate keys, tags) are
    collected and the documents are still returned so validation can report more.
    """
    if len(text) > MAX_FILE_BYTES:
        return [], [
            Diagnostic(
                f"input is {len(text) / 1048576:.1f} MB; specs are limited to {MAX_FILE_BYTES // 1048576} MB",
                Location(file),
            )
        ]
    fast = _parse_in_one_pass(text, file)
    if fast is not None:
        return fast
    diagnostics: list[Diagnostic] = []
    documents: list[Document] = []
    converter = _Converter(file, diagnostics)
    try:
        aliases = _check_depth(text)
        for index, ynode in enumerate(yaml.compose_all(text, Loader=_Loader)):
            if ynode is None:
                continue
            if isinstance(ynode, yaml.ScalarNode) and ynode.tag == _TAG + "null":
                continue
            if aliases and _expanded_size(ynode, {}, set()) > MAX_NODES:
                raise _TooBig(ynode)
            documents.append(Document(converter.convert(ynode), file, index))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        diagnostics.append(
            Diagnostic(
                f"YAML syntax error: {problem}{context}",
                _loc(file, mark),
                hint="fix the YAML syntax (indentation, quotes, colons) at this position",
            )
        )
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
        diagnostics.append(Diagnostic(f"cannot read YAML: {reason}", _loc(file, mark)))
    except _TooBig as exc:
        diagnostics.append(
            Diagnostic(
                f"document expands to more than {MAX_NODES} values (aliases)",
                _loc(file, exc.mark),
                hint="anchors and aliases must not multiply the document",
            )
        )
    except _TooDeep as exc:
        diagnostics.append(
            Diagnostic(f"values nested more than {MAX_DEPTH} levels deep", _loc(file, exc.mark))
        )
    except _Recursive as exc:
        diagnostics.append(
            Diagnostic("an alias refers to the mapping or list that contains it", _loc(file, exc.mark))
        )
    except (RecursionError, _DeepInComposer):  # the second cannot happen after _check_depth
        diagnostics.append(Diagnostic("values nested too deeply to read", Location(file)))
    if not documents and not diagnostics:
        diagnostics.append(
            Diagnostic(
                "the file is empty: it holds no YAML document",
                Location(file),
                hint="write at least one object with apiVersion, kind, metadata and spec",
            )
        )
    return documents, diagnostics
