"""Rule files as text: plain Prometheus rule groups or a prometheus-operator ``PrometheusRule``.

Also runs the real checkers (``promtool check rules``, ``vmalert -dryRun``) on generated text
when they are installed, so ``slokit generate --check`` and the tests use the same code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

from slokit.errors import SlokitError
from slokit.spec.dump import dump_document

OPERATOR_API_VERSION = "monitoring.coreos.com/v1"
OPERATOR_KIND = "PrometheusRule"


def render_groups(groups: Sequence[Mapping[str, Any]], header: str = "") -> str:
    """``groups:`` YAML as Prometheus and vmalert read it; multi-line expressions as ``|`` blocks."""
    return _comment(header) + dump_document({"groups": [dict(g) for g in groups]})


def prometheus_rule(
    groups: Sequence[Mapping[str, Any]],
    name: str,
    namespace: str | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A prometheus-operator ``PrometheusRule`` object holding ``groups``."""
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = dict(labels)
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {
        "apiVersion": OPERATOR_API_VERSION,
        "kind": OPERATOR_KIND,
        "metadata": metadata,
        "spec": {"groups": [dict(g) for g in groups]},
    }


def render_objects(objects: Sequence[Mapping[str, Any]], header: str = "") -> str:
    """Kubernetes objects as a multi-document YAML stream."""
    return _comment(header) + "---\n".join(dump_document(o) for o in objects)


def _comment(header: str) -> str:
    if not header:
        return ""
    return "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()) + "\n"


def checker_path(dialect: str) -> str | None:
    """The installed checker for a dialect: ``promtool`` or ``vmalert``; None when missing."""
    return shutil.which("vmalert" if dialect == "victoriametrics" else "promtool")


def check_rules_text(text: str, dialect: str = "prometheus", timeout: float = 60) -> None:
    """Run ``promtool check rules`` (or ``vmalert -dryRun``) on rule-file text; raise on failure."""
    tool = checker_path(dialect)
    if tool is None:
        name = "vmalert" if dialect == "victoriametrics" else "promtool"
        raise SlokitError(
            f"--check needs {name}, which is not installed (Debian package: "
            f"{'victoria-metrics' if name == 'vmalert' else 'prometheus'})"
        )
    fd, path = tempfile.mkstemp(prefix="slokit-rules-", suffix=".yml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if dialect == "victoriametrics":
            cmd = [tool, "-dryRun", f"-rule={path}", "-loggerLevel=ERROR"]
        else:
            cmd = [tool, "check", "rules", path]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    finally:
        os.unlink(path)
    if done.returncode != 0:
        output = (done.stdout + done.stderr).replace(path, "<generated rules>").strip()
        raise SlokitError(f"{os.path.basename(tool)} rejected the generated rules:\n{output}")
