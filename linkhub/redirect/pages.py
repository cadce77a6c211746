"""The few HTML pages the redirect path can answer with: not found, expired, password form,
custom-scheme deep link, delayed redirect, in-app breakout, link preview (OG) and errors.
Plain escaped strings, no template engine: they must be cheap and self-contained."""

from __future__ import annotations

import json
from functools import cache
from html import escape

_STYLE = (
    "body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "background:#f6f7fb;color:#111827;display:grid;place-items:center;min-height:100vh}"
    "main{background:#fff;border:1px solid #e5e7eb;border-radius:14px;padding:2rem;"
    "max-width:420px;width:calc(100% - 2rem);box-shadow:0 10px 30px rgba(16,24,40,.08)}"
    "h1{font-size:1.4rem;margin:0 0 .5rem}p{color:#4b5563}"
    "a.btn,button{display:inline-block;background:#4f46e5;color:#fff;border:0;border-radius:8px;"
    "padding:.6rem 1rem;font:inherit;font-weight:600;text-decoration:none;cursor:pointer}"
    "input{font:inherit;padding:.55rem .7rem;border:1px solid #d1d5db;border-radius:8px;"
    "width:100%;box-sizing:border-box;margin:.3rem 0 1rem}label{font-weight:600}"
    ".error{color:#dc2626}"
)


def _js(value: str) -> str:
    """A JS string literal safe inside <script>: no `</script>`, no HTML-significant bytes."""
    return (json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def _page(title: str, body: str, head: str = "") -> bytes:
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        "<meta name=\"robots\" content=\"noindex\">"
        f"<title>{escape(title)}</title><style>{_STYLE}</style>{head}</head>"
        f"<body><main>{body}</main></body></html>"
    ).encode()


@cache  # constant pages are built once
def not_found() -> bytes:
    return _page("Link not found", "<h1>Link not found</h1><p>This short link does not exist "
                 "or is no longer active.</p>")


@cache
def expired() -> bytes:
    return _page("Link expired", "<h1>This link has expired</h1><p>It reached its end date "
                 "or its click limit.</p>")


@cache
def no_destination() -> bytes:
    return _page("Link misconfigured", "<h1>This link has nowhere to go</h1><p>Its owner has "
                 "not set a destination yet.</p>")


@cache
def too_many() -> bytes:
    return _page("Too many attempts", "<h1>Too many attempts</h1><p>Wait a minute and try "
                 "again.</p>")


def password_form(action: str, error: str | None = None) -> bytes:
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return _page("Password required", (
        "<h1>Password required</h1><p>This link is protected. Enter its password to "
        f"continue.</p>{problem}<form method=\"post\" action=\"{escape(action)}\">"
        "<label for=\"lh-password\">Password</label>"
        "<input id=\"lh-password\" name=\"password\" type=\"password\" required autofocus "
        "autocomplete=\"current-password\"><button type=\"submit\">Continue</button></form>"))


def deep_link(app_url: str, fallback: str | None) -> bytes:
    """Open a custom-scheme app link; browsers do not follow a 302 to `myapp://`."""
    go = _js(app_url)
    back = _js(fallback) if fallback else "null"
    script = (f"<script>var a={go},f={back};window.location.href=a;"
              "if(f){setTimeout(function(){if(!document.hidden)window.location.replace(f)},1500)}"
              "</script>")
    fallback_link = (f'<p><a href="{escape(fallback)}">Continue in the browser</a></p>'
                     if fallback else "")
    return _page("Opening the app", (
        f"<h1>Opening the app…</h1><p><a class=\"btn\" href=\"{escape(app_url)}\">Open the app"
        f"</a></p>{fallback_link}{script}"))


def delayed(url: str, delay_ms: int) -> bytes:
    seconds = max(1, round(delay_ms / 1000))
    head = f'<meta http-equiv="refresh" content="{seconds};url={escape(url)}">'
    script = (f"<script>setTimeout(function(){{window.location.replace({_js(url)})}},"
              f"{delay_ms})</script>")
    return _page("Redirecting", f"<h1>Redirecting…</h1><p><a href=\"{escape(url)}\">Continue"
                 f"</a></p>{script}", head)


def breakout(url: str) -> bytes:
    """In-app browsers (Instagram, TikTok, …) on iOS: offer to open the real browser."""
    safari = "x-safari-" + url if url.startswith("https://") else url
    return _page("Open in your browser", (
        "<h1>Open in your browser</h1><p>For the best experience, open this link in your "
        f"browser.</p><p><a class=\"btn\" href=\"{escape(safari)}\">Open in browser</a></p>"
        f"<p><a href=\"{escape(url)}\">Continue here</a></p>"))


def preview(title: str | None, description: str | None, image: str | None,
            url: str) -> bytes:
    """What link-preview bots (Slack, WhatsApp, …) see: Open Graph tags, not the redirect."""
    meta = [f'<meta property="og:url" content="{escape(url)}">',
            '<meta property="og:type" content="website">']
    if title:
        meta.append(f'<meta property="og:title" content="{escape(title)}">')
        meta.append(f'<meta name="twitter:title" content="{escape(title)}">')
    if description:
        meta.append(f'<meta property="og:description" content="{escape(description)}">')
        meta.append(f'<meta name="description" content="{escape(description)}">')
    if image:
        meta.append(f'<meta property="og:image" content="{escape(image)}">')
        meta.append('<meta name="twitter:card" content="summary_large_image">')
    return _page(title or "Link", f"<h1>{escape(title or url)}</h1>"
                 f"<p>{escape(description or '')}</p>", "".join(meta))
