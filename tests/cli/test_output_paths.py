"""``-o FILE`` of ``slokit convert`` and ``slokit generate prometheus``: missing folders are created
(as ``import doc -o`` and ``generate grafana -o`` do), the file is whole or absent, and a failed run
leaves neither a temporary file nor the folders it created."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from slokit.cli.main import cli

DATA = Path(__file__).resolve().parents[1] / "data"
SLOTH = DATA / "sloth" / "checkout.yml"
SLOTH_INVALID = DATA / "sloth" / "errors" / "objective-101.yml"
PROMETHEUS_SPEC = DATA / "promtool" / "checkout.yaml"

COMMANDS = {
    "convert": ["convert", "--from", "sloth", str(SLOTH)],
    "generate prometheus": ["generate", "prometheus", str(PROMETHEUS_SPEC)],
}


def run(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args)


def tree(root: Path) -> list[str]:
    """Every file and folder under ``root``, relative, hidden ones included."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_missing_folders_are_created_and_hold_what_stdout_shows(command: str, tmp_path: Path) -> None:
    on_stdout = run(COMMANDS[command])
    assert on_stdout.exit_code == 0, on_stdout.output
    target = tmp_path / "new" / "deeper" / "out.yaml"
    result = run([*COMMANDS[command], "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == on_stdout.stdout
    assert tree(tmp_path) == ["new", "new/deeper", "new/deeper/out.yaml"]  # no temporary file left


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_relative_path_into_a_missing_folder(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run([*COMMANDS[command], "-o", "out/rules.yaml"])
    assert result.exit_code == 0, result.output
    assert tree(tmp_path) == ["out", "out/rules.yaml"]
    assert (tmp_path / "out" / "rules.yaml").stat().st_size > 0


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_failed_write_removes_the_folders_it_created(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "kept").mkdir()

    def no_space(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    result = run([*COMMANDS[command], "-o", str(tmp_path / "kept" / "a" / "b" / "out.yaml")])
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr and "Traceback" not in result.output
    assert tree(tmp_path) == ["kept"]  # the folder that was there stays, a/ and a/b/ are gone


def test_a_folder_that_cannot_be_created_is_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Path, mode: int = 0o777, parents: bool = False, exist_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", refuse)
    result = run([*COMMANDS["convert"], "-o", str(tmp_path / "locked" / "out.yaml")])
    assert result.exit_code == 1
    assert "cannot create the folder" in result.stderr and "Permission denied" in result.stderr
    assert tree(tmp_path) == []


def test_an_invalid_input_creates_no_folder(tmp_path: Path) -> None:
    result = run(["convert", "--from", "sloth", str(SLOTH_INVALID), "-o", str(tmp_path / "new" / "o.yaml")])
    assert result.exit_code == 1
    assert tree(tmp_path) == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_folder_or_a_path_beneath_a_file_is_refused(command: str, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "plain.txt").write_text("keep me\n")
    cases = {
        str(tmp_path / "folder"): "it is a folder; give the path of the file",
        str(tmp_path / "plain.txt" / "sub" / "out.yaml"): "plain.txt' is a file, not a folder",
        str(tmp_path / "missing") + "/": "names a folder; give the path of the file",
    }
    for out, words in cases.items():
        result = run([*COMMANDS[command], "-o", out])
        assert result.exit_code == 2, (out, result.output)
        assert words in " ".join(result.stderr.split()), (out, result.stderr)
    assert tree(tmp_path) == ["folder", "plain.txt"]
    assert (tmp_path / "plain.txt").read_text() == "keep me\n"
