"""Dashboard analytics pages over known traffic driven through real redirects
(tests/api/analytics_support.py): the workspace page and a link's page show the services'
figures to the unit (KPI cards, tables), their range and time-zone pickers reload with the new
range, bad ranges are a 400 beside the field, the CSV links download the export; in Chromium
every chart is drawn (Chart.js instance + painted pixels), a screenshot of the page is a real
picture, and the live page shows a click made after it opened without reloading (SSE, and the
polling fallback). Anonymous visitors go to the log-in page; another workspace's link is 404.

The traffic (humans): 9 clicks (7 unique) + 1 bot; Mar 9 UTC 5 clicks, Mar 10 4; US 3, DE 2,
GB 2, JP 2; L1 /promo 6 (rules: Germany 2, Phones 1, default 3), L2 /docs 2, L3 /third 1;
conversions: a 25.50 sale (Mar 9), a lead and a pending 10.00 sale (Mar 10)."""

from __future__ import annotations

import csv
import io
import re
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from linkhub import clock
from linkhub.dashboard import live as live_page
from linkhub.models import Link, Workspace
from linkhub.services.accounts import create_user
from linkhub.services.workspaces import add_member
from tests.api import analytics_support as sup
from tests.conftest import PASSWORD
from tests.dashboard.test_links_pages import Signed, browser_login, nav, text

NOW_RANGE = "range=30d"  # with the clock at sup.NOW this covers all the traffic


@pytest.fixture
def settings_overrides():
    return dict(sup.SETTINGS)


@pytest.fixture
def sc(app, client, alice):
    return sup.build(app, client, alice)


# --- reading the HTML -----------------------------------------------------------------------

