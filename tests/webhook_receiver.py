"""A local HTTP receiver for webhook tests (and benchmarks): an http.server on 127.0.0.1 that
records every request and answers as scripted.

    with Receiver() as hook:                    # hook.url == "http://127.0.0.1:<port>/hook"
        hook.at("/other")                       # the same receiver under another path
        hook.reply(500, b"no")                  # answer everything this way from now on
        hook.script(500, 200)                   # the next answers, in order; then `default`
        hook.script("hang")                     # hold the request open (until `hang_seconds`
                                                #   pass or the receiver stops), answer nothing
        hook.down(); ...; hook.up()             # refuse connections for a while (same port)
        hook.wait_for(3)                        # block until 3 requests arrived (or fail)
        hook.requests[0].json(), .headers, .body, .received_at (wall clock, time.time())

`default` (200), `body` (b"ok") and `hang_seconds` (30) are plain attributes. Header names in
`Received.headers` are lower-case. Thread-safe; each request is handled on its own thread,
so one hanging request does not stop others from being answered."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float = field(default_factory=time.time)
    answered: int | None = None  # the status sent back (None: hung or dropped)

    def json(self) -> Any:
        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up early (timeouts, size caps) is expected here


class Receiver:
    def __init__(self, path: str = "/hook", default: int = 200) -> None:
        self.path = path
        self.default = default
        self.body = b"ok"
        self.hang_seconds = 30.0
        self.requests: list[Received] = []
        self._script: list[int | str] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._release = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.up()

    @property
    def url(self) -> str:
        return self.at(self.path)

    def at(self, path: str) -> str:
        """This receiver's URL with another path (every path is answered and recorded)."""
        return f"http://127.0.0.1:{self.port}{path}"

    # ---- control ---------------------------------------------------------------------------
    def reply(self, status: int, body: bytes = b"") -> None:
        """Answer every request from now on with `status` and `body`."""
        with self._lock:
            self._script.clear()
            self.default, self.body = status, body

    def script(self, *answers: int | str) -> None:
        """Queue the next answers: a status code, or "hang"."""
        with self._lock:
            self._script.extend(answers)

    def up(self) -> None:
        """Start listening (again, on the same port after `down()`)."""
        if self._server is not None:
            return
        self._release.clear()
        self._server = _Server(("127.0.0.1", self.port), self._handler())
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening: connections are refused until `up()`. Hung requests are released."""
        server, self._server = self._server, None
        if server is None:
            return
        self._release.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    close = down

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Received]:
        """Wait until at least `count` requests arrived; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"receiver got {len(self.requests)} requests, "
                                         f"expected {count}")
                self._arrived.wait(left)
            return list(self.requests)

    # ---- serving ---------------------------------------------------------------------------
    def _next_answer(self) -> int | str:
        with self._lock:
            return self._script.pop(0) if self._script else self.default

    def _record(self, received: Received) -> None:
        with self._arrived:
            self.requests.append(received)
            self._arrived.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                received = Received(self.command, self.path,
                                    {k.lower(): v for k, v in self.headers.items()}, body)
                answer = receiver._next_answer()
                receiver._record(received)
                if answer == "hang":
                    receiver._release.wait(receiver.hang_seconds)
                    self.close_connection = True
                    return
                status = int(answer)
                received.answered = status
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            do_POST = do_PUT = do_GET = do_DELETE = _handle

        return Handler


def make_webhook(workspace: Any, url: str, events: list[str], *, scope: str = "workspace",
                 link: Any = None, kind: str = "webhook", config: dict | None = None,
                 enabled: bool = True) -> Any:
    """A Webhook row written directly (the CRUD services are tested elsewhere), with a fresh
    `whsec_` secret; the workspace's subscription cache is invalidated."""
    import base64
    import secrets

    from linkhub import ids
    from linkhub.models import Webhook
    from linkhub.services import webhook_events

    webhook = Webhook.create(
        public_id=ids.new_id("webhook"), workspace=workspace, link=link, scope=scope,
        kind=kind, url=url, events=events, enabled=enabled, config=config or {},
        secret="whsec_" + base64.b64encode(secrets.token_bytes(24)).decode())
    webhook_events.invalidate(webhook.workspace_id)
    return webhook
