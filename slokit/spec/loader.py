"""Loading specs: files, folders (recursively) or YAML text, into one validated :class:`Spec`.

Every file is read and every object validated before anything is raised, so a single run lists
all problems of all files. Objects may refer to objects in other files of the same load.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slokit.errors import Diagnostic, Location, SpecError
from slokit.spec import openslo, slokit_kinds, v1alpha
from slokit.spec.model import Spec
from slokit.spec.openslo import Builder, Entry
from slokit.spec.reader import Context, suggest
from slokit.spec.yamlnodes import Document, Node, decode, parse_documents, read_text

TEXT_NAME = "<text>"
SPEC_SUFFIXES = (".yaml", ".yml")

KINDS_BY_VERSION: dict[str, tuple[str, ...]] = {
    openslo.API_V1: openslo.V1_KINDS,
    v1alpha.API_V1ALPHA: v1alpha.KINDS,
    slokit_kinds.API_SLOKIT_V1: slokit_kinds.KINDS,
}
#: Order in which kinds are built; later kinds refer to earlier ones.
BUILD_ORDER = (
    "Service",
    "DataSource",
    "AlertCondition",
    "AlertNotificationTarget",
    "AlertPolicy",
    "SLI",
    "SLO",
)


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    text: str


def load(source: str | Path, *, strict: bool = True) -> Spec:
    """Load and validate; raise :class:`SpecError` listing every problem (warnings are dropped)."""
    spec, _ = load_with_diagnostics(source, strict=strict)
    return spec


def load_with_diagnostics(source: str | Path, *, strict: bool = True) -> tuple[Spec, list[Diagnostic]]:
    """Like :func:`load`, also returning warnings (e.g. unknown fields when ``strict`` is False)."""
    return load_sources(collect_sources(source), strict=strict)


def load_paths(paths: Iterable[str | Path], *, strict: bool = True) -> tuple[Spec, list[Diagnostic]]:
    """Several files or folders loaded together, so references may cross between them."""
    sources: list[Source] = []
    problems: list[Diagnostic] = []
    seen: set[Path] = set()
    for path in paths:
        try:
            found = collect_sources(Path(path))
        except SpecError as exc:
            problems.extend(exc.diagnostics)
            continue
        for source in found:  # a file named twice (directly and in its folder) is read once
            real = Path(source.name).resolve()
            if real not in seen:
                seen.add(real)
                sources.append(source)
    if problems:
        raise SpecError("the specification is not valid", problems)
    return load_sources(sources, strict=strict)


def collect_sources(source: str | Path) -> list[Source]:
    """The texts to load: a file, every *.yaml/*.yml under a folder, or ``source`` itself as YAML."""
    if isinstance(source, str) and _looks_like_text(source):
        return [Source(TEXT_NAME, source)]
    path = Path(source)
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.suffix in SPEC_SUFFIXES
            and p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        if not files:
            raise SpecError(
                "",
                [Diagnostic(f"no *.yaml or *.yml files in folder {path}", Location(str(path)))],
            )
        return [Source(str(f), read_text(f)) for f in files]
    if path.is_file():
        return [Source(str(path), read_text(path))]
    raise SpecError("", [Diagnostic(f"no such file or folder: {path}", Location(str(path)))])


def _looks_like_text(source: str) -> bool:
    if "\n" in source:
        return True
    if Path(source).exists():
        return False
    return ":" in source or source.strip().startswith(("{", "["))


def load_bytes(data: bytes, name: str = TEXT_NAME, *, strict: bool = True) -> Spec:
    """Load YAML given as bytes (e.g. an HTTP body); binary data is rejected like a binary file."""
    spec, _ = load_sources([Source(name, decode(data, name))], strict=strict)
    return spec


def load_sources(sources: Iterable[Source], *, strict: bool = True) -> tuple[Spec, list[Diagnostic]]:
    ctx = Context(strict=strict)
    registry = Registry(ctx)
    files: list[str] = []
    for source in sources:
        files.append(source.name)
        documents, problems = parse_documents(source.text, source.name)
        ctx.sink.diagnostics.extend(problems)
        for document in documents:
            registry.add_document(document)
    builder = Builder(ctx, registry.entries)
    built: dict[str, dict[str, Any]] = {kind: builder.build_all(kind) for kind in BUILD_ORDER}
    corrections, policies = slokit_kinds.build(ctx, registry.entries, built["SLO"])
    order = {name: i for i, name in enumerate(files)}
    ctx.sink.diagnostics.sort(key=lambda d: _sort_key(d, order))
    ctx.sink.raise_if_errors(_summary(ctx))
    spec = Spec(
        services=built["Service"],
        slis=built["SLI"],
        slos=built["SLO"],
        data_sources=built["DataSource"],
        alert_policies=built["AlertPolicy"],
        alert_conditions=built["AlertCondition"],
        notification_targets=built["AlertNotificationTarget"],
        corrections=corrections,
        budget_policies=policies,
        files=tuple(files),
    )
    return spec, list(ctx.sink.diagnostics)


def _sort_key(d: Diagnostic, order: dict[str, int]) -> tuple[int, int, int]:
    loc = d.location
    if loc is None:
        return (len(order), 0, 0)
    return (order.get(loc.file, len(order)), loc.line, loc.column)


def _summary(ctx: Context) -> str:
    errors = ctx.sink.errors
    files = {d.location.file for d in errors if d.location}
    noun = "error" if len(errors) == 1 else "errors"
    where = f" in {len(files)} file{'s' if len(files) != 1 else ''}" if files else ""
    return f"the specification is not valid: {len(errors)} {noun}{where}"


class Registry:
    """Top-level objects by kind and name, with duplicate and apiVersion/kind checks."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.entries: dict[str, dict[str, Entry]] = {}

    def add_document(self, document: Document) -> None:
        node = document.node
        if node.is_seq:
            for i, item in enumerate(node.value):
                self.add_object(item, document.file, f"[{i}]")
        else:
            self.add_object(node, document.file, "")

    def add_object(self, node: Node, file: str, where: str) -> None:
        if not node.is_map:
            self.ctx.error(
                node,
                where,
                f"a document must be an object (a mapping with apiVersion, kind, metadata, spec), "
                f"got {node.type_name()}",
            )
            return
        values: dict[str, Node] = node.value
        api = _string(values.get("apiVersion"))
        kind = _string(values.get("kind"))
        allowed_versions = ", ".join(KINDS_BY_VERSION)
        if api is None:
            self.ctx.error(
                node.key_locs.get("apiVersion", node.loc),
                "apiVersion",
                "'apiVersion' is required and must be a string"
                if "apiVersion" not in values
                else "must be a string",
                f"one of: {allowed_versions}",
            )
            return
        if api not in KINDS_BY_VERSION:
            guess = suggest(api, KINDS_BY_VERSION)
            hint = f"did you mean '{guess}'? " if guess else ""
            if api.startswith("sloth.slok.dev"):
                hint = "this is a Sloth spec: convert it with 'slokit convert --from sloth --to openslo'; "
            self.ctx.error(
                values["apiVersion"],
                "apiVersion",
                f"unsupported apiVersion '{api}'",
                hint + f"one of: {allowed_versions}",
            )
            return
        kinds = KINDS_BY_VERSION[api]
        if kind is None:
            self.ctx.error(
                node.key_locs.get("kind", node.loc),
                "kind",
                "'kind' is required and must be a string" if "kind" not in values else "must be a string",
                f"one of: {', '.join(kinds)}",
            )
            return
        if kind not in kinds:
            guess = suggest(kind, kinds)
            hint = f"did you mean '{guess}'? " if guess else ""
            self.ctx.error(
                values["kind"],
                "kind",
                f"kind '{kind}' does not exist in {api}",
                hint + f"one of: {', '.join(kinds)}",
            )
            return
        metadata = values.get("metadata")
        if metadata is None or not metadata.is_map:
            self.ctx.error(
                metadata or node,
                "metadata",
                "'metadata' with a 'name' is required"
                if metadata is None
                else "must be a mapping with a 'name'",
            )
            return
        name = _string(metadata.value.get("name"))
        if name is None:
            self.ctx.error(
                metadata.value.get("name") or metadata,
                "metadata.name",
                "'name' is required and must be a string",
                "an RFC 1123 label such as 'checkout-latency'",
            )
            return
        if api == v1alpha.API_V1ALPHA:
            converted = v1alpha.convert(self.ctx, node, kind)
            if converted is None:
                return
            node = converted
        registered = self.entries.setdefault(kind, {})
        if name in registered:
            first = registered[name]
            self.ctx.error(
                metadata.value["name"],
                "metadata.name",
                f"{kind} '{name}' is defined twice (first at {first.node.loc})",
                f"names must be unique per kind; rename one of the {kind} objects",
            )
            return
        registered[name] = Entry(api, kind, name, node, file)


def _string(node: Node | None) -> str | None:
    if node is None or not node.is_scalar or not isinstance(node.value, str):
        return None
    return node.value
