"""slokit judges the OpenSLO project's own examples and fixtures the way the spec judges them.

Set ``SLOKIT_OPENSLO_REPO`` to a checkout of github.com/OpenSLO/OpenSLO (its ``examples/``, and in
checkouts before March 2024 the JSON-schema fixtures under ``schema-test/spec-files/`` with their
verdicts in ``schema-test/schema_test.go``) and/or of github.com/OpenSLO/go-sdk
(``pkg/openslo/v1*/examples``, ``pkg/openslosdk/test_data``); several paths are separated by
``os.pathsep``. Nothing from those repositories is stored here: the verdicts are read from the
checkout, and where slokit deliberately disagrees, the table below says why, and the test checks
that the error slokit reports is that reason.

Each file is loaded on its own, so a reference to an object defined in another fixture file
cannot resolve; for files the upstream judges valid, "is not defined" errors are accepted (and
counted) and nothing else.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

import slokit
from slokit.errors import Diagnostic, SpecError

ENV = "SLOKIT_OPENSLO_REPO"

#: relative path (or "path@sha256-prefix" for one version of a file) → (path prefix of the expected
#: error, why). Files not listed take the upstream verdict.
EXPECTED_INVALID: dict[str, tuple[str, str]] = {
    # OpenSLO examples/ (keyed with the file's sha256 prefix where versions differ): illustrations in
    # the spec repository. The 2024 versions do not follow the v1 schema; later ones fixed the typos.
    "examples/budgeting-method/occurences-slo.yaml@ecc2366a53e1": (
        "spec.objective",
        "'objective' for 'objectives'",
    ),
    "examples/budgeting-method/timeslices-slo.yaml@fee0e98d306f": (
        "spec.objective",
        "'objective' for 'objectives'",
    ),
    "examples/treat-low-traffic-as-equally-important/timeslices-slo.yaml@fb7e907e0dce": (
        "spec.objective",
        "typo: 'objective' for 'objectives'",
    ),
    "examples/budgeting-method/ratio-timeslices.yaml@cc3a5b06151f": (
        "spec.indicator.spec.ratioMethic",
        "typo: 'ratioMethic' for 'ratioMetric'",
    ),
    "examples/budgeting-method/timeslices-slo.yaml@edaa82146ac2": (
        "spec.objectives[0].op",
        "op with an inlined ratioMetric SLI, which the Go SDK's rule forbids",
    ),
    "examples/treat-low-traffic-as-equally-important/timeslices-slo.yaml@034ae86fa999": (
        "spec.objectives[0].op",
        "op with an inlined ratioMetric SLI, which the Go SDK's rule forbids",
    ),
    "examples/budgeting-method/ratio-timeslices.yaml@782b8ce57796": (
        "spec.objectives[0].op",
        "op with an inlined ratioMetric SLI, which the Go SDK's rule forbids",
    ),
    # schema-test fixtures the old JSON schema accepted but the v1 rules of the Go SDK do not.
    "schema-test/spec-files/v1/alert-policy/alert-policy.yaml": (
        "spec.conditions[0].operator",
        "'operator' is not a field of an AlertPolicy condition (the Go SDK decodes strictly)",
    ),
    "schema-test/spec-files/v1/alert-policy/alert-policy-many-notificationref.yaml": (
        "spec.conditions[0].operator",
        "'operator' is not a field of an AlertPolicy condition (the Go SDK decodes strictly)",
    ),
    "schema-test/spec-files/v1/alert-policy/alert-policy-inline-cond.yaml": (
        "spec.conditions[0].spec.condition.op",
        "a burnrate condition requires 'op' (Go SDK rule)",
    ),
    "schema-test/spec-files/v1/slo/slo-indicatorref-calendar-alerts.yaml": (
        "spec.alertPolicies[0]",
        "alertPolicies entries are objects (inline or {alertPolicyRef}), not bare strings",
    ),
    "schema-test/spec-files/v1/slo/slo-indicatorref-rolling-alerts.yaml": (
        "spec.alertPolicies[0]",
        "alertPolicies entries are objects (inline or {alertPolicyRef}), not bare strings",
    ),
    "schema-test/spec-files/v1/slo/slo-no-indicatorref-calendar-alerts.yaml": (
        "spec.alertPolicies[0]",
        "alertPolicies entries are objects (inline or {alertPolicyRef}), not bare strings",
    ),
    "schema-test/spec-files/v1/slo/slo-no-indicatorref-rolling-alerts.yaml": (
        "spec.alertPolicies[0]",
        "alertPolicies entries are objects (inline or {alertPolicyRef}), not bare strings",
    ),
    # schema-test fixtures without a verdict in schema_test.go: judged by the v1 rules.
    "schema-test/spec-files/v1/sli/sli-ratio-good-and-bad.yaml": (
        "spec.ratioMetric.bad",
        "good and bad together",
    ),
    "schema-test/spec-files/v1/sli/sli-description-ratio-inline-metricsource.yaml": (
        "spec.ratioMetric.bad",
        "good and bad together",
    ),
    # go-sdk examples and test data.
    "pkg/openslo/v1/examples/slos.yaml": (
        "spec.objectives[0].op",
        "op with an inlined ratioMetric SLI, which the Go SDK's own rule forbids",
    ),
    "pkg/openslo/v1/examples/services.yaml": (
        "metadata.name",
        "two Services named alike (slokit: unique names)",
    ),
    "pkg/openslosdk/test_data/decode/v1_slos.yaml": ("spec.timeWindow", "slokit needs a time window"),
    "pkg/openslosdk/test_data/encode/v1_slo.yaml": ("spec.timeWindow", "slokit needs a time window"),
    "pkg/openslosdk/test_data/decode/v2alpha_data_source.yaml": ("apiVersion", "v2alpha is not supported"),
    "pkg/openslosdk/test_data/decode/v2alpha_slos.yaml": ("apiVersion", "v2alpha is not supported"),
    "pkg/openslosdk/test_data/inline/inputs/v1_alert_policies_invalid_condition.yaml": (
        "spec.conditions[0].conditionRef",
        "dangling reference",
    ),
    "pkg/openslosdk/test_data/inline/inputs/v1_alert_policies_invalid_target.yaml": (
        "spec.notificationTargets[1].targetRef",
        "dangling reference",
    ),
    "pkg/openslosdk/test_data/inline/inputs/v1_slo_invalid_policy.yaml": (
        "spec.alertPolicies[0].alertPolicyRef",
        "dangling reference",
    ),
    "pkg/openslosdk/test_data/inline/inputs/v1_slo_invalid_sli.yaml": (
        "spec.indicatorRef",
        "dangling reference",
    ),
    "pkg/openslosdk/test_data/inline/inputs/v1_slo_invalid_target.yaml": (
        "spec.alertPolicies[0].spec.notificationTargets[1].targetRef",
        "dangling reference",
    ),
}

#: For fixtures schema_test.go marks invalid: the field the error must name (by file-name keyword).
SCHEMA_REASONS: dict[str, str] = {
    "invalid-apiversion": "",  # apiVersion or kind, at the top
    "no-condition": "spec.condition",
    "no-sev": "spec.severity",
    "no-target": "spec.target",
    "malformed-cond": "spec.conditions[0]",
    "malformed-targetref": "spec.notificationTargets[0]",
    "many-cond": "spec.conditions",
    "no-cond": "spec.conditions",
    "no-notification": "spec.notificationTargets",
    "long-description": "spec.description",
}

SCHEMA_ROOT = "schema-test/spec-files"


@dataclass(frozen=True)
class Case:
    root: Path
    relative: str
    valid: bool
    reason_path: str
    why: str


def _schema_verdicts(root: Path) -> dict[str, bool]:
    """``file → wantErr`` from the table in schema_test.go (files are relative to spec-files/v1)."""
    test_file = root / "schema-test" / "schema_test.go"
    if not test_file.is_file():
        return {}
    text = test_file.read_text()
    verdicts: dict[str, bool] = {}
    for block in re.finditer(r"files:\s*\[\]string\{(.*?)\},?\s*wantErr:\s*(true|false)", text, re.S):
        for name in re.findall(r'"([^"]+\.ya?ml)"', block.group(1)):
            verdicts[f"{SCHEMA_ROOT}/v1/{name}"] = block.group(2) == "true"
    if (root / SCHEMA_ROOT / "invalid-apiversion.yaml").is_file():
        verdicts[f"{SCHEMA_ROOT}/invalid-apiversion.yaml"] = True
    return verdicts


def _files(root: Path) -> list[Path]:
    patterns = [
        "examples/**/*.yaml",
        f"{SCHEMA_ROOT}/**/*.yaml",
        "pkg/openslo/v1/examples/*.yaml",
        "pkg/openslo/v1alpha/examples/*.yaml",
        "pkg/openslosdk/test_data/**/*.yaml",
    ]
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in root.glob(pattern) if p.is_file())
    return sorted(found)


def collect() -> list[Case]:
    cases: list[Case] = []
    for entry in os.environ.get(ENV, "").split(os.pathsep):
        if not entry:
            continue
        root = Path(entry)
        verdicts = _schema_verdicts(root)
        for path in _files(root):
            relative = path.relative_to(root).as_posix()
            versioned = f"{relative}@{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"
            expected = EXPECTED_INVALID.get(versioned) or EXPECTED_INVALID.get(relative)
            if expected is not None:
                reason_path, why = expected
                cases.append(Case(root, relative, False, reason_path, why))
            elif verdicts.get(relative) is True:
                keyword = next((k for k in SCHEMA_REASONS if k in Path(relative).stem), None)
                assert keyword is not None, f"no expected reason for upstream-invalid fixture {relative}"
                cases.append(
                    Case(root, relative, False, SCHEMA_REASONS[keyword], f"schema_test.go: {keyword}")
                )
            else:
                cases.append(Case(root, relative, True, "", "upstream judges it valid"))
    return cases


CASES = collect()
OUTCOMES: Counter[str] = Counter()


def _errors(path: Path) -> list[Diagnostic]:
    try:
        slokit.load(path)
    except SpecError as exc:
        return [d for d in exc.diagnostics if d.severity == "error"]
    return []


@pytest.mark.skipif(not CASES, reason=f"set {ENV} to a checkout of OpenSLO/OpenSLO and/or OpenSLO/go-sdk")
@pytest.mark.parametrize("case", CASES, ids=[c.relative for c in CASES])
def test_upstream_file(case: Case) -> None:
    errors = _errors(case.root / case.relative)
    if case.valid:
        other = [d for d in errors if "is not defined" not in d.message]
        assert not other, [d.format() for d in other]
        OUTCOMES["valid, loads" if not errors else "valid, loads but references other files"] += 1
        return
    assert errors, f"expected invalid ({case.why}) but it loaded"
    matching = [d for d in errors if d.path.startswith(case.reason_path)]
    assert matching, (
        f"expected an error at {case.reason_path!r} ({case.why}); got {[d.format() for d in errors]}"
    )
    OUTCOMES["invalid, for the stated reason"] += 1


def test_upstream_summary(capsys: pytest.CaptureFixture[str]) -> None:
    if not CASES:
        pytest.skip(f"set {ENV} to a checkout of OpenSLO/OpenSLO and/or OpenSLO/go-sdk")
    with capsys.disabled():
        print(
            f"\nupstream OpenSLO files: {len(CASES)}; "
            + ", ".join(f"{k}: {v}" for k, v in sorted(OUTCOMES.items()))
        )
