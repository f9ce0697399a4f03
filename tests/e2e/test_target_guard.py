"""Locust itself refuses a foreign target: --host at start-up, and the web UI's host field at
each swarm. (No test ever sends load beyond loopback: the refused hosts are never contacted.)"""

import json
import subprocess
import sys
import time

import httpx
import pytest

from asyncgap.engines import children, server, swarm
from tests.paths import ROOT

pytestmark = pytest.mark.e2e

FOREIGN = "http://192.0.2.1:80"  # TEST-NET-1: documentation only, routed nowhere
REFUSED = f"refusing to send load to {FOREIGN}: "


def test_headless_locust_refuses_a_foreign_host_before_any_user_starts():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            "locustfiles/fast_probe.py",
            "--headless",
            "--host",
            FOREIGN,
            "--users",
            "1",
            "--run-time",
            "5s",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert REFUSED in done.stderr
    assert "Ramping to" not in done.stderr


def test_a_class_that_names_a_foreign_host_is_refused_at_start_up():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            "tests/fixtures/foreign_host_locustfile.py",
            "--headless",
            "--users",
            "1",
            "--run-time",
            "5s",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert REFUSED in done.stderr


def test_a_user_whose_host_got_past_the_other_checks_stops_before_its_first_request():
    probe = (
        "from types import SimpleNamespace as NS\n"
        "from locust.exception import StopUser\n"
        "from asyncgap.load.guard import check_user\n"
        f"user = NS(host={FOREIGN!r}, environment=NS(parsed_options=NS(allow_remote_target=False)))\n"
        "try:\n    check_user(user)\nexcept StopUser:\n    print('stopped')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "stopped", done.stderr
    assert REFUSED in done.stderr


@pytest.fixture
def web_ui(tmp_path):
    """Locust's web UI with the harness's argv, its target a loopback port where nothing listens."""
    port, target = server.free_port(), f"http://127.0.0.1:{server.free_port()}"
    process = children.spawn(
        swarm.web_ui_argv(["locustfiles/sleep_mix.py"], target, port), log_path=tmp_path / "locust.log"
    )
    try:
        assert server.wait_until_ok(f"http://127.0.0.1:{port}/", process, 60)
        yield f"http://127.0.0.1:{port}", target
    finally:
        children.stop_group(process)


def swarm_form(host: str, variant: str) -> dict:
    return {
        "user_count": "1",
        "spawn_rate": "1",
        "host": host,
        "user_classes": "SleepMix",
        "variant": variant,
    }


def state(web: str) -> str:
    return httpx.get(f"{web}/stats/requests", timeout=10).json()["state"]


def endpoints(web: str) -> set[str]:
    return {row["name"] for row in httpx.get(f"{web}/stats/requests", timeout=10).json()["stats"]}


def test_web_ui_refuses_a_foreign_host_and_offers_the_variant(web_ui):
    web, target = web_ui
    page = httpx.get(f"{web}/", timeout=10).text
    assert '"variant"' in page and "async-blocking" in page  # the swarm form's variant choice

    refused = httpx.post(f"{web}/swarm", data=swarm_form(FOREIGN, "sync"), timeout=10).json()
    assert refused["success"] is False and refused["message"].startswith(REFUSED)
    assert state(web) == "ready"
    # The class editor's host, then a swarm with the host field left empty: refused at the edit.
    edit = {"user_class_name": "SleepMix", "host": FOREIGN}
    refused = httpx.post(f"{web}/user", content=json.dumps(edit), timeout=10).json()
    assert refused["success"] is False and refused["message"].startswith(REFUSED)

    started = httpx.post(f"{web}/swarm", data=swarm_form(target, "sync"), timeout=10).json()
    assert started["success"] is True, started
    deadline = time.monotonic() + 10
    while "/sync/sleep" not in endpoints(web) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "/sync/sleep" in endpoints(web)  # the form's variant reached the users
    httpx.get(f"{web}/stop", timeout=10)
