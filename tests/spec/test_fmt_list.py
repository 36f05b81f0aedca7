"""Canonical YAML (``slokit fmt``) is idempotent and loads back into the same model; ``slokit list``."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import slokit
from slokit.cli.fmt import has_comments
from slokit.cli.main import cli
from slokit.spec.canonical import documents
from slokit.spec.dump import dump_documents
from slokit.spec.model import Spec

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def comparable(value: Any) -> Any:
    """The model without source locations (which formatting legitimately changes)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: comparable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in ("location", "files")
        } | {"__type__": type(value).__name__}
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [comparable(v) for v in value]
    return value


def fmt_text(spec: Spec) -> str:
    return dump_documents(documents(spec))


def _sources() -> list[tuple[str, str]]:
    import importlib.util

    out: list[tuple[str, str]] = []
    for name in ("test_loader_valid", "test_rules", "test_slokit_kinds", "test_bad_input", "test_v1alpha"):
        spec = importlib.util.spec_from_file_location(f"_fmt_src_{name}", HERE / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for attr in ("FULL", "RATIO", "THRESHOLD", "COMPOSITE", "CALENDAR", "RAW", "VALID", "SERVICE"):
            if hasattr(module, attr):
                out.append((f"{name}.{attr}", getattr(module, attr)))
        if hasattr(module, "SLOS") and hasattr(module, "CORRECTION"):
            out.append((f"{name}.kinds", module.SLOS + module.CORRECTION + module.POLICY))
    return out


SOURCES = _sources()


@pytest.mark.parametrize("text", [t for _, t in SOURCES], ids=[n for n, _ in SOURCES])
def test_fmt_round_trips_and_is_idempotent(text: str) -> None:
    original = slokit.load(text)
    once = fmt_text(original)
    reloaded = slokit.load(once)
    assert comparable(reloaded) == comparable(original)
    assert fmt_text(reloaded) == once


def test_fmt_writes_references_as_references_and_targets_as_fractions() -> None:
    full = dict(SOURCES)["test_loader_valid.FULL"]
    out = fmt_text(slokit.load(full))
    assert "indicatorRef: checkout-success" in out
    assert "alertPolicyRef: page-fast" in out
    assert "conditionRef: fast-burn" in out and "targetRef: oncall" in out
    assert "metricSourceRef: events" in out and "type: slokit\n      connectionDetails" not in out
    assert "target: 0.999" in out and "targetPercent" not in out
    # the inline policy stays inline
    assert "name: ticket-slow" in out


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    source = REPO / "examples"
    if not source.is_dir():
        pytest.skip("no examples/ folder in this checkout")
    target = tmp_path / "examples"
    shutil.copytree(source, target)
    return target


def test_examples_round_trip(examples: Path) -> None:
    original = slokit.load(examples)
    once = fmt_text(original)
    assert comparable(slokit.load(once)) == comparable(original)
    assert fmt_text(slokit.load(once)) == once


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_fmt_check_then_rewrite_then_check(tmp_path: Path) -> None:
    full = dict(SOURCES)["test_loader_valid.FULL"]
    path = tmp_path / "spec.yaml"
    path.write_text(full)
    code, out, _ = run("fmt", "--check", str(tmp_path))
    assert code == 1 and f"would reformat {path}" in out
    assert path.read_text() == full  # --check changes nothing
    code, out, _ = run("fmt", str(tmp_path))
    assert code == 0 and f"reformatted {path}" in out
    rewritten = path.read_text()
    assert comparable(slokit.load(path)) == comparable(slokit.load(full))
    code, out, _ = run("fmt", "--check", str(path))
    assert code == 0 and "0 of 1 files would be reformatted" in out
    code, out, _ = run("fmt", str(path))
    assert code == 0 and path.read_text() == rewritten


def test_fmt_keeps_files_with_comments_unless_told(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    text = "# owned by the payments team\n" + dict(SOURCES)["test_rules.RATIO"]
    path.write_text(text)
    code, _, err = run("fmt", str(path))
    assert code == 1 and "comments" in err and path.read_text() == text
    code, _, _ = run("fmt", "--drop-comments", str(path))
    assert code == 0 and "#" not in path.read_text()


def test_fmt_of_an_invalid_spec_fails_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    text = dict(SOURCES)["test_rules.RATIO"].replace("target: 0.999", "target: 9")
    path.write_text(text)
    code, _, err = run("fmt", str(path))
    assert code == 1 and "spec.objectives[0].target" in err
    assert path.read_text() == text


@pytest.mark.parametrize(
    "line,expected",
    [
        ("a: b # note", True),
        ("# heading", True),
        ("query: 'sum(x) # not a comment'", False),
        ("where: \"a = '#'\"", False),
        ("url: http://x/#anchor", False),
    ],
)
def test_comment_detection(line: str, expected: bool) -> None:
    assert has_comments(line) is expected


def test_list_json_fields(tmp_path: Path) -> None:
    rules = dict(SOURCES)
    path = tmp_path / "s.yaml"
    path.write_text(rules["test_rules.THRESHOLD"] + "---\n" + rules["test_rules.CALENDAR"])
    code, out, _ = run("list", str(path), "--output", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["name"] for r in rows] == ["api-availability", "api-latency"]
    availability, latency = rows
    assert availability["sli_kind"] == "ratio" and availability["budgeting_method"] == "Occurrences"
    assert availability["window"] == {"duration": "1M", "rolling": False, "time_zone": "America/New_York"}
    assert availability["objectives"][0]["target"] == 0.999
    assert latency["sli_kind"] == "threshold"
    assert latency["objectives"][0] | {} == {
        "display_name": None,
        "target": 0.95,
        "op": "lt",
        "value": 400.0,
        "indicator": "api-latency-ms",
    }
    assert latency["window"] == {"duration": "1d", "rolling": True, "time_zone": None}


def test_list_table_shows_percent_targets(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(dict(SOURCES)["test_rules.THRESHOLD"])
    code, out, _ = run("list", str(path))
    assert code == 0
    assert "api-latency" in out and "95 % lt 400" in out and "threshold" in out


def test_list_of_invalid_spec_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("kind: SLO\n")
    code, _, err = run("list", str(path))
    assert code == 1 and "apiVersion" in err
