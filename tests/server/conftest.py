from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_path = Path(__file__).resolve().parent / "serverproc.py"
_spec = importlib.util.spec_from_file_location("slokit_test_serverproc", _path)
assert _spec is not None and _spec.loader is not None
serverproc = importlib.util.module_from_spec(_spec)
sys.modules["slokit_test_serverproc"] = serverproc
_spec.loader.exec_module(serverproc)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A shop server shared by a test module (fresh store per module)."""
    proc = serverproc.ServerProcess(tmp_path_factory.mktemp("server") / "shop.duckdb").start()
    yield proc
    proc.stop()
