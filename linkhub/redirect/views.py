"""RedirectMiddleware: the WSGI layer in front of Flask that answers `/<shortCode>` (and `/`)
for the default host and custom domains, following decisions §5 step by step. Anything that
is not a short code falls through to the Flask app unchanged. See the package docstring."""

from __future__ import annotations

import itertools
import logging
import os
import re
from datetime import UTC
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl, quote, unquote_plus, urlsplit

from flask import Flask
from itsdangerous import BadSignature, TimestampSigner

from linkhub import clock
from linkhub.clientip import client_ip
from linkhub.redirect import bots, pages
from linkhub.redirect.clicks import ClickEvent, new_click_id
from linkhub.redirect.clicks import for_app as clicks_for_app
from linkhub.redirect.evaluate import evaluate
from linkhub.redirect.facts import VISITOR_COOKIE, VisitorFacts, anonymize_ip
from linkhub.redirect.resolve import CompiledLink, DomainEntry, Miss, Resolver, Target

log = logging.getLogger(__name__)

CODE_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}")
INTERNAL_PARAMS = frozenset({"qr", "lh_notrack", "lw_cid"})  # never forwarded from a request
PASSWORD_COOKIE_PREFIX = "lh_pw_"
PASSWORD_COOKIE_AGE = 24 * 3600
VISITOR_COOKIE_AGE = 365 * 24 * 3600
MAX_FORM_BYTES = 4096
METHODS = frozenset({"GET", "HEAD", "POST"})
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# A query item that may go into a Location header as it came: URL-safe characters and
# well-formed %XX escapes only (no '#', space, quote or control character).
_SAFE_ITEM = re.compile(r"(?:[A-Za-z0-9!$'()*+,;=:@/?._~-]|%[0-9A-Fa-f]{2})*")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_QUOTE_SAFE = "!$'()*+,;=:@/?._~-%"
# Request ids: a random per-process prefix and a counter (cheaper than uuid4 per redirect).
_ID_PREFIX = os.urandom(8).hex()
_id_counter = itertools.count(1)

StartResponse = Callable[..., Any]


def reserved_segments(app: Flask) -> frozenset[str]:
    """First path segments the app routes itself: never short codes. One list, shared with
    the short-code validation (derived from the URL map there)."""
    from linkhub.services.short_codes import reserved_segments as routed

    return routed(app)


class _Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: str, body: bytes = b"", content_type: str | None = None):
        self.status = status
        self.body = body
        self.headers: list[tuple[str, str]] = [
            ("Cache-Control", "private, no-store"), ("X-Robots-Tag", "noindex"),
            ("Referrer-Policy", "no-referrer-when-downgrade")]
        if content_type:
            self.headers.append(("Content-Type", content_type))
        self.headers.append(("Content-Length", str(len(body))))


_STATUS = {200: "200 OK", 204: "204 No Content", 301: "301 Moved Permanently",
           302: "302 Found", 303: "303 See Other", 307: "307 Temporary Redirect",
           308: "308 Permanent Redirect", 401: "401 Unauthorized", 404: "404 Not Found",
           410: "410 Gone", 429: "429 Too Many Requests", 502: "502 Bad Gateway"}


def _html(status: int, body: bytes) -> _Response:
    return _Response(_STATUS[status], body, "text/html; charset=utf-8")


def _redirect(url: str, status: int = 302) -> _Response:
    response = _Response(_STATUS[status])
    response.headers.append(("Location", url))
    return response


def _safe_item(item: str) -> str:
    """A raw `key=value` query item made safe for a Location header, byte for byte (WSGI hands
    the query over as latin-1 text of the raw bytes)."""
    if _SAFE_ITEM.fullmatch(item):
        return item
    return _BAD_PERCENT.sub("%25", quote(item, safe=_QUOTE_SAFE, encoding="latin-1"))


