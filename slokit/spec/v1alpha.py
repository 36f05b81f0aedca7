"""openslo/v1alpha objects, checked in their own shape and converted to v1 node trees.

v1alpha (the first OpenSLO version) differs from v1 in shape only: ``timeWindows`` with
``unit``/``count``, an SLO-level ``indicator.thresholdMetric`` of ``source``/``queryType``/
``query``, and per-objective ``ratioMetrics``. We validate those fields as the Go SDK does, then
build the equivalent v1 tree from the same located nodes, so the v1 rules judge the rest and every
message still points at the line the user wrote.
"""

from __future__ import annotations

from typing import Any

from slokit.errors import Location
from slokit.spec.reader import Context, Fields, index
from slokit.spec.yamlnodes import Node

API_V1ALPHA = "openslo/v1alpha"
KINDS = ("Service", "SLO")
#: v1alpha window units as the Go SDK accepts them, and their v1 shorthand.
UNITS = {"Second": "s", "Day": "d", "Week": "w", "Month": "M", "Quarter": "Q"}
BUDGETING = ("Occurrences", "Timeslices")
OPERATORS = ("lt", "lte", "gt", "gte")
DEFAULT_SLICE = "1m"


def _scalar(value: Any, loc: Location) -> Node:
    return Node("scalar", value, loc, raw=str(value), tag="")


def _map(values: dict[str, Node], loc: Location) -> Node:
    return Node("map", values, loc, key_locs={k: v.loc for k, v in values.items()})


def _seq(items: list[Node], loc: Location) -> Node:
    return Node("seq", items, loc)


def convert(ctx: Context, node: Node, kind: str) -> Node | None:
    """The v1 equivalent of a v1alpha object (same locations), or None when it cannot be read."""
    top = Fields(ctx, node, "", ("apiVersion", "kind", "metadata", "spec"), "an object")
    before = ctx.error_count
    meta = top.mapping("metadata")
    for key in ("labels", "annotations"):
        if meta is not None and key in meta.value:
            ctx.error(
                meta.key_locs.get(key),
                f"metadata.{key}",
                f"openslo/v1alpha has no metadata.{key}",
                "use openslo/v1",
            )
    values: dict[str, Node] = dict(node.value)
    values["apiVersion"] = _scalar("openslo/v1", values["apiVersion"].loc)
    if kind == "Service":  # the same shape as v1; the v1 rules check it
        return _map(values, node.loc) if ctx.error_count == before else None
    spec_node = top.mapping("spec", required=True)
    if spec_node is None:
        return None
    spec = _slo_spec(ctx, spec_node, _name(node))
    if spec is None or ctx.error_count > before:
        return None
    values["spec"] = spec
    return _map(values, node.loc)


def _name(node: Node) -> str:
    meta = node.value.get("metadata")
    name = meta.value.get("name") if meta is not None and meta.is_map else None
    return str(name.value) if name is not None and name.is_scalar else "slo"


def _slo_spec(ctx: Context, node: Node, name: str) -> Node | None:
    f = Fields(
        ctx,
        node,
        "spec",
        ("timeWindows", "budgetingMethod", "description", "indicator", "service", "objectives"),
        "a v1alpha SLO spec",
    )
    out: dict[str, Node] = {}
    for key in ("description", "service", "budgetingMethod"):
        if f.get(key) is not None:
            out[key] = f.values[key]
    method = f.enum("budgetingMethod", BUDGETING, required=True)
    window = _time_window(ctx, f)
    if window is not None:
        out["timeWindow"] = _seq([window], f.values["timeWindows"].loc)
    threshold = _indicator(ctx, f)
    objective_items = f.seq("objectives", required=True) or []
    ratio_objectives = [o for o in objective_items if o.is_map and "ratioMetrics" in o.value]
    if threshold is not None and ratio_objectives:
        ctx.error(
            ratio_objectives[0].key_locs.get("ratioMetrics"),
            "spec.objectives[].ratioMetrics",
            "only one of 'indicator' and 'objectives[*].ratioMetrics' can be set",
        )
    elif f.ok and threshold is None and not ratio_objectives and objective_items:
        f.missing("indicator", "give indicator.thresholdMetric, or ratioMetrics in the objectives")
    objectives: list[Node] = []
    composite = len(ratio_objectives) > 1
    for i, item in enumerate(objective_items):
        objective, ratio = _objective(ctx, item, index("spec.objectives", i), method)
        if objective is None:
            continue
        if ratio is not None:
            sli = _map(
                {
                    "metadata": _map({"name": _scalar(_sli_name(name, i, composite), item.loc)}, item.loc),
                    "spec": _map({"ratioMetric": ratio}, item.loc),
                },
                item.loc,
            )
            if composite:
                objective.value["indicator"] = sli
                objective.key_locs["indicator"] = item.loc
            else:
                out["indicator"] = sli
        objectives.append(objective)
    out["objectives"] = _seq(objectives, f.values["objectives"].loc if f.has("objectives") else node.loc)
    if threshold is not None:
        out["indicator"] = _map(
            {
                "metadata": _map({"name": _scalar(name, threshold.loc)}, threshold.loc),
                "spec": _map({"thresholdMetric": threshold}, threshold.loc),
            },
            threshold.loc,
        )
    return _map(out, node.loc)


