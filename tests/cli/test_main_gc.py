"""``slokit``'s entry point turns the cyclic collector off only while a command module loads."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
import types
from pathlib import Path

import click
import pytest

from slokit.cli import main as cli_main


def test_the_collector_is_on_while_a_command_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    @click.command("probe")
    def probe() -> None:
        seen["enabled"] = gc.isenabled()
        seen["frozen"] = gc.get_freeze_count()

    module = types.ModuleType("slokit_test_probe")
    module.probe = probe  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "slokit_test_probe", module)
    monkeypatch.setitem(cli_main.COMMANDS, "probe", ("slokit_test_probe", "probe", "A test command."))
    monkeypatch.setattr(sys, "argv", ["slokit", "probe"])
    try:
        with pytest.raises(SystemExit) as done:
            cli_main.main()
        assert done.value.code == 0
        # on again for the command itself, with what the imports made frozen out of its way
        assert seen["enabled"] is True
        assert isinstance(seen["frozen"], int) and seen["frozen"] > 0
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_command_that_used_the_store_exits_without_leak_reports(tmp_path: Path) -> None:
    """Objects frozen for the run are unfrozen at exit: DuckDB's bindings count their live objects
    when the interpreter shuts down and print "leaked" reports for any still frozen."""
    spec = tmp_path / "slo.yaml"
    spec.write_text(
        "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: ok\nspec:\n  service: api\n"
        "  indicator:\n    metadata:\n      name: ok\n    spec:\n      ratioMetric:\n"
        "        counter: false\n        good:\n          metricSource:\n            type: slokit\n"
        "            spec:\n              stream: api\n              where: status < 500\n"
        "        total:\n          metricSource:\n            type: slokit\n            spec:\n"
        "              stream: api\n  timeWindow:\n    - duration: 1d\n      isRolling: true\n"
        "  budgetingMethod: Occurrences\n  objectives:\n    - target: 0.99\n"
    )
    events = tmp_path / "events.jsonl"
    now = int(time.time())
    events.write_text("".join(json.dumps({"ts": now - i, "status": 200}) + "\n" for i in range(100)))
    args = ["ingest", str(events), "--stream", "api", "--spec", str(spec), "--store", str(tmp_path / "s.db")]
    run = subprocess.run(
        [sys.executable, "-c", "from slokit.cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "100 accepted" in run.stdout
    assert "leaked" not in run.stderr, run.stderr
