"""Build step: the example platforms ship inside the package, so ``slokit demo`` works after a plain
``pip install``.

``examples/`` at the repository root stays the only copy people read and edit (the README, docs and
tests point there). Building copies the files of ``examples/mtogo`` and ``examples/cnc-quote`` into
``slokit/_examples/`` of the wheel as package data; nothing is duplicated in the source tree. An
editable install skips the copy: there ``slokit demo`` reads the repository's own ``examples/``.
Everything else about the build is configured in pyproject.toml.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

#: The folder (relative to this file, as setuptools wants for sdists) and the platforms it ships.
EXAMPLES = "examples"
PLATFORMS = ("mtogo", "cnc-quote")
#: Where they land in the installed package (slokit.cli.demo looks there).
PACKAGED = ("slokit", "_examples")


def example_files(root: Path) -> list[str]:
    """The files of the shipped platforms, relative to ``root / EXAMPLES`` (dot-files left out)."""
    base = root / EXAMPLES
    names = []
    for platform in PLATFORMS:
        for path in (base / platform).rglob("*"):
            relative = path.relative_to(base)
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                names.append(relative.as_posix())
    return sorted(names)


class BuildPyWithExamples(build_py):
    """build_py that adds the example platforms to the package data of ``slokit._examples``."""

    def run(self) -> None:
        # A build folder reused from an earlier build would keep files since removed from examples/.
        if not getattr(self, "editable_mode", False):
            shutil.rmtree(os.path.join(self.build_lib, *PACKAGED), ignore_errors=True)
        super().run()

    def _get_data_files(self) -> list[tuple[str, str, str, list[str]]]:
        files: list[tuple[str, str, str, list[str]]] = list(super()._get_data_files())
        if getattr(self, "editable_mode", False):
            return files
        here = Path(__file__).resolve().parent
        names = example_files(here)
        if not names:
            raise RuntimeError(f"no example files under {EXAMPLES}/ {PLATFORMS}: the package needs them")
        files.append((".".join(PACKAGED), EXAMPLES, os.path.join(self.build_lib, *PACKAGED), names))
        return files


setup(cmdclass={"build_py": BuildPyWithExamples})
