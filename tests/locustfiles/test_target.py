"""Load goes to loopback or a compose service; anywhere else only with --allow-remote-target."""

import pytest

from asyncgap.load.target import refusal


@pytest.mark.parametrize(
    "host",
    [
        "http://127.0.0.1:8101",
        "http://127.9.9.9",  # all of 127.0.0.0/8 is loopback
        "http://localhost:8101",
        "http://api.localhost",  # RFC 6761
        "http://[::1]:8101",
        "http://uvicorn-1w:8101",  # a compose service
        "http://gunicorn-2w:8103",
        "",  # no host yet: Locust itself asks for one
    ],
)
def test_loopback_and_compose_services_are_allowed(host):
    assert refusal(host, allow_remote=False) is None


@pytest.mark.parametrize(
    "host",
    [
        "http://192.0.2.1:80",
        "https://example.com",
        "http://0.0.0.0:8101",  # every interface is not loopback
        "http://10.0.0.5:8101",
        "http://uvicorn-1w.example.com",  # a setup's name, but not the compose service
        "http://localhost.example.com",
    ],
)
def test_other_hosts_are_refused_with_the_way_out(host):
    why = refusal(host, allow_remote=False)
    assert why is not None and why.startswith(f"refusing to send load to {host}: ")
    assert why.endswith("pass --allow-remote-target (or set LOCUST_ALLOW_REMOTE_TARGET=true)")
    assert refusal(host, allow_remote=True) is None


@pytest.mark.parametrize("host", ["127.0.0.1:8101", "http://[::1", "http://[evil]"])
def test_a_host_that_is_not_a_url_is_refused(host):
    assert refusal(host, allow_remote=False) == (
        f"refusing to send load to {host!r}: give a URL such as http://127.0.0.1:8101"
    )
