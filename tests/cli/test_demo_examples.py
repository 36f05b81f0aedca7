"""``slokit demo`` without the repository: the build ships the example platforms in the package.

The package is built for real (setup.py's build_py, the step a wheel build runs, into a temporary
folder, no wheel), then a Python started in an empty folder with only that build on its path must
find the packaged copy, load both platforms from it, and still let ``--examples`` and ./examples
win. The packaged files must be the root ``examples/`` files byte for byte.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from slokit.cli import demo
from slokit.cli.demo import find_examples
from slokit.cli.main import cli
from slokit.errors import UsageError
from slokit.spec.loader import load_paths

REPO = Path(__file__).resolve().parents[2]
PLATFORMS = ("mtogo", "cnc-quote")
#: What README and docs/server.md promise the demo serves.
DOCUMENTED_SLOS = 55


def _files(root: Path) -> dict[str, bytes]:
    """Every file of the two platforms under ``root``, by relative path (dot-files left out)."""
    out = {}
    for platform in PLATFORMS:
        for path in sorted((root / platform).rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
                out[rel.as_posix()] = path.read_bytes()
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package as a wheel build lays it out: build_py of a clean copy of the sources."""
    base = tmp_path_factory.mktemp("build")
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "MANIFEST.in"):
        shutil.copy(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "slokit", src / "slokit", ignore=ignore)
    shutil.copytree(REPO / "examples", src / "examples", ignore=ignore)
    lib = base / "lib"
    done = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(lib)],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return lib


def test_the_packaged_examples_are_the_root_ones_byte_for_byte(built: Path) -> None:
    packaged = _files(built / "slokit" / "_examples")
    root = _files(REPO / "examples")
    assert sorted(packaged) == sorted(root)
    assert any(name.endswith(".yaml") for name in root)
    different = [name for name in root if packaged[name] != root[name]]
    assert different == []


LOOKUP = """
import json, sys
from pathlib import Path
import slokit
from slokit.cli.demo import find_examples, packaged_examples
from slokit.spec.loader import load_paths
given = sys.argv[1] or None
root = find_examples(given)
counts = {p: len(load_paths([root / p])[0].slos) for p in ("mtogo", "cnc-quote")}
print(json.dumps({
    "package": slokit.__file__,
    "packaged": str(packaged_examples()),
    "found": str(root),
    "counts": counts,
    "together": len(load_paths([root / "mtogo", root / "cnc-quote"])[0].slos),
}))
"""


def _lookup(lib: Path, cwd: Path, given: str = "") -> dict[str, object]:
    """find_examples in a fresh Python whose slokit is the built one, started in ``cwd``."""
    env = {**os.environ, "PYTHONPATH": str(lib)}
    done = subprocess.run(
        [sys.executable, "-c", LOOKUP, given],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_an_installed_package_finds_its_own_examples_from_an_empty_folder(
    built: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = _lookup(built, empty)
    packaged = built / "slokit" / "_examples"
    assert Path(str(result["package"])).parent == built / "slokit"  # the built copy, not the checkout
    assert result["packaged"] == str(packaged)
    assert result["found"] == str(packaged)
    expected = {p: len(load_paths([REPO / "examples" / p])[0].slos) for p in PLATFORMS}
    assert result["counts"] == expected
    assert result["together"] == sum(expected.values()) == DOCUMENTED_SLOS


def _copy_with_one_slo_less(target: Path) -> int:
    """A copy of the examples with one mtogo SLO file removed; its SLO count (differs from 55)."""
    shutil.copytree(REPO / "examples" / "mtogo", target / "mtogo")
    shutil.copytree(REPO / "examples" / "cnc-quote", target / "cnc-quote")
    (target / "mtogo" / "kafka.yaml").unlink()
    return len(load_paths([target / "mtogo", target / "cnc-quote"])[0].slos)


def test_examples_flag_and_local_examples_folder_win_over_the_packaged_copy(
    built: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "mine"
    count = _copy_with_one_slo_less(mine)
    assert count < DOCUMENTED_SLOS
    given = _lookup(built, tmp_path, str(mine))
    assert given["found"] == str(mine) and given["together"] == count
    # Started in a folder that has its own examples/: that one (you may be editing it).
    local = tmp_path / "project"
    (local / "examples").mkdir(parents=True)
    _copy_with_one_slo_less(local / "examples")
    here = _lookup(built, local)
    assert here["found"] == "examples" and here["together"] == count


def test_examples_flag_without_the_platforms_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "mtogo").mkdir()
    with pytest.raises(UsageError, match=r"--examples .*: no mtogo/ and cnc-quote/ folders in it"):
        find_examples(str(tmp_path))
    result = CliRunner().invoke(cli, ["demo", "--port", "0", "--examples", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "no mtogo/ and cnc-quote/ folders" in result.output and "Traceback" not in result.output


def test_a_checkout_without_a_packaged_copy_falls_back_to_the_repository_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A source checkout or an editable install has no packaged copy: the repository's examples/.
    monkeypatch.setattr(demo, "packaged_examples", lambda: None)
    monkeypatch.chdir(tmp_path)
    assert find_examples(None).resolve() == (REPO / "examples").resolve()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_kill_stops_the_demo_and_removes_its_temporary_store(tmp_path: Path) -> None:
    """``kill PID`` (SIGTERM) ends the demo as Ctrl-C does: exit 0 and no store left in TMPDIR."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = _free_port()
    args = [sys.executable, "-m", "slokit.cli.main", "demo", "--port", str(port), "--days", "0.1"]
    env = {**os.environ, "TMPDIR": str(temp), "SLOKIT_API_TOKEN": "t"}
    proc = subprocess.Popen(
        [*args, "--examples", str(REPO / "examples")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        ready = False
        while not ready and time.monotonic() < deadline and proc.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.3)
        assert ready
        assert [p.name for p in temp.iterdir() if p.name.startswith("slokit-demo-")]  # the store is there
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    text = out.decode()
    assert proc.returncode == 0, text
    assert "slokit demo: stopped" in text
    assert list(temp.iterdir()) == []
