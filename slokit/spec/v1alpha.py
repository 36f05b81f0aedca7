"""openslo/v1alpha objects, converted to v1 node trees so one validator judges both."""

from __future__ import annotations

from slokit.spec.reader import Context
from slokit.spec.yamlnodes import Node

API_V1ALPHA = "openslo/v1alpha"
KINDS = ("Service", "SLO")


def convert(ctx: Context, node: Node, kind: str) -> Node | None:
    """The v1 equivalent of a v1alpha object (same locations), or None when it cannot be read."""
    ctx.error(node, "apiVersion", "openslo/v1alpha is not supported yet", "write openslo/v1")
    return None
