"""Total and good (or bad) from one query, against a real Prometheus and brute force.

When good's selector only adds matchers to total's, :func:`slokit.sources.prom_counts.split_query`
asks one ``sum by (slokit_g0, …) (label_replace(…))`` query instead of two. This test backfills
per-minute counters whose label values are chosen to trip a wrong translation of the matchers
(``1.0`` next to ``1x0``: an unescaped ``.`` would match both; ``a+b``: a regex metacharacter in
an ``=`` value; a series without the label at all; series that already carry the labels the
split query marks groups with) and checks, for each SLO, that the split and
the two separate queries give the same counts, and that both equal the counts summed from the
generated data (exact: a sample sits on each edge of every whole-minute window).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

import slokit
from slokit.sources import prom_counts
from slokit.sources.prom_counts import PrometheusCounts, split_query
from slokit.sources.prometheus import ClientConfig, PrometheusClient
from tests.integration.test_prometheus_crosscheck import LocalPrometheus, _tool

DAYS = 3
MINUTES = DAYS * 1440
T0 = 1_767_225_600 - MINUTES * 60  # the data ends 2026-01-01 00:00 UTC
AT = T0 + MINUTES * 60
#: (code, version) of each series; None: the series has no version label.
SERIES = [(c, v) for c in ("200", "201", "404", "500", "503") for v in ("1.0", "1x0", "a+b", None)]
#: Series that already carry the marks slokit's split query sets: they must not keep them.
MARKED = {("500", "1x0"): "1", ("201", None): "1", ("404", "a+b"): "x"}

#: name -> (good or bad, part's matchers, total's matchers, function, the part's oracle)
CASES = {
    "not5xx": ("good", 'job="api",code!~"5.."', 'job="api"', "increase", lambda c, v: c[0] != "5"),
    "dot": ("good", 'job="api",version="1.0"', 'job="api"', "increase", lambda c, v: v == "1.0"),
    "two": (
        "good",
        'job="api",code=~"2..",version!="a+b"',
        'job="api"',
        "increase",
        lambda c, v: c[0] == "2" and v != "a+b",
    ),
    "bad": ("bad", 'code=~"5..|404"', "", "increase", lambda c, v: c[0] == "5" or c == "404"),
    "rate": ("good", 'job="api",code="200"', 'job="api"', "rate", lambda c, v: c == "200"),
    "noversion": ("good", 'job="api",version=""', 'job="api"', "increase", lambda c, v: v is None),
}


def _query(fn: str, matchers: str) -> str:
    sel = f"{{{matchers}}}" if matchers else ""
    return f"sum({fn}(hits_total{sel}[{{{{window}}}}]))"


def _spec() -> str:
    docs = []
    for name, (kind, part, total, fn, _) in CASES.items():
        docs.append(
            f"""apiVersion: openslo/v1
kind: SLO
metadata: {{name: {name}}}
spec:
  service: shop
  timeWindow: [{{duration: 2d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: 0.9}}]
  indicator:
    metadata: {{name: {name}-sli}}
    spec:
      ratioMetric:
        counter: true
        {kind}: {{metricSource: {{type: prometheus, spec: {{query: '{_query(fn, part)}'}}}}}}
        total: {{metricSource: {{type: prometheus, spec: {{query: '{_query(fn, total)}'}}}}}}
"""
        )
    return "---\n".join(docs)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalPrometheus, np.ndarray]]:
    _tool("promtool")
    _tool("prometheus")
    work = tmp_path_factory.mktemp("split")
    rng = np.random.default_rng(3)
    per_minute = rng.poisson(3, (len(SERIES), MINUTES))
    counters = np.concatenate([np.zeros((len(SERIES), 1), np.int64), np.cumsum(per_minute, axis=1)], axis=1)
    lines = ["# TYPE hits counter"]
    for (code, version), values in zip(SERIES, counters, strict=True):
        labels = f'job="api",code="{code}"' + (f',version="{version}"' if version is not None else "")
        if (code, version) in MARKED:
            labels += f',slokit_g0="{MARKED[code, version]}",slokit_g1="{MARKED[code, version]}"'
        lines += [f"hits_total{{{labels}}} {v} {T0 + k * 60}" for k, v in enumerate(values.tolist())]
    om = work / "hits.om.txt"
    om.write_text("\n".join([*lines, "# EOF", ""]), encoding="utf-8")
    prom = LocalPrometheus(om, work)
    try:
        yield prom, per_minute
    finally:
        prom.stop()


def _counts(
    url: str, split: bool
) -> tuple[dict[str, tuple[int | None, int | None, object]], PrometheusCounts]:
    with PrometheusClient(ClientConfig(url)) as client:
        source = PrometheusCounts(client, split=split)
        states = prom_counts.evaluate_all(slokit.load(_spec()), source, AT, windows=[3600, 21600])
    out = {s.slo: (s.objectives[0].valid, s.objectives[0].good, s.objectives[0].burn_rates) for s in states}
    return out, source


def test_every_case_is_split() -> None:
    for kind, part, total, fn, _ in CASES.values():
        assert split_query(_query(fn, total), _query(fn, part)) is not None, (kind, part)


def test_split_and_separate_queries_agree_with_brute_force(data: tuple[LocalPrometheus, np.ndarray]) -> None:
    prom, per_minute = data
    split, source = _counts(prom.url, split=True)
    separate, plain = _counts(prom.url, split=False)
    assert source.problems == {} and plain.problems == {}
    assert source._splits and not plain._splits
    last_2d = per_minute[:, -2 * 1440 :].sum(axis=1)
    for name, (kind, *_, in_part) in CASES.items():
        part = sum(int(n) for (c, v), n in zip(SERIES, last_2d, strict=True) if in_part(c, v))
        valid = int(last_2d.sum())  # every series has job="api": total's selector takes them all
        good = part if kind == "good" else valid - part
        assert split[name][:2] == (valid, good), name
        assert split[name] == separate[name], name  # burn rates too
        assert split[name][2], name
