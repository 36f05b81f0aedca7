"""The hand-labelled corpus: every document's objectives equal its hand-written expected list,
and every document imports to OpenSLO that loads, with either binding."""

from __future__ import annotations

from pathlib import Path

import pytest

import slokit
from slokit.importers.markdown import analyse, parse
from slokit.importers.markdown.binding import build_documents
from slokit.importers.markdown.lint import lint
from slokit.spec.dump import dump_documents
from tests.importers.markdown.expected import DOCS, as_fields, comparable, load_expected, normalised

DOCUMENTS = sorted(DOCS.glob("*.md"))


def test_corpus_is_large_and_multilingual() -> None:
    assert len(DOCUMENTS) >= 15
    languages = {p.stem.rsplit("-", 1)[-1] for p in DOCUMENTS}
    assert {"en", "da", "de", "es", "fr"} <= languages


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda p: p.stem)
def test_document_objectives(doc: Path) -> None:
    want = [normalised(e) for e in load_expected(doc.with_suffix(".expected.yaml"))]
    objectives = parse(doc.read_text(encoding="utf-8"))
    got = [comparable(w, as_fields(o)) for w, o in zip(want, objectives, strict=False)]
    assert len(objectives) == len(want)
    assert got == want


@pytest.mark.parametrize("bind", ["slokit", "prometheus"])
@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda p: p.stem)
def test_document_imports_validate(doc: Path, bind: str) -> None:
    objectives = parse(doc.read_text(encoding="utf-8"))
    by_service, _ = build_documents(objectives, source=doc.name, bind=bind)  # type: ignore[arg-type]
    spec = slokit.load(dump_documents([d for docs in by_service.values() for d in docs]))
    assert len(spec.slos) == len(objectives)


def test_threshold_values_convert_to_the_binding_unit() -> None:
    # 1.5 s is 1500 ms on the slokit binding (latency_ms) and 1.5 on a seconds histogram.
    objectives = parse((DOCS / "03-suche-bullets-de.md").read_text(encoding="utf-8"))
    p99 = [o for o in objectives if o.percentile == 99]
    for bind, expected in (("slokit", 1500.0), ("prometheus", 1.5)):
        by_service, _ = build_documents(p99, source="x.md", bind=bind)  # type: ignore[arg-type]
        (slo,) = slokit.load(dump_documents(next(iter(by_service.values()))))
        assert slo.objectives[0].value == pytest.approx(expected)


def test_non_objectives_are_reported_with_reasons() -> None:
    result = analyse((DOCS / "14-platform-nonobjectives-en.md").read_text(encoding="utf-8"))
    reasons = sorted({(s.line, s.reason) for s in result.non_objectives})
    assert reasons == [
        (16, "budget arithmetic"),
        (17, "budget arithmetic"),
        (23, "burn-rate rule"),
        (24, "burn-rate rule"),
    ]
    roadmap = analyse((DOCS / "07-identity-current-en.md").read_text(encoding="utf-8"))
    assert {(s.line, s.reason) for s in roadmap.non_objectives} >= {
        (7, "measured value"),
        (13, "improvement target"),
        (14, "improvement target"),
    }


def test_budget_tables_and_bullets_are_checked_by_lint() -> None:
    # Oracle by hand: (1 − 0.9999) × 30 d = 259.2 s = 4.32 min; (1 − 0.995) × 720 h = 3.6 h;
    # (1 − 0.9995) × 2,629,746 s (average month) = 1,314.9 s = 21.9 min.
    for name in ("14-platform-nonobjectives-en.md", "06-ledger-keyvalue-en.md"):
        result = analyse((DOCS / name).read_text(encoding="utf-8"))
        assert result.budgets, name
        assert not [d for d in lint(result, name) if d.path == "budget"], name
    wrong = (
        (DOCS / "14-platform-nonobjectives-en.md")
        .read_text(encoding="utf-8")
        .replace("4.32 minutes", "8.64 minutes")
    )
    findings = [d for d in lint(analyse(wrong), "x.md") if d.path == "budget"]
    assert [(d.location.line if d.location else 0, d.severity) for d in findings] == [(16, "error")]
    assert "4.32 minutes" in findings[0].message
