"""services/fx_refresh.py and the fx-refresh job: ECB XML served by a local http.server (never
the network) or injected as bytes, re-based to USD exactly, upserted idempotently; broken
documents, missing USD and fetch failures raise and leave FxRate untouched."""

from __future__ import annotations

import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from linkhub import jobs
from linkhub.models import FxRate
from linkhub.services import fx, fx_refresh
from linkhub.services.fx_refresh import FxRefreshError

DAY = date(2026, 2, 2)
ECB_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
    xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
  <Cube>
    <Cube time='2026-02-02'>
      <Cube currency='USD' rate='1.25'/>
      <Cube currency='GBP' rate='0.85'/>
      <Cube currency='JPY' rate='160.00'/>
      <Cube currency='CHF' rate='0.95'/>
    </Cube>
  </Cube>
</gesmes:Envelope>
"""


def _rows() -> dict[tuple[str, date], tuple[float, str]]:
    return {(r.currency, r.day): (r.rate, r.source) for r in FxRate.select()}


def load_fixture(xml: bytes = ECB_XML) -> dict:
    """Store the fixture's rates (used by the API tests too)."""
    return fx_refresh.refresh("http://rates.test/eurofxref.xml", fetch=lambda url: xml)


@pytest.fixture
def rates_server():
    """A local http.server answering the fixture XML at /eurofxref-daily.xml (404 elsewhere)."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            if self.path != "/eurofxref-daily.xml":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(ECB_XML)))
            self.end_headers()
            self.wfile.write(ECB_XML)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    server.hits = hits
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def settings_overrides(request):
    if "rates_server" in request.fixturenames:
        server = request.getfixturevalue("rates_server")
        return {"FX_RATES_URL": f"{server.base}/eurofxref-daily.xml"}
    return {}


def test_the_job_fetches_from_the_local_server_and_rebases_to_usd(ctx, rates_server):
    result = jobs.by_name("fx-refresh").func()
    assert rates_server.hits == ["/eurofxref-daily.xml"]
    assert result == {"days": ["2026-02-02"], "currencies": 5, "inserted": 5, "updated": 0,
                      "unchanged": 0}
    assert _rows() == {("USD", DAY): (1.0, "ecb"), ("GBP", DAY): (0.68, "ecb"),
                       ("JPY", DAY): (128.0, "ecb"), ("CHF", DAY): (0.76, "ecb"),
                       ("EUR", DAY): (0.8, "ecb")}
    assert fx.rate("GBP", DAY) == 0.68 and fx.to_usd_micros(100_000_000, "EUR", DAY) == 125_000_000


def test_the_http_fetch_refuses_a_missing_page(ctx, rates_server):
    with pytest.raises(FxRefreshError, match="could not fetch"):
        fx_refresh.refresh(f"{rates_server.base}/missing.xml")
    assert _rows() == {}


def test_running_twice_changes_nothing_and_changed_rates_update(ctx):
    load_fixture()
    before = _rows()
    assert load_fixture() == {"days": ["2026-02-02"], "currencies": 5, "inserted": 0,
                              "updated": 0, "unchanged": 5}
    assert _rows() == before and FxRate.select().count() == 5
    result = load_fixture(ECB_XML.replace(b"rate='0.85'", b"rate='0.875'"))
    assert (result["inserted"], result["updated"], result["unchanged"]) == (0, 1, 4)
    assert fx.rate("GBP", DAY) == 0.7


def test_a_snapshot_row_of_the_same_day_becomes_ecb(ctx):
    FxRate.create(currency="GBP", day=DAY, rate=0.68, source="snapshot")
    assert load_fixture()["updated"] == 1
    assert _rows()[("GBP", DAY)] == (0.68, "ecb")


def test_history_documents_store_every_day(ctx):
    xml = ECB_XML.replace(b"</Cube>\n  </Cube>", b"""</Cube>
    <Cube time='2026-01-30'><Cube currency='USD' rate='1.20'/><Cube currency='GBP' rate='0.90'/>
    </Cube>
  </Cube>""")
    result = load_fixture(xml)
    assert result["days"] == ["2026-01-30", "2026-02-02"] and result["inserted"] == 8
    assert fx.rate("GBP", date(2026, 1, 31)) == 0.75 and fx.rate("GBP", DAY) == 0.68


def test_an_empty_url_turns_the_refresh_off(ctx):
    assert jobs.by_name("fx-refresh").func() == {"skipped": True,
                                                "reason": "FX_RATES_URL is empty"}
    assert _rows() == {}


BAD_DOCUMENTS = {
    "not xml": b"<html><body>maintenance",
    "no usd": ECB_XML.replace(b"<Cube currency='USD' rate='1.25'/>", b""),
    "no rates": b"<Envelope><Cube></Cube></Envelope>",
    "bad rate": ECB_XML.replace(b"'0.85'", b"'abc'"),
    "zero rate": ECB_XML.replace(b"'0.85'", b"'0'"),
    "negative rate": ECB_XML.replace(b"'0.85'", b"'-1'"),
    "bad code": ECB_XML.replace(b"'GBP'", b"'G1P'"),
    "bad date": ECB_XML.replace(b"2026-02-02", b"2026-02-31"),
    "doctype": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + ECB_XML[39:],
    "entity": b'<!ENTITY lol "lol">' + ECB_XML,
    "too large": ECB_XML + b" " * fx_refresh.MAX_BYTES,
    "not bytes": "<Envelope/>",
}


@pytest.mark.parametrize("label", list(BAD_DOCUMENTS))
def test_bad_documents_raise_and_leave_the_table_unchanged(ctx, label):
    load_fixture()
    before = _rows()
    with pytest.raises(FxRefreshError):
        load_fixture(BAD_DOCUMENTS[label])
    assert _rows() == before


def test_fetch_failures_and_bad_urls_raise_without_writing(ctx):
    def broken(url):
        raise OSError("connection refused")

    with pytest.raises(FxRefreshError, match="connection refused"):
        fx_refresh.refresh("https://rates.test/x.xml", fetch=broken)
    for url in ("file:///etc/passwd", "ftp://rates.test/x.xml", "rates.test/x.xml", "http://"):
        with pytest.raises(FxRefreshError, match="http"):
            fx_refresh.refresh(url, fetch=lambda u: ECB_XML)
    assert _rows() == {}