def merge_query(target: Target, query_string: str, click_id: str | None) -> str:
    """The target's destination (with the link's UTM values already in it) plus the incoming
    query items whose keys it lacks: all of them with preserveQueryParams, else `utm_*` ones
    with forwardUtms; internal parameters never. Then `lw_cid`. Only the query grows: nothing
    in the request can change the scheme, host, path or fragment (no open redirect)."""
    extra: list[str] = []
    if query_string and (target.preserve_query or target.forward_utms):
        own = target.own_keys
        preserve = target.preserve_query
        for item in query_string.split("&"):
            if not item:
                continue
            key = item.partition("=")[0]
            if "%" in key or "+" in key:
                key = unquote_plus(key, encoding="latin-1")
            if key in own or key in INTERNAL_PARAMS:
                continue
            if preserve or key.startswith("utm_"):
                extra.append(_safe_item(item))
    if click_id:
        extra.append("lw_cid=" + click_id)
    if not extra:
        return target.location
    return target.url_head + target.joiner + "&".join(extra) + target.url_fragment


def _query_flags(query_string: str) -> tuple[bool, bool]:
    """(qr, notrack): `?qr=1` marks a QR scan; `lh_notrack` asks not to record."""
    if "qr" not in query_string and "lh_notrack" not in query_string:
        return False, False
    qr = notrack = False
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if key == "qr" and value == "1":
            qr = True
        elif key == "lh_notrack":
            notrack = True
    return qr, notrack


class _ClockSigner(TimestampSigner):
    """Password cookies age by linkhub's clock, so tests can move time."""

    def get_timestamp(self) -> int:
        return int(clock.now().replace(tzinfo=UTC).timestamp())


