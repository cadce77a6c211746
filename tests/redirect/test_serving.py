"""Redirects answered on waitress's I/O thread (redirect/serving.py), over real sockets: the
server `make_server` builds (as `linkhub serve` does) answers short links inline and everything
else on its worker threads, keeps pipelined answers in order, keeps answering redirects while
every worker is busy, and falls back to plain waitress when REDIRECT_INLINE is off."""

from __future__ import annotations

import socket
import threading
import urllib.error
import urllib.request

import pytest

from linkhub.redirect.serving import InlineChannel, InlineDispatcher
from tests.redirect.redirect_support import CHROME, make_link


class _NoFollow(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str, timeout: float = 30, **headers: str) -> tuple[int, dict[str, str]]:
    opener = urllib.request.build_opener(_NoFollow)
    request = urllib.request.Request(url, headers={"User-Agent": CHROME, **headers})
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers)


def _read_responses(sock: socket.socket, count: int) -> list[bytes]:
    """The status lines of `count` keep-alive responses (every one here has Content-Length)."""
    data, statuses = b"", []
    while len(statuses) < count:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {statuses}"
        data += chunk
        while b"\r\n\r\n" in data:
            head, _, rest = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            if len(rest) < length:
                break
            statuses.append(head.split(b"\r\n", 1)[0])
            data = rest[length:]
    return statuses


def test_the_layer_owns_body_less_single_segment_requests_only(app):
    owns = app.wsgi_app.owns
    assert owns("GET", "/") and owns("GET", "/abc") and owns("HEAD", "/Ab_c-1.x")
    assert not owns("POST", "/abc")  # the password form has a body: a worker reads it
    assert not owns("PUT", "/abc") and not owns("OPTIONS", "/abc")
    assert not owns("GET", "/abc/def") and not owns("GET", "//abc")
    assert not owns("GET", "/api") and not owns("GET", "/health") and not owns("GET", "/app")
    assert not owns("GET", "http://example.com/abc")  # absolute-form target: left to Flask


def test_redirects_are_answered_inline_and_the_api_by_workers(client, alice, live_server):
    link = make_link(client, alice, destinationUrl="https://example.com/inline")
    dispatcher = live_server.task_dispatcher
    assert isinstance(dispatcher, InlineDispatcher)
    assert live_server.channel_class is InlineChannel
    before = dispatcher.answered_inline
    status, headers = _get(f"{live_server.url}/{link['shortCode']}")
    assert (status, headers["Location"]) == (302, "https://example.com/inline")
    assert dispatcher.answered_inline == before + 1
    status, _ = _get(f"{live_server.url}/no-such-code")
    assert status == 404 and dispatcher.answered_inline == before + 2
    status, _ = _get(f"{live_server.url}/health")
    assert status == 200 and dispatcher.answered_inline == before + 2  # a worker's
    status, _ = _get(f"{live_server.url}/api/links", **alice.headers)
    assert status == 200 and dispatcher.answered_inline == before + 2


def test_pipelined_requests_keep_their_order_across_both_sides(client, alice, live_server):
    code = make_link(client, alice)["shortCode"]
    host = f"127.0.0.1:{live_server.effective_port}"
    requests = b"".join(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {CHROME}\r\n\r\n".encode()
        for path in (f"/{code}", "/health", f"/{code}", "/no-such-code", "/health"))
    with socket.create_connection(("127.0.0.1", live_server.effective_port), 30) as sock:
        sock.sendall(requests)  # one write: waitress parses all five before answering any
        statuses = _read_responses(sock, 5)
    assert [line.split(b" ")[1] for line in statuses] == [b"302", b"200", b"302", b"404",
                                                          b"200"]


@pytest.fixture
def blocking_route(app):
    """A route (a reserved first segment, so never a short code) that holds its worker until
    released, registered before the server answers anything."""
    entered = threading.Semaphore(0)
    release = threading.Event()

    def hold():
        entered.release()
        release.wait(30)
        return "released"

    app.add_url_rule("/test-hold", "test_hold", hold)
    yield entered, release
    release.set()


def test_redirects_keep_flowing_while_every_worker_is_busy(client, alice, blocking_route,
                                                           live_server):
    entered, release = blocking_route
    link = make_link(client, alice, destinationUrl="https://example.com/busy")
    results: list[int] = []
    holders = [threading.Thread(target=lambda: results.append(
        _get(f"{live_server.url}/test-hold")[0])) for _ in range(4)]  # the fixture's 4 threads
    for holder in holders:
        holder.start()
    for _ in holders:
        assert entered.acquire(timeout=30), "the workers never took the blocking requests"
    try:
        for _ in range(3):  # a queued request would time out: the workers wait 30 s
            status, headers = _get(f"{live_server.url}/{link['shortCode']}", timeout=5)
            assert (status, headers["Location"]) == (302, "https://example.com/busy")
    finally:
        release.set()
        for holder in holders:
            holder.join(timeout=30)
    assert results == [200, 200, 200, 200]


class TestSwitchedOff:
    @pytest.fixture
    def settings_overrides(self):
        return {"REDIRECT_INLINE": False}

    def test_it_is_plain_waitress(self, client, alice, live_server):
        assert not isinstance(live_server.task_dispatcher, InlineDispatcher)
        assert live_server.channel_class is not InlineChannel
        link = make_link(client, alice, destinationUrl="https://example.com/plain")
        status, headers = _get(f"{live_server.url}/{link['shortCode']}")
        assert (status, headers["Location"]) == (302, "https://example.com/plain")
