from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_path = Path(__file__).resolve().parent.parent / "server" / "serverproc.py"
_spec = importlib.util.spec_from_file_location("slokit_test_serverproc", _path)
assert _spec is not None and _spec.loader is not None
if "slokit_test_serverproc" not in sys.modules:
    module = importlib.util.module_from_spec(_spec)
    sys.modules["slokit_test_serverproc"] = module
    _spec.loader.exec_module(module)
