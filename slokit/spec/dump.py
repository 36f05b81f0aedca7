"""Writing OpenSLO documents as YAML in slokit's canonical style.

Importers (Sloth, Markdown) build plain dicts in OpenSLO shape and call :func:`dump_documents`;
``slokit fmt`` renders a loaded spec the same way, so all YAML slokit writes looks alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Block style, keys in the order given, multi-line strings as literal blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as the OpenSLO examples do.
        super().increase_indent(flow, False)


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_representer)


def dump_document(doc: Mapping[str, Any]) -> str:
    return yaml.dump(
        dict(doc), Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


def dump_documents(docs: Iterable[Mapping[str, Any]]) -> str:
    """A multi-document YAML stream, documents separated by ``---``."""
    return "---\n" + "---\n".join(dump_document(d) for d in docs)
