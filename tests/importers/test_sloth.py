"""Sloth import: expected OpenSLO worked out by hand from Sloth's documented semantics.

Oracles: Sloth's spec types and validation (objective is a percentage in (0, 100], queries must
contain ``{{.window}}``, an alert name is needed while an alert is enabled, SLO labels override
the spec's labels, alert labels are ``alerting.labels`` overridden by the page/ticket alert's own,
the SLO id is ``<service>-<slo>``), and the test specs in ``tests/data/sloth/``, whose every
expected value below was derived from the file text, not from running the converter.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import slokit
from slokit.cli.main import cli
from slokit.errors import Diagnostic, SlokitError, SpecError
from slokit.importers.sloth import (
    convert_sloth,
    convert_sloth_files,
    openslo_name,
    parse_sloth,
    sloth_info,
)
from slokit.spec.dump import dump_documents

DATA = Path(__file__).resolve().parent.parent / "data" / "sloth"
ERRORS = DATA / "errors"


def by_name(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} named {name}, got {len(matches)}"
    return matches[0]


def diagnostics(exc: pytest.ExceptionInfo[SpecError]) -> list[Diagnostic]:
    return [d for d in exc.value.diagnostics if d.severity == "error"]


def only_error(source: str | Path, source_name: str | None = "spec.yml") -> Diagnostic:
    with pytest.raises(SpecError) as exc:
        parse_sloth(source, source_name=source_name)
    errors = diagnostics(exc)
    assert len(errors) == 1, [d.format() for d in errors]
    return errors[0]


# --- the events SLI, labels and alerting (checkout.yml) ---


def test_checkout_documents_and_order() -> None:
    docs = parse_sloth(DATA / "checkout.yml")
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("Service", "checkout-api"),
        ("SLO", "checkout-api-order-success"),
        ("SLO", "checkout-api-pay-latency-p99"),
    ]
    assert all(d["apiVersion"] == "openslo/v1" for d in docs)
    service = docs[0]
    assert service["metadata"]["annotations"] == {"sloth.slok.dev/service": "checkout-api"}
    assert "displayName" not in service["metadata"]


def test_events_slo_fields() -> None:
    slo = by_name(parse_sloth(DATA / "checkout.yml"), "SLO", "checkout-api-order-success")
    meta, spec = slo["metadata"], slo["spec"]
    assert meta["displayName"] == "order-success"
    # SLO labels override the spec-level ones (tier 1 -> 0); team comes from the spec level.
    assert meta["labels"] == {"team": "payments", "tier": "0", "journey": "checkout"}
    assert spec["description"] == "Orders placed without a server error."
    assert spec["service"] == "checkout-api"
    assert spec["timeWindow"] == [{"duration": "30d", "isRolling": True}]
    assert spec["budgetingMethod"] == "Occurrences"
    assert spec["objectives"] == [{"target": 0.9995}]
    ratio = spec["indicator"]["spec"]["ratioMetric"]
    assert spec["indicator"]["metadata"]["name"] == "checkout-api-order-success"
    assert ratio["counter"] is True
    assert ratio["bad"] == {
        "metricSource": {
            "type": "prometheus",
            "spec": {"query": 'sum(rate(checkout_orders_total{result="error"}[{{window}}]))'},
        }
    }
    # "{{ .window }}" (with spaces) is Sloth's placeholder too.
    assert ratio["total"]["metricSource"]["spec"]["query"] == "sum(rate(checkout_orders_total[{{window}}]))"
    assert set(ratio) == {"counter", "bad", "total"}


def test_alerting_kept_in_annotations() -> None:
    slo = by_name(parse_sloth(DATA / "checkout.yml"), "SLO", "checkout-api-order-success")
    ann = slo["metadata"]["annotations"]
    assert ann["sloth.slok.dev/service"] == "checkout-api"
    assert ann["sloth.slok.dev/slo"] == "order-success"
    assert ann["sloth.slok.dev/objective"] == "99.95"
    assert ann["sloth.slok.dev/source"] == "prometheus/v1"
    assert ann["sloth.slok.dev/alert-name"] == "CheckoutOrderErrors"
    assert json.loads(ann["sloth.slok.dev/alert-labels"]) == {"component": "orders"}
    assert json.loads(ann["sloth.slok.dev/alert-annotations"]) == {
        "summary": "Checkout orders are failing",
        "runbook": "https://runbooks.example.org/checkout/orders",
    }
    assert json.loads(ann["sloth.slok.dev/page-alert"]) == {
        "disable": False,
        "labels": {"severity": "critical", "route": "payments-oncall"},
        "annotations": {"summary": "Checkout orders burn the error budget fast"},
    }
    assert json.loads(ann["sloth.slok.dev/ticket-alert"]) == {
        "disable": False,
        "labels": {"severity": "warning"},
        "annotations": {},
    }


def test_sloth_names_become_rfc1123_names_and_disabled_page_alert() -> None:
    slo = by_name(parse_sloth(DATA / "checkout.yml"), "SLO", "checkout-api-pay-latency-p99")
    meta = slo["metadata"]
    assert meta["displayName"] == "pay_latency.p99"
    assert meta["annotations"]["sloth.slok.dev/slo"] == "pay_latency.p99"
    assert meta["labels"] == {"team": "payments", "tier": "1"}
    assert meta["annotations"]["sloth.slok.dev/objective"] == "99"
    assert slo["spec"]["objectives"] == [{"target": 0.99}]
    assert "description" not in slo["spec"]
    page = json.loads(meta["annotations"]["sloth.slok.dev/page-alert"])
    assert page == {"disable": True, "labels": {}, "annotations": {}}
    assert "sloth.slok.dev/alert-labels" not in meta["annotations"]
    ratio = slo["spec"]["indicator"]["spec"]["ratioMetric"]
    assert ratio["bad"]["metricSource"]["spec"]["query"] == (
        "sum(rate(checkout_pay_seconds_count[{{window}}]))\n"
        "-\n"
        'sum(rate(checkout_pay_seconds_bucket{le="0.8"}[{{window}}]))\n'
    )


# --- raw SLI, alerts off ---


def test_raw_sli_and_no_alerts() -> None:
    docs = parse_sloth(DATA / "raw-no-alerts.yml")
    slo = by_name(docs, "SLO", "search-shard-freshness")
    ratio = slo["spec"]["indicator"]["spec"]["ratioMetric"]
    assert ratio == {
        "counter": False,
        "rawType": "failure",
        "raw": {
            "metricSource": {
                "type": "prometheus",
                "spec": {"query": "1 - avg(avg_over_time(search_shard_fresh_ratio[{{window}}]))\n"},
            }
        },
    }
    assert slo["spec"]["objectives"] == [{"target": 0.975}]
    ann = slo["metadata"]["annotations"]
    assert "sloth.slok.dev/alert-name" not in ann
    assert json.loads(ann["sloth.slok.dev/page-alert"])["disable"] is True
    assert json.loads(ann["sloth.slok.dev/ticket-alert"])["disable"] is True
    assert "labels" not in slo["metadata"]


# --- several documents in one file ---


def test_multi_document_file() -> None:
    docs = parse_sloth(DATA / "multi.yml")
    # One Service per distinct service, first-seen order; SLOs in file order.
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("Service", "ledger"),
        ("Service", "notifier"),
        ("SLO", "ledger-writes"),
        ("SLO", "notifier-delivery"),
        ("SLO", "ledger-reads"),
    ]
    writes = by_name(docs, "SLO", "ledger-writes")
    reads = by_name(docs, "SLO", "ledger-reads")
    delivery = by_name(docs, "SLO", "notifier-delivery")
    assert writes["metadata"]["labels"] == {"owner": "finance-platform"}
    # The third document has no spec-level labels; its SLO's own label stands alone.
    assert reads["metadata"]["labels"] == {"owner": "ledger-team"}
    assert "labels" not in delivery["metadata"]
    assert [d["spec"]["objectives"][0]["target"] for d in (writes, delivery, reads)] == [0.999, 0.98, 0.995]
    ticket = json.loads(delivery["metadata"]["annotations"]["sloth.slok.dev/ticket-alert"])
    assert ticket["disable"] is True


# --- the Kubernetes resource ---


def test_kubernetes_prometheus_service_level() -> None:
    docs = parse_sloth(DATA / "k8s.yml")
    assert [d["metadata"]["name"] for d in docs] == [
        "inventory",
        "inventory-reservations",
        "inventory-sync-lag",
    ]
    reservations = by_name(docs, "SLO", "inventory-reservations")
    ann = reservations["metadata"]["annotations"]
    assert ann["sloth.slok.dev/source"] == "sloth.slok.dev/v1"
    assert json.loads(ann["sloth.slok.dev/k8s-metadata"]) == {
        "name": "inventory-slos",
        "namespace": "shop",
        "labels": {"app": "inventory"},
    }
    assert json.loads(ann["sloth.slok.dev/page-alert"])["labels"] == {"severity": "critical"}
    assert json.loads(ann["sloth.slok.dev/ticket-alert"])["disable"] is True
    assert reservations["metadata"]["labels"] == {"team": "stock"}
    ratio = reservations["spec"]["indicator"]["spec"]["ratioMetric"]
    assert ratio["bad"]["metricSource"]["spec"]["query"] == (
        'sum(rate(inventory_reservations_total{outcome="error"}[{{window}}]))'
    )
    lag = by_name(docs, "SLO", "inventory-sync-lag")
    assert lag["spec"]["indicator"]["spec"]["ratioMetric"]["raw"]["metricSource"]["spec"]["query"] == (
        "max(max_over_time(inventory_sync_stale_ratio[{{window}}]))"
    )
    assert lag["spec"]["objectives"] == [{"target": 0.95}]


# --- period, objective arithmetic, names ---


def test_period_option() -> None:
    docs = parse_sloth(DATA / "raw-no-alerts.yml", period="28d")
    assert by_name(docs, "SLO", "search-shard-freshness")["spec"]["timeWindow"] == [
        {"duration": "28d", "isRolling": True}
    ]
    for bad in ("1M", "30", "thirty days", "0d"):
        with pytest.raises(SlokitError, match="period"):
            parse_sloth(DATA / "raw-no-alerts.yml", period=bad)


@pytest.mark.parametrize(
    ("objective", "target", "written"),
    [
        ("99.9", 0.999, "99.9"),
        ("99.95", 0.9995, "99.95"),
        ("99.99", 0.9999, "99.99"),
        ("99.90", 0.999, "99.9"),
        ("97.5", 0.975, "97.5"),
        ("99", 0.99, "99"),
        ("50", 0.5, "50"),
        ("0.5", 0.005, "0.5"),
    ],
)
def test_objective_percent_to_fraction(objective: str, target: float, written: str) -> None:
    # 99.9 / 100 in binary floating point is 0.9990000000000001; the target must be 0.999 exactly
    # as a person would write it.
    docs = parse_sloth(spec_text(objective=objective))
    slo = docs[1]
    assert slo["spec"]["objectives"][0]["target"] == target
    assert slo["metadata"]["annotations"]["sloth.slok.dev/objective"] == written


def test_long_names_are_cut_with_a_hash() -> None:
    name = "a" * 70
    docs = parse_sloth(spec_text(name=name))
    expected_hash = hashlib.sha256(f"svc-{name}".encode()).hexdigest()[:8]
    slo_name = docs[1]["metadata"]["name"]
    assert len(slo_name) == 63
    assert slo_name.endswith("-" + expected_hash)
    assert slo_name.startswith("svc-aaaa")
    assert docs[1]["metadata"]["annotations"]["sloth.slok.dev/slo"] == name
    assert openslo_name("Checkout_API.v2") == "checkout-api-v2"


# --- the converted spec loads, and the Sloth data comes back ---


@pytest.mark.parametrize("name", ["checkout.yml", "raw-no-alerts.yml", "multi.yml", "k8s.yml"])
def test_converted_specs_load_and_validate(name: str) -> None:
    docs = parse_sloth(DATA / name)
    spec = slokit.load(dump_documents(docs))
    expected = [d["metadata"]["name"] for d in docs if d["kind"] == "SLO"]
    assert sorted(spec.slos) == sorted(expected)
    for doc in docs:
        if doc["kind"] != "SLO":
            continue
        slo = spec.slo(doc["metadata"]["name"])
        assert slo.objectives[0].target == doc["spec"]["objectives"][0]["target"]
        assert str(slo.time_window.duration) == "30d" and slo.time_window.is_rolling
        assert slo.indicator is not None and slo.indicator.ratio_metric is not None
        ratio = slo.indicator.ratio_metric
        want = doc["spec"]["indicator"]["spec"]["ratioMetric"]
        for role in ("bad", "total", "raw"):
            source = getattr(ratio, role)
            if role not in want:
                assert source is None
                continue
            assert source.binding is not None
            assert source.binding.query == want[role]["metricSource"]["spec"]["query"]


def test_sloth_info_round_trip_through_the_loader() -> None:
    spec = slokit.load(dump_documents(parse_sloth(DATA / "checkout.yml")))
    info = sloth_info(spec.slo("checkout-api-order-success").metadata.annotations)
    assert info is not None
    assert info.sloth_id == "checkout-api-order-success"
    assert info.objective == "99.95"
    assert info.alert_name == "CheckoutOrderErrors"
    # Sloth's page alert labels: alerting.labels overridden by page_alert.labels.
    assert info.alert_labels_for(info.page_alert) == {
        "component": "orders",
        "severity": "critical",
        "route": "payments-oncall",
    }
    assert info.alert_annotations_for(info.page_alert) == {
        "summary": "Checkout orders burn the error budget fast",
        "runbook": "https://runbooks.example.org/checkout/orders",
    }
    assert info.alert_annotations_for(info.ticket_alert)["summary"] == "Checkout orders are failing"
    assert info.labels == {}  # not asked for
    latency_meta = spec.slo("checkout-api-pay-latency-p99").metadata
    latency = sloth_info(latency_meta.annotations, latency_meta.labels)
    assert latency is not None and latency.sloth_id == "checkout-api-pay_latency.p99"
    assert latency.labels == {"team": "payments", "tier": "1"}
    assert latency.page_alert.disable and not latency.ticket_alert.disable
    assert sloth_info({}) is None
    base = {"sloth.slok.dev/service": "s", "sloth.slok.dev/slo": "x"}
    with pytest.raises(SlokitError, match="page-alert"):
        sloth_info({**base, "sloth.slok.dev/page-alert": "{"})
    with pytest.raises(SlokitError, match="true or false"):
        sloth_info({**base, "sloth.slok.dev/page-alert": '{"disable": "false"}'})
    with pytest.raises(SlokitError, match="2 values"):
        sloth_info(base, {"team": ("a", "b")})


# --- errors in files, with positions ---


def test_error_objective_101() -> None:
    d = only_error(ERRORS / "objective-101.yml", None)
    assert (d.location.line, d.location.column) == (5, 16)  # type: ignore[union-attr]
    assert d.location.file.endswith("objective-101.yml")  # type: ignore[union-attr]
    assert d.path == "slos[0].objective"
    assert "101" in d.message and "out of range" in d.message
    assert "at most 100" in d.hint


def test_error_missing_service() -> None:
    d = only_error(ERRORS / "missing-service.yml", None)
    assert d.path == "service"
    assert "required" in d.message
    assert (d.location.line, d.location.column) == (1, 1)  # type: ignore[union-attr]


def test_error_plugin_sli_names_slo_and_field() -> None:
    d = only_error(ERRORS / "plugin-sli.yml", None)
    assert d.path == "slos[1].sli.plugin"
    assert (d.location.line, d.location.column) == (15, 7)  # type: ignore[union-attr]
    assert "'payouts'" in d.message and "acme/payout_availability" in d.message
    assert "cannot be converted" in d.message


def test_error_unknown_field() -> None:
    with pytest.raises(SpecError) as exc:
        parse_sloth(ERRORS / "unknown-field.yml")
    errors = {d.path: d for d in diagnostics(exc)}
    assert set(errors) == {"slos[0].objetive", "slos[0].objective"}
    typo = errors["slos[0].objetive"]
    assert (typo.location.line, typo.location.column) == (5, 5)  # type: ignore[union-attr]
    assert "did you mean 'objective'" in typo.hint
    assert "required" in errors["slos[0].objective"].message


def test_error_yaml_syntax() -> None:
    with pytest.raises(SpecError) as exc:
        parse_sloth(ERRORS / "syntax.yml")
    (d,) = diagnostics(exc)
    assert d.message.startswith("YAML syntax error")
    # The string opened on line 6 runs until the quote inside the query on line 9; PyYAML
    # notices there, right after that quote (column 49), that no key follows.
    assert (d.location.line, d.location.column) == (9, 50)  # type: ignore[union-attr]


# --- errors in inline specs ---

SPEC = """\
version: "prometheus/v1"
service: "svc"
slos:
  - name: "{name}"
    objective: {objective}
    labels: {labels}
    sli:
      events:
        error_query: {error}
        total_query: {total}
    alerting: {alerting}
