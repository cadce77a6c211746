"""Geo facts: country from iptocc's offline data, continent from the country, and the optional
city .mmdb read through maxminddb (a tiny database written by the test itself, since no MMDB
writer package is installed, plus an injected fake reader for odd records)."""

from __future__ import annotations

import ipaddress
import logging
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import maxminddb
import pytest

from linkhub.redirect import geo
from linkhub.redirect.facts import VisitorFacts

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_readers():
    geo.close_readers()
    yield
    geo.close_readers()


def facts(ip: str, settings: dict[str, Any] | None = None) -> VisitorFacts:
    return VisitorFacts({"REQUEST_METHOD": "GET"}, client_ip=ip, now=NOW, secret=b"k",
                        settings=settings or {})


# --- a minimal MaxMind DB writer (IPv4 tree, 24-bit records), test-only -----------------------

def _control(kind: int, size: int) -> bytes:
    if size < 29:
        head, extra = size, b""
    elif size < 285:
        head, extra = 29, bytes([size - 29])
    else:
        head, extra = 30, (size - 285).to_bytes(2, "big")
    if kind <= 7:
        return bytes([(kind << 5) | head]) + extra
    return bytes([head, kind - 7]) + extra  # extended type


class U16(int):
    """An unsigned 16-bit integer (libmaxminddb checks metadata field types)."""


class U64(int):
    """An unsigned 64-bit integer."""


def _encode(value: Any) -> bytes:
    if isinstance(value, U16 | U64):
        raw = value.to_bytes(8, "big").lstrip(b"\0")
        return _control(5 if isinstance(value, U16) else 9, len(raw)) + raw
    if isinstance(value, str):
        raw = value.encode()
        return _control(2, len(raw)) + raw
    if isinstance(value, float):
        return _control(3, 8) + struct.pack(">d", value)
    if isinstance(value, bool):
        return _control(14, int(value))
    if isinstance(value, int):
        raw = value.to_bytes(8, "big").lstrip(b"\0")
        return _control(6, len(raw)) + raw
    if isinstance(value, dict):
        return _control(7, len(value)) + b"".join(_encode(k) + _encode(v)
                                                  for k, v in value.items())
    if isinstance(value, list):
        return _control(11, len(value)) + b"".join(_encode(v) for v in value)
    raise TypeError(value)


def write_mmdb(path: Path, networks: dict[str, dict[str, Any]]) -> Path:
    data, root = b"", [None, None]
    for cidr, record in networks.items():
        net = ipaddress.IPv4Network(cidr)
        offset, data = len(data), data + _encode(record)
        node, bits = root, int(net.network_address)
        for depth in range(net.prefixlen):
            bit = (bits >> (31 - depth)) & 1
            if depth == net.prefixlen - 1:
                node[bit] = ("data", offset)
            else:
                if not isinstance(node[bit], list):
                    node[bit] = [None, None]
                node = node[bit]
    nodes: list[list] = []

    def number(node: list) -> None:
        nodes.append(node)
        for child in node:
            if isinstance(child, list):
                number(child)

    number(root)
    index = {id(n): i for i, n in enumerate(nodes)}
    count, tree = len(nodes), b""
    for node in nodes:
        for child in node:
            if child is None:
                value = count
            elif isinstance(child, list):
                value = index[id(child)]
            else:
                value = count + 16 + child[1]
            tree += value.to_bytes(3, "big")
    metadata = {"binary_format_major_version": U16(2), "binary_format_minor_version": U16(0),
                "build_epoch": U64(1_700_000_000), "database_type": "linkhub-test-City",
                "description": {"en": "test"}, "ip_version": U16(4), "languages": ["en"],
                "node_count": count, "record_size": U16(24)}
    path.write_bytes(tree + b"\0" * 16 + data + b"\xab\xcd\xefMaxMind.com" + _encode(metadata))
    return path


