"""The Prometheus query client and counts provider against a local fake HTTP server.

The fake answers the way the Prometheus HTTP API documents (``{"status": "success", "data":
{"resultType": "vector", ...}}``, errors with ``errorType``), or misbehaves on purpose: refuses
connections, answers late, answers 500/503, an HTML page, NaN, several series. Each test states
what a user must see: a number only when the answer is one finite series, otherwise a clear
error or the "no data" state with the reason.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from click.testing import CliRunner, Result

import slokit
from slokit.cli.main import cli
from slokit.errors import SlokitError
from slokit.sources import prom_counts
from slokit.sources.prom_counts import PrometheusCounts, count_query, counting, le_regex
from slokit.sources.prometheus import (
    ClientConfig,
    PrometheusClient,
    QueryFailed,
    SourceUnreachable,
    headers_from,
)
from slokit.spec.model import Spec


class Fake:
    """What the fake server answers next; ``seen`` records every request."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.samples: list[tuple[dict[str, str], str]] = [({}, "42")]
        self.fail_first = 0
        self.delay = 0.0
        self.seen: list[dict[str, Any]] = []


def _vector(fake: Fake, query: str) -> list[dict[str, Any]]:
    tags = re.findall(r'"slokit_q", "(\d+)"', query)
    out = []
    for tag in tags or [None]:
        for labels, value in fake.samples:
            metric = dict(labels)
            if tag is not None:
                metric["slokit_q"] = tag
            out.append({"metric": metric, "value": [1700000000, value]})
    return out