class _Tables(HTMLParser):
    """Cell texts of every <table id=...>'s body rows, and text of elements by id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._in_body = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = attrs["id"]
            self.tables[self._table] = []
        elif tag == "tbody" and self._table:
            self._in_body = True
        elif tag == "tr" and self._in_body and "hidden" not in attrs:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def kpis(html: str) -> dict[str, str]:
    found = re.findall(r'id="kpi-([a-z]+)">\s*<span class="kpi-label">[^<]*</span>\s*'
                       r'<span class="kpi-value">([^<]*)</span>', html)
    return dict(found)


def range_label(html: str) -> str:
    return re.search(r'id="range-label">([^<]*)<', html).group(1)


WORKSPACE_KPIS = {"clicks": "9", "unique": "7", "conversions": "3", "revenue": "35.50 USD",
                  "leads": "1", "rate": "33.33 %", "qr": "2", "bots": "1"}
COUNTRIES = [["United States US", "3", "2", "33.33 %"], ["Germany DE", "2", "1", "22.22 %"],
             ["United Kingdom GB", "2", "2", "22.22 %"], ["Japan JP", "2", "2", "22.22 %"]]
REFERRERS = [["direct", "5", "4", "55.56 %"], ["google.com", "3", "2", "33.33 %"],
             ["twitter.com", "1", "1", "11.11 %"]]


# --- access ----------------------------------------------------------------------------------

def test_pages_need_a_session(client, app, alice):
    link = sup._post(client, alice, "/api/links", {"destinationUrl": "https://example.com/"})
    for path in ("/app/analytics", "/app/analytics/live", f"/app/links/{link['id']}/analytics"):
        response = app.test_client().get(path)
        assert response.status_code == 302, path
        assert "/app/login" in response.headers["Location"]


def test_members_of_every_role_see_the_pages(app, alice, bob, sc):
    l1 = sc.links["L1"]["id"]
    with app.test_request_context():
        add_member(alice.workspace, create_user("vic@example.com", PASSWORD, "Vic"), "viewer")
    for email in (alice.email, bob.email, "vic@example.com"):
        me = Signed(app, email)
        for path in ("/app/analytics", "/app/analytics/live", f"/app/links/{l1}/analytics"):
            response = me.get(path)
            assert response.status_code == 200, (email, path)
        html = text(me.get("/app/analytics"))
        assert 'href="/app/analytics"' in html and 'href="/app/analytics/live"' in html  # nav


def test_another_workspaces_link_is_404(app, alice, charlie, sc):
    l1 = sc.links["L1"]["id"]
    outsider = Signed(app, charlie.email)
    assert outsider.get(f"/app/links/{l1}/analytics").status_code == 404
    assert outsider.get(f"/app/links/{l1}/analytics?range=bogus&timezone=x").status_code == 404
    me = Signed(app, alice.email)
    assert me.get("/app/links/link_0000000000000000/analytics").status_code == 404
    assert me.get("/app/links/promo/analytics").status_code == 404  # ids, not short codes
    Link.update(deleted_at=clock.now()).where(Link.public_id == l1).execute()
    assert me.get(f"/app/links/{l1}/analytics").status_code == 404
    # charlie's own workspace page shows none of alice's traffic
    assert kpis(text(outsider.get("/app/analytics")))["clicks"] == "0"


# --- figures ---------------------------------------------------------------------------------

def test_workspace_page_figures(app, alice, sc):
    html = text(Signed(app, alice.email).get(f"/app/analytics?{NOW_RANGE}"))
    assert kpis(html) == WORKSPACE_KPIS
    assert range_label(html) == "2026-02-09 00:00 → 2026-03-10 19:00 (UTC)"
    t = tables(html)
    assert t["countries-table"] == COUNTRIES
    assert t["referrers-table"] == REFERRERS
    assert t["devices-table"] == [["desktop", "5", "4", "55.56 %"], ["mobile", "4", "3", "44.44 %"]]
    assert [r[:2] for r in t["browsers-table"]] == [["chrome", "7"], ["safari", "2"]]
    assert [r[:2] for r in t["os-table"]] == [["windows", "5"], ["android", "2"], ["ios", "2"]]
    assert t["triggers-table"] == [["link", "7", "5", "77.78 %"], ["qr", "2", "2", "22.22 %"],
                                   ["deeplink", "0", "0", "0.00 %"]]
    assert t["funnel-table"] == [["Clicks", "9", "100.00 %", "100.00 %"],
                                 ["Leads", "1", "11.11 %", "11.11 %"],
                                 ["Sales", "2", "200.00 %", "22.22 %"]]
    assert t["links-table"] == [["Promo /promo", "6", "4", "1"],
                                ['=HYPERLINK("http://evil") /docs', "2", "2", "0"],
                                ["@third /third", "1", "1", "0"]]
    assert t["tags-table"] == [["alpha", "2", "8", "88.89 %"], ["beta", "1", "6", "66.67 %"]]
    assert t["folders-table"] == [["Marketing", "2", "8", "88.89 %"]]
    assert t["campaigns-table"] == [
        ["1", "Spring active", "7", "5", "1", "2", "35.50 USD", "42.86 %"],
        ["2", "Idle active", "0", "0", "0", "0", "0.00 USD", "0.00 %"]]
    series = {row[0]: row[1:] for row in t["timeseries-table"]}
    assert len(series) == 30 and list(series)[0] == "2026-02-09"
    assert series["2026-03-09"] == ["5", "4", "1", "25.50"]
    assert series["2026-03-10"] == ["4", "3", "2", "10.00"]
    assert series["2026-03-08"] == ["0", "0", "0", "0.00"]
    # every chart the page draws is described in the embedded JSON (no inline script)
    charts = re.findall(r'<canvas id="chart-([a-z]+)" data-chart', html)
    assert charts == ["timeseries", "countries", "devices", "browsers", "os", "triggers",
                      "funnel"]
    assert '<script type="application/json" id="analytics-data">' in html
    assert "/static/vendor/chart.umd.min.js" in html and "<script>" not in html


def test_range_presets_custom_dates_and_time_zone(app, alice, sc):
    me = Signed(app, alice.email)
    day = text(me.get("/app/analytics?range=24h"))
    assert kpis(day)["clicks"] == "4"  # Mar 10 09:05-09:08, inside Mar 9 19:00 - Mar 10 19:00
    assert range_label(day) == "2026-03-09 19:00 → 2026-03-10 19:00 (UTC)"
    hours = tables(day)["timeseries-table"]
    assert len(hours) == 24 and hours[14][:2] == ["2026-03-10 09:00", "4"]
    custom = text(me.get("/app/analytics?range=custom&start=2026-03-09&end=2026-03-09"))
    assert kpis(custom)["clicks"] == "5" and kpis(custom)["revenue"] == "25.50 USD"
    assert tables(custom)["timeseries-table"][10][:2] == ["2026-03-09 10:00", "3"]  # hourly
    by_day = text(me.get("/app/analytics?range=custom&start=2026-03-09&end=2026-03-10"
                         "&granularity=day"))
    assert [r[:2] for r in tables(by_day)["timeseries-table"]] == [["2026-03-09", "5"],
                                                                   ["2026-03-10", "4"]]
    # +14:00: every click falls on the local Mar 10, and the 30 days end on the local Mar 11
    far = text(me.get("/app/analytics?range=30d&timezone=Pacific/Kiritimati"))
    series = {row[0]: row[1] for row in tables(far)["timeseries-table"]}
    assert series["2026-03-09"] == "0" and series["2026-03-10"] == "9"
    assert list(series)[-1] == "2026-03-11"
    assert range_label(far).endswith("(Pacific/Kiritimati)")
    assert '<option selected value="Pacific/Kiritimati">' in far
    # the workspace's zone is the default
    Workspace.update(timezone="Pacific/Kiritimati").where(
        Workspace.public_id == alice.workspace_id).execute()
    assert range_label(text(me.get("/app/analytics"))).endswith("(Pacific/Kiritimati)")


def test_bad_ranges_are_400_beside_the_field(app, alice, sc):
    me = Signed(app, alice.email)
    backwards = me.get("/app/analytics?range=custom&start=2026-03-10&end=2026-03-01")
    html = text(backwards)
    assert backwards.status_code == 400 and "Must be before end." in html
    assert 'id="kpi-clicks"' not in html and "analytics-data" not in html
    zone = me.get("/app/analytics?timezone=Mars/Olympus")
    assert zone.status_code == 400
    assert "Must be an IANA time zone name such as Europe/Paris." in text(zone)
    wide = me.get("/app/analytics?range=custom&start=2026-03-01&end=2026-03-10"
                  "&granularity=hour")
    assert wide.status_code == 200  # 10 days of hours is allowed
    too_wide = me.get("/app/analytics?range=90d&granularity=hour")
    assert too_wide.status_code == 400
    assert "Hour buckets need a range of at most 31 days." in text(too_wide)
    junk = me.get(f"/app/links/{sc.links['L1']['id']}/analytics?range=custom&start=nope")
    assert junk.status_code == 400 and "Must be an ISO 8601 date or datetime." in text(junk)
    # an unknown preset or bucket size falls back to the defaults (they are menu choices)
    assert me.get("/app/analytics?range=7y&granularity=week").status_code == 200


def test_link_page_figures(app, alice, sc):
    l1, de, mobile = sc.links["L1"]["id"], sc.rules["DE"]["id"], sc.rules["MOBILE"]["id"]
    html = text(Signed(app, alice.email).get(f"/app/links/{l1}/analytics?{NOW_RANGE}"))
    assert kpis(html) == {"clicks": "6", "unique": "4", "conversions": "3",
                          "revenue": "35.50 USD", "qr": "1", "bots": "1", "lifetime": "6",
                          "top": "DE"}
    t = tables(html)
    assert t["countries-table"] == [["Germany DE", "2", "1", "33.33 %"],
                                    ["United States US", "2", "1", "33.33 %"],
                                    ["United Kingdom GB", "1", "1", "16.67 %"],
                                    ["Japan JP", "1", "1", "16.67 %"]]
    assert t["referrers-table"] == [["direct", "3", "2", "50.00 %"],
                                    ["google.com", "2", "1", "33.33 %"],
                                    ["twitter.com", "1", "1", "16.67 %"]]
    assert t["rules-table"] == [
        ["Germany", "1", "https://de.example.com/", "2", "1", "33.33 %"],
        ["Phones", "2", "https://m.example.com/", "1", "1", "16.67 %"],
        ["default", "—", "https://example.com/landing", "3", "2", "50.00 %"]]
    assert t["flow-table"] == [
        ["direct", "→ Germany", "2", "33.33 %"], ["google.com", "→ default", "2", "33.33 %"],
        ["direct", "→ default", "1", "16.67 %"], ["twitter.com", "→ Phones", "1", "16.67 %"],
        ["default", "→ example.com", "3", "50.00 %"],
        ["Germany", "→ de.example.com", "2", "33.33 %"],
        ["Phones", "→ m.example.com", "1", "16.67 %"]]
    assert [r[:5] for r in t["paths-table"]] == [
        ["2026-03-10 09:06:00", "direct", "link", "Germany", "de.example.com"],
        ["2026-03-10 09:05:00", "direct", "qr", "default", "example.com"],
        ["2026-03-09 14:40:00", "google.com", "link", "default", "example.com"],
        ["2026-03-09 10:17:00", "twitter.com", "link", "Phones", "m.example.com"],
        ["2026-03-09 10:16:00", "direct", "link", "Germany", "de.example.com"],
        ["2026-03-09 10:15:00", "google.com", "link", "default", "example.com"]]
    assert f'data-key="{de}"' in html and f'data-key="{mobile}"' in html
    assert t["funnel-table"][0] == ["Clicks", "6", "100.00 %", "100.00 %"]
    assert "chart-rules" in html
    # the link's detail page links here
    detail = text(Signed(app, alice.email).get(f"/app/links/{l1}"))
    assert f'href="/app/links/{l1}/analytics"' in detail


def test_csv_links_download_the_same_range(app, alice, sc):
    me = Signed(app, alice.email)
    html = text(me.get("/app/analytics?range=custom&start=2026-03-09&end=2026-03-09"))
    hrefs = re.findall(r'href="(/api/analytics/export\?[^"]+)" download', html)
    assert len(hrefs) == 6
    first = me.get(hrefs[0])
    assert first.status_code == 200 and first.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(first.get_data(as_text=True))))
    assert rows[0] == ["linkId", "shortCode", "title", "destinationUrl", "clicks",
                       "uniqueClicks", "botClicks"]
    assert sorted((r[1], r[4]) for r in rows[1:]) == [("docs", "1"), ("promo", "4")]
    series = list(csv.reader(io.StringIO(me.get(hrefs[1]).get_data(as_text=True))))
    assert series[0][:2] == ["timestamp", "clicks"] and len(series) == 25  # hourly, one day
    l1 = sc.links["L1"]["id"]
    link_html = text(me.get(f"/app/links/{l1}/analytics?{NOW_RANGE}"))
    link_hrefs = re.findall(r'href="(/api/analytics/export\?[^"]+)" download', link_html)
    assert all(f"linkId={l1}" in h for h in link_hrefs)
    countries = list(csv.reader(io.StringIO(me.get(link_hrefs[1]).get_data(as_text=True))))
    assert countries[1:] == [["country", "DE", "2", "1", "0", "33.33"],
                             ["country", "US", "2", "1", "1", "33.33"],
                             ["country", "GB", "1", "1", "0", "16.67"],
                             ["country", "JP", "1", "1", "0", "16.67"]]


# --- in the browser ----------------------------------------------------------------------------

CHARTS_JS = """() => Array.from(document.querySelectorAll('canvas[data-chart]')).map(canvas => {
  const chart = Chart.getChart(canvas);
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { painted++; } }
  return {name: canvas.dataset.chart, type: chart ? chart.config.type : null,
          first: chart ? chart.data.datasets[0].data : null, painted: painted,
          size: canvas.width * canvas.height,
          blank: canvas.toDataURL() === document.createElement('canvas').toDataURL()};
})"""

ROWS_JS = """(id) => Array.from(document.querySelectorAll('#' + id + ' tbody tr'))
  .map(tr => Array.from(tr.cells).map(td => td.textContent.trim().replace(/\\s+/g, ' ')))"""


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def png_colours(data: bytes) -> set[tuple[int, ...]]:
    """The distinct pixel colours of an 8-bit, non-interlaced RGB or RGBA PNG."""
    width, height = png_size(data)
    depth, kind, interlace = data[24], data[25], data[28]
    assert depth == 8 and kind in (2, 6) and interlace == 0
    pos, packed = 8, b""
    while pos < len(data):
        length, name = struct.unpack(">I4s", data[pos:pos + 8])
        if name == b"IDAT":
            packed += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw, bpp = zlib.decompress(packed), 3 if kind == 2 else 4
    stride, prev, colours = width * bpp, bytearray(width * bpp), set()
    for y in range(height):
        start = y * (stride + 1)
        kind_of_filter, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind_of_filter == 1:
                line[i] = (line[i] + a) & 255
            elif kind_of_filter == 2:
                line[i] = (line[i] + b) & 255
            elif kind_of_filter == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind_of_filter == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        colours.update(bytes(line[i:i + bpp]) for i in range(0, stride, bpp))
        prev = line
    return {tuple(c[:3]) for c in colours}


def assert_charts_drawn(page, expected: list[str]) -> list[dict]:
    page.wait_for_selector("body[data-charts-ready=true]")
    charts = page.evaluate(CHARTS_JS)
    assert [c["name"] for c in charts] == expected
    for chart in charts:
        assert chart["type"] is not None, chart["name"]  # Chart.getChart found an instance
        assert not chart["blank"] and chart["painted"] > chart["size"] // 100, chart["name"]
    return charts


def rows(page, table_id: str) -> list[list[str]]:
    return page.evaluate(ROWS_JS, table_id)


def apply(page, pattern: str) -> None:
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(pattern))
    page.wait_for_selector("body[data-charts-ready=true]")


@pytest.mark.browser
def test_workspace_analytics_page_in_chromium(page, app, alice, sc, tmp_path):
    browser_login(page, alice.email)
    nav(page, "Analytics")
    page.wait_for_url("**/app/analytics")
    charts = assert_charts_drawn(page, ["timeseries", "countries", "devices", "browsers", "os",
                                        "triggers", "funnel"])
    by_name = {c["name"]: c["first"] for c in charts}
    assert sum(by_name["timeseries"]) == 9 and by_name["countries"] == [3, 2, 2, 2]
    assert by_name["devices"] == [5, 4] and by_name["funnel"] == [9, 1, 2]
    assert {k: page.inner_text(f"#kpi-{k} .kpi-value") for k in WORKSPACE_KPIS} == \
        WORKSPACE_KPIS
    assert rows(page, "countries-table") == COUNTRIES
    assert rows(page, "referrers-table") == REFERRERS

    # a screenshot of the whole page is a real picture, and the chart in it is drawn
    shot = tmp_path / "analytics.png"
    page.screenshot(path=str(shot), full_page=True)
    width, height = png_size(shot.read_bytes())
    assert (width, height) == (page.viewport_size["width"],
                               page.evaluate("document.documentElement.scrollHeight"))
    trend = png_colours(page.locator("#chart-timeseries").screenshot())
    assert len(trend) > 20  # lines, fills, bars, text: not a blank box
    assert any(abs(r - 79) + abs(g - 70) + abs(b - 229) < 40 for r, g, b in trend)  # clicks line

    # presets, custom dates and the time zone reload the page with the new range
    page.select_option("#f-range", "24h")
    apply(page, r"range=24h")
    assert page.inner_text("#kpi-clicks .kpi-value") == "4"
    assert page.inner_text("#range-label") == "2026-03-09 19:00 → 2026-03-10 19:00 (UTC)"
    page.select_option("#f-range", "custom")
    page.fill("#f-start", "2026-03-09")
    page.fill("#f-end", "2026-03-09")
    apply(page, r"range=custom&start=2026-03-09&end=2026-03-09")
    assert page.inner_text("#kpi-clicks .kpi-value") == "5"
    assert page.inner_text("#kpi-revenue .kpi-value") == "25.50 USD"
    page.select_option("#f-range", "30d")
    page.select_option("#f-timezone", "Pacific/Kiritimati")
    apply(page, r"range=30d.*timezone=Pacific%2FKiritimati")
    assert page.inner_text("#range-label").endswith("(Pacific/Kiritimati)")
    series = {row[0]: row[1] for row in rows(page, "timeseries-table")}
    assert series["2026-03-09"] == "0" and series["2026-03-10"] == "9"
    assert page.input_value("#f-timezone") == "Pacific/Kiritimati"

    # the CSV link downloads the export of the same range
    with page.expect_download() as download:
        page.click("a[data-export='2']")  # countries
    body = Path(download.value.path()).read_text(encoding="utf-8")
    found = list(csv.reader(io.StringIO(body)))
    assert found[0] == ["dimension", "value", "clicks", "uniqueClicks", "botClicks",
                        "percentage"]
    assert [r[1:3] for r in found[1:]] == [["US", "3"], ["DE", "2"], ["GB", "2"], ["JP", "2"]]


@pytest.mark.browser
def test_link_analytics_page_in_chromium(page, app, alice, sc):
    l1 = sc.links["L1"]["id"]
    browser_login(page, alice.email)
    page.goto(f"/app/links/{l1}")
    page.click("#link-analytics")
    page.wait_for_url(f"**/app/links/{l1}/analytics")
    charts = assert_charts_drawn(page, ["timeseries", "countries", "devices", "browsers", "os",
                                        "rules", "triggers", "funnel"])
    assert {c["name"]: c["first"] for c in charts}["rules"] == [2, 1, 3]
    assert page.inner_text("#kpi-clicks .kpi-value") == "6"
    assert rows(page, "flow-table")[0] == ["direct", "→ Germany", "2", "33.33 %"]
    assert len(rows(page, "paths-table")) == 6
    page.select_option("#f-range", "24h")
    apply(page, r"range=24h")
    assert page.inner_text("#kpi-clicks .kpi-value") == "2"  # Mar 10: #7 and #8
    assert len(rows(page, "paths-table")) == 2


def _click_fresh_link(app) -> None:
    visitor = app.test_client()
    response = visitor.get("/fresh", headers={"User-Agent": sup.VISITORS["A"][1],
                                               "X-Forwarded-For": "8.8.8.8",
                                               "Referer": sup.GOOGLE})
    assert response.status_code == 302
    sup.flush(app)


def _open_live(page, app, client, alice, state: str) -> None:
    sup._post(client, alice, "/api/links", {"shortCode": "fresh", "title": "Fresh link",
                                            "destinationUrl": "https://example.com/fresh"})
    browser_login(page, alice.email)
    nav(page, "Live")
    page.wait_for_url("**/app/analytics/live")
    page.wait_for_selector(f"body[data-live-state={state}]")
    assert page.locator("#live-events tr[data-event]").count() == 0
    page.evaluate("window.openedOnce = true")  # gone if the page reloads


def _assert_new_row(page) -> None:
    row = page.locator("#live-events tr[data-event]").first
    row.wait_for()
    cells = rows(page, "live-events")[0]
    assert cells[1:] == ["click", "Fresh link", "—", "US", "desktop · chrome", "google.com"]
    assert page.evaluate("window.openedOnce") is True
    assert page.locator("#live-events tr[data-event]").count() == 1


@pytest.mark.browser
def test_live_page_streams_a_new_click_without_reloading(monkeypatch, page, app, client,
                                                         alice):
    from linkhub.api import live as live_api

    monkeypatch.setattr(live_api, "POLL_SECONDS", 0.1)  # the stream looks for rows this often
    monkeypatch.setattr(live_api, "HEARTBEAT_SECONDS", 0.5)  # and notices a gone tab soon
    _open_live(page, app, client, alice, "stream")
    _click_fresh_link(app)
    _assert_new_row(page)
    page.wait_for_function("document.querySelector('[data-stat=\"lastHour.clicks\"]')"
                           ".textContent === '1'")  # the counters follow


@pytest.mark.browser
def test_live_page_polls_when_there_is_no_event_source(monkeypatch, page, app, client, alice):
    monkeypatch.setattr(live_page, "POLL_SECONDS", 0.2)
    page.add_init_script("delete window.EventSource;")
    _open_live(page, app, client, alice, "poll")
    _click_fresh_link(app)
    _assert_new_row(page)