LONDON = {
    "city": {"geoname_id": 2643743, "names": {"en": "London", "de": "London"}},
    "continent": {"code": "EU", "names": {"en": "Europe"}},
    "country": {"iso_code": "GB", "names": {"en": "United Kingdom"}},
    "location": {"latitude": 51.5142, "longitude": -0.0931, "time_zone": "Europe/London",
                 "accuracy_radius": 10},
    "subdivisions": [{"iso_code": "ENG", "names": {"en": "England"}}],
}
MOUNTAIN_VIEW = {
    "city": {"names": {"en": "Mountain View"}},
    "location": {"latitude": 37.386, "longitude": -122.0838, "time_zone": "America/Los_Angeles"},
    "subdivisions": [{"iso_code": "CA"}],  # no names: the ISO code stands in
}


@pytest.fixture
def city_db(tmp_path: Path) -> str:
    return str(write_mmdb(tmp_path / "city.mmdb",
                          {"81.2.69.0/24": LONDON, "8.8.8.0/24": MOUNTAIN_VIEW}))


# --- country and continent ----------------------------------------------------------------------

@pytest.mark.parametrize(("ip", "country", "continent"), [
    ("8.8.8.8", "US", "NA"),                 # Google DNS
    ("1.1.1.1", "AU", "OC"),                 # APNIC/Cloudflare research prefix
    ("81.2.69.160", "GB", "EU"),
    ("193.0.6.139", "NL", "EU"),             # RIPE NCC
    ("200.160.2.3", "BR", "SA"),             # NIC.br
    ("2001:4860:4860::8888", "US", "NA"),    # Google DNS over IPv6
    ("::ffff:8.8.8.8", "US", "NA"),          # IPv4-mapped IPv6, as some servers report it
    (" 8.8.8.8 ", "US", "NA"),
])
def test_country_of_public_addresses(ip, country, continent):
    f = facts(ip)
    assert f.get("country") == country
    assert f.get("continent") == continent


@pytest.mark.parametrize("ip", ["127.0.0.1", "10.1.2.3", "192.168.0.10", "172.16.5.4",
                                "100.64.0.1", "169.254.1.1", "0.0.0.0", "::1", "fe80::1%eth0",
                                "fc00::1", "203.0.113.7", "garbage", "", "999.1.1.1"])
def test_country_unknown_for_private_reserved_and_invalid(ip):
    f = facts(ip)
    assert f.get("country") is None
    assert f.get("continent") is None
    assert f.get("ip") == geo.canonical_ip(ip)


def test_continent_table_is_complete_and_consistent():
    assert len(geo.CONTINENT_OF) == 250
    assert set(geo.CONTINENT_OF.values()) == {"AF", "AN", "AS", "EU", "NA", "OC", "SA"}
    assert geo.continent("JP") == "AS" and geo.continent("KE") == "AF"
    assert geo.continent("AQ") == "AN" and geo.continent("ZZ") is None
    assert geo.continent(None) is None


@pytest.mark.parametrize(("text", "canonical"), [
    ("81.2.69.160", "81.2.69.160"), (" 81.2.69.160\n", "81.2.69.160"),
    ("::ffff:81.2.69.160", "81.2.69.160"), ("::FFFF:5102:45a0", "81.2.69.160"),
    ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"), ("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"),
    ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("fe80::1%eth0", "fe80::1"),
    ("1.2.3", None), ("01.2.3.4", None), ("256.1.1.1", None), ("1.2.3.4\x00", None),
    ("١.٢.٣.٤", None), ("::1::2", None), ("", None), (None, None),
])
def test_canonical_ip(text, canonical):
    assert geo.canonical_ip(text) == canonical
    if canonical:  # the same text form as the standard library's
        assert canonical == str(ipaddress.ip_address(canonical)) == str(geo.parse_ip(text))
    else:
        assert geo.parse_ip(text) is None


# --- city database -------------------------------------------------------------------------------

