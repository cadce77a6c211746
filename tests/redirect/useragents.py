"""Real user-agent strings (as sent by the named browser, app or bot) with the facts
linkhub/redirect/facts.py must derive from each. Data only: no test logic here."""

from __future__ import annotations

from typing import NamedTuple


class Agent(NamedTuple):
    name: str
    ua: str
    device: str | None  # deviceType
    os: str | None
    os_version: str | None
    browser: str | None
    brand: str | None
    crawler: bool = False  # isCrawler
    preview: bool = False  # isPreview
    in_app: str | None = None  # inAppName (inApp is its truthiness)

    @property
    def bot(self) -> bool:
        return self.device == "bot"


IOS = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
       "(KHTML, like Gecko)")

AGENTS: tuple[Agent, ...] = (
    # --- phones and tablets ---------------------------------------------------------------------
    Agent("iphone-safari",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
          "mobile", "ios", "17.4.1", "safari", "Apple"),
    Agent("iphone-chrome",
          f"{IOS} CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
          "mobile", "ios", "17.4", "chrome", "Apple"),
    Agent("ipad-safari",
          "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/16.6 Mobile/15E148 Safari/604.1",
          "tablet", "ios", "16.6", "safari", "Apple"),
    Agent("samsung-galaxy-chrome",
          "Mozilla/5.0 (Linux; Android 13; SM-S901B) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/112.0.0.0 Mobile Safari/537.36",
          "mobile", "android", "13", "chrome", "Samsung"),
    Agent("samsung-internet",
          "Mozilla/5.0 (Linux; Android 13; SM-S908B) AppleWebKit/537.36 (KHTML, like Gecko) "
          "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
          "mobile", "android", "13", "samsung internet", "Samsung"),
    Agent("pixel-chrome",
          "Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.6367.82 Mobile Safari/537.36",
          "mobile", "android", "14", "chrome", "Google"),
    Agent("android-chrome-reduced-ua",  # what Chrome 110+ sends by default: model "K"
          "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Mobile Safari/537.36",
          "mobile", "android", "10", "chrome", None),
    Agent("galaxy-tab-chrome",  # Android without "Mobile" -> tablet
          "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36",
          "tablet", "android", "13", "chrome", None),
    Agent("firefox-android-tablet",
          "Mozilla/5.0 (Android 13; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0",
          "tablet", "android", "13", "firefox", None),
    Agent("firefox-android-phone",
          "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
          "mobile", "android", "14", "firefox", None),
    # --- desktops -------------------------------------------------------------------------------
    Agent("chrome-windows",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Safari/537.36",
          "desktop", "windows", "10", "chrome", None),
    Agent("edge-windows",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
          "desktop", "windows", "10", "edge", None),
    Agent("firefox-windows",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
          "desktop", "windows", "10", "firefox", None),
    Agent("opera-windows",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0",
          "desktop", "windows", "10", "opera", None),
    Agent("safari-macos",
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
          "desktop", "macos", "10.15.7", "safari", "Apple"),
    Agent("chrome-macos",
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Safari/537.36",
          "desktop", "macos", "10.15.7", "chrome", "Apple"),
    Agent("firefox-linux",
          "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
          "desktop", "linux", None, "firefox", None),
    Agent("firefox-ubuntu",
          "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
          "desktop", "linux", None, "firefox", None),
    Agent("chromebook",
          "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Safari/537.36",
          "desktop", "chromeos", "14541.0.0", "chrome", None),
    # --- other screens --------------------------------------------------------------------------
    Agent("xbox-one",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19041",
          "console", "windows", "10", "edge", None),
    Agent("samsung-smart-tv",
          "Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) "
          "76.0.3809.146/6.0 TV Safari/537.36",
          "tv", "tizen", "6.0", "safari", "Samsung"),
    # --- in-app browsers ------------------------------------------------------------------------
    Agent("instagram-ios",
          f"{IOS} Mobile/15E148 Instagram 327.0.2.30.93 (iPhone15,3; iOS 17_4; en_US; en; "
          "scale=3.00; 1290x2796; 589306357)",
          "mobile", "ios", "17.4", "instagram", "Apple", in_app="instagram"),
    Agent("instagram-android",
          "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 Instagram "
          "329.0.0.41.93 Android (34/14; 480dpi; 1080x2340; samsung; SM-S918B; dm3q; qcom; en_US; "
          "594000421)",
          "mobile", "android", "14", "instagram", "Samsung", in_app="instagram"),
    Agent("facebook-ios",
          f"{IOS} Mobile/15E148 [FBAN/FBIOS;FBAV/459.0.0.38.108;FBBV/574473207;FBDV/iPhone14,5;"
          "FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/576442930]",
          "mobile", "ios", "17.4", "facebook", "Apple", in_app="facebook"),
    Agent("facebook-android",
          "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Version/4.0 Chrome/116.0.5845.163 Mobile Safari/537.36 "
          "[FB_IAB/FB4A;FBAV/431.0.0.31.115;]",
          "mobile", "android", "13", "facebook", "Google", in_app="facebook"),
    Agent("messenger-ios",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Mobile/15E148 [FBAN/MessengerForiOS;FBAV/417.0.0.33.108;"
          "FBBV/488958826;FBDV/iPhone13,2;FBMD/iPhone;FBSN/iOS;FBSV/16.5;FBSS/3;FBCR/;FBID/phone;"
          "FBLC/en_US;FBOP/5]",
          "mobile", "ios", "16.5", "facebook messenger", "Apple", in_app="messenger"),
    Agent("tiktok-ios",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Mobile/15E148 musical_ly_33.5.0 JsSdk/2.0 NetType/WIFI "
          "Channel/App Store ByteLocale/en Region/US ByteFullLocale/en RevealType/Dialog "
          "isDarkMode/0 WKWebView/1 BytedanceWebview/d8a21c6",
          "mobile", "ios", "17.3", "tiktok", "Apple", in_app="tiktok"),
    Agent("tiktok-android",
          "Mozilla/5.0 (Linux; Android 12; SM-A525F Build/SP1A.210812.016; wv) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 "
          "trill_320503 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/trill "
          "app_version/32.5.3 ByteLocale/en ByteFullLocale/en Region/IN AppId/1180 "
          "Spark/1.4.6.3-bugfix AppVersion/32.5.3 BytedanceWebview/d8a21c6",
          "mobile", "android", "12", "tiktok", "Samsung", in_app="tiktok"),
    Agent("linkedin-app",
          f"{IOS} Mobile/15E148 [LinkedInApp]/9.29.8162",
          "mobile", "ios", "17.4", "safari", "Apple", in_app="linkedin"),
    Agent("snapchat",
          f"{IOS} Mobile/15E148 Snapchat/12.80.0.36 (like Safari/8617.2.4.10.8, panda)",
          "mobile", "ios", "17.4", "snapchat", "Apple", in_app="snapchat"),
    Agent("line",
          f"{IOS} Mobile/15E148 Safari Line/14.5.0",
          "mobile", "ios", "17.4", "line", "Apple", in_app="line"),
    Agent("wechat",
          f"{IOS} Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
          "mobile", "ios", "17.4", "wechat", "Apple", in_app="wechat"),
    # --- crawlers -------------------------------------------------------------------------------
    Agent("googlebot",
          "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
          "bot", None, None, "googlebot", None, crawler=True),
    Agent("googlebot-smartphone",
          "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/124.0.6367.155 Mobile Safari/537.36 (compatible; "
          "Googlebot/2.1; +http://www.google.com/bot.html)",
          "bot", "android", "6.0.1", "googlebot", None, crawler=True),
    Agent("bingbot",
          "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
          "bot", None, None, "bingbot", None, crawler=True),
    Agent("applebot",  # Siri/Spotlight indexing: a crawler; Messages previews are below
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; "
          "+http://www.apple.com/go/applebot)",
          "bot", "macos", "10.15.5", "applebot", None, crawler=True),
    Agent("curl", "curl/8.5.0", "bot", None, None, "curl", None, crawler=True),
    Agent("python-requests", "python-requests/2.31.0",
          "bot", None, None, "python requests", None, crawler=True),
    # --- link-preview fetchers (all also on the crawler list) -----------------------------------
    Agent("slackbot-linkexpanding",
          "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
          "bot", None, None, "slackbot-linkexpanding", None, crawler=True, preview=True),
    Agent("facebookexternalhit",
          "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
          "bot", None, None, "facebookbot", None, crawler=True, preview=True),
    Agent("twitterbot", "Twitterbot/1.0",
          "bot", None, None, "twitterbot", None, crawler=True, preview=True),
    Agent("whatsapp", "WhatsApp/2.23.20.0 A",
          "bot", None, None, "whatsapp", None, crawler=True, preview=True),
    Agent("discordbot",
          "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
          "bot", None, None, "discordbot", None, crawler=True, preview=True),
    Agent("telegrambot", "TelegramBot (like TwitterBot)",
          "bot", None, None, "telegrambot", None, crawler=True, preview=True),
    Agent("linkedinbot",
          "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
          "bot", None, None, "linkedinbot", None, crawler=True, preview=True),
    Agent("imessage-preview",
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) "
          "Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
          "bot", "macos", "10.11.1", "facebookbot", None, crawler=True, preview=True),
    Agent("skype-preview",
          "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 "
          "skype-url-preview@microsoft.com",
          "bot", "windows", "7", None, None, crawler=True, preview=True),
)
