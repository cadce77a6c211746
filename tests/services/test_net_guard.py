"""net_guard: private targets refused (literal, named, IPv4 inside IPv6, after a DNS rebind),
the connection goes to the checked address with the original Host header, no redirects, size
cap, timeouts and connection failures as FetchError."""

from __future__ import annotations

import pytest

from linkhub.errors import Invalid
from linkhub.services import net_guard
from tests.webhook_receiver import Receiver

PUBLIC = "93.184.216.34"


@pytest.fixture
def receiver():
    with Receiver() as hook:
        yield hook


@pytest.fixture
def resolver(monkeypatch):
    """Answers for names: {name: [addresses]} (a list of lists = one answer per call)."""
    table: dict[str, list] = {}
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        answer = table.get(host)
        if answer is None:
            raise OSError("no such name")
        if answer and isinstance(answer[0], list):
            return answer.pop(0) if len(answer) > 1 else answer[0]
        return answer

    monkeypatch.setattr(net_guard, "resolve_host", resolve)
    resolve.table, resolve.calls = table, calls
    return resolve


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/",
    "http://[::ffff:127.0.0.1]/", "http://10.1.2.3/hook", "http://192.168.0.10/",
    "http://172.16.5.4/", "http://100.64.0.1/", "http://0.0.0.0/", "http://[fe80::1]/",
    "http://224.0.0.1/", "http://localhost:8080/", "https://[64:ff9b::7f00:1]/",
])
def test_private_targets_are_refused(url):
    with pytest.raises(Invalid) as caught:
        net_guard.check_url(url, allow_private=False)
    assert "url" in caught.value.fields
    net_guard.check_url(url, allow_private=True)  # the switch lets them through


@pytest.mark.parametrize("url, message", [
    ("ftp://example.com/", "http"), ("https://user:pw@example.com/", "credentials"),
    ("https:///nohost", "host"), ("", "required"), ("https://exa mple.com/", "spaces"),
    ("http://example.com:99999/", "port"),
])
def test_malformed_urls_are_refused_even_when_private_is_allowed(url, message):
    with pytest.raises(Invalid) as caught:
        net_guard.check_url(url, allow_private=True)
    assert message in caught.value.fields["url"]


def test_a_name_resolving_to_a_private_address_is_refused(resolver):
    resolver.table["internal.example"] = ["10.0.0.7"]
    resolver.table["mixed.example"] = [PUBLIC, "127.0.0.1"]
    resolver.table["public.example"] = [PUBLIC]
    for name in ("internal.example", "mixed.example"):
        with pytest.raises(Invalid):
            net_guard.check_url(f"https://{name}/hook", allow_private=False)
    net_guard.check_url("https://public.example/hook", allow_private=False)
    net_guard.check_url("https://unknown.example/hook", allow_private=False)  # checked at send


def test_fetch_refuses_private_addresses_unless_allowed(receiver):
    with pytest.raises(net_guard.FetchError, match="private"):
        net_guard.fetch("POST", receiver.url, body=b"{}", allow_private=False)
    assert receiver.requests == []
    fetched = net_guard.fetch("POST", receiver.url, body=b'{"a":1}',
                              headers={"Content-Type": "application/json"}, allow_private=True)
    assert fetched.status == 200 and fetched.body == b"ok" and not fetched.truncated
    assert receiver.requests[0].body == b'{"a":1}'


def test_fetch_connects_to_the_address_it_checked_with_the_original_host(receiver, resolver):
    resolver.table["hooks.test"] = ["127.0.0.1"]  # no system resolver knows this name
    url = f"http://hooks.test:{receiver.port}/hook"
    fetched = net_guard.fetch("POST", url, body=b"x", allow_private=True)
    assert fetched.status == 200
    assert receiver.requests[0].headers["host"] == f"hooks.test:{receiver.port}"
    with pytest.raises(net_guard.FetchError, match="private"):
        net_guard.fetch("POST", url, body=b"x", allow_private=False)