class RedirectMiddleware:
    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.settings = app.config["LINKHUB"]
        self.secret = app.config["LINKHUB_SECRETS"]["hashing_key"].encode()
        self.pipeline = clicks_for_app(app)
        self.buffer = self.pipeline.buffer
        self.resolver = Resolver(app, self.buffer)
        self.trusted = tuple(self.settings["TRUSTED_PROXIES"])
        self.default_host = _host_of(self.settings["BASE_URL"])
        self.signer = _ClockSigner(app.config["SECRET_KEY"], salt="linkhub.link-password")
        self._reserved: frozenset[str] | None = None
        self._hosts: dict[str, str] = {}

    # ---- WSGI entry ----------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in METHODS:
            return self.wsgi_app(environ, start_response)
        if path == "/":
            response = self._root(environ)
        else:
            code = path[1:]
            reserved = self._reserved or self._load_reserved()
            if "/" in code or code in reserved:
                return self.wsgi_app(environ, start_response)
            response = self._serve(environ, code, method)
        incoming = environ.get("HTTP_X_REQUEST_ID")
        response.headers.append(("X-Request-Id", incoming if incoming and
                                 _REQUEST_ID_RE.fullmatch(incoming) else
                                 f"{_ID_PREFIX}{next(_id_counter):016x}"))
        start_response(response.status, response.headers)
        return [] if method == "HEAD" else [response.body]

    def owns(self, method: str, path: str) -> bool:
        """Whether `__call__` answers a body-less request for `path` itself (never falls
        through to Flask): what serving.py may run on waitress's I/O thread."""
        if method != "GET" and method != "HEAD" or path[:1] != "/":
            return False
        code = path[1:]
        return not code or ("/" not in code and code not in self.reserved)

    def _load_reserved(self) -> frozenset[str]:
        self._reserved = reserved_segments(self.app)
        return self._reserved

    @property
    def reserved(self) -> frozenset[str]:
        return self._reserved or self._load_reserved()

    def _domain(self, environ: dict[str, Any]) -> DomainEntry | None:
        """The custom domain named by the Host header; None means the default domain (the
        configured host, or any host that is no custom domain)."""
        raw = environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or ""
        host = self._hosts.get(raw)
        if host is None:
            host = _host_of_header(raw)
            if len(self._hosts) < 1024:  # Host headers repeat; made-up ones stop being kept
                self._hosts[raw] = host
        if not host or host == self.default_host:
            return None
        return self.resolver.domain(host)

    def _root(self, environ: dict[str, Any]) -> _Response:
        domain = self._domain(environ)
        if domain is None:
            return _redirect("/app/")
        if not domain.verified:
            return _html(404, pages.not_found())
        return _redirect(domain.root_url or self.settings["BASE_URL"] + "/app/")

    # ---- the steps of decisions §5 --------------------------------------------------------
    def _serve(self, environ: dict[str, Any], code: str, method: str) -> _Response:
        domain = self._domain(environ)
        if domain is not None and not domain.verified:
            return _html(404, pages.not_found())  # serves nothing but its verification file
        if not CODE_RE.fullmatch(code):
            return self._orphan(environ, domain, code, Miss("unknown"))
        if domain is None:
            entry = self.resolver.link(0, code)
        else:
            entry = self.resolver.link(domain.id, code if domain.case_sensitive
                                       else code.lower())
        if type(entry) is Miss:
            return self._orphan(environ, domain, code, entry)
        return self._serve_link(environ, domain, code, entry, method)

    def _serve_link(self, environ: dict[str, Any], domain: DomainEntry | None, code: str,
                    link: CompiledLink, method: str) -> _Response:
        now = clock.now()
        limited = link.clicks_limit is not None
        if ((link.expires_at is not None and now >= link.expires_at) or
                (limited and self._used(link) >= link.clicks_limit)):
            return self._expired_response(link, domain)
        ip = client_ip(environ, self.trusted)
        cookie_header: str | None = None
        from_form = False
        if link.password_hash:
            gate, cookie_header, from_form = self._password_gate(environ, link, code, ip,
                                                                 method)
            if gate is not None:
                return gate
        query_string = environ.get("QUERY_STRING", "")
        qr, notrack = _query_flags(query_string) if query_string else (False, False)
        # lh_notrack cannot be used to slip past a click limit: such links always record.
        counts = method != "HEAD" and (limited or not notrack)
        facts = VisitorFacts(environ, client_ip=ip, now=now, secret=self.secret,
                             settings=self.settings, needs=link.rules.facts)
        human = counts and not facts.get("bot")
        match = (evaluate(link.rules, facts, default_timezone=link.timezone)
                 if link.rules.rules else None)
        target = link.targets[match.rule_id] if match is not None else link.default
        response, trigger, destination, click_id = self._respond(
            environ, query_string, link, target, facts, match is not None)
        if qr and trigger == "link":
            trigger = "qr"
        if from_form and response.status[:3] in ("307", "308"):
            response.status = _STATUS[303]  # never re-POST the password to the destination
        if counts:
            event = ClickEvent(
                click_id=click_id or new_click_id(), link_id=link.id,
                workspace_id=link.workspace_id, created_at=now, trigger=trigger,
                method=method, bot=not human, rule_id=target.rule_pk,
                rule_public_id=target.rule_id, destination_url=destination,
                snapshot=facts.snapshot())
            if human and limited:
                if self.buffer.offer(event, (link.clicks_base, link.clicks_limit)) is None:
                    return self._expired_response(link, domain)  # lost the race for the last
            else:
                self.buffer.offer(event)
        if cookie_header:
            response.headers.append(("Set-Cookie", cookie_header))
        if human and facts.needs_visitor_cookie:
            response.headers.append(("Set-Cookie", self._cookie(
                VISITOR_COOKIE, facts.new_visitor_cookie_value, VISITOR_COOKIE_AGE, environ)))
        return response

    def _respond(self, environ: dict[str, Any], query_string: str, link: CompiledLink,
                 target: Target, facts: VisitorFacts,
                 matched: bool) -> tuple[_Response, str, str | None, str | None]:
        """(response, trigger, recorded destination, click id) for a visitor who got through
        the expiry, limit and password steps."""
        trigger = "link"
        if link.has_og and facts.get("isPreview"):
            og_title, og_description, og_image = link.og
            return _html(200, pages.preview(og_title, og_description, og_image,
                                            self._short_url(environ))), trigger, None, None
        if link.redirect_behavior == "never":
            return _Response(_STATUS[204]), trigger, None, None
        if link.redirect_behavior == "rule_only" and not matched:
            return _html(404, pages.not_found()), trigger, None, None
        click_id = new_click_id() if link.conversion_tracking else None
        destination = merge_query(target, query_string, click_id) if target.destination \
            else None
        if target.deep_link_enabled:
            os_name = facts.get("os")
            app_url = (target.deep_link_ios if os_name == "ios" else
                       target.deep_link_android if os_name == "android" else None)
            if app_url:
                if app_url.startswith(("http://", "https://")):
                    return _redirect(app_url, link.redirect_type), "deeplink", app_url, click_id
                fallback = target.deep_link_fallback or destination
                return (_html(200, pages.deep_link(app_url, fallback)), "deeplink", app_url,
                        click_id)
        if not destination:
            if link.redirect_behavior == "always":
                log.error("link %s has redirectBehavior=always but no destination",
                          link.public_id)
                return _html(502, pages.no_destination()), trigger, None, None
            return _html(404, pages.not_found()), trigger, None, None
        if target.breakout and facts.get("inApp"):
            os_name = facts.get("os")
            if os_name == "android" and destination.startswith("https://"):
                return _redirect(_chrome_intent(destination)), trigger, destination, click_id
            if os_name == "ios":
                return _html(200, pages.breakout(destination)), trigger, destination, click_id
        if target.delay_ms > 0:
            return (_html(200, pages.delayed(destination, target.delay_ms)), trigger,
                    destination, click_id)
        return _redirect(destination, link.redirect_type), trigger, destination, click_id

    # ---- expiry, limits, password ---------------------------------------------------------
    def _used(self, link: CompiledLink) -> int:
        """Human clicks the link has had: stored before this process loaded it, plus every
        one this process served (flushed or not)."""
        return link.clicks_base + self.buffer.humans_offered(link.id)

    @staticmethod
    def _expired_response(link: CompiledLink, domain: DomainEntry | None) -> _Response:
        target = link.expired_url or (domain.expired_url if domain else None)
        return _redirect(target) if target else _html(410, pages.expired())

    def _password_gate(self, environ: dict[str, Any], link: CompiledLink, code: str, ip: str,
                       method: str) -> tuple[_Response | None, str | None, bool]:
        """(gate, cookie, from_form): gate is the page to answer instead of the redirect (form,
        401 or 429), None when the visitor may pass; cookie is the Set-Cookie to add."""
        from linkhub.ratelimit import too_many
        from linkhub.services.passwords import verify_password

        cookie_name = PASSWORD_COOKIE_PREFIX + link.public_id
        # The cookie names the password hash's tail: a new password makes old cookies void.
        expected = f"{link.public_id}:{link.password_hash[-16:]}"
        token = _cookie_value(environ, cookie_name)
        if token:
            try:
                if self.signer.unsign(token, max_age=PASSWORD_COOKIE_AGE).decode() == expected:
                    return None, None, False
            except (BadSignature, UnicodeDecodeError):
                pass
        offered = environ.get("HTTP_X_LINK_PASSWORD")
        from_form = False
        if offered is None and method == "POST":
            offered = _form_field(environ, "password")
            from_form = offered is not None
        action = "/" + code
        if offered is None:
            return _html(200, pages.password_form(action)), None, False
        allowed, window = self.app.extensions["linkhub.limiter"].hit(
            "link-password", f"{ip}|{link.id}", self.settings["RATE_LIMIT_LINK_PASSWORD"])
        if not allowed:
            response = _html(429, pages.too_many())
            response.headers.append(("Retry-After", too_many(window).headers["Retry-After"]))
            return response, None, False
        if not verify_password(link.password_hash, offered):
            return _html(401, pages.password_form(action, "That password is not right.")), \
                None, False
        signed = self.signer.sign(expected).decode()
        return None, self._cookie(cookie_name, signed, PASSWORD_COOKIE_AGE, environ,
                                  path=action), from_form

    @staticmethod
    def _cookie(name: str, value: str | None, max_age: int, environ: dict[str, Any],
                path: str = "/") -> str:
        secure = "; Secure" if environ.get("wsgi.url_scheme") == "https" else ""
        return f"{name}={value}; Max-Age={max_age}; Path={path}; HttpOnly; SameSite=Lax{secure}"

    def _short_url(self, environ: dict[str, Any]) -> str:
        scheme = environ.get("wsgi.url_scheme", "http")
        host = environ.get("HTTP_HOST") or self.default_host
        return f"{scheme}://{host}{environ.get('PATH_INFO', '/')}"

    # ---- orphans ---------------------------------------------------------------------------
    def _orphan(self, environ: dict[str, Any], domain: DomainEntry | None, code: str,
                miss: Miss) -> _Response:
        if environ.get("REQUEST_METHOD") != "HEAD":
            ua = (environ.get("HTTP_USER_AGENT") or "").strip()
            host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or ""
            self.buffer.offer_orphan({
                "workspace": miss.workspace_id or (domain.workspace_id if domain else None),
                "domain": domain.id if domain else None,
                "host": _host_of_header(host)[:253], "path": ("/" + code)[:2048],
                "reason": miss.reason, "created_at": clock.now(),
                "referrer": (environ.get("HTTP_REFERER") or "")[:2048] or None,
                "user_agent": ua[:1024] or None,
                "ip_truncated": anonymize_ip(client_ip(environ, self.trusted)),
                "bot": not ua or bots.classify(ua[:bots.MAX_UA]).bot,
                "_key": (domain.id if domain else 0,
                         code if domain is None or domain.case_sensitive else code.lower()),
            })
        if domain is not None and domain.not_found_url:
            return _redirect(domain.not_found_url)
        return _html(404, pages.not_found())