def test_city_facts_from_mmdb(city_db):
    f = facts("81.2.69.160", {"GEOIP_CITY_DB": city_db})
    assert f.get("region") == "England"
    assert f.get("city") == "London"
    assert f.get("timezone") == "Europe/London"
    assert f.get("latitude") == pytest.approx(51.5142)
    assert f.get("longitude") == pytest.approx(-0.0931)
    assert f.get("country") == "GB"  # still iptocc's answer

    g = facts("8.8.8.8", {"GEOIP_CITY_DB": city_db})
    assert (g.get("region"), g.get("city"), g.get("timezone")) == \
        ("CA", "Mountain View", "America/Los_Angeles")


def test_city_facts_unknown_outside_the_database(city_db):
    settings = {"GEOIP_CITY_DB": city_db}
    for ip in ("1.1.1.1", "2001:4860:4860::8888", "10.0.0.1", "nonsense"):
        f = facts(ip, settings)
        assert [f.get(n) for n in ("region", "city", "timezone", "latitude", "longitude")] == \
            [None] * 5, ip


def test_no_database_configured_opens_nothing(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("no city database is configured")

    monkeypatch.setattr(maxminddb, "open_database", refuse)
    for settings in ({}, {"GEOIP_CITY_DB": ""}):
        f = facts("81.2.69.160", settings)
        assert f.get("city") is None and f.get("latitude") is None
        assert f.get("country") == "GB"


def test_unreadable_database_is_logged_once_and_not_retried(tmp_path, caplog, monkeypatch):
    missing, garbage = str(tmp_path / "absent.mmdb"), tmp_path / "garbage.mmdb"
    garbage.write_bytes(b"not a database")
    opened = []
    real_open = maxminddb.open_database
    monkeypatch.setattr(maxminddb, "open_database",
                        lambda path, *a: opened.append(path) or real_open(path, *a))
    with caplog.at_level(logging.WARNING, logger="linkhub.redirect.geo"):
        for path in (missing, str(garbage)):
            for _ in range(3):
                assert facts("81.2.69.160", {"GEOIP_CITY_DB": path}).get("city") is None
    assert opened == [missing, str(garbage)]
    assert len([r for r in caplog.records if "cannot be read" in r.getMessage()]) == 2


def test_database_opened_once_and_shared(city_db, monkeypatch):
    opened = []
    real_open = maxminddb.open_database
    monkeypatch.setattr(maxminddb, "open_database",
                        lambda path, *a: opened.append(path) or real_open(path, *a))
    for _ in range(5):
        assert facts("81.2.69.160", {"GEOIP_CITY_DB": city_db}).get("city") == "London"
    assert opened == [city_db]


class FakeReader:
    """Stands in for maxminddb.Reader with records the tiny writer would not produce."""

    def __init__(self, records: dict[str, Any]) -> None:
        self.records = records

    def get(self, ip: str) -> Any:
        value = self.records.get(ip)
        if isinstance(value, Exception):
            raise value
        return value

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("record", "expected"), [
    ({"city": {"names": {"fr": "Paris"}}, "subdivisions": []}, (None, None, None, None)),
    ({"city": "Paris", "subdivisions": "x", "location": "y"}, (None, None, None, None)),
    ({"location": {"latitude": "48.8", "longitude": True, "time_zone": 5}},
     (None, None, None, None)),
    ({"location": {"latitude": 48, "longitude": 2.35}, "city": {"names": {"en": "Paris"}},
      "subdivisions": [{"names": {"en": "Île-de-France"}}]},
     ("Île-de-France", "Paris", 48.0, 2.35)),
    (["not", "a", "map"], (None, None, None, None)),
    (ValueError("IPv6 address in an IPv4-only database"), (None, None, None, None)),
])
def test_odd_records_from_a_fake_reader(monkeypatch, record, expected):
    monkeypatch.setattr(maxminddb, "open_database", lambda path, *a: FakeReader(
        {"81.2.69.160": record}))
    f = facts("81.2.69.160", {"GEOIP_CITY_DB": "/fake/city.mmdb"})
    assert (f.get("region"), f.get("city"), f.get("latitude"), f.get("longitude")) == expected
