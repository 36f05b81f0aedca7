"""metricSource specs of type slokit and prometheus: what becomes a binding, what is a problem."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import slokit
from slokit.spec.bindings import (
    BindingProblem,
    Role,
    check_ratio_pair,
    parse_binding,
    promql_shape_problem,
)
from slokit.spec.model import PrometheusQuery, SlokitQuery
from slokit.spec.predicate import parse_predicate


def problems_of(source_type: str, spec: Any, role: Role) -> list[BindingProblem]:
    binding, problems = parse_binding(source_type, spec, role)
    assert (binding is None) == bool(problems), "a binding comes back exactly when there is no problem"
    return problems


def only_problem(source_type: str, spec: Any, role: Role) -> BindingProblem:
    problems = problems_of(source_type, spec, role)
    assert len(problems) == 1, problems
    return problems[0]


# --- type: slokit ---


@pytest.mark.parametrize("role", ["good", "bad", "total"])
def test_slokit_ratio_source(role: Role) -> None:
    binding, problems = parse_binding("slokit", {"stream": "orders", "where": "status < 500"}, role)
    assert problems == []
    assert binding == SlokitQuery("orders", parse_predicate("status < 500"), None)


def test_slokit_where_is_optional() -> None:
    assert parse_binding("slokit", {"stream": "a.b-c_1"}, "total") == (SlokitQuery("a.b-c_1"), [])


def test_slokit_threshold_source_needs_value() -> None:
    binding, problems = parse_binding(
        "slokit", {"stream": "orders", "where": "route = '/o'", "value": "latency_ms"}, "threshold"
    )
    assert problems == []
    assert binding == SlokitQuery("orders", parse_predicate("route = '/o'"), "latency_ms")
    problem = only_problem("slokit", {"stream": "orders"}, "threshold")
    assert problem.path == "value" and "required" in problem.message


@pytest.mark.parametrize("role", ["good", "bad", "total"])
def test_slokit_value_is_forbidden_outside_threshold(role: Role) -> None:
    problem = only_problem("slokit", {"stream": "orders", "value": "latency_ms"}, role)
    assert problem.path == "value"
    assert f"ratioMetric.{role}" in problem.message


def test_slokit_stream_rules() -> None:
    assert only_problem("slokit", {}, "total").path == "stream"
    for bad in ["Orders", "-orders", "orders events", "", "ä", "x" * 129]:
        problem = only_problem("slokit", {"stream": bad}, "total")
        assert problem.path == "stream" and "not a valid stream name" in problem.message, bad
    problem = only_problem("slokit", {"stream": 5}, "total")
    assert "not a number" in problem.message


def test_slokit_where_errors_carry_offset_and_hint() -> None:
    problem = only_problem("slokit", {"stream": "s", "where": 'status = "500"'}, "good")
    assert problem.path == "where"
    assert problem.offset == 9
    assert "single quotes" in problem.hint
    problem = only_problem("slokit", {"stream": "s", "where": 500}, "good")
    assert problem.path == "where" and problem.offset is None and "not a number" in problem.message


def test_slokit_unknown_keys_are_problems_with_suggestions() -> None:
    problem = only_problem("slokit", {"stream": "s", "wehre": "a = 1"}, "total")
    assert problem.path == "wehre"
    assert "did you mean 'where'?" in problem.hint
    problem = only_problem("slokit", {"stream": "s", "Stream": "t"}, "total")
    assert "did you mean 'stream'?" in problem.hint
    problem = only_problem("slokit", {"stream": "s", "query": "up"}, "total")
    assert problem.hint == "allowed: stream, where, value, groupBy"


def test_slokit_reports_every_problem_at_once() -> None:
    problems = problems_of("slokit", {"stream": "S", "where": "a =", "value": "v", "extra": 1}, "good")
    assert sorted(p.path for p in problems) == ["extra", "stream", "value", "where"]


def test_slokit_cannot_be_raw() -> None:
    assert only_problem("slokit", {"stream": "s"}, "raw").path == ""


def test_spec_must_be_a_mapping() -> None:
    for source_type in ("slokit", "prometheus"):
        problem = only_problem(source_type, ["stream"], "total")
        assert problem.path == "" and "mapping" in problem.message


# --- unknown types are left alone ---


@pytest.mark.parametrize("source_type", [None, "datadog", "newrelic", "Prometheus", "Slokit", "cloudwatch"])
def test_other_types_are_opaque(source_type: str | None) -> None:
    assert parse_binding(source_type, {"query": "anything { at all"}, "good") == (None, [])


# --- type: prometheus ---


@pytest.mark.parametrize("role", ["good", "bad", "total"])
def test_prometheus_ratio_query(role: Role) -> None:
    query = 'sum(rate(http_requests_total{code!~"5.."}[{{window}}]))'
    assert parse_binding("prometheus", {"query": query}, role) == (PrometheusQuery(query=query), [])


@pytest.mark.parametrize("role", ["good", "bad", "total"])
def test_prometheus_ratio_query_needs_window_placeholder(role: Role) -> None:
    problem = only_problem("prometheus", {"query": "sum(rate(x[5m]))"}, role)
    assert problem.path == "query" and "{{window}}" in problem.message


def test_prometheus_raw_and_threshold_queries_need_no_placeholder() -> None:
    for role in ("raw", "threshold"):
        binding, problems = parse_binding("prometheus", {"query": "slo:error_ratio:5m"}, role)
        assert problems == [] and binding == PrometheusQuery(query="slo:error_ratio:5m")


def test_prometheus_other_placeholder_spellings_are_named() -> None:
    problem = only_problem("prometheus", {"query": "sum(rate(x[{{.window}}]))"}, "good")
    assert problem.offset == 11 and "{{.window}}" in problem.message and "{{window}}" in problem.hint
    problem = only_problem("prometheus", {"query": "sum(rate(x[{{ window }}]))"}, "good")
    assert "unknown placeholder" in problem.message
    problem = only_problem("prometheus", {"query": "sum(rate(x{job='{{job}}'}[{{window}}]))"}, "good")
    assert "'{{job}}'" in problem.message


@pytest.mark.parametrize(
    ("query", "offset", "message"),
    [
        ("sum(rate(x[{{window}}])", 3, "'(' is never closed"),
        ("sum(rate(x[{{window}}))", 21, "')' closes the bracket '[' opened at character 11"),
        ("sum(rate(x[{{window}}])) / (y[{{window}}]", 27, "'(' is never closed"),
        ('sum(rate(x{code="5..}[{{window}}]))', 16, 'string starting with " is not closed'),
        ("sum(rate(x[{{window}}])))", 24, "has no opening one"),
        ("sum(rate(x[{{window}}] ) ) ]", 27, "has no opening one"),
    ],
)
def test_prometheus_query_shape(query: str, offset: int, message: str) -> None:
    problem = only_problem("prometheus", {"query": query}, "total")
    assert problem.path == "query"
    assert problem.offset == offset, problem
    assert message in problem.message


def test_promql_shape_ignores_brackets_in_strings_and_comments() -> None:
    assert promql_shape_problem("sum(x{a=\"(\", b='}', c=`]`})") is None
    assert promql_shape_problem('x{a="\\"("}') is None
    assert promql_shape_problem("sum(x) # trailing ( comment") is None
    assert promql_shape_problem("sum(x # a comment )\n)") is None


@given(st.text(alphabet="()[]{}\"'`\\x# \n", max_size=20))
def test_promql_shape_never_crashes_and_points_inside(text: str) -> None:
    problem = promql_shape_problem(text)
    if problem is not None:
        assert 0 <= problem[1] < len(text)


def test_prometheus_classic_and_native_histograms() -> None:
    spec = {"histogram": "http_request_duration_seconds", "selector": '{job="api", route!~"/health.*"}'}
    binding, problems = parse_binding("prometheus", spec, "threshold")
    assert problems == []
    assert binding == PrometheusQuery(
        histogram="http_request_duration_seconds", selector='{job="api", route!~"/health.*"}'
    )
    binding, problems = parse_binding("prometheus", {"histogram": "rpc_latency", "native": True}, "threshold")
    assert problems == [] and binding == PrometheusQuery(histogram="rpc_latency", native=True)


@pytest.mark.parametrize(
    ("spec", "path", "message"),
    [
        ({"histogram": "x_bucket"}, "histogram", "not one of its series"),
        ({"histogram": "x{job='a'}"}, "histogram", "not a Prometheus metric name"),
        ({"histogram": "x", "native": "yes"}, "native", "true or false"),
        ({"histogram": "x", "selector": 'job="a"'}, "selector", "in braces"),
        ({"histogram": "x", "selector": '{job="a" env="b"}'}, "selector", "expected ','"),
        ({"histogram": "x", "selector": "{job=a}"}, "selector", "expected a label matcher"),
        ({"histogram": "x", "selector": '{le="0.5"}'}, "selector", "'le' is set by slokit"),
        ({"histogram": "x", "query": "y"}, "", "not both"),
        ({}, "", "needs 'histogram'"),
        ({"query": "up", "selector": '{a="b"}'}, "selector", "only applies together with 'histogram'"),
    ],
)
def test_prometheus_threshold_problems(spec: dict[str, Any], path: str, message: str) -> None:
    problem = only_problem("prometheus", spec, "threshold")
    assert problem.path == path
    assert message in problem.message


def test_prometheus_histogram_only_for_threshold() -> None:
    problems = problems_of("prometheus", {"histogram": "x"}, "good")
    assert any(p.path == "histogram" and "thresholdMetric" in p.message for p in problems)


def test_prometheus_unknown_key_and_missing_query() -> None:
    problems = problems_of("prometheus", {"qeury": "up"}, "total")
    assert {p.path for p in problems} == {"qeury", "query"}
    assert any("did you mean 'query'?" in p.hint for p in problems)


# --- ratio pairs ---


def test_ratio_pair_must_share_a_stream() -> None:
    total = SlokitQuery("orders")
    assert check_ratio_pair(total, SlokitQuery("orders", parse_predicate("status < 500")), "good") == []
    [problem] = check_ratio_pair(total, SlokitQuery("payments"), "good")
    assert problem.path == "stream" and "'orders'" in problem.hint
    [problem] = check_ratio_pair(total, PrometheusQuery(query="x[{{window}}]"), "bad")
    assert "different metric source types" in problem.message


# --- the examples in docs/bindings.md load ---

DOC = Path(__file__).resolve().parents[2] / "docs" / "bindings.md"


def doc_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_documented_examples_load() -> None:
    blocks = doc_blocks()
    assert len(blocks) >= 5
    for block in blocks:
        if not block.startswith("apiVersion"):
            # A fragment of an SLI spec: wrap it into a whole SLI.
            body = textwrap.indent(textwrap.dedent(block), "  ")
            block = f"apiVersion: openslo/v1\nkind: SLI\nmetadata:\n  name: doc-example\nspec:\n{body}"
        spec = slokit.load(block)
        sources = [
            m
            for sli in [*spec.slis.values(), *(s.indicator for s in spec.slos.values() if s.indicator)]
            for m in (
                [sli.threshold_metric.source]
                if sli.threshold_metric
                else [x for x in (sli.ratio_metric.good, sli.ratio_metric.bad, sli.ratio_metric.total) if x]
                if sli.ratio_metric
                else []
            )
        ]
        assert sources, block
        assert all(m.binding is not None for m in sources), block