"""


def spec_text(**kw: str) -> str:
    values = {
        "name": "requests",
        "objective": "99.9",
        "labels": "{}",
        "error": 'sum(rate(x{code="500"}[{{.window}}]))',
        "total": "sum(rate(x[{{.window}}]))",
        "alerting": "{name: Requests}",
    }
    values.update(kw)
    return SPEC.format(**values)


@pytest.mark.parametrize(
    ("change", "path", "line", "column", "words"),
    [
        ({"objective": "100"}, "slos[0].objective", 5, 16, "no error budget"),
        ({"objective": "0"}, "slos[0].objective", 5, 16, "out of range"),
        ({"objective": "-5"}, "slos[0].objective", 5, 16, "out of range"),
        ({"objective": '"99.9"'}, "slos[0].objective", 5, 16, "remove the quotes"),
        ({"objective": "true"}, "slos[0].objective", 5, 16, "must be a number"),
        ({"name": "x"}, "slos[0].name", 4, 11, "not valid"),
        ({"name": "-requests"}, "slos[0].name", 4, 11, "not valid"),
        ({"labels": "{tier: 2}"}, "slos[0].labels.tier", 6, 20, "must be strings"),
        ({"labels": '{tier: ""}'}, "slos[0].labels.tier", 6, 20, "must not be empty"),
        ({"labels": '{__name__: "x"}'}, "slos[0].labels.__name__", 6, 14, "not allowed"),
        ({"error": "sum(rate(x[5m]))"}, "slos[0].sli.events.error_query", 9, 22, "{{.window}}"),
        ({"error": "sum(rate(x[{{.window}}]))"}, "slos[0].sli.events.total_query", 10, 22, "the same"),
        ({"alerting": "{}"}, "slos[0].alerting.name", 11, 15, "alert name is required"),
        ({"alerting": "null"}, "slos[0].alerting.name", 4, 5, "alert name is required"),
        # column of "{{.job}}" inside the query: the value starts at 22, "sum(rate(x{job=\"" is 16 long
        (
            {"error": 'sum(rate(x{job="{{.job}}"}[{{.window}}]))'},
            "slos[0].sli.events.error_query",
            9,
            38,
            "{{.job}}",
        ),
        # the first "(" (column 25) is never closed
        ({"error": "sum(rate(x[{{.window}}])"}, "slos[0].sli.events.error_query", 9, 25, "never closed"),
        (
            {"alerting": "{name: A, page_alert: {disable: yes}, ticket_alert: {labels: {severity: 3}}}"},
            "slos[0].alerting.ticket_alert.labels.severity",
            11,
            87,
            "must be strings",
        ),
        ({"alerting": "{name: A, pager: {}}"}, "slos[0].alerting.pager", 11, 25, "unknown field"),
    ],
)
def test_inline_errors(change: dict[str, str], path: str, line: int, column: int, words: str) -> None:
    d = only_error(spec_text(**change))
    assert d.path == path
    assert d.location is not None and (d.location.file, d.location.line, d.location.column) == (
        "spec.yml",
        line,
        column,
    )
    assert words in d.message + " " + d.hint


def test_empty_label_values_are_checked_after_merging() -> None:
    group = 'service: "svc"\nlabels:\n  tier: ""\n'
    # The SLO overrides the empty spec-level value: fine for Sloth.
    docs = parse_sloth(spec_text(labels='{tier: "1"}').replace('service: "svc"\n', group))
    assert docs[1]["metadata"]["labels"] == {"tier": "1"}
    # Not overridden: one error at the spec-level value (line 4, column 9), although two SLOs inherit it.
    two = spec_text().replace('service: "svc"\n', group) + spec_text(name="other").split("slos:\n", 1)[1]
    d = only_error(two)
    assert d.path == "labels.tier" and d.location is not None
    assert (d.location.line, d.location.column) == (4, 9)


def test_empty_alert_values_are_checked_per_enabled_alert_after_merging() -> None:
    # alerting.labels.team is empty, but both enabled alerts override it: valid for Sloth.
    ok = "{name: A, labels: {team: ''}, page_alert: {labels: {team: a}}, ticket_alert: {labels: {team: b}}}"
    ann = parse_sloth(spec_text(alerting=ok))[1]["metadata"]["annotations"]
    assert json.loads(ann["sloth.slok.dev/alert-labels"]) == {"team": ""}
    # The ticket alert does not override it: one error, at the common value.
    bad = "{name: A, labels: {team: ''}, page_alert: {labels: {team: a}}}"
    d = only_error(spec_text(alerting=bad))
    assert d.path == "slos[0].alerting.labels.team" and "must not be empty" in d.message
    line = spec_text(alerting=bad).splitlines()[10]
    assert d.location is not None and d.location.column == line.index("''") + 1


def test_disabled_alerts_need_no_name_and_may_have_empty_values() -> None:
    # Sloth only checks the alert metadata of enabled alerts.
    docs = parse_sloth(
        spec_text(alerting='{page_alert: {disable: true, labels: {a: ""}}, ticket_alert: {disable: true}}')
    )
    assert "sloth.slok.dev/alert-name" not in docs[1]["metadata"]["annotations"]


def test_position_inside_a_literal_block() -> None:
    text = spec_text(error="|\n          sum(rate(x[{{.window}}]))\n            / (2")
    # Line 9 holds "error_query: |"; the block is indented 10 spaces; line 11 is
    # "            / (2" whose "(" (column 15) is never closed.
    assert text.splitlines()[10] == "            / (2"
    d = only_error(text)
    assert d.location is not None and (d.location.line, d.location.column) == (11, 15)
    assert "never closed" in d.message


def test_both_sli_types_and_missing_sli() -> None:
    both = spec_text(total="sum(rate(x[{{.window}}]))\n      raw:\n        error_ratio_query: x[{{.window}}]")
    d = only_error(both)
    assert d.path == "slos[0].sli.raw" and "only one SLI type" in d.message
    none = 'version: "prometheus/v1"\nservice: svc\nslos:\n  - name: ab\n    objective: 99\n    sli: {}\n'
    with pytest.raises(SpecError) as exc:
        parse_sloth(none)
    assert any("one of 'events' or 'raw'" in d.message for d in diagnostics(exc))


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        ('version: "prometheus/v2"\nservice: a\nslos: []\n', "version", "unsupported Sloth spec version"),
        (
            "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {}\n",
            "apiVersion",
            "holds OpenSLO",
        ),
        ("apiVersion: sloth.slok.dev/v1\nkind: ServiceLevel\nspec: {}\n", "kind", "unsupported resource"),
        ("service: a\nslos: []\n", "", "no 'version' field"),
        ("- a\n- b\n", "", "must be a mapping"),
        ('version: "prometheus/v1"\nservice: "svc"\nslos: []\n', "slos", "at least one SLO"),
        ('version: "prometheus/v1"\nservice: "svc"\n', "slos", "required"),
        ("# nothing here\n", "", "empty"),
        ("", "", "empty"),
    ],
)
def test_document_level_errors(text: str, path: str, words: str) -> None:
    with pytest.raises(SpecError) as exc:
        parse_sloth(text, source_name="spec.yml")
    errors = diagnostics(exc)
    assert any(d.path == path and words in d.message + d.hint for d in errors), [e.format() for e in errors]


def test_duplicate_and_colliding_slos() -> None:
    # Across documents: the second spec starts on line 14, its SLO name is on line 17.
    d = only_error("---\n" + spec_text() + "---\n" + spec_text())
    assert "defined twice" in d.message and d.location is not None and d.location.line == 17
    assert "first at spec.yml:5:11" in d.message
    # Within one document: the second list item's name is on line 12.
    d = only_error(spec_text() + spec_text().split("slos:\n", 1)[1])
    assert "defined twice" in d.message and d.location is not None and d.location.line == 12
    collide = spec_text(name="a_b") + "---\n" + spec_text(name="a-b")
    d = only_error(collide)
    assert "both become OpenSLO SLO 'svc-a-b'" in d.message


# --- several files converted together ---


def test_files_sharing_a_service_become_one_service(tmp_path: Path) -> None:
    one = tmp_path / "a.yaml"
    two = tmp_path / "sub" / "b.yml"
    two.parent.mkdir()
    one.write_text(spec_text(name="reads"))
    two.write_text(spec_text(name="writes"))
    (tmp_path / "notes.txt").write_text("not a spec")
    conv = convert_sloth_files([tmp_path])
    assert [(d["kind"], d["metadata"]["name"]) for d in conv.documents] == [
        ("Service", "svc"),
        ("SLO", "svc-reads"),
        ("SLO", "svc-writes"),
    ]
    assert len(slokit.load(dump_documents(conv.documents)).slos) == 2
    # One by one, each output defines the service: loading both together fails on the duplicate.
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    (outputs / "1.yaml").write_text(dump_documents(parse_sloth(one)))
    (outputs / "2.yaml").write_text(dump_documents(parse_sloth(two)))
    with pytest.raises(SpecError, match="defined twice"):
        slokit.load(outputs)


def test_files_errors_name_their_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(spec_text())
    (tmp_path / "b.yaml").write_text(spec_text())
    (tmp_path / "c.yaml").write_text(spec_text(objective="101"))
    with pytest.raises(SpecError) as exc:
        convert_sloth_files([tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"])
    found = sorted(
        (Path(d.location.file).name, d.location.line, d.path) for d in diagnostics(exc) if d.location
    )
    assert found == [("b.yaml", 4, "slos[0].name"), ("c.yaml", 5, "slos[0].objective")]
    twice = [d for d in diagnostics(exc) if "defined twice" in d.message]
    assert len(twice) == 1 and "a.yaml:4:11" in twice[0].message


def test_openslo_file_is_reported_once() -> None:
    text = "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: a}\nspec: {}\n---\n" * 3
    with pytest.raises(SpecError) as exc:
        parse_sloth(text)
    assert len(diagnostics(exc)) == 1


# --- warnings: valid Sloth that converts with a caveat ---


def test_warnings() -> None:
    conv = convert_sloth(spec_text(objective="0.999", labels='{_private: "1", team: "a"}'))
    messages = [w.message for w in conv.warnings]
    assert any("0.999 %, not 99.9 %" in m for m in messages)
    assert any("_private" in m for m in messages)
    slo = conv.documents[1]
    assert slo["metadata"]["labels"] == {"team": "a"}
    assert json.loads(slo["metadata"]["annotations"]["sloth.slok.dev/extra-labels"]) == {"_private": "1"}
    info = sloth_info(slo["metadata"]["annotations"], slo["metadata"]["labels"])
    assert info is not None and info.labels == {"team": "a", "_private": "1"}
    assert slo["spec"]["objectives"] == [{"target": 0.00999}]


def test_slo_plugins_are_kept_in_order() -> None:
    text = spec_text().replace(
        'service: "svc"\n',
        'service: "svc"\nslo_plugins:\n  chain:\n    - id: "group/one"\n      priority: 10\n',
    )
    text = text.replace(
        "    objective: 99.9\n",
        "    objective: 99.9\n    plugins:\n      chain:\n"
        '        - id: "slo/two"\n          config: {k: v}\n',
    )
    conv = convert_sloth(text)
    chain = json.loads(conv.documents[1]["metadata"]["annotations"]["sloth.slok.dev/slo-plugins"])
    # Sloth's order: the spec's chain, then the SLO's own.
    assert chain == {
        "overridePrevious": False,
        "chain": [{"id": "group/one", "priority": 10}, {"id": "slo/two", "config": {"k": "v"}}],
    }
    assert any("does not run them" in w.message for w in conv.warnings)
    overriding = text.replace(
        "    plugins:\n      chain:", "    plugins:\n      overridePrevious: true\n      chain:"
    )
    chain = json.loads(
        convert_sloth(overriding).documents[1]["metadata"]["annotations"]["sloth.slok.dev/slo-plugins"]
    )
    assert chain == {"overridePrevious": True, "chain": [{"id": "slo/two", "config": {"k": "v"}}]}


# --- robustness ---


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_specs_raise_only_slokit_errors(data: st.DataObject) -> None:
    text = (DATA / "checkout.yml").read_text()
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["delete", "insert", "cut-line"]))
        if action == "delete":
            text = text[:at] + text[at + data.draw(st.integers(1, 8)) :]
        elif action == "insert":
            text = (
                text[:at]
                + data.draw(st.sampled_from([":", "- ", "{", '"', "\n  ", "\t", "[", "0", "&a", "*a"]))
                + text[at:]
            )
        else:
            lines = text.splitlines(keepends=True)
            if lines:
                del lines[at % len(lines)]
            text = "".join(lines)
    try:
        docs = parse_sloth(text, source_name="mutated.yml")
    except SlokitError:
        return
    # Whatever still converts must be a spec slokit accepts.
    yaml.safe_load_all(dump_documents(docs))
    slokit.load(dump_documents(docs))


# --- the command ---


def run(args: list[str], stdin: str | None = None) -> Any:
    return CliRunner().invoke(cli, args, input=stdin)


def test_cli_stdout_and_help() -> None:
    result = run(["convert", "--from", "sloth", "--to", "openslo", str(DATA / "checkout.yml")])
    assert result.exit_code == 0, result.output
    docs = list(yaml.safe_load_all(result.stdout))
    assert [d["metadata"]["name"] for d in docs] == [
        "checkout-api",
        "checkout-api-order-success",
        "checkout-api-pay-latency-p99",
    ]
    help_result = run(["convert", "--help"])
    assert help_result.exit_code == 0
    assert "slokit convert --from sloth" in help_result.output and "--period" in help_result.output


def test_cli_period_and_stdin() -> None:
    text = (DATA / "raw-no-alerts.yml").read_text()
    result = run(["convert", "--from", "sloth", "--period", "28d", "-"], stdin=text)
    assert result.exit_code == 0, result.output
    slo = list(yaml.safe_load_all(result.stdout))[1]
    assert slo["spec"]["timeWindow"] == [{"duration": "28d", "isRolling": True}]
    binary = CliRunner().invoke(cli, ["convert", "--from", "sloth", "-"], input=b"\x00\x01\xff")
    assert binary.exit_code == 1 and "binary" in binary.stderr


def test_cli_writes_output_file_atomically(tmp_path: Path) -> None:
    out = tmp_path / "slos.yaml"
    result = run(["convert", "--from", "sloth", str(DATA / "multi.yml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 3 SLOs" in result.stderr
    assert len(slokit.load(out).slos) == 3
    assert os.listdir(tmp_path) == ["slos.yaml"]


def test_cli_several_files_and_folders(tmp_path: Path) -> None:
    folder = tmp_path / "sloth"
    folder.mkdir()
    (folder / "reads.yaml").write_text(spec_text(name="reads"))
    out = tmp_path / "all.yaml"
    result = run(["convert", "--from", "sloth", str(folder), str(DATA / "k8s.yml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    spec = slokit.load(out)
    assert sorted(spec.slos) == ["inventory-reservations", "inventory-sync-lag", "svc-reads"]
    assert sorted(spec.services) == ["inventory", "svc"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(["convert", "--from", "sloth", str(empty)]).exit_code == 2
    assert run(["convert", "--from", "sloth", "-", str(DATA / "k8s.yml")], stdin="").exit_code == 2


def test_cli_invalid_input_keeps_the_old_output(tmp_path: Path) -> None:
    out = tmp_path / "slos.yaml"
    out.write_text("previous content\n")
    result = run(["convert", "--from", "sloth", str(ERRORS / "objective-101.yml"), "-o", str(out)])
    assert result.exit_code == 1
    assert "objective-101.yml:5:16" in result.stderr and "slos[0].objective" in result.stderr
    assert out.read_text() == "previous content\n"
    assert os.listdir(tmp_path) == ["slos.yaml"]


def test_cli_failed_rename_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "slos.yaml"
    out.write_text("previous content\n")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    result = run(["convert", "--from", "sloth", str(DATA / "checkout.yml"), "-o", str(out)])
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert out.read_text() == "previous content\n"
    assert os.listdir(tmp_path) == ["slos.yaml"]


@pytest.mark.parametrize(
    "args",
    [
        ["convert", "--from", "sloth", "no-such-file.yml"],
        ["convert", "--from", "sloth", "--period", "1M", str(DATA / "checkout.yml")],
        ["convert", "--from", "pyrra", str(DATA / "checkout.yml")],
        ["convert", "--from", "sloth", "--to", "sloth", str(DATA / "checkout.yml")],
        ["convert", str(DATA / "checkout.yml")],
        # -o creates missing folders, but never writes over a folder or beneath a regular file.
        ["convert", "--from", "sloth", str(DATA / "checkout.yml"), "-o", str(DATA)],
        ["convert", "--from", "sloth", str(DATA / "checkout.yml"), "-o", str(DATA / "checkout.yml" / "o")],
    ],
)
def test_cli_usage_errors_exit_2(args: list[str]) -> None:
    result = run(args)
    assert result.exit_code == 2, result.output


def test_cli_plugin_error_exit_1() -> None:
    result = run(["convert", "--from", "sloth", str(ERRORS / "plugin-sli.yml")])
    assert result.exit_code == 1
    assert "plugin-sli.yml:15:7" in result.stderr and "Traceback" not in result.output


def test_override_with_an_empty_chain() -> None:
    # Sloth checks the chain each SLO ends up with: a spec-level override with no plugins is
    # fine when the SLO brings its own, and an error when nothing is left.
    group_override = 'service: "svc"\nslo_plugins:\n  overridePrevious: true\n  chain: []\n'
    own = '    objective: 99.9\n    plugins:\n      chain:\n        - id: "slo/own"\n'
    ok = spec_text().replace('service: "svc"\n', group_override).replace("    objective: 99.9\n", own)
    chain = json.loads(parse_sloth(ok)[1]["metadata"]["annotations"]["sloth.slok.dev/slo-plugins"])
    assert chain == {"overridePrevious": True, "chain": [{"id": "slo/own"}]}
    d = only_error(spec_text().replace('service: "svc"\n', group_override))
    assert d.path == "slos[0].plugins" and "overridePrevious" in d.message
