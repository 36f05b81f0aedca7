"""Window choice, daily tiles and concurrent batched queries against a Prometheus-shaped model.

The fake server here is a small model of a Prometheus: per-minute request counters of a few
SLOs, with ``sum(increase(c_total{...}[Ns]))`` answered as the exact difference of the
cumulative counter (what Prometheus 2 answers when a sample sits on each edge of the range),
for instant and range queries and for ``label_replace(...) or ...`` batches. The oracle is brute
force: the events of every minute of the window summed directly, independent of how the
provider cuts windows into tiles or requests. Failures are injected per SLO: a query naming
``slo="broken"`` makes the whole request fail, as a Thanos query fails when one store does.
"""

from __future__ import annotations

import json
import math
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import slokit
from slokit.cli.main import cli
from slokit.sources import prom_counts, status
from slokit.sources.prom_counts import PrometheusCounts, bucket_quantile, tiles
from slokit.sources.prometheus import ClientConfig, PrometheusClient

#: 2026-01-01 00:00 UTC; the model holds 40 days of minutes before it.
T_END = 1_767_225_600
BASE_ROW = T_END // 60 - 40 * 1440
ROWS = np.arange(BASE_ROW, T_END // 60 + 1, dtype=np.int64)
#: Events of minute row r (the minute (60 r, 60 (r + 1)]): good ones, and bad ones with an outage.
OK = 5 + (ROWS * 7919) % 11
ERR = (ROWS % 13 == 0).astype(np.int64) + 4 * ((ROWS >= T_END // 60 - 200) & (ROWS < T_END // 60 - 170))
FACTOR = {"a": 1, "b": 3, "broken": 2, "refused": 5}
INNER = re.compile(r"sum\(increase\(c_total\{([^}]*)\}\[(\d+)s\]\)\)")
TAGGED = re.compile(r'label_replace\(\((.*?)\), "slokit_q", "(\d+)", "", ""\)')
#: total and good from one query: the series whose ``code`` matches the regex are marked slokit_g0="1".
SPLIT = re.compile(
    r"sum by \(slokit_g0\) \((?:label_replace\(){1,2}increase\(c_total\{([^}]*)\}\[(\d+)s\]\), "
    r'(?:"slokit_g0", "", "", ""\), )?"slokit_g0", "([^"]*)", "code", "([^"]*)"\)\)'
)


def events(slo: str, code: str | None, first_row: int, stop_row: int) -> int:
    """Brute force: the events of minute rows ``[first_row, stop_row)``."""
    lo, hi = first_row - BASE_ROW, stop_row - BASE_ROW
    ok, err = int(OK[lo:hi].sum()), int(ERR[lo:hi].sum())
    return FACTOR[slo] * (ok if code == "ok" else ok + err)


@dataclass
class Model:
    """The fake engine's state and request log."""

    seen: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Move range queries to multiples of the step, as caching query frontends do.
    align: bool = False

    def series(self, inner: str, at: int) -> list[tuple[dict[str, str], int]]:
        """The answer's series: one for a plain count, one per ``slokit_g0`` mark for a split query.

        The model's counter has two series per SLO, ``code="ok"`` and ``code="err"``; a split
        query's label_replace sets slokit_g0 to its replacement (``$1`` expanded) on the series
        whose code matches its regex (anchored, as Prometheus); an empty value is no label.
        """
        match = SPLIT.fullmatch(inner.strip())
        if match is None:
            return [({}, self.value(inner, at))]
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        seconds = int(match.group(2))
        first, stop = (at - seconds) // 60, at // 60
        ok = events(labels["slo"], "ok", first, stop)
        by_code = {"ok": ok, "err": events(labels["slo"], None, first, stop) - ok}
        groups: dict[str, int] = {}
        replacement, regex = match.group(3), match.group(4)
        for code, count in by_code.items():
            found = re.fullmatch(regex, code)  # label_replace: the replacement, expanded, on a match
            mark = found.expand(replacement.replace("$", "\\")) if found else ""
            groups[mark] = groups.get(mark, 0) + count
        return [({"slokit_g0": mark} if mark else {}, count) for mark, count in groups.items()]

    def value(self, inner: str, at: int) -> int:
        match = INNER.fullmatch(inner.strip())
        assert match, inner
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        seconds = int(match.group(2))
        assert at % 60 == 0 and seconds % 60 == 0
        return events(labels["slo"], labels.get("code"), (at - seconds) // 60, at // 60)


def _handler(model: Model) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            with model.lock:
                model.seen.append(
                    {"path": self.path, "tenant": self.headers.get("X-Scope-OrgID", ""), **form}
                )
            query = form["query"]
            if 'slo="broken"' in query:
                return self._send(500, {"status": "error", "errorType": "internal", "error": "store down"})
            if 'slo="refused"' in query:
                return self._send(400, {"status": "error", "errorType": "bad_data", "error": "refused"})
            parts = [(m.group(1), {"slokit_q": m.group(2)}) for m in TAGGED.finditer(query)]
            parts = parts or [(query, {})]
            if self.path.endswith("/query_range"):
                start, end, step = (int(float(form[k])) for k in ("start", "end", "step"))
                if model.align:
                    start, end = start // step * step, end // step * step
                times = range(start, end + 1, step)
                result = [
                    {"metric": {**labels, **dict(group)}, "values": [[t, str(v)] for t, v in values.items()]}
                    for q, labels in parts
                    for group, values in _by_group(model, q, times).items()
                ]
                data = {"resultType": "matrix", "result": result}
            else:
                at = int(float(form["time"]))
                data = {
                    "resultType": "vector",
                    "result": [
                        {"metric": {**labels, **extra}, "value": [at, str(value)]}
                        for q, labels in parts
                        for extra, value in model.series(q, at)
                    ],
                }
            return self._send(200, {"status": "success", "data": data})

        def _send(self, code: int, payload: Any) -> None:
            raw = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler


def _by_group(model: Model, query: str, times: range) -> dict[tuple[tuple[str, str], ...], dict[int, int]]:
    """A range answer's series: each group's (sorted labels) value at every time."""
    out: dict[tuple[tuple[str, str], ...], dict[int, int]] = {}
    for t in times:
        for extra, value in model.series(query, t):
            out.setdefault(tuple(sorted(extra.items())), {})[t] = value
    return out


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default backlog of 5 resets connections of 16 workers


@pytest.fixture
def engine() -> Iterator[tuple[Model, str]]:
    model = Model()
    server = _Server(("127.0.0.1", 0), _handler(model))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield model, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _slo(name: str, window: str = "30d") -> str:
    good = f'sum(increase(c_total{{slo="{name}",code="ok"}}[{{{{window}}}}]))'
    total = f'sum(increase(c_total{{slo="{name}"}}[{{{{window}}}}]))'
    return f"""\
apiVersion: openslo/v1
kind: SLO
metadata: {{name: {name}}}
spec:
  service: shop
  timeWindow: [{{duration: {window}, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: 0.99}}]
  indicator:
    metadata: {{name: {name}-ok}}
    spec:
      ratioMetric:
        counter: true
        good: {{metricSource: {{type: prometheus, spec: {{query: '{good}'}}}}}}
        total: {{metricSource: {{type: prometheus, spec: {{query: '{total}'}}}}}}
"""


CORRECTION = """\
apiVersion: slokit/v1
kind: Correction
metadata: {name: deploy}
spec:
  reason: a bad deploy, excluded
  start: 2025-12-31T14:30:00Z
  duration: 30m
  slos: [a]
"""
#: 17:20 on the last day: not on a day boundary, inside the model's data.
AT = T_END - 6 * 3600 - 40 * 60


def _states(url: str, text: str, **kw: Any) -> tuple[list[status.SLOState], PrometheusCounts]:
    windows = kw.pop("windows", None)
    config = ClientConfig(url, retries=0, headers=kw.pop("headers", {}), params=kw.pop("params", {}))
    with PrometheusClient(config) as client:
        source = PrometheusCounts(client, **kw)
        return prom_counts.evaluate_all(slokit.load(text), source, AT, windows=windows), source


def _brute(state: status.SLOState, seconds: int, slo: str) -> tuple[int, int]:
    t_row = AT // 60
    return events(slo, None, t_row - seconds // 60, t_row), events(slo, "ok", t_row - seconds // 60, t_row)


# --- tiles ---


@given(
    seconds=st.integers(1, 100 * 1440).map(lambda m: m * 60),
    end_row=st.integers(10**6, 10**7),
)
def test_tiles_are_disjoint_and_cover_the_window(seconds: int, end_row: int) -> None:
    end = end_row * 60
    pieces = tiles(seconds, end, 2 * 86400)
    covered: list[int] = []
    for length, at in pieces:
        assert length > 0 and at <= end
        covered.extend(range(at - length, at, 60))
    assert sorted(covered) == list(range(end - seconds, end, 60))
    if seconds < 2 * 86400:
        assert pieces == [(seconds, end)]
    else:
        assert sum(1 for length, _ in pieces if length == 86400) == seconds // 86400


# --- counts: tiles and instant queries both give the brute-force counts ---


@pytest.mark.parametrize("split", [True, False])
@pytest.mark.parametrize("tile_from", [2 * 86400, 10**9])
def test_counts_of_every_window_match_brute_force(
    engine: tuple[Model, str], tile_from: int, split: bool
) -> None:
    model, url = engine
    states, source = _states(url, _slo("a") + "---\n" + _slo("b", "28d"), tile_from=tile_from, split=split)
    assert source.problems == {}
    # split: good and total from one query per window (good's selector is never sent on its own)
    assert all(("slokit_g0" in r["query"]) == split for r in model.seen)
    assert any('code="ok"}' in r["query"] for r in model.seen) != split
    for s in states:
        (o,) = s.objectives
        days = 30 if s.slo == "a" else 28
        assert (o.valid, o.good) == _brute(s, days * 86400, s.slo)
        assert set(o.burn_rates) == {status.window_label(w) for w in status.DEFAULT_BURN_WINDOWS}
        for label, burn in o.burn_rates.items():
            seconds = status.DEFAULT_BURN_WINDOWS[
                [status.window_label(w) for w in status.DEFAULT_BURN_WINDOWS].index(label)
            ]
            valid, good = _brute(s, seconds, s.slo)
            assert burn == pytest.approx((1 - good / valid) / (1 - 0.99), rel=1e-12)
    ranged = [r for r in model.seen if r["path"].endswith("/query_range")]
    if tile_from == 10**9:
        assert ranged == []
        assert any("[2592000s]" in r["query"] for r in model.seen)
    else:
        # 30-day and 28-day windows (and the 3-day one) read as daily tiles, step one day
        assert ranged and all(r["step"] == "86400" for r in ranged)
        assert not any("[2592000s]" in r["query"] or "[259200s]" in r["query"] for r in model.seen)
        assert all(float(r["time"]) == AT for r in model.seen if "time" in r)


def test_a_range_moved_by_the_engine_is_read_as_instant_tiles(engine: tuple[Model, str]) -> None:
    model, url = engine
    model.align = True
    (s,), source = _states(url, _slo("a"))
    assert source.problems == {}
    assert (s.objectives[0].valid, s.objectives[0].good) == _brute(s, 30 * 86400, "a")
    assert any(r["path"].endswith("/query_range") for r in model.seen)
    tiles_asked = {float(r["time"]) for r in model.seen if "[86400s]" in r["query"] and "time" in r}
    assert tiles_asked == {AT - i * 86400 for i in range(30)}


# --- choosing the windows ---


def test_chosen_windows_are_the_only_ones_queried_and_shown(engine: tuple[Model, str]) -> None:
    model, url = engine
    text = _slo("a") + "---\n" + _slo("b") + "---\n" + CORRECTION
    full, _ = _states(url, text)
    model.seen.clear()
    chosen, _ = _states(url, text, windows=[21600])
    queried = " ".join(r["query"] for r in model.seen)
    for skipped in ("[300s]", "[1800s]", "[7200s]"):
        assert skipped not in queried
    for kept in ("[3600s]", "[21600s]", "[86400s]"):
        assert kept in queried
    for f, c in zip(full, chosen, strict=True):
        # 1h (status) and 1d (forecast) always come along; the numbers are the full run's
        assert list(c.burn_rates) == ["1h", "6h", "1d"]
        assert c.burn_rates == {k: f.burn_rates[k] for k in ("1h", "6h", "1d")}
        assert (c.sli_value, c.remaining, c.status, c.forecast) == (
            f.sli_value,
            f.remaining,
            f.status,
            f.forecast,
        )
        assert c.objectives[0].burn_rates == c.burn_rates
    # the correction of SLO a removes its minutes from every window, chosen or not
    fix_row = (T_END - 9 * 3600 - 30 * 60) // 60
    for state, seconds in ((full[0], 30 * 86400), (chosen[0], 30 * 86400)):
        expected = _brute(state, seconds, "a")[0] - events("a", None, fix_row, fix_row + 30)
        assert state.objectives[0].valid == expected


def test_cli_windows_option(engine: tuple[Model, str], tmp_path: Any) -> None:
    _, url = engine
    path = tmp_path / "slo.yaml"
    path.write_text(_slo("a"), encoding="utf-8")
    args = [
        "report",
        str(path),
        "--source",
        "prometheus",
        "--prometheus-url",
        url,
        "--at",
        "2025-12-31T17:20:00Z",
    ]
    done = CliRunner().invoke(cli, [*args, "--windows", "6h,1h", "--output", "json"])
    assert done.exit_code == 0, done.output
    (row,) = json.loads(done.stdout)
    assert list(row["burn_rates"]) == ["1h", "6h", "1d"]
    valid, good = events("a", None, AT // 60 - 360, AT // 60), events("a", "ok", AT // 60 - 360, AT // 60)
    assert row["burn_rates"]["6h"] == pytest.approx((1 - good / valid) / 0.01, rel=1e-12)
    for bad, says in (
        ("90s", "unit 's'"),
        ("1M", "unit 'M'"),
        ("1h,x", "not a duration"),
        ("4h,1h", "4h: the report computes burn rates over 5m, 30m, 1h, 2h, 6h, 1d, 3d"),
    ):
        refused = CliRunner().invoke(cli, [*args, "--windows", bad])
        assert refused.exit_code == 2 and "--windows" in refused.output and says in refused.output


# --- concurrency keeps results and error states ---


@pytest.mark.parametrize("failing", ["broken", "refused"])
def test_one_failing_query_makes_only_its_slo_no_data(engine: tuple[Model, str], failing: str) -> None:
    _, url = engine
    text = "---\n".join(_slo(n) for n in ("a", failing, "b"))
    alone = [_states(url, _slo(n))[0][0] for n in ("a", "b")]
    for workers, batch in ((1, 64), (8, 64), (8, 2), (16, 1)):
        states, source = _states(url, text, workers=workers, batch=batch)
        by_name = {s.slo: s for s in states}
        bad = by_name[failing]
        assert bad.sli_value is None and bad.status == "no data" and bad.objectives[0].valid is None
        if failing == "broken":
            assert "source unreachable" in bad.notes[0] and "HTTP 500" in bad.notes[0]
        else:
            assert "refused the query" in bad.notes[0]
        assert set(source.problems) == {f"{failing}/0"}
        for good in alone:  # the others: exactly what they are when asked alone
            s = by_name[good.slo]
            assert (s.sli_value, s.burn_rates, s.objectives[0].valid) == (
                good.sli_value,
                good.burn_rates,
                good.objectives[0].valid,
            )
    assert prom_counts.unreachable(states) == ([bad.notes[0]] if failing == "broken" else [])


def test_an_unreachable_engine_is_not_asked_query_by_query() -> None:
    """An engine that drops every connection: each planned request is tried, none is split."""
    calls: list[int] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    stop = threading.Event()

    def drop() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            calls.append(1)
            conn.close()  # no answer at all: the client sees the connection closed

    thread = threading.Thread(target=drop, daemon=True)
    thread.start()
    try:
        text = "---\n".join(_slo(n) for n in ("a", "b"))
        client = PrometheusClient(
            ClientConfig(f"http://127.0.0.1:{listener.getsockname()[1]}", retries=1), sleep=lambda s: None
        )
        source = PrometheusCounts(client, workers=4)
        states = prom_counts.evaluate_all(slokit.load(text), source, AT)
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert all(s.status == "no data" and "cannot reach" in s.notes[0] for s in states)
    # one batch per request group, each tried twice (one retry): no splitting into single queries
    assert source.batches_planned > 0 and len(calls) == 2 * source.batches_planned


def test_every_request_carries_the_tenant_header_and_refuses_partial_answers(
    engine: tuple[Model, str],
) -> None:
    """Mimir's tenant header, Thanos' partial_response=false and extra parameters on every request."""
    model, url = engine
    text = "---\n".join(_slo(n) for n in ("a", "broken", "b"))
    states, _ = _states(
        url,
        text,
        headers={"X-Scope-OrgID": "team-a"},
        params={"max_source_resolution": "5m", "time": "1"},
        batch=64,
        workers=1,
    )
    assert [s.status == "no data" for s in states] == [False, True, False]
    paths = {r["path"] for r in model.seen}
    assert paths == {"/api/v1/query", "/api/v1/query_range"}
    assert len(model.seen) > 4  # batches, then the failed ones split
    assert all(r["tenant"] == "team-a" and r["partial_response"] == "false" for r in model.seen)
    # extra parameters (Thanos' downsampling choice) ride along; they never replace the query's own
    assert all(r["max_source_resolution"] == "5m" for r in model.seen)
    assert {float(r["time"]) for r in model.seen if r["path"].endswith("/query")} == {AT}


# --- percentiles: histogram_quantile's interpolation over one read of the bucket counts ---


def test_bucket_quantile_worked_examples() -> None:
    """Cumulative counts 10, 60, 90, 100 at le 0.1, 0.4, 1, +Inf (worked by hand)."""
    counts = {0.1: 10.0, 0.4: 60.0, 1.0: 90.0, math.inf: 100.0}
    assert bucket_quantile(0.05, counts) == pytest.approx(0.05)  # rank 5 of the first bucket [0, 0.1]
    assert bucket_quantile(0.5, counts) == pytest.approx(
        0.1 + 0.3 * 40 / 50
    )  # rank 50: 40th of 50 in (0.1, 0.4]
    assert bucket_quantile(0.9, counts) == pytest.approx(1.0)
    assert bucket_quantile(0.95, counts) == 1.0  # in the +Inf bucket: the highest finite bound
    # a count below the one before (separately extrapolated series) is raised to it
    assert bucket_quantile(0.5, {0.1: 10.0, 0.4: 8.0, math.inf: 20.0}) == pytest.approx(0.1)
    assert bucket_quantile(0.2, {-1.0: 5.0, math.inf: 10.0}) == -1.0  # first bound not above 0
    assert bucket_quantile(0.5, {0.1: 1.0, 0.4: 2.0}) is None  # no +Inf bucket
    assert bucket_quantile(0.5, {math.inf: 3.0}) is None  # one bucket
    assert bucket_quantile(0.5, {0.1: 0.0, math.inf: 0.0}) is None  # no events