def _sli_name(slo: str, i: int, composite: bool) -> str:
    if not composite:
        return slo
    suffix = f"-{i + 1}"
    return slo[: 63 - len(suffix)].rstrip("-") + suffix


def _time_window(ctx: Context, f: Fields) -> Node | None:
    items = f.seq("timeWindows", required=True)
    if items is None:
        return None
    if len(items) != 1:
        ctx.error(
            f.get("timeWindows"), "spec.timeWindows", f"needs exactly one time window, found {len(items)}"
        )
        return None
    path = "spec.timeWindows[0]"
    w = Fields(ctx, items[0], path, ("unit", "count", "isRolling", "calendar"), "a time window")
    unit = w.enum("unit", tuple(UNITS), required=True)
    count_f = w.number("count", required=True)
    count: int | None = None
    if count_f is not None:
        if not count_f.is_integer() or count_f <= 0:
            ctx.error(w.get("count"), w.p("count"), f"{count_f:g} is not a positive whole number")
        else:
            count = int(count_f)
    if unit is None or count is None or not w.ok:
        return None
    symbol = UNITS[unit]
    if symbol == "s":
        if count % 60:
            ctx.error(
                w.get("count"),
                w.p("count"),
                f"{count} seconds is not a whole number of minutes",
                "OpenSLO v1 windows have no seconds unit; use a multiple of 60",
            )
            return None
        count, symbol = count // 60, "m"
    loc = w.values["unit"].loc
    out: dict[str, Node] = {"duration": _scalar(f"{count}{symbol}", loc)}
    for key in ("isRolling", "calendar"):
        if key in w.values:
            out[key] = w.values[key]
    return _map(out, items[0].loc)


def _metric(ctx: Context, node: Node | None, path: str) -> Node | None:
    """``{source, queryType, query}`` as a v1 metric ``{metricSource: {type, spec}}``."""
    m = Fields(ctx, node, path, ("source", "queryType", "query"), "a v1alpha metric")
    source = m.text("source", required=True)
    query_type = m.text("queryType", required=True)
    query = m.text("query", required=True)
    for key, value in (("source", source), ("queryType", query_type)):
        if value is not None and not value.isalpha():
            ctx.error(m.get(key), m.p(key), f"'{value}' must contain only letters")
    if node is None or source is None or query_type is None or query is None:
        return None
    spec = _map({"queryType": m.values["queryType"], "query": m.values["query"]}, node.loc)
    return _map(
        {"metricSource": _map({"type": m.values["source"], "spec": spec}, node.loc)},
        node.loc,
    )


def _indicator(ctx: Context, f: Fields) -> Node | None:
    ind = Fields(ctx, f.mapping("indicator"), "spec.indicator", ("thresholdMetric",), "indicator")
    if not ind.ok:
        return None
    return _metric(ctx, ind.mapping("thresholdMetric", required=True), "spec.indicator.thresholdMetric")


def _objective(ctx: Context, node: Node, path: str, method: str | None) -> tuple[Node | None, Node | None]:
    o = Fields(
        ctx,
        node,
        path,
        ("displayName", "value", "ratioMetrics", "target", "timeSliceTarget", "op"),
        "a v1alpha objective",
    )
    if not o.ok:
        return None, None
    o.string("displayName", max_len=1050)
    o.number("value", required=True, hint="v1alpha requires value on every objective")
    o.number("target", required=True)
    is_ratio = o.has("ratioMetrics")
    if is_ratio:
        o.forbid("op", "with 'ratioMetrics'")
    else:
        o.enum("op", OPERATORS, required=True)
    out: dict[str, Node] = {}
    for key in ("displayName", "target", "timeSliceTarget"):
        if key in o.values:
            out[key] = o.values[key]
    if not is_ratio:
        for key in ("op", "value"):
            if key in o.values:
                out[key] = o.values[key]
    if method == "Timeslices":
        if not o.has("timeSliceTarget"):
            o.missing("timeSliceTarget", "with Timeslices: the share of good events that makes a slice good")
        out["timeSliceWindow"] = _scalar(DEFAULT_SLICE, node.loc)
        ctx.warning(
            node,
            path,
            f"openslo/v1alpha has no timeSliceWindow; slokit uses {DEFAULT_SLICE} slices",
            "convert the spec to openslo/v1 (slokit fmt) and set timeSliceWindow to choose another",
        )
    ratio: Node | None = None
    if is_ratio:
        r = Fields(
            ctx,
            o.mapping("ratioMetrics"),
            o.p("ratioMetrics"),
            ("good", "total", "incremental"),
            "ratioMetrics",
        )
        good = _metric(ctx, r.mapping("good", required=True), r.p("good"))
        total = _metric(ctx, r.mapping("total", required=True), r.p("total"))
        incremental = r.boolean("incremental")
        if good is not None and total is not None and r.node is not None:
            values = {"good": good, "total": total}
            if incremental is not None:
                values = {"counter": r.values["incremental"], **values}
            ratio = _map(values, r.node.loc)
    return _map(out, node.loc), ratio
