"""Client IP resolution: X-Forwarded-For is believed only through trusted proxies."""

from linkhub.clientip import client_ip


def test_untrusted_peer_cannot_spoof():
    env = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "8.8.8.8"}
    assert client_ip(env, []) == "203.0.113.9"
    assert client_ip(env, ["10.0.0.1"]) == "203.0.113.9"


def test_right_most_untrusted_hop_through_a_trusted_proxy():
    env = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.1.1.1, 8.8.8.8, 10.0.0.2"}
    assert client_ip(env, ["10.0.0.0/8"]) == "8.8.8.8"


def test_all_hops_trusted_takes_the_first_only_when_it_is_an_address():
    env = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "10.0.0.5, 10.0.0.2"}
    assert client_ip(env, ["10.0.0.0/8"]) == "10.0.0.5"
    env["HTTP_X_FORWARDED_FOR"] = "not-an-ip, 10.0.0.2"
    assert client_ip(env, ["10.0.0.0/8"]) == "10.0.0.1"
