"""The load benchmarks' HTTP client: a POST whose connection drops is reported, never sent
again; a GET may be sent once more. Against a real loopback server that drops requests
as told."""

from __future__ import annotations

import socketserver
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from benchmarks import burst, load, serving

FORM = (
    b'<form><input type="hidden" name="csrf_token" value="token-1">'
    b'<input type="radio" name="module-1" value="run-11"></form>'
)


class ScriptedServer(socketserver.ThreadingTCPServer):
    """HTTP/1.1 with keep-alive on loopback. ``script(method, number)`` says what to do
    with the ``number``-th request (from 1) of that method: "answer", "drop" (close
    without a byte of answer) or "answer-then-close" (answer, then close the kept-alive
    connection as an idle timeout would)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, script: Callable[[str, int], str]) -> None:
        super().__init__(("127.0.0.1", 0), ScriptedHandler)
        self.script = script
        self.requests: list[tuple[str, str]] = []
        self.connections = 0
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def methods(self) -> list[str]:
        with self.lock:
            return [method for method, _ in self.requests]


class ScriptedHandler(socketserver.StreamRequestHandler):
    server: ScriptedServer

    def handle(self) -> None:
        with self.server.lock:
            self.server.connections += 1
        while True:
            line = self.rfile.readline()
            if not line:
                return
            method, path, _ = line.decode().split(" ", 2)
            length = 0
            while (header := self.rfile.readline()) not in (b"\r\n", b""):
                name, _, value = header.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self.rfile.read(length)
            with self.server.lock:
                self.server.requests.append((method, path))
                number = sum(1 for seen, _ in self.server.requests if seen == method)
            action = self.server.script(method, number)
            if action == "drop":
                return
            body = FORM if method == "GET" else b"done"
            self.wfile.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            self.wfile.flush()
            if action == "answer-then-close":
                return


@pytest.fixture
def scripted() -> Iterator[Callable[[Callable[[str, int], str]], ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(script: Callable[[str, int], str]) -> ScriptedServer:
        server = ScriptedServer(script)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_post_whose_connection_drops_is_reported_and_not_sent_again(scripted):
    server = scripted(lambda method, number: "drop" if method == "POST" else "answer")
    client = serving.Client(server.base, timeout=5)
    try:
        assert client.get("/form")[0] == 200
        with pytest.raises(serving.ConnectionDropped, match="not sent again") as dropped:
            client.post("/register", {"csrf_token": "token-1"})
        assert isinstance(dropped.value, OSError)
        assert dropped.value.reason == "POST: connection dropped (RemoteDisconnected)"
        assert server.methods() == ["GET", "POST"]

        assert client.get("/form")[0] == 200  # the client goes on, on a new connection
    finally:
        client.close()


def test_a_get_whose_connection_drops_is_sent_once_more_and_only_once(scripted):
    server = scripted(lambda method, number: "drop" if number == 1 else "answer")
    client = serving.Client(server.base, timeout=5)
    try:
        assert client.get("/form")[0] == 200
        assert server.methods() == ["GET", "GET"]
    finally:
        client.close()

    always = scripted(lambda method, number: "drop")
    client = serving.Client(always.base, timeout=5)
    try:
        with pytest.raises(serving.ConnectionDropped, match=r"\(2 attempts\)"):
            client.get("/form")
        assert always.methods() == ["GET", "GET"]
    finally:
        client.close()


def test_a_kept_alive_connection_the_server_closed_is_replaced_before_a_post(scripted):
    server = scripted(lambda method, number: "answer-then-close" if method == "GET" else "answer")
    client = serving.Client(server.base, timeout=5)
    try:
        assert client.get("/form")[0] == 200
        time.sleep(0.1)  # the server has closed the idle connection meanwhile
        status, data, _ = client.post("/register", {"csrf_token": "token-1"})
        assert (status, data) == (200, b"done")
        assert server.methods() == ["GET", "POST"]
        assert server.connections == 2
    finally:
        client.close()


def test_burst_counts_a_registration_whose_connection_dropped_as_an_error(scripted):
    server = scripted(lambda method, number: "drop" if method == "POST" else "answer")
    tally = burst.Tally()

    burst.register_one(server.base, {}, 7, tally)

    assert server.methods() == ["GET", "POST"]  # tried once, never re-sent
    assert tally.registered == 0
    assert tally.error_kinds == {"POST: connection dropped (RemoteDisconnected)": 1}
    assert tally.errors[0].startswith("learner 7: POST /courses/bench-burst/register: connection dropped")


def test_load_counts_pages_without_an_answer_as_errors_with_the_reason(scripted):
    server = scripted(lambda method, number: "drop")
    client = serving.Client(server.base, timeout=5)
    page = load.Page("course", lambda c, i: "/courses/x", signed_in=False)
    try:
        measurement = load.hammer([client], page, warmup=0, duration=0.3)
    finally:
        client.close()

    assert measurement.latencies == []
    assert measurement.errors > 0
    assert measurement.statuses == {0: measurement.errors}
    assert measurement.failures == {"GET: connection dropped (RemoteDisconnected)": measurement.errors}
