"""Bad input of every sort ends in a SpecError with a location, never a traceback."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import slokit
from slokit.errors import Diagnostic, SpecError
from slokit.spec.yamlnodes import MAX_FILE_BYTES

VALID = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-availability
  labels: {tier: critical}
spec:
  service: api
  indicator:
    metadata: {name: api-ok}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: slokit, spec: {stream: api, where: "status < 500 AND route = '/x'"}}}
        total: {metricSource: {type: slokit, spec: {stream: api}}}
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar: {startTime: "2024-01-01 00:00:00", timeZone: UTC}
  budgetingMethod: Timeslices
  objectives:
    - {target: 0.999, timeSliceTarget: 0.95, timeSliceWindow: 1m}
  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: page}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {name: burn}
            spec: {severity: page, condition: {kind: burnrate, op: gte, threshold: 14.4, lookbackWindow: 1h}}
        notificationTargets: [{kind: AlertNotificationTarget, metadata: {name: t}, spec: {target: slack}}]
---
apiVersion: slokit/v1
kind: Correction
metadata: {name: maint}
spec:
  {reason: upgrade, start: "2024-01-07T02:00:00Z", duration: 1h, rrule: FREQ=WEEKLY, slos: [api-availability]}
"""


def only_error(source: str | Path) -> Diagnostic:
    with pytest.raises(SpecError) as info:
        slokit.load(source)
    found = [d for d in info.value.diagnostics if d.severity == "error"]
    assert len(found) == 1, [d.format() for d in found]
    return found[0]


def test_valid_base_loads() -> None:
    assert len(slokit.load(VALID)) == 1


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    d = only_error(path)
    assert d.location is not None and d.location.file == str(path)
    assert "the file is empty" in d.message


def test_file_of_only_comments_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "comments.yaml"
    path.write_text("# nothing here\n---\n# still nothing\n")
    assert "the file is empty" in only_error(path).message


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "image.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    d = only_error(path)
    assert "binary file" in d.message and "byte 8" in d.message
    assert d.location is not None and (d.location.line, d.location.column) == (3, 1)


def test_latin1_file_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("kind: Service # café\n".encode("latin-1"))
    d = only_error(path)
    assert "not UTF-8" in d.message and d.location is not None and d.location.line == 1


def test_huge_file_is_rejected_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as out:
        out.truncate(50 * 1024 * 1024)  # sparse: 50 MB of NULs, written instantly
    d = only_error(path)  # the size comes from stat(); the 50 MB are never read
    assert "50.0 MB" in d.message and f"limited to {MAX_FILE_BYTES // 1048576} MB" in d.message


def test_huge_text_is_rejected() -> None:
    text = "a: b\n" * (MAX_FILE_BYTES // 5 + 1)
    d = only_error(text)
    assert "limited to 20 MB" in d.message


@pytest.mark.parametrize(
    "text,line,column,fragment",
    [
        ("apiVersion: openslo/v1\nkind: [Service\nmetadata: {}\n", 3, 9, "YAML syntax error"),
        ("apiVersion: openslo/v1\n  kind: Service\n", 2, 7, "YAML syntax error"),
        ("a: 'unterminated\n", 3, 1, "YAML syntax error"),
        ("a: *nowhere\n", 1, 4, "YAML syntax error"),
    ],
)
def test_malformed_yaml_has_a_position(text: str, line: int, column: int, fragment: str) -> None:
    d = only_error(text + "\n")
    assert fragment in d.message
    assert d.location is not None and (d.location.line, d.location.column) == (line, column)


def test_duplicate_keys_are_errors() -> None:
    text = VALID.replace("  service: api\n", "  service: api\n  service: web\n")
    d = only_error(text)
    assert "duplicate key 'service' (first written at line 7)" in d.message
    assert d.location is not None and d.location.line == 8


def test_custom_tags_are_refused() -> None:
    d = only_error(VALID.replace("service: api", "service: !Ref api"))
    assert "YAML tag '!Ref' is not supported" in d.message


def test_alias_bomb_is_stopped() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    d = only_error("\n".join(lines) + "\n")
    assert "expands to more than" in d.message


def test_merge_keys_and_anchors_work() -> None:
    text = """\
- apiVersion: openslo/v1
  kind: Service
  metadata: &m {name: a, displayName: Shared}
- apiVersion: openslo/v1
  kind: Service
  metadata:
    <<: *m
    name: b
"""
    spec = slokit.load(text)
    assert spec.services["b"].metadata.display_name == "Shared"


def test_document_that_is_not_a_mapping() -> None:
    d = only_error("42\n")
    assert "a document must be an object" in d.message


def test_sloth_spec_gets_a_pointer_to_convert() -> None:
    d = only_error("version: prometheus/v1\napiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\n")
    assert "slokit convert --from sloth" in d.hint


# --- property tests: whatever the input, only SpecError escapes ---


def _load_expecting_spec_error(text: str) -> None:
    try:
        slokit.load(text)
    except SpecError as exc:
        for d in exc.diagnostics:
            assert d.message and d.location is not None
            assert d.location.file == "<text>"


yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["30d", "1M", "lt", "gte", "Occurrences", "slokit", "openslo/v1", "SLO", "0.99", "99.9"]),
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "apiVersion",
                    "kind",
                    "metadata",
                    "name",
                    "spec",
                    "target",
                    "objectives",
                    "indicator",
                    "op",
                    "x",
                ]
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_values)
def test_random_yaml_structures_raise_only_spec_error(value: object) -> None:
    _load_expecting_spec_error(
        yaml.safe_dump({"apiVersion": "openslo/v1", "kind": "SLO", "spec": value}) + "\n"
    )
    _load_expecting_spec_error(yaml.safe_dump(value) + "\n")


def _paths(node: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_paths(v, (*prefix, i)))
    return out


BASE_DOCS = list(yaml.safe_load_all(VALID))
BASE_PATHS = [(i, p) for i, doc in enumerate(BASE_DOCS) for p in _paths(doc) if p]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(BASE_PATHS), yaml_values, st.sampled_from(["replace", "delete", "rename"]))
def test_mutated_valid_spec_raises_only_spec_error(
    where: tuple[int, tuple[object, ...]], new: object, how: str
) -> None:
    import copy

    docs = copy.deepcopy(BASE_DOCS)
    doc_index, path = where
    parent: object = docs[doc_index]
    for part in path[:-1]:
        parent = parent[part]  # type: ignore[index]
    last = path[-1]
    if how == "replace":
        parent[last] = new  # type: ignore[index]
    elif how == "delete":
        del parent[last]  # type: ignore[attr-defined]
    elif isinstance(parent, dict):
        parent[f"{last}x"] = parent.pop(last)
    _load_expecting_spec_error(yaml.safe_dump_all(docs))


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(VALID) - 1), st.text(max_size=8), st.integers(0, 8))
def test_text_level_mutations_raise_only_spec_error(at: int, insert: str, cut: int) -> None:
    _load_expecting_spec_error(VALID[:at] + insert + VALID[at + cut :])


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_spec_error(data: bytes) -> None:
    from slokit.spec.loader import load_bytes

    with contextlib.suppress(SpecError):
        load_bytes(data)


@pytest.mark.parametrize(
    "text", ["[" * 100_000 + "]" * 100_000, "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 3000))]
)
def test_absurd_nesting_is_refused_without_crashing(text: str) -> None:
    # PyYAML's C composer would overflow the C stack on these; the depth check runs first.
    d = only_error(text + "\n")
    assert "nested more than 64 levels" in d.message
    assert d.location is not None and d.location.column == 65
