"""The process around the app inside `linkhub serve`: the waitress server, SIGTERM/SIGINT
handling, and the shutdown hooks (e.g. the click buffer's final flush) that run after the
server stops accepting and before the database closes. Never used by create_app or tests."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server

from linkhub.redirect import serving
from linkhub.redirect.views import RedirectMiddleware

log = logging.getLogger(__name__)

HOOKS_KEY = "linkhub.shutdown_hooks"
DRAIN_SECONDS = 5.0


def on_shutdown(app: Flask, hook: Callable[[], object]) -> Callable[[], object]:
    """Register `hook` (no arguments; it runs inside an app context, after the server stopped
    and the scheduler ended, before the database closes). Returns it, so it can decorate."""
    app.extensions.setdefault(HOOKS_KEY, []).append(hook)
    return hook


def run_shutdown_hooks(app: Flask) -> int:
    """Run every hook once, in registration order; a failing hook is logged and does not stop
    the others. Returns how many failed."""
    failures = 0
    with app.app_context():
        for hook in list(app.extensions.get(HOOKS_KEY, [])):
            try:
                hook()
            except Exception:
                failures += 1
                log.exception("shutdown hook %r failed", hook)
    return failures


def make_server(app: Flask, host: str, port: int, threads: int) -> Any:
    """waitress for `app`. linkhub decides itself which X-Forwarded-For hops to believe
    (LINKHUB_TRUSTED_PROXIES, clientip.py), so waitress passes the proxy headers through
    untouched. When `app` carries the redirect layer and REDIRECT_INLINE is on, redirects are
    answered on waitress's I/O thread (redirect/serving.py); the rest goes to `threads`
    workers."""
    adjustments = {"host": host, "port": port, "ident": "linkhub",
                   "clear_untrusted_proxy_headers": False}
    middleware = getattr(app, "wsgi_app", None)
    if isinstance(middleware, RedirectMiddleware) and middleware.settings["REDIRECT_INLINE"]:
        return serving.create_server(app, middleware.owns, threads, **adjustments)
    return create_server(app, threads=threads, **adjustments)


def listen_urls(server: Any) -> list[str]:
    pairs = getattr(server, "effective_listen", None) or [
        (server.effective_host, server.effective_port)]
    urls = []
    for host, port in pairs:
        shown = f"[{host}]" if ":" in str(host) else host
        urls.append(f"http://{shown}:{port}")
    return urls


def _socket_map(server: Any) -> dict:
    return server.map if hasattr(server, "effective_listen") else server._map


def _busy(channel: Any) -> bool:
    return isinstance(channel, HTTPChannel) and bool(channel.requests
                                                     or channel.total_outbufs_len)


def _drain_and_close(server: Any, seconds: float) -> None:
    """Close the listening sockets, flush answers already computed, then close every channel."""
    socket_map = _socket_map(server)
    for dispatcher in list(socket_map.values()):
        if isinstance(dispatcher, BaseWSGIServer):
            wasyncore.dispatcher.close(dispatcher)  # stop accepting; keep the wake-up trigger
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_busy(c) for c in list(socket_map.values())):
        wasyncore.loop(timeout=0.05, map=socket_map, count=1)
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
    wasyncore.close_all(socket_map)


def run_until_signalled(server: Any) -> str:
    """Serve until SIGTERM or SIGINT; returns the signal's name. The in-flight requests are
    given DRAIN_SECONDS to finish; no new connection is accepted once the signal arrived."""
    received: list[str] = []

    def _stop(signum: int, _frame: Any) -> None:
        if received:
            return
        received.append(signal.Signals(signum).name)
        raise SystemExit(0)  # breaks waitress's loop, which catches it

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            server.run()
        except SystemExit:  # the signal landed before the loop started
            pass
    finally:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        _drain_and_close(server, DRAIN_SECONDS)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return received[0] if received else "stopped"
