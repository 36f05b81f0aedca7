"""Random and mutated Markdown: the reader returns a result or raises SlokitError, nothing else;
whatever it reads always becomes OpenSLO that loads."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import slokit
from slokit.errors import SlokitError
from slokit.importers.markdown import analyse
from slokit.importers.markdown.binding import build_documents
from slokit.importers.markdown.lint import lint
from slokit.spec.dump import dump_documents
from tests.importers.markdown.expected import DOCS

CORPUS = [p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md"))]
FRAGMENTS = [
    "|",
    "| --- |",
    "\n",
    "- ",
    "  - ",
    "# ",
    "**",
    "`",
    "<div>",
    "</td>",
    "%",
    "99.9",
    "99,95",
    "p95",
    "<",
    "≤",
    ">=",
    "ms",
    "s",
    "30-day rolling",
    "monthly",
    "pr. måned",
    "1.500",
    "1,500",
    "within",
    "mindst",
    "\x00",
    "\ufffd",
    "```",
    "> ",
    "Latency",
    "Oppetid",
    "0.999",
    "requests/min",
    "(p99)",
    "burn rate",
    "downtime: 43.8 minutes/month",
]


def _check(text: str) -> None:
    try:
        result = analyse(text)
    except SlokitError:
        return
    lint(result, "doc.md")
    for bind in ("slokit", "prometheus"):
        by_service, _ = build_documents(result.objectives, source="doc.md", bind=bind)  # type: ignore[arg-type]
        if by_service:
            slokit.load(dump_documents([d for docs in by_service.values() for d in docs]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_text(text: str) -> None:
    _check(text)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(CORPUS),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 40), st.sampled_from(FRAGMENTS)), max_size=6),
)
def test_mutated_corpus(doc: str, edits: list[tuple[int, int, str]]) -> None:
    for position, cut, fragment in edits:
        at = position % (len(doc) + 1)
        doc = doc[:at] + fragment + doc[at + cut :]
    _check(doc)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60))
def test_fragment_soup(parts: list[str]) -> None:
    _check(" ".join(parts))


def test_broken_tables_html_and_nul_bytes() -> None:
    broken = "| SLO | Target |\n|---|\n| Uptime | 99.9% | extra | cells |\n| Latency (p95)\n|---|---|---|\n"
    html = (
        "<table><tr><td>Uptime</td><td>99.9%</td></tr></table>\n\n<b>p95</b> < 300 ms <!-- hidden 99% -->\n"
    )
    for text in (broken, html, "\x00\x01\x02 99.9 %", "|" * 5000, "- " * 3000 + "99%"):
        _check(text)
    assert [o.target_percent for o in analyse(broken).objectives] == [99.9]


def test_large_document_is_read(tmp_path: Path) -> None:
    # About 1 MB (the 10 MB timing is in docs/markdown-import.md; tests stay fast).
    text = "\n\n".join(CORPUS) * 40
    result = analyse(text)
    assert len(result.objectives) == 40 * sum(len(analyse(doc).objectives) for doc in CORPUS)
