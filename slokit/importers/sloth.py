"""Sloth specs as OpenSLO documents.

Sloth (github.com/slok/sloth) describes SLOs for Prometheus in two shapes with the same content:
the ``version: prometheus/v1`` spec file and the Kubernetes resource ``PrometheusServiceLevel``
(``apiVersion: sloth.slok.dev/v1``, camelCase keys under ``spec``). Both are read here into
OpenSLO v1 dicts: one ``Service`` per Sloth service, one ``SLO`` per Sloth SLO with an inline
ratio SLI bound to ``type: prometheus``.

Sloth has no SLO period in its spec (a command-line flag, 30 days by default), so the period is
an argument. Everything Sloth uses to generate rules that OpenSLO has no field for (alert name,
page/ticket alert labels, annotations and disable flags, the objective as written, the original
names) is kept in ``sloth.slok.dev/...`` annotations on each SLO, so Sloth-compatible rules can
be generated from the converted spec later; :func:`sloth_info` reads them back. The scheme is
documented in ``docs/sloth.md``.

Validation follows Sloth's own (``pkg/common/validation``): names, objective in (0, 100], exactly
one SLI type, ``{{.window}}`` in every query, an alert name while any alert is enabled, non-empty
label values. Two things are stricter on purpose: unknown fields are errors (Sloth's JSON decoding
silently drops them, so a typo such as ``objetive`` would vanish), and an objective of exactly 100
is refused because it leaves no error budget, which OpenSLO targets (below 1) cannot express.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from slokit.errors import Diagnostic, DiagnosticSink, Location, SlokitError, SpecError
from slokit.spec.bindings import WINDOW_PLACEHOLDER, promql_shape_problem
from slokit.spec.durations import parse_duration
from slokit.spec.openslo import LABEL_KEY_RE
from slokit.spec.reader import DESCRIPTION_MAX, Context, Fields, index, join
from slokit.spec.yamlnodes import Node, parse_documents, read_text

SLOTH_VERSION = "prometheus/v1"
K8S_API_VERSION = "sloth.slok.dev/v1"
K8S_KIND = "PrometheusServiceLevel"
DEFAULT_PERIOD = "30d"
#: What ``sloth generate -i DIR`` picks up from a folder.
SPEC_SUFFIXES = (".yml", ".yaml")
#: Sloth's period is a rolling window of fixed length; calendar units have no meaning there.
PERIOD_UNITS = "mhdw"

ANNOTATION_PREFIX = "sloth.slok.dev/"
#: Service name exactly as written in the Sloth spec (OpenSLO names may have been lowercased).
SERVICE_ANNOTATION = ANNOTATION_PREFIX + "service"
#: SLO name exactly as written; Sloth's SLO id (``sloth_id``) is ``<service>-<slo>``.
SLO_ANNOTATION = ANNOTATION_PREFIX + "slo"
#: Objective in percent as a decimal string, e.g. "99.9" (the OpenSLO target is its fraction).
OBJECTIVE_ANNOTATION = ANNOTATION_PREFIX + "objective"
#: ``alerting.name``, used by Sloth for both the page and the ticket alert.
ALERT_NAME_ANNOTATION = ANNOTATION_PREFIX + "alert-name"
#: ``alerting.labels`` / ``alerting.annotations`` as JSON objects (only written when non-empty).
ALERT_LABELS_ANNOTATION = ANNOTATION_PREFIX + "alert-labels"
ALERT_ANNOTATIONS_ANNOTATION = ANNOTATION_PREFIX + "alert-annotations"
#: ``page_alert`` / ``ticket_alert`` as JSON ``{"annotations": {}, "disable": false, "labels": {}}``.
PAGE_ALERT_ANNOTATION = ANNOTATION_PREFIX + "page-alert"
TICKET_ALERT_ANNOTATION = ANNOTATION_PREFIX + "ticket-alert"
#: Labels whose names Prometheus accepts but OpenSLO label keys do not (e.g. ``_team``), as JSON;
#: every other label is in ``metadata.labels``.
EXTRA_LABELS_ANNOTATION = ANNOTATION_PREFIX + "extra-labels"
#: The SLO plugin chain Sloth would apply (group chain + SLO chain) as JSON; slokit does not run it.
SLO_PLUGINS_ANNOTATION = ANNOTATION_PREFIX + "slo-plugins"
#: The full description when it was longer than OpenSLO allows and had to be shortened.
DESCRIPTION_ANNOTATION = ANNOTATION_PREFIX + "description"
#: Which Sloth format the SLO came from: "prometheus/v1" or "sloth.slok.dev/v1".
SOURCE_ANNOTATION = ANNOTATION_PREFIX + "source"
#: For Kubernetes input: the resource's name, namespace, labels and annotations as JSON.
K8S_METADATA_ANNOTATION = ANNOTATION_PREFIX + "k8s-metadata"

#: Sloth's ``conventions.NameRegexp`` for service and SLO names.
SLOTH_NAME_RE = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$")
#: Sloth's ``conventions.TplSLIQueryWindowVarRegex``: the placeholder every query must contain.
SLOTH_WINDOW_RE = re.compile(r"\{\{ *\.window *\}\}")
#: Sloth's CRD limits SLO names to 128 characters.
K8S_SLO_NAME_MAX = 128

_OPENSLO_NAME_MAX = 63


@dataclass(frozen=True, slots=True)
class _Dialect:
    """Key names of one Sloth format; the two formats differ only in spelling and nesting."""

    source: str
    slo_plugins: str
    error_query: str
    total_query: str
    error_ratio_query: str
    page_alert: str
    ticket_alert: str


_PROMETHEUS_V1 = _Dialect(
    SLOTH_VERSION,
    "slo_plugins",
    "error_query",
    "total_query",
    "error_ratio_query",
    "page_alert",
    "ticket_alert",
)
_K8S_V1 = _Dialect(
    K8S_API_VERSION,
    "sloPlugins",
    "errorQuery",
    "totalQuery",
    "errorRatioQuery",
    "pageAlert",
    "ticketAlert",
)


@dataclass(frozen=True, slots=True)
class SlothAlert:
    """One of Sloth's two alerts (page = critical, ticket = warning) as written in the spec."""

    disable: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return _json(
            {"annotations": dict(self.annotations), "disable": self.disable, "labels": dict(self.labels)}
        )


