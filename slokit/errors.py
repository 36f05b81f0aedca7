"""User-facing errors.

Every mistake a user can make (a bad spec, a bad event, a bad flag) is reported as a
:class:`SlokitError`, never as a traceback. Problems found in files carry
:class:`Diagnostic` objects that say where (file, line, column, field path), what is wrong and
what is allowed, so a person can fix the input without reading slokit's code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file; line and column are 1-based as editors show them."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        if self.column <= 0:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: where it is, what is wrong, and what is allowed instead."""

    message: str
    location: Location | None = None
    path: str = ""
    hint: str = ""
    severity: Severity = "error"

    def format(self) -> str:
        where = str(self.location) if self.location else "<input>"
        field_part = f" {self.path}:" if self.path else ""
        hint_part = f" ({self.hint})" if self.hint else ""
        return f"{where}: {self.severity}:{field_part} {self.message}{hint_part}"

    def to_dict(self) -> dict[str, Any]:
        loc = self.location
        return {
            "file": loc.file if loc else None,
            "line": loc.line if loc and loc.line > 0 else None,
            "column": loc.column if loc and loc.column > 0 else None,
            "path": self.path,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


class SlokitError(Exception):
    """A mistake in the user's input or invocation. The CLI prints it and exits non-zero."""

    exit_code: int = 1

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics: list[Diagnostic] = list(diagnostics or [])

    def __str__(self) -> str:
        if not self.diagnostics:
            return self.message
        lines = [self.message] if self.message else []
        lines.extend(d.format() for d in self.diagnostics)
        return "\n".join(lines)


class SpecError(SlokitError):
    """A specification (YAML, Sloth, Markdown) that cannot be accepted; holds every problem found."""


class UsageError(SlokitError):
    """A command invoked wrongly (bad flag value, missing file)."""

    exit_code = 2


@dataclass
class DiagnosticSink:
    """Collects diagnostics so validation can report every problem of a file, not just the first."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def error(self, message: str, location: Location | None = None, path: str = "", hint: str = "") -> None:
        self.diagnostics.append(Diagnostic(message, location, path, hint, "error"))

    def warning(self, message: str, location: Location | None = None, path: str = "", hint: str = "") -> None:
        self.diagnostics.append(Diagnostic(message, location, path, hint, "warning"))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def raise_if_errors(self, message: str = "the specification is not valid") -> None:
        if self.errors:
            raise SpecError(message, self.diagnostics)