def _handler(fake: Fake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            fake.seen.append({"path": self.path, "form": form, "headers": dict(self.headers)})
            if fake.delay:
                time.sleep(fake.delay)
            if fake.fail_first > 0:
                fake.fail_first -= 1
                return self._send(503, {"status": "error", "errorType": "unavailable", "error": "busy"})
            if fake.mode == "500":
                return self._send(500, {"status": "error", "errorType": "internal", "error": "boom"})
            if fake.mode == "html":
                return self._send(200, "<html><body>Sign in</body></html>", "text/html")
            if fake.mode == "bad_data":
                error = {"status": "error", "errorType": "bad_data", "error": "parse error at char 5"}
                return self._send(400, error)
            if fake.mode == "unauthorized":
                return self._send(401, {"status": "error", "error": "missing token"})
            if self.path.endswith("/query_range"):
                start, end, step = (float(form[k]) for k in ("start", "end", "step"))
                values = [[start + i * step, "1"] for i in range(int((end - start) / step) + 1)]
                result = [{"metric": labels, "values": values} for labels, _ in fake.samples]
                return self._send(
                    200, {"status": "success", "data": {"resultType": "matrix", "result": result}}
                )
            data = {"resultType": "vector", "result": _vector(fake, form.get("query", ""))}
            return self._send(200, {"status": "success", "data": data})

        def _send(self, code: int, payload: Any, kind: str = "application/json") -> None:
            raw = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
            self.send_response(code)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler


@pytest.fixture
def fake() -> Iterator[tuple[Fake, str]]:
    state = Fake()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _client(url: str, **kw: Any) -> PrometheusClient:
    sleeps: list[float] = []
    client = PrometheusClient(ClientConfig(url, **kw), sleep=sleeps.append)
    client.sleeps = sleeps  # type: ignore[attr-defined]
    return client


def _closed_port() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- the client ---


def test_one_value_at_an_explicit_time_with_auth_headers_and_partial_response(
    fake: tuple[Fake, str],
) -> None:
    state, url = fake
    with _client(url, headers={"X-Scope-OrgID": "team-a"}, bearer_token="s3cret") as client:
        assert client.value("sum(up)", 1700000123.5) == 42.0
    seen = state.seen[-1]
    assert seen["path"] == "/api/v1/query"
    assert seen["form"] == {"query": "sum(up)", "time": "1700000123.5", "partial_response": "false"}
    assert seen["headers"]["X-Scope-OrgID"] == "team-a"
    assert seen["headers"]["Authorization"] == "Bearer s3cret"


def test_basic_auth_and_no_partial_response_parameter_when_off(fake: tuple[Fake, str]) -> None:
    state, url = fake
    with _client(url, basic_auth=("ann", "pw"), partial_response=None) as client:
        client.value("sum(up)", 1)
    assert state.seen[-1]["headers"]["Authorization"] == "Basic YW5uOnB3"  # base64("ann:pw")
    assert "partial_response" not in state.seen[-1]["form"]


def test_no_series_is_no_data_not_zero(fake: tuple[Fake, str]) -> None:
    state, url = fake
    state.samples = []
    with _client(url) as client:
        assert client.value("sum(up)", 1) is None


@pytest.mark.parametrize("value", ["NaN", "+Inf", "-Inf"])
def test_nan_and_infinities_are_errors(fake: tuple[Fake, str], value: str) -> None:
    state, url = fake
    state.samples = [({}, value)]
    with _client(url) as client, pytest.raises(QueryFailed, match=r"NaN|inf"):
        client.value("sum(a) / sum(b)", 1)


def test_several_series_where_one_was_expected(fake: tuple[Fake, str]) -> None:
    state, url = fake
    state.samples = [({"code": "200"}, "1"), ({"code": "500"}, "2")]
    with _client(url) as client, pytest.raises(QueryFailed, match=r"expected one series.*returned 2.*sum\("):
        client.value("rate(x[5m])", 1)


def test_down_is_unreachable_after_retries_with_backoff() -> None:
    with _client(_closed_port(), retries=2, backoff=0.5) as client:
        with pytest.raises(SourceUnreachable, match=r"source unreachable: cannot reach .* after 3 attempts"):
            client.value("sum(up)", 1)
        assert client.sleeps == [0.5, 1.0]  # type: ignore[attr-defined]


def test_slow_is_a_timeout(fake: tuple[Fake, str]) -> None:
    state, url = fake
    state.delay = 1.0
    with _client(url, timeout=0.2, retries=0) as client, pytest.raises(SourceUnreachable, match="timeout"):
        client.value("sum(up)", 1)


def test_503_is_retried_then_answers(fake: tuple[Fake, str]) -> None:
    state, url = fake
    state.fail_first = 2
    with _client(url, retries=2) as client:
        assert client.value("sum(up)", 1) == 42.0
        assert len(client.sleeps) == 2  # type: ignore[attr-defined]
    assert len(state.seen) == 3


def test_500_is_unreachable_without_retry(fake: tuple[Fake, str]) -> None:
    state, url = fake
    state.mode = "500"
    with _client(url) as client, pytest.raises(SourceUnreachable, match=r"HTTP 500 \(internal: boom\)"):
        client.value("sum(up)", 1)
    assert len(state.seen) == 1


def test_html_page_names_the_likely_cause(fake: tuple[Fake, str]) -> None:
    state, url = fake
    state.mode = "html"
    with _client(url) as client, pytest.raises(SourceUnreachable, match=r"HTML page.*check the URL"):
        client.value("sum(up)", 1)


def test_bad_query_is_a_query_error_with_the_engine_message(fake: tuple[Fake, str]) -> None:
    state, url = fake
    state.mode = "bad_data"
    with (
        _client(url) as client,
        pytest.raises(QueryFailed, match="HTTP 400, bad_data: parse error at char"),
    ):
        client.value("sum(", 1)


def test_unauthorized_points_at_credentials(fake: tuple[Fake, str]) -> None:
    state, url = fake
    state.mode = "unauthorized"
    with _client(url) as client, pytest.raises(QueryFailed, match=r"HTTP 401.*bearer-token-env"):
        client.value("sum(up)", 1)


def test_range_query_parameters(fake: tuple[Fake, str]) -> None:
    state, url = fake
    with _client(url) as client:
        series = client.range("sum(up)", 600, 780, 60)
    assert series[0].times == (600.0, 660.0, 720.0, 780.0)
    assert state.seen[-1]["form"]["step"] == "60"


def test_proxy_from_the_environment(fake: tuple[Fake, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP_PROXY is honoured (whole URL in the request line, credentials as Proxy-Authorization);
    NO_PROXY bypasses it; a proxy that is not plain HTTP is a clear error."""
    state, url = fake
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", url.replace("http://", "http://ann:s%40cret@"))
    with _client("http://prometheus.invalid:9090/prom", retries=0) as client:
        assert client.value("up", 1700000000) == 42.0
    assert state.seen[-1]["path"] == "http://prometheus.invalid:9090/prom/api/v1/query"
    assert state.seen[-1]["headers"]["Proxy-Authorization"] == "Basic YW5uOnNAY3JldA=="  # ann:s@cret
    monkeypatch.setenv("NO_PROXY", "prometheus.invalid")
    with _client("http://prometheus.invalid:9090", retries=0) as client, pytest.raises(SourceUnreachable):
        client.value("up", 1700000000)  # direct: the .invalid name does not resolve
    assert len(state.seen) == 1
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.setenv("HTTP_PROXY", "socks5://127.0.0.1:1080")
    with pytest.raises(SlokitError, match="not an http:// proxy"):
        _client("http://prometheus.invalid:9090")


def test_url_and_header_mistakes_are_clear() -> None:
    with pytest.raises(slokit.errors.SlokitError, match="base URL"):
        PrometheusClient(ClientConfig("localhost:9090"))
    with pytest.raises(ValueError, match="NAME=VALUE"):
        headers_from(["X-Scope-OrgID"])
    assert headers_from(["A=b=c"]) == {"A": "b=c"}


# --- reading bindings ---


def test_rate_queries_are_scaled_to_counts_increase_queries_are_not() -> None:
    assert count_query("sum(rate(x[{{window}}]))")(300) == "(sum(rate(x[300s]))) * 300"
    assert count_query("sum(increase(x[{{window}}]))")(300) == "sum(increase(x[300s]))"


@pytest.mark.parametrize(
    ("value", "matches", "misses"),
    [
        (0.4, ["0.4", "0.40", "0.400"], ["0.41", "4", "0x4"]),
        (1.0, ["1", "1.0", "1.00"], ["10", "1.5", "0.1"]),
        (250.0, ["250", "250.0"], ["25", "2500"]),
    ],
)
def test_le_regex_accepts_the_spellings_of_one_bound(
    value: float, matches: list[str], misses: list[str]
) -> None:
    pattern = le_regex(value).replace("\\\\", "\\")  # PromQL string escapes -> RE2 text
    for text in matches:
        assert re.fullmatch(pattern, text), text
    for text in misses:
        assert not re.fullmatch(pattern, text), text


SPEC = """\
apiVersion: openslo/v1
kind: SLO
metadata: {{name: {name}}}
spec:
  service: shop
  timeWindow: [{{duration: 1d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: 0.99{extra}}}]
  indicator:
    metadata: {{name: {name}-sli}}
    spec:
{sli}
"""
RATIO = """\
      ratioMetric:
        counter: true
        good: {metricSource: {type: prometheus, spec: {query: 'sum(increase(ok_total[{{window}}]))'}}}
        total: {metricSource: {type: prometheus, spec: {query: 'sum(increase(all_total[{{window}}]))'}}}"""


def _spec(name: str = "avail", sli: str = RATIO, extra: str = "") -> Spec:
    return slokit.load(SPEC.format(name=name, sli=sli, extra=extra))


def test_unsupported_bindings_say_why() -> None:
    raw = _spec(
        sli="      ratioMetric:\n        counter: false\n        rawType: success\n"
        "        raw: {metricSource: {type: prometheus, spec: {query: 'avg(x[{{window}}])'}}}"
    )
    slo = raw.slo("avail")
    assert "raw ratio" in str(counting(slo, slo.objectives[0]))
    events = _spec(
        sli="      thresholdMetric: {metricSource: {type: slokit, spec: {stream: a, value: v}}}",
        extra=", op: lt, value: 3",
    )
    slo = events.slo("avail")
    assert "type: prometheus" in str(counting(slo, slo.objectives[0]))


# --- the provider: problems become "no data" with the reason ---


def test_several_series_in_a_batch_become_no_data_with_a_note(fake: tuple[Fake, str]) -> None:
    state, url = fake
    state.samples = [({"route": "/a"}, "1"), ({"route": "/b"}, "2")]
    with _client(url) as client:
        source = PrometheusCounts(client)
        states = prom_counts.evaluate_all(_spec(), source, 1700000000)
    (s,) = states
    assert s.sli_value is None and s.status == "no data"
    assert "expected one series, the query returned 2" in s.notes[0]
    assert s.objectives[0].valid is None


def test_counts_from_the_answers(fake: tuple[Fake, str]) -> None:
    state, url = fake
    state.samples = [({}, "1000")]  # every count query answers 1000: good = total
    with _client(url) as client:
        # one worker: one batch; instant queries only (daily tiles: test_prometheus_windows.py)
        source = PrometheusCounts(client, workers=1, tile_from=10**9)
        (s,) = prom_counts.evaluate_all(_spec(), source, 1700000000)
    assert (s.objectives[0].valid, s.objectives[0].good, s.sli_value) == (1000, 1000, 1.0)
    assert source.problems == {}
    assert source.requests_sent == 1  # 2 queries x 8 windows, batched per instant
    times = {float(r["form"]["time"]) for r in state.seen}
    assert times == {1700000000 // 60 * 60}


def _report_closed_port(tmp_path: Any, sli: str, *extra: str) -> Result:
    """``slokit report --source prometheus`` of one SLO against a port nobody listens on."""
    spec_path = tmp_path / "slo.yaml"
    spec_path.write_text(SPEC.format(name="avail", sli=sli, extra=""), encoding="utf-8")
    args = ["report", str(spec_path), "--source", "prometheus", "--prometheus-url", _closed_port(), *extra]
    return CliRunner().invoke(cli, args)


def test_unreachable_source_gives_no_data_and_cli_exit_1(tmp_path: Any) -> None:
    result = _report_closed_port(tmp_path, RATIO, "--timeout", "1", "--output", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data[0]["sli"] is None and data[0]["status"] == "no data"
    assert "source unreachable" in data[0]["notes"][0]
    assert "source unreachable" in result.stderr


def test_spec_without_prometheus_slis_gets_a_note_and_queries_nothing(tmp_path: Any) -> None:
    store_bound = (
        "      ratioMetric:\n        counter: false\n"
        "        good: {metricSource: {type: slokit, spec: {stream: api, where: 'status < 500'}}}\n"
        "        total: {metricSource: {type: slokit, spec: {stream: api}}}"
    )
    result = _report_closed_port(tmp_path, store_bound, "--output", "json")
    assert result.exit_code == 0, result.output
    assert "no SLO here reads `type: prometheus` sources" in result.stderr
    assert json.loads(result.stdout)[0]["status"] == "no data"
    # with a Prometheus-bound SLI there is no such note (and the closed port is a failure)
    bound = _report_closed_port(tmp_path, RATIO, "--timeout", "1")
    assert bound.exit_code == 1 and "no SLO here reads" not in bound.stderr


def test_cli_usage_errors(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    spec_path = tmp_path / "slo.yaml"
    spec_path.write_text(SPEC.format(name="avail", sli=RATIO, extra=""), encoding="utf-8")
    runner = CliRunner()
    no_url = runner.invoke(cli, ["report", str(spec_path), "--source", "prometheus"])
    assert no_url.exit_code == 2 and "--prometheus-url" in no_url.output
    monkeypatch.delenv("SLOKIT_TEST_TOKEN", raising=False)
    no_token = runner.invoke(
        cli,
        [
            "report",
            str(spec_path),
            "--source",
            "prometheus",
            "--prometheus-url",
            "http://127.0.0.1:1",
            "--bearer-token-env",
            "SLOKIT_TEST_TOKEN",
        ],
    )
    assert no_token.exit_code == 2 and "SLOKIT_TEST_TOKEN" in no_token.output
    both = runner.invoke(
        cli,
        [
            "report",
            str(spec_path),
            "--source",
            "prometheus",
            "--prometheus-url",
            "http://x",
            "--store",
            "s.db",
        ],
    )
    assert both.exit_code == 2 and "exclude each other" in both.output
    no_store = runner.invoke(cli, ["report", str(spec_path)])
    assert no_store.exit_code == 2 and "--store" in no_store.output