@dataclass(frozen=True, slots=True)
class SlothInfo:
    """What a converted SLO remembers of its Sloth origin (read back by :func:`sloth_info`)."""

    service: str
    slo: str
    objective: str
    alert_name: str = ""
    alert_labels: Mapping[str, str] = field(default_factory=dict)
    alert_annotations: Mapping[str, str] = field(default_factory=dict)
    page_alert: SlothAlert = field(default_factory=SlothAlert)
    ticket_alert: SlothAlert = field(default_factory=SlothAlert)
    slo_plugins: Mapping[str, Any] | None = None
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    source: str = SLOTH_VERSION
    #: The SLO's labels as Sloth puts them on every rule (spec and SLO labels merged), when the
    #: SLO's ``metadata.labels`` were given to :func:`sloth_info`; includes ``extra_labels``.
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def sloth_id(self) -> str:
        """Sloth's SLO id, the ``sloth_id`` label of every rule it generates."""
        return f"{self.service}-{self.slo}"

    def alert_labels_for(self, alert: SlothAlert) -> dict[str, str]:
        """Labels Sloth puts on that alert: ``alerting.labels`` overridden by the alert's own."""
        return {**self.alert_labels, **alert.labels}

    def alert_annotations_for(self, alert: SlothAlert) -> dict[str, str]:
        return {**self.alert_annotations, **alert.annotations}


@dataclass
class SlothConversion:
    """OpenSLO documents (Services first, then SLOs) and warnings about what Sloth means differently."""

    documents: list[dict[str, Any]]
    warnings: list[Diagnostic]


def parse_sloth(
    source: str | Path, *, period: str = DEFAULT_PERIOD, source_name: str | None = None
) -> list[dict[str, Any]]:
    """Sloth spec text or file -> OpenSLO v1 documents as plain dicts.

    ``source`` is a path (``Path``, or a one-line string naming an existing or ``.yml``/``.yaml``
    file) or the YAML text itself; ``source_name`` is the file name used in error locations.
    Raises :class:`SpecError` with every problem found, each with file:line:column and field path.
    """
    return convert_sloth(source, period=period, source_name=source_name).documents


def convert_sloth(
    source: str | Path, *, period: str = DEFAULT_PERIOD, source_name: str | None = None
) -> SlothConversion:
    """Like :func:`parse_sloth`, also returning warnings (valid input that converts with a caveat)."""
    window = _window(period)
    text, name = _read(source, source_name)
    return _convert([(text, name)], window)


