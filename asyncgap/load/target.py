"""Where load may go: loopback, or a setup's service on the compose network; elsewhere only
when the user says so with --allow-remote-target.

A load test aimed at a host you do not own is an attack on it, and one typo in --host or in
the web UI's host field is enough to aim one. Every swarm checks its target here first.
"""

import functools
import ipaddress
from urllib.parse import urlsplit

from asyncgap.core.matrix import load_for_app

LOCAL_NAMES = ("localhost",)


@functools.cache  # read matrix.toml once, not at every user's start
def compose_services() -> tuple[str, ...]:
    """docker-compose.yml names each setup's service after the setup (a test holds it to that);
    outside a clone, the setups asyncgap ships."""
    return tuple(load_for_app().setups)


def refusal(host: str, *, allow_remote: bool) -> str | None:
    """Why load must not go to `host`, or None when it may."""
    if not host or allow_remote:
        return None
    try:
        name = urlsplit(host).hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        name = None
    if name is None:
        return f"refusing to send load to {host!r}: give a URL such as http://127.0.0.1:8101"
    if _is_local(name) or name in compose_services():
        return None
    return (
        f"refusing to send load to {host}: asyncgap loads only loopback and the compose services "
        f"({', '.join(compose_services())}); if you own {name}, pass --allow-remote-target "
        "(or set LOCUST_ALLOW_REMOTE_TARGET=true)"
    )


def _is_local(name: str) -> bool:
    if name in LOCAL_NAMES or name.endswith(".localhost"):  # RFC 6761: always loopback
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:  # a name, not an address
        return False
