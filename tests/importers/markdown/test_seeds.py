"""Both seed documents, every objective checked against a list written by hand from the seed text."""

from __future__ import annotations

from pathlib import Path

import pytest

from slokit.importers.markdown import analyse
from tests.importers.markdown.expected import DOCS, SEEDS, as_fields, comparable, load_expected, normalised

CASES = [
    ("000_57c5b4be5ff27e21.txt", "seed-mtogo.expected.yaml"),
    ("004_c519b35300550f97.txt", "seed-cnc.expected.yaml"),
]


def _seed(name: str) -> Path:
    path = SEEDS / name
    if not path.exists():
        pytest.skip(f"seed document {name} not found in ../shared/seeds/ (present in CI)")
    return path


@pytest.mark.parametrize(("seed", "expected"), CASES)
def test_seed_objectives_exactly(seed: str, expected: str) -> None:
    result = analyse(_seed(seed).read_text(encoding="utf-8"))
    want = [normalised(e) for e in load_expected(DOCS / expected)]
    got = [comparable(w, as_fields(o)) for w, o in zip(want, result.objectives, strict=False)]
    assert len(result.objectives) == len(want)
    assert got == want


def test_cnc_non_objectives_are_reported_not_dropped() -> None:
    result = analyse(_seed("004_c519b35300550f97.txt").read_text(encoding="utf-8"))
    reasons = {(s.line, s.reason) for s in result.non_objectives}
    assert (8, "budget arithmetic") in reasons and (13, "budget arithmetic") in reasons
    assert {line for line, reason in reasons if reason == "improvement target"} == {80, 81, 82, 84}
    claims = {(c.line, round(c.amount_seconds / 60, 1), c.per, c.target_percent) for c in result.budgets}
    assert claims == {(8, 43.8, "1M", 99.9), (13, 21.9, "1M", 99.95)}
