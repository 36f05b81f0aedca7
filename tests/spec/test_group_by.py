"""``groupBy`` on a ``type: slokit`` binding: what loads, and every mistake located in its file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import slokit
from slokit.errors import Diagnostic, SpecError
from slokit.spec.bindings import Role, check_group_pair, parse_binding
from slokit.spec.canonical import documents
from slokit.spec.dump import dump_documents
from slokit.spec.model import SlokitQuery

RATIO = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: orders-ok
spec:
  service: orders
  indicator:
    metadata:
      name: orders-ok
    spec:
      ratioMetric:
        counter: false
        good:
          metricSource:
            type: slokit
            spec:
              stream: orders
              where: status < 500
{good_group}
        total:
          metricSource:
            type: slokit
            spec:
              stream: orders
{total_group}
  timeWindow:
    - duration: 1d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.99
"""
PAD = "              "


def ratio_spec(total_group: str = "", good_group: str = "") -> str:
    return RATIO.format(
        total_group=PAD + total_group if total_group else "",
        good_group=PAD + good_group if good_group else "",
    )


def errors_of(tmp_path: Path, text: str) -> list[Diagnostic]:
    path = tmp_path / "slos.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        slokit.load(path)
    return [d for d in info.value.diagnostics if d.severity == "error"]


def position(text: str, line_text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of ``needle`` on the line containing ``line_text`` (the oracle)."""
    for n, line in enumerate(text.splitlines(), 1):
        if line_text in line:
            return n, line.index(needle, line.index(line_text)) + 1
    raise AssertionError(line_text)


def test_group_by_loads_on_total_and_threshold() -> None:
    spec = slokit.load(ratio_spec("groupBy: [route, http.method]"))
    ratio = spec.slo("orders-ok").indicator.ratio_metric  # type: ignore[union-attr]
    assert ratio is not None and ratio.total is not None and ratio.good is not None
    assert ratio.total.binding == SlokitQuery("orders", None, None, ("route", "http.method"))
    assert isinstance(ratio.good.binding, SlokitQuery) and ratio.good.binding.group_by == ()
    binding, problems = parse_binding(
        "slokit", {"stream": "s", "value": "latency_ms", "groupBy": ["route"]}, "threshold"
    )
    assert problems == [] and isinstance(binding, SlokitQuery) and binding.group_by == ("route",)


def test_good_may_repeat_the_totals_list_exactly() -> None:
    spec = slokit.load(ratio_spec("groupBy: [route, method]", "groupBy: [route, method]"))
    ratio = spec.slo("orders-ok").indicator.ratio_metric  # type: ignore[union-attr]
    assert ratio is not None and ratio.good is not None
    assert isinstance(ratio.good.binding, SlokitQuery)
    assert ratio.good.binding.group_by == ("route", "method")


@pytest.mark.parametrize(
    ("raw", "path", "words"),
    [
        ([], "groupBy", "is empty"),
        ("route", "groupBy", "must be a list"),
        ({"a": 1}, "groupBy", "must be a list"),
        (["route", "route"], "groupBy[1]", "already listed"),
        (["route", 5], "groupBy[1]", "not a number"),
        (["route", None], "groupBy[1]", "nothing (null)"),
        (["  "], "groupBy[0]", "empty name"),
        ([["route"]], "groupBy[0]", "not a list"),
    ],
)
def test_group_by_mistakes(raw: Any, path: str, words: str) -> None:
    binding, problems = parse_binding("slokit", {"stream": "s", "groupBy": raw}, "total")
    assert binding is None
    assert [p.path for p in problems] == [path]
    assert words in problems[0].message and problems[0].hint


def test_group_by_is_refused_on_raw() -> None:
    _, problems = parse_binding("slokit", {"stream": "s", "groupBy": ["route"]}, "raw")
    assert "groupBy" in [p.path for p in problems]


@pytest.mark.parametrize("role", ["good", "bad"])
def test_pair_rule(role: Role) -> None:
    grouped = SlokitQuery("s", group_by=("route",))
    plain = SlokitQuery("s")
    assert check_group_pair(grouped, plain, role) == []
    assert check_group_pair(grouped, SlokitQuery("s", group_by=("route",)), role) == []
    [differs] = check_group_pair(grouped, SlokitQuery("s", group_by=("method",)), role)
    assert differs.path == "groupBy" and "differs" in differs.message and "[route]" in differs.hint
    [order] = check_group_pair(
        SlokitQuery("s", group_by=("a", "b")), SlokitQuery("s", group_by=("b", "a")), role
    )
    assert "differs" in order.message
    [alone] = check_group_pair(plain, grouped, role)
    assert "total has none" in alone.message


def test_errors_name_file_line_column_and_field(tmp_path: Path) -> None:
    text = ratio_spec('groupBy: [route, "route", 3]')
    found = errors_of(tmp_path, text)
    assert len(found) == 2, [d.format() for d in found]
    dup, number = found
    base = "spec.indicator.spec.ratioMetric.total.metricSource.spec."
    assert dup.path == base + "groupBy[1]" and number.path == base + "groupBy[2]"
    assert dup.location is not None and number.location is not None
    assert dup.location.file == str(tmp_path / "slos.yaml")
    assert (dup.location.line, dup.location.column) == position(text, "groupBy: [route", '"route"')
    assert (number.location.line, number.location.column) == position(text, "groupBy: [route", "3]")


def test_good_with_other_groups_is_located_at_its_group_by(tmp_path: Path) -> None:
    text = ratio_spec("groupBy: [route]", "groupBy: [method]")
    [error] = errors_of(tmp_path, text)
    assert error.path == "spec.indicator.spec.ratioMetric.good.metricSource.spec.groupBy"
    assert error.location is not None
    assert (error.location.line, error.location.column) == position(text, "groupBy: [method]", "[method]")
    assert "remove it here" in error.hint


def test_good_grouped_without_total_groups_is_an_error(tmp_path: Path) -> None:
    [error] = errors_of(tmp_path, ratio_spec("", "groupBy: [route]"))
    assert "total has none" in error.message


def test_group_by_survives_fmt(tmp_path: Path) -> None:
    spec = slokit.load(ratio_spec("groupBy: [route, method]", "groupBy: [route, method]"))
    again = slokit.load(dump_documents(documents(spec)))
    for loaded in (spec, again):
        ratio = loaded.slo("orders-ok").indicator.ratio_metric  # type: ignore[union-attr]
        assert ratio is not None and ratio.total is not None and ratio.good is not None
        assert ratio.total.binding == SlokitQuery("orders", None, None, ("route", "method"))
        assert isinstance(ratio.good.binding, SlokitQuery)
        assert ratio.good.binding.group_by == ("route", "method")
