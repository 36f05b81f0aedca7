"""Field-level precision, recall and F1 of the Markdown importer on the hand-labelled corpus.

Every ``tests/data/docs/NAME.md`` has ``NAME.expected.yaml`` written by hand; the two seed
documents (``../shared/seeds/``) are scored too when present. Expected and read objectives are
paired by source line (several on one line: the pairing that agrees on most fields). For each of
the fields (kind, target, op, threshold, unit, percentile, window) a value the importer states is a
true positive when it equals the expected value, otherwise a false positive; an expected value the
importer did not state correctly is a false negative. Objectives read where none is expected count
their stated values as false positives. Fields that are null on both sides count for nothing.

    .venv/bin/python benchmarks/markdown_score.py [--json]
    .venv/bin/python benchmarks/markdown_score.py --big     # time a 10 MB document
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from slokit.importers.markdown import parse

FIELDS = ("kind", "target", "op", "threshold", "unit", "percentile", "window")
ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "tests" / "data" / "docs"
SEEDS = ROOT.parent / "shared" / "seeds"
SEED_FILES = {"seed-mtogo": "000_57c5b4be5ff27e21.txt", "seed-cnc": "004_c519b35300550f97.txt"}


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    per_field: dict[str, list[int]] = field(default_factory=lambda: {f: [0, 0, 0] for f in FIELDS})

    def add(self, name: str, tp: int, fp: int, fn: int) -> None:
        self.tp += tp
        self.fp += fp
        self.fn += fn
        row = self.per_field[name]
        row[0] += tp
        row[1] += fp
        row[2] += fn

    def merge(self, other: Counts) -> None:
        for name, (tp, fp, fn) in other.per_field.items():
            self.add(name, tp, fp, fn)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return abs(float(a) - float(b)) < 1e-9
    return bool(a == b)


def read_fields(text: str) -> list[dict[str, Any]]:
    out = []
    for obj in parse(text):
        out.append(
            {
                "line": obj.source_line,
                "kind": obj.sli_kind,
                "target": obj.target_percent,
                "op": obj.op,
                "threshold": obj.threshold,
                "unit": obj.unit,
                "percentile": obj.percentile,
                "window": f"{obj.window} {obj.window_type}" if obj.window else None,
            }
        )
    return out


def score(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> Counts:
    counts = Counts()
    unmatched = list(range(len(actual)))
    for want in expected:
        candidates = [i for i in unmatched if actual[i]["line"] == want["line"]]
        best = max(
            candidates, key=lambda i: sum(_same(actual[i].get(f), want.get(f)) for f in FIELDS), default=None
        )
        got = actual[best] if best is not None else {}
        if best is not None:
            unmatched.remove(best)
        for name in FIELDS:
            w, g = want.get(name), got.get(name)
            if g is not None and w is not None and _same(g, w):
                counts.add(name, 1, 0, 0)
            else:
                counts.add(name, 0, int(g is not None), int(w is not None))
    for i in unmatched:
        for name in FIELDS:
            counts.add(name, 0, int(actual[i].get(name) is not None), 0)
    return counts


def corpus() -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(name, markdown text, expected objectives) for every labelled document present."""
    items = []
    for name, seed in SEED_FILES.items():
        path = SEEDS / seed
        if path.exists():
            expected = yaml.safe_load((DOCS / f"{name}.expected.yaml").read_text(encoding="utf-8"))
            items.append((name, path.read_text(encoding="utf-8"), expected))
    for doc in sorted(DOCS.glob("*.md")):
        expected = yaml.safe_load(doc.with_suffix(".expected.yaml").read_text(encoding="utf-8")) or []
        items.append((doc.stem, doc.read_text(encoding="utf-8"), expected))
    return items


def big(megabytes: float = 10.0) -> None:
    """Time the reader on a document of about ``megabytes`` MB built from the corpus."""
    import time

    from slokit.importers.markdown import analyse

    unit = "\n\n".join(text for _, text, _ in corpus())
    text = unit * max(1, int(megabytes * 1_000_000 / len(unit)))
    start = time.perf_counter()
    result = analyse(text)
    seconds = time.perf_counter() - start
    print(
        f"{len(text) / 1e6:.1f} MB, {len(result.objectives)} objectives: {seconds:.1f} s "
        f"({len(text) / 1e6 / seconds:.2f} MB/s)"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Score the Markdown importer on the hand-labelled corpus.")
    parser.add_argument("--json", action="store_true", help="scores as JSON")
    parser.add_argument("--big", action="store_true", help="time the import of a 10 MB document instead")
    args = parser.parse_args(argv)
    if args.big:
        big()
        return 0
    total = Counts()
    rows = []
    for name, text, expected in corpus():
        counts = score(expected, read_fields(text))
        total.merge(counts)
        rows.append((name, len(expected), *prf(counts.tp, counts.fp, counts.fn)))
    if args.json:
        data = {
            "documents": [
                {"name": n, "expected": e, "precision": p, "recall": r, "f1": f} for n, e, p, r, f in rows
            ],
            "fields": {
                k: dict(zip(("precision", "recall", "f1"), prf(*v), strict=True))
                for k, v in total.per_field.items()
            },
            "overall": dict(
                zip(("precision", "recall", "f1"), prf(total.tp, total.fp, total.fn), strict=True)
            ),
        }
        print(json.dumps(data, indent=2))
        return 0
    print(f"{'document':34} {'obj':>4} {'P':>6} {'R':>6} {'F1':>6}")
    for name, n, p, r, f in rows:
        print(f"{name:34} {n:4d} {p:6.3f} {r:6.3f} {f:6.3f}")
    print("-" * 60)
    for name, (tp, fp, fn) in total.per_field.items():
        p, r, f = prf(tp, fp, fn)
        print(f"{'field ' + name:34} {'':4} {p:6.3f} {r:6.3f} {f:6.3f}")
    p, r, f = prf(total.tp, total.fp, total.fn)
    print(f"{'OVERALL':34} {sum(n for _, n, *_ in rows):4d} {p:6.3f} {r:6.3f} {f:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
