"""``slokit import doc`` / ``slokit lint doc`` end to end; generated OpenSLO must load as written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import slokit
from slokit.cli.main import cli
from tests.importers.markdown.expected import SEEDS

MTOGO = SEEDS / "000_57c5b4be5ff27e21.txt"
CNC = SEEDS / "004_c519b35300550f97.txt"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"seed {path.name} not found in ../shared/seeds/ (present in CI)")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("bind", ["slokit", "prometheus"])
@pytest.mark.parametrize("seed", [MTOGO, CNC], ids=["mtogo", "cnc"])
def test_seed_imports_validate(seed: Path, bind: str, tmp_path: Path) -> None:
    code, _out, _ = run("import", "doc", str(_need(seed)), "--bind", bind, "-o", str(tmp_path))
    assert code == 0
    spec = slokit.load(tmp_path)
    expected = 29 if seed == MTOGO else 21  # CNC: the 100 % backup objective has no budget
    assert len(spec.slos) == expected
    for slo in spec:
        assert slo.metadata.annotations["slokit.dev/source"].startswith(seed.name + ":")
        assert 0 < float(slo.metadata.annotations["slokit.dev/confidence"]) <= 1


def test_percentile_objective_becomes_threshold_sli(tmp_path: Path) -> None:
    doc = tmp_path / "SLO.md"
    doc.write_text("## Checkout\n\n- Checkout latency: p95 < 400 ms over 24 hours\n", encoding="utf-8")
    code, out, _ = run("import", "doc", str(doc))
    assert code == 0
    spec = slokit.load(out)
    (slo,) = list(spec)
    (objective,) = slo.objectives
    assert (objective.op, objective.value, objective.target) == ("lt", 400, 0.95)
    assert slo.indicator is not None and slo.indicator.threshold_metric is not None
    assert slo.indicator.threshold_metric.source.spec["value"] == "latency_ms"
    assert str(slo.time_window.duration) == "1d" and slo.time_window.is_rolling


def test_json_output_fields(tmp_path: Path) -> None:
    code, out, _ = run("import", "doc", str(_need(CNC)), "--output", "json")
    assert code == 0
    data = json.loads(out)
    assert len(data) == 22
    keys = {
        "service",
        "name",
        "sli_kind",
        "target_percent",
        "op",
        "threshold",
        "unit",
        "percentile",
        "window",
        "window_type",
        "source_line",
        "confidence",
        "source_text",
    }
    assert keys <= set(data[0])
    api_errors = next(d for d in data if d["name"] == "API Error Rate")
    assert api_errors["target_percent"] == 99.9
    assert any("100 − 0.1" in note for note in api_errors["explanation"])


def test_explain_and_skipped_on_stderr() -> None:
    code, out, err = run("import", "doc", str(_need(CNC)), "--explain")
    assert code == 0
    assert "skipped (non-objective: improvement target): Reduce 95th percentile" in err
    assert "not imported: 'Backup Success Rate'" in err
    assert "kind latency: from the name" in err
    slokit.load(out)


def test_lint_reports_mtogo_contradictions() -> None:
    code, out, _ = run("lint", "doc", str(_need(MTOGO)), "--output", "json")
    assert code == 1
    data = json.loads(out)
    contradictions = [p for p in data["problems"] if p["message"].startswith("contradiction")]
    assert [(p["line"], p["severity"]) for p in contradictions] == [(26, "error"), (28, "error")]
    assert "99.9 %" in contradictions[0]["message"] and "99.5 %" in contradictions[0]["message"]
    assert "99.9 %" in contradictions[1]["message"] and "99.8 %" in contradictions[1]["message"]
    no_window = {p["line"] for p in data["problems"] if p["message"].endswith("has no window")}
    assert no_window == {11, 12, 13, 14}


def test_lint_cnc_arithmetic_is_right_and_100_percent_is_an_error() -> None:
    code, out, _ = run("lint", "doc", str(_need(CNC)), "--output", "json")
    data = json.loads(out)
    assert not [p for p in data["problems"] if p["path"] == "budget"]
    errors = [p for p in data["problems"] if p["severity"] == "error"]
    assert [(p["line"], p["path"]) for p in errors] == [(61, "Backup Success Rate")]
    assert code == 1


def test_lint_finds_wrong_arithmetic(tmp_path: Path) -> None:
    doc = tmp_path / "SLO.md"
    # Oracle by hand: 0.1 % of an average month (2,629,746 s) is 2,629.7 s = 43.8 min; 0.5 % is 219.1 min.
    doc.write_text(
        "- **API**: 99.9% monthly\n  - Allowed downtime: 43.8 minutes/month\n"
        "- **Web**: 99.5% monthly\n  - Allowed downtime: 43.8 minutes/month\n"
        "- **Jobs**: 99.9% monthly\n  - Allowed downtime: 43.2 minutes/month\n",
        encoding="utf-8",
    )
    code, out, _ = run("lint", "doc", str(doc), "--output", "json")
    budget = [(p["line"], p["severity"]) for p in json.loads(out)["problems"] if p["path"] == "budget"]
    assert budget == [(4, "error"), (6, "warning")]  # 43.2 = a 30-day month: a warning
    assert code == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "no objectives found"),
        (b"# Notes\n\nNothing measurable here.\n", "no objectives found"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        (b"99.9 % \xff\xfe uptime", "not UTF-8"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    doc = tmp_path / "SLO.md"
    doc.write_bytes(content)
    code, _, err = run("import", "doc", str(doc))
    assert code == 1
    assert message in err


def test_missing_file_and_bad_window_are_usage_errors(tmp_path: Path) -> None:
    assert run("import", "doc", str(tmp_path / "nope.md"))[0] == 2
    doc = tmp_path / "SLO.md"
    doc.write_text("- Uptime: 99.9 %\n", encoding="utf-8")
    code, _, err = run("import", "doc", str(doc), "--window-default", "30 days")
    assert code == 2 and "--window-default" in err


def test_assumptions_are_annotated_not_hidden(tmp_path: Path) -> None:
    code, _, _ = run("import", "doc", str(_need(MTOGO)), "-o", str(tmp_path), "--window-default", "1M")
    assert code == 0
    spec = slokit.load(tmp_path)
    capacity = next(s for s in spec if "request-rate" in s.name)
    notes = capacity.metadata.annotations
    assert "no share" in notes["slokit.dev/assumed-target"]
    assert "1M calendar assumed" in notes["slokit.dev/assumed-window"]
    assert capacity.time_window.duration.unit == "M" and not capacity.time_window.is_rolling
    (objective,) = capacity.objectives
    assert (objective.op, objective.value, objective.target) == ("gte", 1500, 0.99)
    detail = next(s for s in spec if s.metadata.annotations["slokit.dev/source"].endswith(":26"))
    assert "slokit.dev/assumed-window" not in detail.metadata.annotations
    assert str(detail.time_window.duration) == "30d" and detail.time_window.is_rolling
