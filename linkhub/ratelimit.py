"""API rate limiting on the `limits` engine that flask-limiter is built on: fixed windows in
memory, keyed per API key, session user or client IP. Every /api response gets the
X-RateLimit-* headers; going over answers 429 RATE_LIMITED with Retry-After."""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import Flask, Response, current_app, g
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from linkhub.errors import ApiError


@dataclass(frozen=True)
class Window:
    limit: int
    remaining: int
    reset: int  # epoch seconds


class Limiter:
    def __init__(self) -> None:
        self.storage = MemoryStorage()
        self.engine = FixedWindowRateLimiter(self.storage)

    def hit(self, bucket: str, key: str, rule: str) -> tuple[bool, Window]:
        """Count one hit; returns (allowed, window after the hit)."""
        item = parse(rule)
        allowed = self.engine.hit(item, bucket, key)
        stats = self.engine.get_window_stats(item, bucket, key)
        return allowed, Window(item.amount, max(stats.remaining, 0), int(stats.reset_time))

    def peek(self, bucket: str, key: str, rule: str) -> Window:
        item = parse(rule)
        stats = self.engine.get_window_stats(item, bucket, key)
        return Window(item.amount, max(stats.remaining, 0), int(stats.reset_time))

    def clear(self, bucket: str, key: str, rule: str) -> None:
        self.engine.clear(parse(rule), bucket, key)

    def reset(self) -> None:
        self.storage.reset()


def limiter() -> Limiter:
    return current_app.extensions["linkhub.limiter"]


def too_many(window: Window, message: str | None = None) -> ApiError:
    retry = max(1, window.reset - int(time.time()))
    return ApiError("RATE_LIMITED", message, headers={
        "Retry-After": str(retry), "X-RateLimit-Limit": str(window.limit),
        "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(window.reset)})


def enforce(bucket: str, key: str, rule: str, message: str | None = None) -> Window:
    """Hit a named limit (sign-in, invitations, password tries...) and raise 429 when over."""
    allowed, window = limiter().hit(bucket, key, rule)
    if not allowed:
        raise too_many(window, message)
    return window


def check_api_request(principal: str, rule: str) -> None:
    """Count this /api request against its principal; remember the window for the headers."""
    if not current_app.config["LINKHUB"]["RATE_LIMIT_ENABLED"]:
        return
    allowed, window = limiter().hit("api", principal, rule)
    g.rate_window = window
    if not allowed:
        raise too_many(window)


def add_headers(response: Response) -> Response:
    window: Window | None = getattr(g, "rate_window", None)
    if window is not None and "X-RateLimit-Limit" not in response.headers:
        response.headers["X-RateLimit-Limit"] = str(window.limit)
        response.headers["X-RateLimit-Remaining"] = str(window.remaining)
        response.headers["X-RateLimit-Reset"] = str(window.reset)
    return response


def init_app(app: Flask) -> None:
    app.extensions["linkhub.limiter"] = Limiter()