def convert_sloth_files(paths: Sequence[str | Path], *, period: str = DEFAULT_PERIOD) -> SlothConversion:
    """Several Sloth files, and folders searched recursively for ``.yml``/``.yaml``, as one spec.

    Converted together, a service that several files share becomes one ``Service`` (converted
    one by one, each output would define it again, and loading the outputs together fails on
    the duplicate), and an SLO defined in two files is reported.
    """
    window = _window(period)
    inputs: list[tuple[str, str]] = []
    problems: list[Diagnostic] = []
    for path in expand_paths(paths):
        try:
            inputs.append((read_text(path, str(path)), str(path)))
        except SpecError as exc:
            problems.extend(exc.diagnostics)
    return _convert(inputs, window, problems)


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given, and the ``.yml``/``.yaml`` files under each folder in name order."""
    out: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = (p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SPEC_SUFFIXES)
            out.extend(sorted(found))
        else:
            out.append(path)
    return out


def _window(period: str) -> str:
    try:
        return str(parse_duration(period, PERIOD_UNITS))
    except ValueError as exc:
        raise SlokitError(f"invalid SLO period {period!r}: {exc}") from None


def _convert(
    inputs: list[tuple[str, str]], window: str, problems: list[Diagnostic] | None = None
) -> SlothConversion:
    ctx = Context(DiagnosticSink(list(problems or [])))
    converter = _Converter(ctx, window)
    for text, name in inputs:
        documents, found = parse_documents(text, name)
        if not documents:
            found = [_empty_file(name) if p.message.startswith("the file is empty") else p for p in found]
        ctx.sink.diagnostics.extend(found)
        converter.lines = text.splitlines()
        for doc in documents:
            converter.document(doc.node)
    ctx.sink.raise_if_errors("the Sloth spec cannot be converted")
    warnings = [d for d in ctx.sink.diagnostics if d.severity == "warning"]
    return SlothConversion(converter.services + converter.slos, warnings)


def sloth_info(
    annotations: Mapping[str, str], labels: Mapping[str, str | Sequence[str]] | None = None
) -> SlothInfo | None:
    """The Sloth origin of a converted SLO from its annotations; None if it was not converted.

    ``labels`` are the SLO's ``metadata.labels`` (the model keeps each as a tuple of values);
    with them, :attr:`SlothInfo.labels` holds the labels Sloth would put on the SLO's rules.
    Raises :class:`SlokitError` naming the annotation when one was edited into invalid JSON,
    or a label that has several values (a Prometheus label has one).
    """
    if SLO_ANNOTATION not in annotations or SERVICE_ANNOTATION not in annotations:
        return None

    def obj(key: str) -> dict[str, Any]:
        raw = annotations.get(key)
        if raw is None:
            return {}
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SlokitError(f"annotation {key} is not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise SlokitError(f"annotation {key} must be a JSON object")
        return value

    def strings(value: Any, key: str) -> dict[str, str]:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise SlokitError(f"annotation {key} must map names to strings")
        return {str(k): v for k, v in value.items()}

    def alert(key: str) -> SlothAlert:
        data = obj(key)
        disable = data.get("disable", False)
        if not isinstance(disable, bool):
            raise SlokitError(f"annotation {key}: 'disable' must be true or false")
        return SlothAlert(
            disable=disable,
            labels=strings(data.get("labels", {}), key),
            annotations=strings(data.get("annotations", {}), key),
        )

    plugins = obj(SLO_PLUGINS_ANNOTATION) if SLO_PLUGINS_ANNOTATION in annotations else None
    extra = strings(obj(EXTRA_LABELS_ANNOTATION), EXTRA_LABELS_ANNOTATION)
    rule_labels: dict[str, str] = {}
    for key, value in (labels or {}).items():
        values = [value] if isinstance(value, str) else list(value)
        if len(values) != 1:
            raise SlokitError(f"label {key} has {len(values)} values; a Sloth (Prometheus) label has one")
        rule_labels[key] = values[0]
    rule_labels.update(extra)
    return SlothInfo(
        service=annotations[SERVICE_ANNOTATION],
        slo=annotations[SLO_ANNOTATION],
        objective=annotations.get(OBJECTIVE_ANNOTATION, ""),
        alert_name=annotations.get(ALERT_NAME_ANNOTATION, ""),
        alert_labels=strings(obj(ALERT_LABELS_ANNOTATION), ALERT_LABELS_ANNOTATION),
        alert_annotations=strings(obj(ALERT_ANNOTATIONS_ANNOTATION), ALERT_ANNOTATIONS_ANNOTATION),
        page_alert=alert(PAGE_ALERT_ANNOTATION),
        ticket_alert=alert(TICKET_ALERT_ANNOTATION),
        slo_plugins=plugins,
        extra_labels=extra,
        source=annotations.get(SOURCE_ANNOTATION, SLOTH_VERSION),
        labels=rule_labels if labels is not None else {},
    )


def openslo_name(text: str) -> str:
    """An RFC 1123 label for a Sloth name: lowercase, ``_`` and ``.`` become ``-``.

    Names longer than 63 characters are cut and end in 8 hex digits of their SHA-256 so that
    distinct long names stay distinct. The original is always kept in an annotation.
    """
    name = re.sub(r"[^a-z0-9-]", "-", text.lower()).strip("-")
    if len(name) <= _OPENSLO_NAME_MAX:
        return name
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return name[: _OPENSLO_NAME_MAX - 9].rstrip("-") + "-" + digest


# --- reading ---


def _read(source: str | Path, source_name: str | None) -> tuple[str, str]:
    if isinstance(source, Path):
        name = source_name or str(source)
        return read_text(source, name), name
    one_line = "\n" not in source and "\r" not in source
    if (
        one_line
        and source.strip()
        and (source.endswith((".yml", ".yaml", ".json")) or Path(source).is_file())
    ):
        name = source_name or source
        return read_text(Path(source), name), name
    return source, source_name or "<sloth>"


def _empty_file(name: str) -> Diagnostic:
    return Diagnostic(
        "the file is empty: it holds no Sloth spec",
        Location(name),
        hint=f"a Sloth spec starts with 'version: \"{SLOTH_VERSION}\"', then 'service' and 'slos'",
    )


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class _Alert:
    disable: bool
    labels: dict[str, str]
    annotations: dict[str, str]
    fields: Fields


class _Converter:
    """Walks Sloth documents, reporting problems to ``ctx`` and collecting OpenSLO documents."""

    def __init__(self, ctx: Context, window: str) -> None:
        self.ctx = ctx
        #: Source lines of the file being converted, to place errors inside literal blocks.
        self.lines: list[str] = []
        self.openslo_files: set[str] = set()
        self.reported: set[tuple[str, str]] = set()
        self.window = window
        self.services: list[dict[str, Any]] = []
        self.slos: list[dict[str, Any]] = []
        #: OpenSLO service name -> (original name, where first written)
        self.service_names: dict[str, tuple[str, Location]] = {}
        #: OpenSLO SLO name -> (original service-slo id, where first written)
        self.slo_names: dict[str, tuple[str, Location]] = {}

    # -- documents --

    def document(self, node: Node) -> None:
        ctx = self.ctx
        if not node.is_map:
            ctx.error(node, "", f"a Sloth spec must be a mapping, got {node.type_name()}", _FORMAT_HINT)
            return
        keys = node.value
        if "version" in keys:
            top = Fields(
                ctx, node, "", ["version", "service", "labels", "slo_plugins", "slos"], "a Sloth spec"
            )
            version = top.text("version", required=True)
            if version is None:
                return
            if version != SLOTH_VERSION:
                ctx.error(
                    top.get("version"),
                    "version",
                    f"unsupported Sloth spec version {version!r}",
                    f'slokit reads version "{SLOTH_VERSION}" specs and {K8S_KIND} resources',
                )
                return
            self.service_level(top, _PROMETHEUS_V1, None)
            return
        if "apiVersion" in keys or "kind" in keys:
            self.k8s_document(node)
            return
        ctx.error(node, "", "this is not a Sloth spec: it has no 'version' field", _FORMAT_HINT)

    def k8s_document(self, node: Node) -> None:
        ctx = self.ctx
        top = Fields(ctx, node, "", ["apiVersion", "kind", "metadata", "spec", "status"], f"a {K8S_KIND}")
        api_version = top.text("apiVersion", required=True)
        kind = top.text("kind", required=True)
        if api_version is None or kind is None:
            return
        if api_version.startswith("openslo/"):
            if node.loc.file in self.openslo_files:
                return  # said once per file
            self.openslo_files.add(node.loc.file)
            ctx.error(
                top.get("apiVersion"),
                "apiVersion",
                f"this file holds OpenSLO ({api_version}), not a Sloth spec",
                "it needs no conversion: check it with 'slokit validate'",
            )
            return
        if api_version != K8S_API_VERSION or kind != K8S_KIND:
            ctx.error(
                top.get("kind") if api_version == K8S_API_VERSION else top.get("apiVersion"),
                "kind" if api_version == K8S_API_VERSION else "apiVersion",
                f"unsupported resource {api_version} {kind}",
                f"slokit converts apiVersion {K8S_API_VERSION} kind {K8S_KIND} "
                f"and version {SLOTH_VERSION} specs",
            )
            return
        meta_node = top.mapping("metadata")
        k8s_meta: dict[str, Any] = {}
        if meta_node is not None:
            meta = meta_node.to_python()
            for key in ("name", "namespace", "labels", "annotations"):
                if meta.get(key) not in (None, "", {}):
                    k8s_meta[key] = meta[key]
        spec = top.mapping("spec", required=True)
        if spec is None:
            return
        fields = Fields(ctx, spec, "spec", ["service", "labels", "sloPlugins", "slos"], f"a {K8S_KIND} spec")
        self.service_level(fields, _K8S_V1, k8s_meta)

    # -- the service level (one Sloth spec) --

    def service_level(self, top: Fields, dialect: _Dialect, k8s_meta: dict[str, Any] | None) -> None:
        ctx = self.ctx
        service = self.sloth_name(top, "service", "service name")
        # Sloth checks label values after merging: an empty spec-level value an SLO overrides is fine.
        group_labels = self.labels(top.get("labels"), top.p("labels"), "label", check_values=False)
        group_labels_at = (top.get("labels"), top.p("labels"))
        group_plugins = self.plugin_chain(top.get(dialect.slo_plugins), top.p(dialect.slo_plugins))
        slo_nodes = top.seq("slos", required=True, hint="a Sloth spec needs at least one SLO")
        if slo_nodes is not None and not slo_nodes:
            ctx.error(top.get("slos"), top.p("slos"), "at least one SLO is required")
        service_name = self.service_document(service, top.get("service")) if service else None
        for i, slo_node in enumerate(slo_nodes or []):
            self.slo(
                slo_node,
                index(top.p("slos"), i),
                dialect,
                service,
                service_name,
                (group_labels, *group_labels_at),
                group_plugins,
                k8s_meta,
            )

    def service_document(self, service: str, node: Node | None) -> str | None:
        name = openslo_name(service)
        seen = self.service_names.get(name)
        if seen is not None:
            if seen[0] != service:
                self.ctx.error(
                    node,
                    "service",
                    f"services {seen[0]!r} (at {seen[1]}) and {service!r} "
                    f"both become OpenSLO service {name!r}",
                    "OpenSLO names are lowercase with '-' only; rename one of the services",
                )
                return None
            return name
        assert node is not None
        self.service_names[name] = (service, node.loc)
        metadata: dict[str, Any] = {"name": name}
        if name != service:
            metadata["displayName"] = service[:63]
        metadata["annotations"] = {SERVICE_ANNOTATION: service}
        self.services.append(
            {
                "apiVersion": "openslo/v1",
                "kind": "Service",
                "metadata": metadata,
                "spec": {"description": f"Service {service} of a converted Sloth spec."},
            }
        )
        return name

    # -- one SLO --

    def slo(
        self,
        node: Node,
        path: str,
        dialect: _Dialect,
        service: str | None,
        service_name: str | None,
        group_labels: tuple[dict[str, str], Node | None, str],
        group_plugins: dict[str, Any] | None,
        k8s_meta: dict[str, Any] | None,
    ) -> None:
        ctx = self.ctx
        allowed = ["name", "description", "objective", "plugins", "labels", "sli", "alerting"]
        f = Fields(ctx, node, path, allowed, "an SLO")
        if not f.ok:
            return
        errors_before = ctx.error_count
        name = self.sloth_name(f, "name", "SLO name")
        if name is not None and dialect is _K8S_V1 and len(name) > K8S_SLO_NAME_MAX:
            ctx.error(
                f.get("name"), f.p("name"), f"is {len(name)} characters long; at most {K8S_SLO_NAME_MAX}"
            )
        description = f.text("description") or ""
        objective = self.objective(f)
        own_labels = self.labels(f.get("labels"), f.p("labels"), "label", check_values=False)
        labels = {**group_labels[0], **own_labels}
        for key, value in labels.items():
            if not value:
                where, where_path = (
                    (f.get("labels"), f.p("labels")) if key in own_labels else group_labels[1:]
                )
                value_node = where.value.get(key) if where is not None and where.is_map else None
                self.error_once(value_node or where, join(where_path, key), "label values must not be empty")
        plugins = self.slo_plugins(group_plugins, self.plugin_chain(f.get("plugins"), f.p("plugins")))
        if plugins is not None and plugins["overridePrevious"] and not plugins["chain"]:
            # Sloth checks the chain each SLO ends up with, not each block on its own.
            ctx.error(
                f.get("plugins") or node,
                f.p("plugins"),
                "overridePrevious is set but no SLO plugins are declared for this SLO",
                "an empty chain would generate no rules; add plugins or drop overridePrevious",
            )
        indicator = self.sli(f, dialect)
        alerting = self.alerting(f, dialect)
        if ctx.error_count > errors_before or name is None or service is None or service_name is None:
            return
        assert objective is not None and indicator is not None and alerting is not None
        sloth_id = f"{service}-{name}"
        slo_name = openslo_name(sloth_id)
        seen = self.slo_names.get(slo_name)
        if seen is not None:
            same = seen[0] == sloth_id
            ctx.error(
                f.get("name"),
                f.p("name"),
                f"SLO {name!r} of service {service!r} "
                + ("is defined twice" if same else f"and {seen[0]!r} both become OpenSLO SLO {slo_name!r}")
                + f" (first at {seen[1]})",
                "SLO names must be unique within a service",
            )
            return
        name_node = f.get("name")
        self.slo_names[slo_name] = (sloth_id, name_node.loc if name_node is not None else node.loc)

        annotations: dict[str, str] = {
            SERVICE_ANNOTATION: service,
            SLO_ANNOTATION: name,
            OBJECTIVE_ANNOTATION: format(objective.normalize(), "f"),
        }
        annotations.update(alerting)
        extra = {k: v for k, v in labels.items() if not LABEL_KEY_RE.match(k)}
        if extra:
            labels = {k: v for k, v in labels.items() if k not in extra}
            annotations[EXTRA_LABELS_ANNOTATION] = _json(extra)
            ctx.warning(
                f.get("labels") or node,
                f.p("labels"),
                f"labels not valid as OpenSLO label keys ({', '.join(sorted(extra))}) "
                f"are kept in annotation {EXTRA_LABELS_ANNOTATION}",
                "OpenSLO label keys start and end with a letter or digit (at most 63 characters)",
            )
        if plugins is not None:
            annotations[SLO_PLUGINS_ANNOTATION] = _json(plugins)
            ctx.warning(
                f.get("plugins") or node,
                f.p("plugins") if f.has("plugins") else path,
                "Sloth SLO plugins are kept in annotation "
                f"{SLO_PLUGINS_ANNOTATION} but slokit does not run them",
                "rules slokit generates follow Sloth's default plugin chain",
            )
        if len(description) > DESCRIPTION_MAX:
            annotations[DESCRIPTION_ANNOTATION] = description
            ctx.warning(
                f.get("description"),
                f.p("description"),
                f"description is {len(description)} characters; OpenSLO allows {DESCRIPTION_MAX}, "
                f"so it is shortened and kept whole in annotation {DESCRIPTION_ANNOTATION}",
            )
            description = description[: DESCRIPTION_MAX - 1] + "…"
        annotations[SOURCE_ANNOTATION] = dialect.source
        if k8s_meta:
            annotations[K8S_METADATA_ANNOTATION] = _json(k8s_meta)

        metadata: dict[str, Any] = {"name": slo_name, "displayName": name[:63]}
        if labels:
            metadata["labels"] = labels
        metadata["annotations"] = annotations
        spec: dict[str, Any] = {}
        if description:
            spec["description"] = description
        spec["service"] = service_name
        spec["indicator"] = {"metadata": {"name": slo_name}, "spec": {"ratioMetric": indicator}}
        spec["timeWindow"] = [{"duration": self.window, "isRolling": True}]
        spec["budgetingMethod"] = "Occurrences"
        spec["objectives"] = [{"target": float(objective / 100)}]
        self.slos.append({"apiVersion": "openslo/v1", "kind": "SLO", "metadata": metadata, "spec": spec})

    def error_once(self, where: Node | None, path: str, message: str) -> None:
        """Report a problem of the spec-level block once, not once for every SLO that inherits it."""
        key = (path, str(where.loc) if where is not None else "")
        if key not in self.reported:
            self.reported.add(key)
            self.ctx.error(where, path, message)

    def sloth_name(self, f: Fields, key: str, what: str) -> str | None:
        value = f.text(key, required=True)
        if value is None:
            return None
        if not SLOTH_NAME_RE.match(value):
            self.ctx.error(
                f.get(key),
                f.p(key),
                f"{what} {value!r} is not valid",
                "Sloth names start and end with a letter or digit and contain only letters, digits, "
                "'.', '_' and '-' (at least two characters)",
            )
            return None
        return value

    def objective(self, f: Fields) -> Decimal | None:
        hint = "the objective is a percentage greater than 0 and at most 100, e.g. 99.9"
        number = f.number("objective", required=True, hint=hint)
        node = f.get("objective")
        if number is None or node is None:
            return None
        try:
            value = Decimal(node.raw.replace("_", ""))
        except InvalidOperation:
            value = Decimal(repr(number))
        if not value.is_finite() or Decimal(repr(number)) != Decimal(repr(float(value))):
            value = Decimal(repr(number))  # written in a YAML-only form (hex, octal): trust the number
        if not Decimal(0) < value <= Decimal(100):
            self.ctx.error(node, f.p("objective"), f"objective {format(value, 'f')} is out of range", hint)
            return None
        if value == 100:
            self.ctx.error(
                node,
                f.p("objective"),
                "objective 100 leaves no error budget; OpenSLO targets must be below 100 %",
                "burn rates and budgets are undefined at 100 %; use e.g. 99.99",
            )
            return None
        if value <= 1:
            shown = format(value, "f")
            self.ctx.warning(
                node,
                f.p("objective"),
                f"objective {shown} means {shown} %, not {format((value * 100).normalize(), 'f')} %",
                "Sloth objectives are percentages; write 99.9 for 99.9 %",
            )
        return value

    # -- labels, annotations --

    def labels(self, node: Node | None, path: str, what: str, *, check_values: bool = True) -> dict[str, str]:
        """A map of strings, checked as Sloth checks Prometheus labels (annotations: ``what``)."""
        if node is None or (node.is_scalar and node.value is None):
            return {}
        if not node.is_map:
            self.ctx.error(
                node, path, f"must be a mapping of {what} names to strings, got {node.type_name()}"
            )
            return {}
        out: dict[str, str] = {}
        for key, value in node.value.items():
            key_path = join(path, key)
            if what == "label" and key == "__name__":
                self.ctx.error(node.key_locs.get(key), key_path, "the label name '__name__' is not allowed")
                continue
            if not key:
                self.ctx.error(node.key_locs.get(key), key_path, f"{what} names must not be empty")
                continue
            if not value.is_scalar or not isinstance(value.value, str):
                shown = value.raw if value.is_scalar else ""
                hint = f'quote it: {key}: "{shown}"' if value.is_scalar and value.value is not None else ""
                self.ctx.error(
                    value, key_path, f"{what} values must be strings, got {value.type_name()}", hint
                )
                continue
            if check_values and not value.value:
                self.ctx.error(value, key_path, f"{what} values must not be empty")
                continue
            out[key] = value.value
        return out

    # -- the SLI --

    def sli(self, f: Fields, dialect: _Dialect) -> dict[str, Any] | None:
        ctx = self.ctx
        node = f.mapping("sli", required=True, hint="one of: events, raw")
        if node is None:
            return None
        s = Fields(ctx, node, f.p("sli"), ["events", "raw", "plugin"], "an SLI")
        kinds = [k for k in ("events", "raw", "plugin") if s.get(k) is not None]
        if "plugin" in kinds:
            plugin = s.get("plugin")
            plugin_id = ""
            if plugin is not None and plugin.is_map and isinstance(plugin.value.get("id"), Node):
                plugin_id = str(plugin.value["id"].raw)
            name_node = f.get("name")
            slo_name = name_node.raw if name_node is not None else "?"
            ctx.error(
                s.key_loc("plugin"),
                s.p("plugin"),
                f"SLO {slo_name!r} uses the SLI plugin {plugin_id or '(no id)'!r}, "
                "which cannot be converted: slokit cannot run Sloth plugins",
                "replace sli.plugin with sli.events (error and total queries) or sli.raw (an error ratio "
                "query) holding the query the plugin would generate",
            )
            return None
        if not kinds:
            ctx.error(
                node, s.path, "the SLI needs one of 'events' or 'raw'", "events: error and total queries"
            )
            return None
        if len(kinds) > 1:
            ctx.error(
                s.key_loc("raw"), s.p("raw"), "only one SLI type is allowed: 'events' or 'raw', not both"
            )
            return None
        if kinds == ["events"]:
            ev_node = s.mapping("events")
            if ev_node is None:
                return None
            ev = Fields(
                ctx, ev_node, s.p("events"), [dialect.error_query, dialect.total_query], "an events SLI"
            )
            bad = self.query(ev, dialect.error_query)
            total = self.query(ev, dialect.total_query)
            if bad is None or total is None:
                return None
            if ev.text(dialect.error_query) == ev.text(dialect.total_query):
                ctx.error(
                    ev.get(dialect.total_query),
                    ev.p(dialect.total_query),
                    "the error and total queries are the same",
                    "the error query counts bad events only; the total query counts all events",
                )
                return None
            return {"counter": True, "bad": _prometheus(bad), "total": _prometheus(total)}
        raw_node = s.mapping("raw")
        if raw_node is None:
            return None
        raw = Fields(ctx, raw_node, s.p("raw"), [dialect.error_ratio_query], "a raw SLI")
        ratio = self.query(raw, dialect.error_ratio_query)
        if ratio is None:
            return None
        return {"counter": False, "rawType": "failure", "raw": _prometheus(ratio)}

    def query(self, f: Fields, key: str) -> str | None:
        """A PromQL query with Sloth's ``{{.window}}`` rewritten to slokit's ``{{window}}``."""
        text = f.text(key, required=True, hint="a PromQL query using the {{.window}} placeholder")
        if text is None:
            return None
        node = f.get(key)
        assert node is not None
        if not SLOTH_WINDOW_RE.search(text):
            self.ctx.error(
                node,
                f.p(key),
                "the query does not use the {{.window}} placeholder",
                "Sloth and slokit fill in each window's range, e.g. rate(http_requests_total[{{.window}}])",
            )
            return None
        # Same length as the placeholder, so offsets in ``padded`` are offsets in ``text``.
        padded = SLOTH_WINDOW_RE.sub(lambda m: "5m".ljust(len(m.group(0))), text)
        leftover = re.search(r"\{\{.*?\}\}", padded)
        if leftover:
            self.ctx.error(
                self.offset_location(node, leftover.start()),
                f.p(key),
                f"unsupported template expression {leftover.group(0)!r} in the query",
                "only {{.window}} is filled in; write the rest of the query literally",
            )
            return None
        shape = promql_shape_problem(padded)
        if shape is not None:
            message, offset = shape
            self.ctx.error(self.offset_location(node, offset), f.p(key), f"PromQL: {message}")
            return None
        return SLOTH_WINDOW_RE.sub(WINDOW_PLACEHOLDER, text)

    def offset_location(self, node: Node, offset: int) -> Location:
        """Where character ``offset`` of a string value is in the file, as closely as known.

        Exact for one-line plain and single-quoted strings and for literal blocks (``|``);
        otherwise (escapes, folding) the start of the value.
        """
        value = node.value if isinstance(node.value, str) else ""
        loc = node.loc
        if node.style == "|":
            before = value[:offset]
            row = loc.line + before.count("\n")  # loc is the '|' line; content starts below it
            if 0 < row <= len(self.lines):
                source = self.lines[row]
                value_line = value.split("\n")[before.count("\n")]
                # The block's indentation is what the source line has beyond the value's line.
                indent = len(source) - len(value_line) if source.endswith(value_line) else 0
                column = offset - (before.rfind("\n") + 1)
                return Location(loc.file, row + 1, indent + column + 1)
            return loc
        if "\n" in value or node.style in ('"', ">"):
            return loc
        shift = 1 if node.style == "'" else 0
        if node.style == "'" and "'" in value[:offset]:
            return loc  # doubled quotes shift the columns
        return Location(loc.file, loc.line, loc.column + shift + offset)

    # -- alerting --

    def alerting(self, f: Fields, dialect: _Dialect) -> dict[str, str] | None:
        """The ``sloth.slok.dev/...`` annotations holding the alerting block."""
        ctx = self.ctx
        node = f.get("alerting")
        allowed = ["name", "labels", "annotations", dialect.page_alert, dialect.ticket_alert]
        a = Fields(ctx, node, f.p("alerting"), allowed, "the alerting block")
        if node is not None and not a.ok:
            return None
        errors_before = ctx.error_count
        page = self.alert(a, dialect.page_alert)
        ticket = self.alert(a, dialect.ticket_alert)
        any_enabled = not page.disable or not ticket.disable
        name = a.text("name") or ""
        labels = self.labels(a.get("labels"), a.p("labels"), "label", check_values=False)
        annotations = self.labels(a.get("annotations"), a.p("annotations"), "annotation", check_values=False)
        # Sloth checks each enabled alert's merged labels and annotations for empty values.
        for alert in (page, ticket):
            if alert.disable:
                continue
            for what, common, own in (
                ("label", labels, alert.labels),
                ("annotation", annotations, alert.annotations),
            ):
                block = what + "s"
                for key, value in {**common, **own}.items():
                    if value:
                        continue
                    holder = alert.fields.get(block) if key in own else a.get(block)
                    holder_path = alert.fields.p(block) if key in own else a.p(block)
                    value_node = holder.value.get(key) if holder is not None and holder.is_map else None
                    self.error_once(
                        value_node or holder, join(holder_path, key), f"{what} values must not be empty"
                    )
        if any_enabled and not name:
            ctx.error(
                node if node is not None else f.node,
                a.p("name"),
                "an alert name is required while the page or ticket alert is enabled",
                f"set alerting.name, or disable both with {dialect.page_alert}.disable and "
                f"{dialect.ticket_alert}.disable: true",
            )
        if ctx.error_count > errors_before:
            return None
        out: dict[str, str] = {}
        if name:
            out[ALERT_NAME_ANNOTATION] = name
        if labels:
            out[ALERT_LABELS_ANNOTATION] = _json(labels)
        if annotations:
            out[ALERT_ANNOTATIONS_ANNOTATION] = _json(annotations)
        out[PAGE_ALERT_ANNOTATION] = SlothAlert(page.disable, page.labels, page.annotations).to_json()
        out[TICKET_ALERT_ANNOTATION] = SlothAlert(ticket.disable, ticket.labels, ticket.annotations).to_json()
        return out

    def alert(self, a: Fields, key: str) -> _Alert:
        node = a.get(key)
        f = Fields(self.ctx, node, a.p(key), ["disable", "labels", "annotations"], f"the {key} block")
        disable = bool(f.boolean("disable"))
        labels = self.labels(f.get("labels"), f.p("labels"), "label", check_values=False)
        annotations = self.labels(f.get("annotations"), f.p("annotations"), "annotation", check_values=False)
        return _Alert(disable, labels, annotations, f)

    # -- SLO plugins (kept, not run) --

    def plugin_chain(self, node: Node | None, path: str) -> dict[str, Any] | None:
        if node is None:
            return None
        f = Fields(self.ctx, node, path, ["overridePrevious", "chain"], "an SLO plugins block")
        if not f.ok:
            return None
        override = bool(f.boolean("overridePrevious"))
        chain: list[dict[str, Any]] = []
        for i, item in enumerate(f.seq("chain") or []):
            p = Fields(self.ctx, item, index(f.p("chain"), i), ["id", "config", "priority"], "an SLO plugin")
            plugin_id = p.text("id", required=True)
            priority = p.number("priority")
            if priority is not None and priority != int(priority):
                self.ctx.error(p.get("priority"), p.p("priority"), "must be a whole number")
            if plugin_id is None:
                continue
            entry: dict[str, Any] = {"id": plugin_id}
            config = p.get("config")
            if config is not None:
                entry["config"] = config.to_python()
            if priority:
                entry["priority"] = int(priority)
            chain.append(entry)
        return {"overridePrevious": override, "chain": chain}

    @staticmethod
    def slo_plugins(group: dict[str, Any] | None, own: dict[str, Any] | None) -> dict[str, Any] | None:
        """The chain Sloth applies to one SLO: group plugins, then the SLO's (which may override)."""
        if group is None and own is None:
            return None
        if own is not None and own["overridePrevious"]:
            return {"overridePrevious": True, "chain": list(own["chain"])}
        chain = list(group["chain"] if group else []) + list(own["chain"] if own else [])
        return {"overridePrevious": bool(group and group["overridePrevious"]), "chain": chain}


_FORMAT_HINT = (
    f"a Sloth spec has 'version: \"{SLOTH_VERSION}\"', 'service' and 'slos'; "
    f"a Kubernetes one has 'apiVersion: {K8S_API_VERSION}' and 'kind: {K8S_KIND}'"
)


def _prometheus(query: str) -> dict[str, Any]:
    return {"metricSource": {"type": "prometheus", "spec": {"query": query}}}
