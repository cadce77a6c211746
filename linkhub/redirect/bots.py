"""Who is asking, from the user-agent string alone: crawler (the crawler-user-agents list, compiled
once into one RE2 pattern), link-preview fetcher, in-app browser. Pure and cached; it never looks
at the request method or anything but the user-agent text."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any, NamedTuple

import crawleruseragents

log = logging.getLogger(__name__)

# Longest user agent we look at; real ones (in-app browsers included) stay well under 600.
MAX_UA = 1024

# Link-preview ("unfurl") fetchers: they fetch a link to draw a card for a person, so they get the
# OG page, not the redirect. Googlebot, Bingbot and Applebot index the web: crawlers, not previews.
# Apple's Messages previews announce themselves as "facebookexternalhit/1.1 Facebot Twitterbot/1.0"
# and are caught by those tokens.
_PREVIEW = re.compile(
    r"Slackbot|Slack-ImgProxy|facebookexternalhit|Facebot|Twitterbot|WhatsApp|Discordbot"
    r"|TelegramBot|LinkedInBot|SkypeUriPreview|MicrosoftPreview|redditbot|Embedly|Iframely"
    r"|vkShare|Mastodon/|Cardyb|Snap URL Preview"
)

# In-app browsers (a social app's web view), checked in this order; the name is what `inAppName`
# reports. Messenger before Facebook: both carry FBAN/FBAV.
_IN_APP: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern)) for name, pattern in (
        ("messenger", r"FBAN/Messenger|FB_IAB/Orca-Android|MessengerLite"),
        ("facebook", r"FBAN/|FBAV/|FB_IAB/|FBIOS|FB4A"),
        ("instagram", r"\bInstagram \d"),
        ("tiktok", r"musical_ly|\btrill_\d|BytedanceWebview|TikTok"),
        ("linkedin", r"LinkedInApp"),
        ("snapchat", r"\bSnapchat/\d"),
        ("line", r"\bLine/\d"),
        ("wechat", r"MicroMessenger/"),
        ("twitter", r"Twitter for (?:iPhone|iPad|Android)|TwitterAndroid"),
        ("pinterest", r"\[Pinterest/"),
        ("google", r"\bGSA/\d"),
    )
)


def _crawler_patterns() -> list[str]:
    return [entry["pattern"] for entry in crawleruseragents.CRAWLER_USER_AGENTS_DATA]


def _compile_crawlers(patterns: list[str]) -> tuple[Any, Any]:
    """One RE2 alternation of every pattern RE2 accepts (linear time, so a hostile user agent
    cannot stall a thread), plus one `re` alternation of the few it refuses, if any."""
    try:
        import re2
    except ImportError:  # pragma: no cover - google-re2 is a declared dependency
        log.warning("google-re2 is missing: crawler detection falls back to the re module")
        return None, re.compile("|".join(f"(?:{p})" for p in patterns))
    options = re2.Options()
    options.max_mem = 64 << 20  # the default 8 MiB makes RE2's DFA give up on ~1,500 patterns
    options.never_capture = True
    options.log_errors = False
    try:  # the usual case: every pattern is RE2 syntax, one compile (~10 ms)
        return re2.compile("|".join(f"(?:{p})" for p in patterns), options), None
    except re2.error:
        pass
    good, rest = [], []
    for pattern in patterns:
        try:
            re2.compile(pattern, options)
            good.append(pattern)
        except re2.error:
            rest.append(pattern)
    log.info("%d crawler patterns are not RE2 syntax; they use the re module", len(rest))
    fast = re2.compile("|".join(f"(?:{p})" for p in good), options) if good else None
    slow = re.compile("|".join(f"(?:{p})" for p in rest)) if rest else None
    return fast, slow


_CRAWLER_FAST, _CRAWLER_SLOW = _compile_crawlers(_crawler_patterns())


def is_crawler(ua: str) -> bool:
    """The user agent matches the crawler-user-agents list (case-sensitive, as the list is)."""
    if _CRAWLER_FAST is not None and _CRAWLER_FAST.search(ua):
        return True
    return bool(_CRAWLER_SLOW is not None and _CRAWLER_SLOW.search(ua))


class AgentKind(NamedTuple):
    crawler: bool
    preview: bool
    in_app: str | None  # "instagram", "facebook", ... or None

    @property
    def bot(self) -> bool:
        """A machine by its user agent alone (the request method is the caller's business)."""
        return self.crawler or self.preview


_EMPTY = AgentKind(crawler=False, preview=False, in_app=None)


@lru_cache(maxsize=4096)
def classify(ua: str) -> AgentKind:
    """Crawler / preview / in-app verdict for one user-agent string (already stripped)."""
    ua = ua[:MAX_UA]
    if not ua:
        return _EMPTY
    preview = _PREVIEW.search(ua) is not None
    crawler = is_crawler(ua)
    in_app = None
    if not (preview or crawler):
        for name, pattern in _IN_APP:
            if pattern.search(ua):
                in_app = name
                break
    return AgentKind(crawler=crawler, preview=preview, in_app=in_app)