def test_a_dns_rebind_after_the_check_is_refused_at_connect_time(receiver, resolver):
    resolver.table["rebind.test"] = [[PUBLIC], ["127.0.0.1"]]  # public first, then loopback
    url = f"http://rebind.test:{receiver.port}/hook"
    net_guard.check_url(url, allow_private=False)  # passes: the name looked public
    with pytest.raises(net_guard.FetchError, match="private"):
        net_guard.fetch("POST", url, body=b"x", allow_private=False)
    assert receiver.requests == []
    assert resolver.calls == ["rebind.test", "rebind.test"]  # resolved again for the fetch


def test_redirects_are_returned_not_followed(receiver):
    receiver.script(302)
    fetched = net_guard.fetch("GET", receiver.url, allow_private=True)
    assert fetched.status == 302 and len(receiver.requests) == 1


def test_the_response_is_cut_at_max_bytes(receiver):
    receiver.body = b"x" * 50_000
    fetched = net_guard.fetch("GET", receiver.url, allow_private=True, max_bytes=1000)
    assert fetched.truncated and fetched.body == b"x" * 1000
    receiver.body = b"short"
    again = net_guard.fetch("GET", receiver.url, allow_private=True, max_bytes=1000)
    assert again.body == b"short" and not again.truncated


def test_a_hanging_receiver_times_out(receiver):
    receiver.script("hang")
    with pytest.raises(net_guard.FetchError, match="timed out"):
        net_guard.fetch("POST", receiver.url, body=b"x", allow_private=True,
                        total_timeout=0.5)


def test_connection_failures_are_fetch_errors(receiver, resolver):
    url = receiver.url
    receiver.down()
    with pytest.raises(net_guard.FetchError, match="connect"):
        net_guard.fetch("POST", url, body=b"x", allow_private=True)
    with pytest.raises(net_guard.FetchError, match="resolved"):
        net_guard.fetch("POST", "http://nowhere.test/", allow_private=True)


def test_the_next_address_is_tried_when_one_refuses(receiver, resolver):
    resolver.table["two.test"] = ["127.0.0.2", "127.0.0.1"]  # nothing listens on .2
    receiver_port = receiver.port
    fetched = net_guard.fetch("POST", f"http://two.test:{receiver_port}/hook", body=b"x",
                              allow_private=True)
    assert fetched.status == 200


def test_is_forbidden_covers_ipv4_inside_ipv6():
    assert net_guard.is_forbidden("::ffff:10.0.0.1")
    assert net_guard.is_forbidden("2002:7f00:1::1")  # 6to4 of 127.0.0.1
    assert not net_guard.is_forbidden(PUBLIC)
    assert not net_guard.is_forbidden("2606:4700:4700::1111")
    assert net_guard.is_forbidden("not an address")


def _self_signed(tmp_path):
    """A throwaway certificate for `hooks.test` (trusted by nobody)."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hooks.test")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("hooks.test")]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_sends_the_host_name_for_tls_and_checks_the_certificate(tmp_path, resolver):
    import socket
    import ssl
    import threading

    cert_path, key_path = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept_one() -> None:
        conn, _ = listener.accept()
        try:
            context.wrap_socket(conn, server_side=True).close()
        except (ssl.SSLError, OSError):
            pass  # the client refuses our certificate
        finally:
            conn.close()

    thread = threading.Thread(target=accept_one, daemon=True)
    thread.start()
    resolver.table["hooks.test"] = ["127.0.0.1"]
    try:
        with pytest.raises(net_guard.FetchError):  # self-signed: never trusted
            net_guard.fetch("POST", f"https://hooks.test:{port}/hook", body=b"x",
                            allow_private=True, total_timeout=5)
    finally:
        thread.join(timeout=10)
        listener.close()
    assert names == ["hooks.test"]  # SNI carries the name, though we dialled the address
