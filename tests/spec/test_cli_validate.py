"""``slokit validate``: exit codes 0 (valid), 1 (invalid), 2 (usage) and JSON diagnostics."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from slokit.cli.main import cli

GOOD = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-availability
spec:
  service: api
  indicator:
    metadata:
      name: api-ok
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: slokit, spec: {stream: api, where: "status < 500"}}}
        total: {metricSource: {type: slokit, spec: {stream: api}}}
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_valid_spec_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(GOOD)
    code, out, _ = run("validate", str(path))
    assert code == 0
    assert "1 slos" in out


def test_invalid_spec_exits_1_with_location(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace("target: 0.999", "target: 1.5"))
    code, _, err = run("validate", str(path))
    assert code == 1
    assert f"{path}:20:15: error: spec.objectives[0].target: 1.5 is out of range" in err


def test_json_output_lists_every_error_as_an_object(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        GOOD.replace("target: 0.999", "target: 1.5").replace("isRolling: true", "isRolling: maybe")
    )
    code, out, _ = run("validate", "--output", "json", str(path))
    assert code == 1
    data = json.loads(out)
    assert data["valid"] is False and data["errors"] == 2
    by_path = {d["path"]: d for d in data["diagnostics"]}
    assert by_path["spec.objectives[0].target"]["line"] == 20
    assert by_path["spec.timeWindow[0].isRolling"]["message"] == "must be true or false, got a string"
    assert by_path["spec.timeWindow[0].isRolling"]["file"] == str(path)


def test_json_output_of_a_valid_spec(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(GOOD)
    code, out, _ = run("validate", "--output", "json", str(path))
    assert code == 0
    data = json.loads(out)
    assert data["valid"] is True and data["counts"]["slos"] == 1 and data["diagnostics"] == []


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("validate", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "no such file or folder" in err


def test_no_path_is_a_usage_error() -> None:
    code, _, _ = run("validate")
    assert code == 2


def test_a_file_named_twice_is_read_once(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(GOOD)
    code, out, _ = run("validate", str(path), str(tmp_path), str(path))
    assert code == 0 and "1 slos in 1 file" in out


def test_syntax_error_in_one_file_does_not_hide_errors_in_another(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("apiVersion: [openslo/v1\n")
    (tmp_path / "b.yaml").write_text(GOOD.replace("target: 0.999", "target: 7"))
    code, out, _ = run("validate", "--output", "json", str(tmp_path))
    assert code == 1
    found = [(Path(d["file"]).name, d["path"]) for d in json.loads(out)["diagnostics"]]
    assert found == [("a.yaml", ""), ("b.yaml", "spec.objectives[0].target")]


def test_lenient_reports_unknown_fields_as_warnings(tmp_path: Path) -> None:
    path = tmp_path / "extra.yaml"
    path.write_text(GOOD.replace("  service: api\n", "  service: api\n  owner: payments\n"))
    code, _, err = run("validate", str(path))
    assert code == 1 and "spec.owner: unknown field 'owner'" in err
    code, out, err = run("validate", "--lenient", str(path))
    assert code == 0 and "warning: spec.owner: unknown field 'owner'" in err and "1 slos" in out
