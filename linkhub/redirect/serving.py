"""Redirects answered on waitress's I/O thread.

Stock waitress parses a request on its I/O (asyncore) thread, then hands it to a worker thread
through a condition variable; the worker runs the app and hands the answer back for sending.
For a redirect served from memory those two hand-offs (locks, futex wake-ups, GIL transfers
between threads) cost more than the redirect itself: measured here, a bare 302 on waitress
runs at about 5,000 req/s with 8 workers and at the same rate served inline with the whole
redirect layer in it.

So `linkhub serve` gives waitress a task dispatcher that answers, on the I/O thread itself,
the requests that the redirect layer owns: GET or HEAD of `/` or of a single path segment that
is no reserved route (`RedirectMiddleware.owns`). They never block: a cached link costs no
read, a cache miss at most two indexed reads, and the click goes into the writer's buffer.
Every other request (the API, the dashboard, uploads, exports, anything with a body or a
slash in its path) goes to the worker threads exactly as before. Pipelined requests keep
their order: a channel is serviced one request at a time, by whichever side owns the next one.

Only the thread that runs the loop answers inline; a worker that queues a channel's next
request (after answering a pipelined API call) always uses the worker pool, since the loop
would not look at the inline queue until its next read. waitress's wait for a channel's
output to drain below its high watermark (16 MB) cannot hold the loop up: a channel is read
(at most 8 KB of requests) only once its earlier output is sent, and these answers are
small.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from waitress.channel import HTTPChannel
from waitress.task import ThreadedTaskDispatcher


class InlineDispatcher(ThreadedTaskDispatcher):
    """Worker threads for everything, except the redirects `owns(method, path)` claims when
    they are queued by the loop's own thread: those wait in `inline` for `InlineChannel`."""

    def __init__(self, owns: Any) -> None:
        super().__init__()
        self.owns = owns
        self.inline: deque[HTTPChannel] = deque()
        self.loop_thread: int | None = None  # set by InlineChannel on its first read
        self.answered_inline = 0

    def add_task(self, channel: Any) -> None:
        request = channel.requests[0] if getattr(channel, "requests", None) else None
        if (request is not None and request.error is None
                and threading.get_ident() == self.loop_thread
                and self.owns(request.command, request.path)):
            self.inline.append(channel)
            self.answered_inline += 1  # counted before the answer can reach anyone
        else:
            super().add_task(channel)


class InlineChannel(HTTPChannel):
    """A waitress channel that, after each read, answers the redirects its dispatcher set
    aside and starts sending them at once (no trip back through the select loop)."""

    def handle_read(self) -> None:
        dispatcher = self.server.task_dispatcher
        dispatcher.loop_thread = threading.get_ident()
        super().handle_read()  # parses; complete requests go through add_task
        inline = dispatcher.inline
        while inline:
            channel = inline.popleft()
            channel.service()  # may queue the channel's next pipelined request
            if channel.connected:
                channel._flush_some_if_lockable()


def create_server(app: Any, owns: Any, threads: int, **adjustments: Any) -> Any:
    """waitress's `create_server` with the inline dispatcher (`threads` workers for the
    rest) and the inline channel on every listening socket."""
    from waitress.server import BaseWSGIServer
    from waitress.server import create_server as waitress_server

    dispatcher = InlineDispatcher(owns)
    dispatcher.set_thread_count(threads)
    server = waitress_server(app, threads=threads, _dispatcher=dispatcher, **adjustments)
    listeners = server.map.values() if hasattr(server, "effective_listen") else [server]
    for listener in listeners:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = InlineChannel
            listener.pull_trigger = _waker(listener, dispatcher)
    return server


def _waker(listener: Any, dispatcher: InlineDispatcher) -> Any:
    """`pull_trigger` that skips the wake-up when the loop's own thread asks for it (after
    an inline answer): that thread is awake and sends at its next pass. Workers still wake it."""
    pull = listener.trigger.pull_trigger

    def pull_trigger() -> None:
        if threading.get_ident() != dispatcher.loop_thread:
            pull()

    return pull_trigger
