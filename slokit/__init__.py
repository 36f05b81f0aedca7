"""slokit: Service Level Objectives made real.

The library entry point is :func:`load`, which reads OpenSLO YAML (files, folders or text)
into a validated :class:`~slokit.spec.model.Spec`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from slokit.errors import Diagnostic, SlokitError, SpecError

if TYPE_CHECKING:
    from slokit.spec.model import Spec


def load(source: str | Path, *, strict: bool = True) -> Spec:
    """Load OpenSLO/slokit YAML from a file, a folder (recursively) or YAML text.

    Raises :class:`SpecError` listing every problem, each with file, line, column and field path.
    """
    from slokit.spec.loader import load as _load

    return _load(source, strict=strict)


__all__ = ["Diagnostic", "SlokitError", "SpecError", "load"]
__version__ = "0.1.0"
