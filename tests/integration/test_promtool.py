"""Generated rules against the real tools: promtool (check and unit tests) and vmalert.

The promtool unit tests in tests/data/promtool drive synthetic counters through the generated
alerts; their expectations are worked out by hand in the comments of each file (outage pages,
blip stays quiet, slow burn raises one ticket, the period ratio is event-weighted).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from slokit.cli.main import cli
from slokit.exporters.prometheus_rules import native_groups
from slokit.exporters.rulefile import render_groups

DATA = Path(__file__).resolve().parent.parent / "data"
PROMTOOL_DATA = DATA / "promtool"
CHECKOUT = PROMTOOL_DATA / "checkout.yaml"
SLOTH_DATA = DATA / "sloth"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(
            f"integration: {name} is not installed (Debian package "
            f"{'victoria-metrics' if name == 'vmalert' else 'prometheus'})"
        )
    return path


def _run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=cwd, check=False)


def _generate(*args: str) -> str:
    result = CliRunner().invoke(cli, ["generate", "prometheus", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _check(promtool: str, text: str, tmp_path: Path, name: str = "rules.yml") -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    done = _run([promtool, "check", "rules", str(path)])
    assert done.returncode == 0, done.stdout + done.stderr


def _sloth_specs() -> list[Path]:
    found = sorted(p for p in SLOTH_DATA.rglob("*.y*ml") if _is_valid_sloth(p))
    return found


def _is_valid_sloth(path: Path) -> bool:
    from slokit.errors import SlokitError
    from slokit.exporters.sloth_rules import load_sloth_spec

    try:
        spec = load_sloth_spec([path], "30d")
    except SlokitError:
        return False
    return len(spec) > 0


def test_native_rules_pass_promtool_check(tmp_path: Path) -> None:
    promtool = _tool("promtool")
    _check(promtool, _generate(str(CHECKOUT)), tmp_path)


def test_prometheus_operator_groups_pass_promtool_check(tmp_path: Path) -> None:
    promtool = _tool("promtool")
    obj = yaml.safe_load(_generate(str(CHECKOUT), "--format", "prometheus-operator", "--name", "shop"))
    assert obj["apiVersion"] == "monitoring.coreos.com/v1" and obj["kind"] == "PrometheusRule"
    assert obj["metadata"]["name"] == "shop"
    _check(promtool, render_groups(obj["spec"]["groups"]), tmp_path)


def test_sloth_compatible_rules_pass_promtool_check(tmp_path: Path) -> None:
    promtool = _tool("promtool")
    specs = _sloth_specs()
    assert specs, "no convertible Sloth spec under tests/data/sloth"
    for i, spec in enumerate(specs):
        for period in ("30d", "28d"):
            text = _generate("--format", "sloth", str(spec), "--period", period)
            groups: list[Any] = []
            for doc in yaml.safe_load_all(text):
                if doc:
                    groups.extend(
                        doc["spec"]["groups"] if doc.get("kind") == "PrometheusRule" else doc["groups"]
                    )
            _check(promtool, render_groups(groups), tmp_path, f"sloth-{i}-{period}.yml")


def test_converted_sloth_specs_generate_native_rules_that_pass(tmp_path: Path) -> None:
    """Sloth specs converted to OpenSLO are ordinary prometheus-bound SLOs for the native generator."""
    promtool = _tool("promtool")
    from slokit.exporters.sloth_rules import load_sloth_spec

    for i, spec_path in enumerate(_sloth_specs()):
        spec = load_sloth_spec([spec_path], "30d")
        _check(promtool, render_groups(native_groups(spec).groups), tmp_path, f"native-{i}.yml")


def _with_annotations(test_file: Path, rules_text: str, out: Path) -> None:
    """The test file with each expected alert completed from its generated rule.

    promtool compares all labels and annotations exactly. The test files state what matters (the
    SLO, the tier's windows, its severity, group labels such as ``route``); the rest (the SLO's
    own labels, the annotations' prose) is taken from the generated rule of that SLO and tier,
    after checking that the rule's severity is the expected one.
    """
    data = yaml.safe_load(test_file.read_text(encoding="utf-8"))
    groups = yaml.safe_load(rules_text)["groups"]
    rules = [r for g in groups for r in g["rules"]]
    # Without an order promtool evaluates the groups of one step in no fixed order; in file
    # order each SLO's tiles are recorded before the windows that sum them read them.
    data["group_eval_order"] = [g["name"] for g in groups]
    for case in data["tests"]:
        for check in case.get("alert_rule_test", []):
            for alert in check["exp_alerts"]:
                labels = alert["exp_labels"]
                rule = next(
                    r
                    for r in rules
                    if r.get("alert") == check["alertname"]
                    and f'slokit_slo="{labels["slokit_slo"]}"' in r["expr"]
                    and all(
                        r["labels"].get(key) == labels[key]
                        for key in ("slokit_long_window", "slokit_short_window")
                        if key in labels
                    )
                )
                assert rule["labels"]["severity"] == labels["severity"]
                service = re.search(r'slokit_service="([^"]+)"', rule["expr"])
                assert service is not None
                alert["exp_labels"] = {**rule["labels"], "slokit_service": service.group(1), **labels}
                alert["exp_annotations"] = rule["annotations"]
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize(
    "name", ["availability_alerts.test.yml", "period_ratio.test.yml", "routes.test.yml", "outage_1m.test.yml"]
)
def test_promtool_unit_tests(name: str, tmp_path: Path) -> None:
    """These fixtures are written for the classic form (window ratio, fixed guard of 3); the
    default policy's rules have their own cases in tests/exporters/test_promtool_policy.py."""
    promtool = _tool("promtool")
    rules = _generate(str(CHECKOUT), "--policy", "classic")
    (tmp_path / "rules.yml").write_text(rules, encoding="utf-8")
    _with_annotations(PROMTOOL_DATA / name, rules, tmp_path / name)
    done = _run([promtool, "test", "rules", name], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_victoriametrics_dialect_accepted_by_vmalert(tmp_path: Path) -> None:
    vmalert = _tool("vmalert")
    # Native histograms (histogram_fraction) do not exist in VictoriaMetrics: a clear error.
    result = CliRunner().invoke(
        cli, ["generate", "prometheus", str(CHECKOUT), "--dialect", "victoriametrics"]
    )
    assert result.exit_code == 1 and "native histograms" in result.output
    no_native = tmp_path / "no-native.yaml"
    docs = [d for d in yaml.safe_load_all(CHECKOUT.read_text()) if d]
    kept = [d for d in docs if d["metadata"]["name"] != "checkout-latency-native"]
    no_native.write_text(yaml.safe_dump_all(kept, sort_keys=False), encoding="utf-8")
    rules = tmp_path / "vm.yml"
    rules.write_text(_generate(str(no_native), "--dialect", "victoriametrics"), encoding="utf-8")
    done = _run([vmalert, "-dryRun", f"-rule={rules}", "-loggerLevel=ERROR"])
    assert done.returncode == 0, done.stdout + done.stderr
    # And vmalert does reject a broken rule file, so the check above can fail.
    broken = tmp_path / "broken.yml"
    broken.write_text(rules.read_text().replace("sum_over_time(", "sum_over_time((", 1), encoding="utf-8")
    assert _run([vmalert, "-dryRun", f"-rule={broken}", "-loggerLevel=ERROR"]).returncode != 0


def test_generate_check_flag_runs_promtool(tmp_path: Path) -> None:
    _tool("promtool")
    out = tmp_path / "rules.yml"
    result = CliRunner().invoke(cli, ["generate", "prometheus", str(CHECKOUT), "--check", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text())["groups"]


def test_without_the_guard_the_blip_pages(tmp_path: Path) -> None:
    """The blip case is quiet because of the guard: the same rules without it fail that case."""
    promtool = _tool("promtool")
    rules = _generate(str(CHECKOUT), "--policy", "classic", "--min-bad-events", "0")
    (tmp_path / "rules.yml").write_text(rules, encoding="utf-8")
    name = "availability_alerts.test.yml"
    _with_annotations(PROMTOOL_DATA / name, rules, tmp_path / name)
    done = _run([promtool, "test", "rules", name], cwd=tmp_path)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    failed_at = re.findall(r"alertname: SLOErrorBudgetBurn, time: ([0-9hm]+)", output)
    # Both checks of the blip case: at 95 m the page tier (1 bad in 5 m, 1/60 over 1 h) and at
    # 150 m the 1 d/2 h ticket (1/120 over 2 h, 1/150 over 1 d, both above 3 x 0.001).
    assert sorted(failed_at) == ["1h35m", "2h30m"], output


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_victoriametrics_evaluates_generated_expressions(tmp_path: Path) -> None:
    """The VictoriaMetrics dialect's expressions run on a real VictoriaMetrics and give the
    hand-computed values: the outage's 5-minute ratio and tile, and a classic-histogram ratio
    whose bucket is stored as le="0.40" (the spelling the le pattern must also accept)."""
    import json
    import time
    import urllib.parse
    import urllib.request

    binary = _tool("victoria-metrics")
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            f"-storageDataPath={tmp_path / 'vm'}",
            f"-httpListenAddr=127.0.0.1:{port}",
            "-retentionPeriod=1y",
            "-search.latencyOffset=0s",
            "-search.disableCache",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base_url + "/health", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        base = (int(time.time()) // 3600 - 3) * 3600
        stamps = [(base + m * 60) * 1000 for m in range(131)]

        def series(labels: dict[str, str], values: list[int]) -> str:
            return json.dumps({"metric": labels, "values": values, "timestamps": stamps})

        # The outage of availability_alerts.test.yml: 600 good a minute, all failing after 120 m.
        lines = [
            series(
                {"__name__": "http_requests_total", "job": "checkout", "code": "200"},
                [600 * min(m, 120) for m in range(131)],
            ),
            series(
                {"__name__": "http_requests_total", "job": "checkout", "code": "500"},
                [600 * max(m - 120, 0) for m in range(131)],
            ),
        ]
        # 100 requests a minute, 90 of them at or below 0.4 s.
        for le, per_minute in (("0.40", 90), ("+Inf", 100)):
            lines.append(
                series(
                    {"__name__": "http_request_duration_seconds_bucket", "job": "checkout", "le": le},
                    [per_minute * m for m in range(131)],
                )
            )
        lines.append(
            series(
                {"__name__": "http_request_duration_seconds_count", "job": "checkout"},
                [100 * m for m in range(131)],
            )
        )
        request = urllib.request.Request(
            base_url + "/api/v1/import", data="\n".join(lines).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10):
            pass
        with urllib.request.urlopen(base_url + "/internal/force_flush", timeout=10):
            pass

        docs = [d for d in yaml.safe_load_all(CHECKOUT.read_text()) if d]
        spec = tmp_path / "no-native.yaml"
        spec.write_text(
            yaml.safe_dump_all([d for d in docs if d["metadata"]["name"] != "checkout-latency-native"]),
            encoding="utf-8",
        )
        rules = yaml.safe_load(_generate(str(spec), "--dialect", "victoriametrics"))
        expr = {
            (r["labels"]["slokit_slo"], r["record"]): r["expr"]
            for g in rules["groups"]
            for r in g["rules"]
            if "record" in r
        }

        def value(slo: str, record: str, minute: int) -> float:
            query = urllib.parse.urlencode({"query": expr[(slo, record)], "time": base + minute * 60})
            with urllib.request.urlopen(f"{base_url}/api/v1/query?{query}", timeout=10) as response:
                result = json.load(response)["data"]["result"]
            assert len(result) == 1, result
            return float(result[0]["value"][1])

        assert value("checkout-availability", "slokit:error_ratio:rate5m", 60) == 0
        assert value("checkout-availability", "slokit:error_ratio:rate5m", 125) == 1
        # VictoriaMetrics' increase does not extrapolate: the tile is exactly 5 x 600 bad requests.
        assert value("checkout-availability", "slokit:tile_bad_events:increase5m", 125) == 3000
        assert value("checkout-latency", "slokit:error_ratio:rate5m", 60) == pytest.approx(0.1, abs=1e-12)
        assert value("checkout-latency", "slokit:tile_bad_events:increase5m", 60) == pytest.approx(
            50, abs=1e-9
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
