"""``slokit``'s entry point turns the cyclic collector off only while a command module loads."""

from __future__ import annotations

import gc
import sys
import types

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
