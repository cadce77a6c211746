"""Device, OS and browser from a user-agent string: ua-parser 1.x (builtin regexes, Rust
resolver) plus a few heuristics, normalised to the lower-case names rules compare against.
Pure and LRU-cached per user-agent string; it knows nothing about bots or requests."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any, NamedTuple

import ua_parser

MAX_UA = 1024

# ua-parser OS family -> our name. Anything else: the family lower-cased without spaces
# ("Other" -> unknown). iPadOS reports as iOS; iPadOS 13+ Safari claims to be a Mac by default.
OS_NAMES: dict[str, str] = {
    "iOS": "ios", "iPadOS": "ios", "Android": "android", "Mac OS X": "macos", "macOS": "macos",
    "Windows": "windows", "Windows Phone": "windowsphone", "Windows Mobile": "windowsphone",
    "Chrome OS": "chromeos", "ChromeOS": "chromeos", "Chromecast": "chromecast",
    "BlackBerry OS": "blackberry", "BlackBerry Tablet OS": "blackberry", "KaiOS": "kaios",
    "Tizen": "tizen", "HarmonyOS": "harmonyos", "FreeBSD": "freebsd", "OpenBSD": "openbsd",
    "NetBSD": "netbsd", "Fire OS": "fireos", "tvOS": "tvos", "watchOS": "watchos",
    "webOS": "webos",
}
LINUX_FAMILIES = frozenset({
    "Linux", "Ubuntu", "Kubuntu", "Xubuntu", "Lubuntu", "Debian", "Fedora", "Red Hat", "SUSE",
    "openSUSE", "Mint", "Linux Mint", "Arch Linux", "Gentoo", "Slackware", "CentOS", "Mandriva",
    "Manjaro", "Elementary OS", "Kali", "Raspbian",
})

# ua-parser browser family -> our name. Anything else: the family lower-cased.
BROWSER_NAMES: dict[str, str] = {
    "Chrome": "chrome", "Chrome Mobile": "chrome", "Chrome Mobile iOS": "chrome",
    "Chrome Mobile WebView": "chrome",
    "Safari": "safari", "Mobile Safari": "safari", "Mobile Safari UI/WKWebView": "safari",
    "Firefox": "firefox", "Firefox Mobile": "firefox", "Firefox iOS": "firefox",
    "Edge": "edge", "Edge Mobile": "edge", "Opera": "opera", "Opera Mobile": "opera",
    "Samsung Internet": "samsung internet", "IE": "ie", "IE Mobile": "ie",
    "WeChat Browser": "wechat", "LINE": "line",
}
# Brands that are ua-parser's placeholders rather than a maker.
NO_BRAND = frozenset({"Generic", "Generic_Android", "Generic_Android_Tablet", "Generic_Inettv",
                      "Spider"})
DESKTOP_OS = frozenset({"windows", "macos", "linux", "chromeos", "freebsd", "openbsd",
                        "netbsd"})
MOBILE_OS = frozenset({"ios", "android", "windowsphone", "blackberry", "kaios", "harmonyos"})

_TV = re.compile(r"SMART-TV|SmartTV|Smart-TV|\bTV Safari|GoogleTV|Android TV|AppleTV|CrKey"
                 r"|HbbTV|BRAVIA|\bAFT[A-Z]|Roku|Web0S|NetCast")
_CONSOLE = re.compile(r"PlayStation|Xbox|Nintendo")
_TABLET = re.compile(r"\biPad\b|\bTablet\b|\bKindle\b|\bSilk/|\bPlayBook\b")
_MOBILE = re.compile(r"\bMobi|\biPhone\b|\biPod\b|Opera Mini|Windows Phone|KAIOS")
_ANDROID_MOBILE = re.compile(r"\bMobile\b")


class AgentInfo(NamedTuple):
    device_type: str | None  # mobile | tablet | desktop | tv | console | None (unknown)
    os: str | None
    os_version: str | None
    browser: str | None
    browser_version: str | None
    brand: str | None
    spider: bool  # ua-parser's own "Spider" device verdict


UNKNOWN = AgentInfo(None, None, None, None, None, None, False)

_parser: ua_parser.Parser | None = None
_parser_lock = threading.Lock()


def parser() -> ua_parser.Parser:
    """The one ua-parser instance, built on first use (~0.3 s: call warm_up() at start)."""
    global _parser
    if _parser is None:
        with _parser_lock:
            if _parser is None:
                # No cache inside: describe() is the LRU, keyed on the whole string.
                resolver = ua_parser.BestAvailableResolver(ua_parser.load_lazy_builtins())
                _parser = ua_parser.Parser(resolver)
    return _parser


def _parse(ua: str) -> ua_parser.Result:
    return parser().parse(ua)


def _version(part: Any) -> str | None:
    pieces = [p for p in (part.major, part.minor, part.patch, part.patch_minor) if p]
    return ".".join(pieces)[:32] or None


def os_name(family: str | None) -> str | None:
    if not family or family == "Other":
        return None
    if family in OS_NAMES:
        return OS_NAMES[family]
    if family in LINUX_FAMILIES:
        return "linux"
    if family.startswith("Windows"):
        return "windowsphone" if "Phone" in family or "Mobile" in family else "windows"
    return family.lower().replace(" ", "")[:32]


def browser_name(family: str | None) -> str | None:
    if not family or family == "Other":
        return None
    return BROWSER_NAMES.get(family) or family.lower()[:64]


def device_type(ua: str, os: str | None, device_family: str | None, brand: str | None) -> \
        str | None:
    """tv and console first (their agents also name a desktop OS), then tablet (iPad, Android
    without "Mobile", Kindle), then mobile, then desktop; None when nothing says."""
    if _TV.search(ua) or (device_family or "").endswith("SMART-TV"):
        return "tv"
    if _CONSOLE.search(ua):
        return "console"
    if device_family == "iPad" or brand == "Generic_Android_Tablet" or _TABLET.search(ua):
        return "tablet"
    if os == "android":
        return "mobile" if _ANDROID_MOBILE.search(ua) else "tablet"
    if os in MOBILE_OS or _MOBILE.search(ua):
        return "mobile"
    if os in DESKTOP_OS:
        return "desktop"
    return None


@lru_cache(maxsize=4096)
def describe(ua: str) -> AgentInfo:
    """Normalised device/OS/browser facts for one user-agent string (already stripped)."""
    ua = ua[:MAX_UA]
    if not ua:
        return UNKNOWN
    result = _parse(ua)
    agent, system, device = result.user_agent, result.os, result.device
    os = os_name(system.family) if system else None
    family = device.family if device else None
    raw_brand = device.brand if device else None
    return AgentInfo(
        device_type=device_type(ua, os, family, raw_brand),
        os=os,
        os_version=_version(system) if system and os else None,
        browser=browser_name(agent.family) if agent else None,
        browser_version=_version(agent) if agent and agent.family != "Other" else None,
        brand=None if raw_brand in NO_BRAND else (raw_brand or None),
        spider=family == "Spider",
    )
