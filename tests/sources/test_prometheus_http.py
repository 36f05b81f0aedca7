"""The query client's plain-HTTP transport against scripted raw-socket servers.

Each server reads one request at a time and writes exactly the bytes a test gives, so the
answers' framings are the ones a real engine or proxy may use: a Content-Length, chunks (what
Prometheus sends for all but small answers), a body ended by closing the connection (HTTP/1.0),
a kept-alive connection that the server later closes, and answers that are not HTTP at all.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from slokit.sources.prometheus import ClientConfig, PrometheusClient, SourceUnreachable

VECTOR = json.dumps(
    {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "7"]}]}}
).encode()

#: (request number on its connection, request bytes) -> bytes to send back, and whether to close after.
Script = Callable[[int, bytes], tuple[bytes, bool]]


class Server:
    """Accepts connections; answers each request as ``script`` says; counts connections and requests."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.connections = 0
        self.requests: list[bytes] = []
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as reader:
            n = 0
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = reader.readline()
                    if not line:
                        return
                    head += line
                length = next(
                    int(h.split(b":")[1])
                    for h in head.split(b"\r\n")
                    if h.lower().startswith(b"content-length")
                )
                request = head + reader.read(length)
                self.requests.append(request)
                answer, close = self.script(n, request)
                conn.sendall(answer)
                n += 1
                if close:
                    return

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.listener.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Script], Server]]:
    servers: list[Server] = []

    def start(script: Script) -> Server:
        servers.append(Server(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _http(body: bytes, *fields: str, version: str = "HTTP/1.1") -> bytes:
    head = "\r\n".join([f"{version} 200 OK", "Content-Type: application/json", *fields])
    return head.encode() + b"\r\n\r\n" + body


def _chunks(body: bytes, size: int) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\nX-Trailer: t\r\n\r\n"


def test_content_length_chunked_and_close_delimited_answers(serve: Callable[[Script], Server]) -> None:
    answers = [
        (_http(VECTOR, f"Content-Length: {len(VECTOR)}"), False),
        (_http(_chunks(VECTOR, 7), "Transfer-Encoding: chunked"), False),
        (_http(VECTOR, version="HTTP/1.0"), True),  # no length: the body ends with the connection
    ]
    server = serve(lambda n, _: answers[n])
    with PrometheusClient(ClientConfig(server.url, retries=0)) as client:
        assert [client.value("up", 1) for _ in range(3)] == [7.0, 7.0, 7.0]
        assert server.connections == 1  # kept alive over the first two answers
        assert client.value("up", 1) == 7.0  # a new connection after the close-delimited one
    assert server.connections == 2
    first = server.requests[0]
    assert first.startswith(b"POST /api/v1/query HTTP/1.1\r\n")
    assert f"Host: {server.url[7:]}".encode() in first and b"query=up&time=1" in first


def test_a_kept_alive_connection_closed_by_the_engine_is_retried_once_fresh(
    serve: Callable[[Script], Server],
) -> None:
    ok = _http(VECTOR, f"Content-Length: {len(VECTOR)}")
    # the first connection answers once, then closes without answering the second request
    server = serve(lambda n, _: (ok, False) if n == 0 else (b"", True))
    with PrometheusClient(ClientConfig(server.url, retries=0)) as client:
        assert client.value("up", 1) == 7.0
        assert client.value("up", 1) == 7.0
    assert server.connections == 2 and len(server.requests) == 3


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (b"SSH-2.0-OpenSSH_9.2\r\n", "not HTTP"),
        (_http(VECTOR[:10], "Content-Length: 500"), "cut short"),
        (_http(b"zz\r\nab\r\n0\r\n\r\n", "Transfer-Encoding: chunked"), "chunk size"),
        (b"", "closed the connection"),
    ],
)
def test_answers_that_are_not_usable_http(
    serve: Callable[[Script], Server], answer: bytes, words: str
) -> None:
    server = serve(lambda n, _: (answer, True))
    with (
        PrometheusClient(ClientConfig(server.url, retries=0)) as client,
        pytest.raises(SourceUnreachable) as err,
    ):
        client.value("up", 1)
    assert "source unreachable: cannot reach" in str(err.value) and words in str(err.value)
    assert len(server.requests) == 1  # a fresh connection is not retried by the transport


def test_a_silent_engine_is_a_timeout(serve: Callable[[Script], Server]) -> None:
    gate = threading.Event()

    def never(n: int, request: bytes) -> tuple[bytes, bool]:
        gate.wait(5)
        return b"", True

    server = serve(never)
    client = PrometheusClient(ClientConfig(server.url, retries=0, timeout=0.3))
    with client, pytest.raises(SourceUnreachable, match=r"within 0\.3 s \(timeout\)"):
        client.value("up", 1)
    gate.set()