def _host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def _host_of_header(host: str) -> str:
    """The Host header without port or trailing dot, lower-cased."""
    host = host.lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    if ":" in host:
        host = host.rsplit(":", 1)[0]
    return host.rstrip(".")


def _chrome_intent(destination: str) -> str:
    """Android in-app browsers: open the https destination in Chrome (the fragment is dropped:
    an intent URI uses it), falling back to the destination itself without Chrome."""
    rest = destination[len("https://"):].split("#", 1)[0]
    fallback = quote(destination, safe="")
    return (f"intent://{rest}#Intent;scheme=https;package=com.android.chrome;"
            f"S.browser_fallback_url={fallback};end")


def _cookie_value(environ: dict[str, Any], name: str) -> str | None:
    header = environ.get("HTTP_COOKIE") or ""
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _form_field(environ: dict[str, Any], name: str) -> str | None:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length <= 0 or length > MAX_FORM_BYTES:
        return None
    body = environ["wsgi.input"].read(length).decode("utf-8", "replace")
    for key, value in parse_qsl(body, keep_blank_values=True):
        if key == name:
            return value
    return None


def install(app: Flask) -> RedirectMiddleware:
    """Create the click pipeline and put the redirect layer in front of the Flask app. The
    writer thread is started (and stopped with a final flush) by `linkhub serve`."""
    from linkhub.redirect import clicks
    from linkhub.redirect.describe import Describer

    secret = app.config["LINKHUB_SECRETS"]["hashing_key"].encode()
    pipeline = clicks.init_app(app, Describer(secret, app.config["LINKHUB"]))
    middleware = RedirectMiddleware(app, app.wsgi_app)
    app.wsgi_app = middleware
    app.extensions["linkhub.redirect"] = middleware
    app.extensions.setdefault("linkhub.health_probes", []).append(
        lambda: {"clicks": pipeline.buffer.stats()})
    return middleware
