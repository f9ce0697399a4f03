"""--web-login: Locust's login page with the one account from the environment; nothing of the
UI, the live page included, answers before a login."""

import os
import subprocess

import httpx
import pytest

from asyncgap.core.web_account import MISSING, PASSWORD_ENV, USER_ENV
from asyncgap.engines import children, server, swarm
from tests.cli import asyncgap
from tests.paths import ROOT

pytestmark = pytest.mark.e2e

ACCOUNT = {USER_ENV: "teacher", PASSWORD_ENV: "correct horse battery staple"}


def login_ui_argv(port: int) -> list[str]:
    """The harness's web UI command, with --web-login; its target is a loopback port, unused."""
    return swarm.web_ui_argv(["locustfiles/sleep_mix.py"], "http://127.0.0.1:9", port, web_login=True)


@pytest.fixture
def web(tmp_path):
    port = server.free_port()
    process = children.spawn(login_ui_argv(port), log_path=tmp_path / "locust.log", env=ACCOUNT)
    try:
        assert server.wait_until_ok(f"http://127.0.0.1:{port}/login", process, 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        children.stop_group(process)


def test_nothing_answers_before_the_right_password(web):
    with httpx.Client(base_url=web, timeout=10) as browser:
        for page in ("/", "/asyncgap/live", "/asyncgap/live.json"):
            assert browser.get(page).status_code in (302, 401), page
        assert browser.post("/swarm", data={"user_count": "1", "spawn_rate": "1"}).status_code in (302, 401)
        wrong = browser.post("/login_submit", data={"username": "teacher", "password": "guess"})
        assert wrong.headers["location"].endswith("/login")
        assert browser.get("/").status_code == 302

        right = browser.post("/login_submit", data={"username": "teacher", "password": ACCOUNT[PASSWORD_ENV]})
        assert right.headers["location"].endswith("/")
        assert browser.get("/").status_code == 200
        assert browser.get("/asyncgap/live").status_code == 200
        assert f"asyncgap_session_{web.rsplit(':', 1)[1]}" in browser.cookies  # one cookie per UI port


def test_locust_without_the_account_refuses_to_start():
    env = {k: v for k, v in os.environ.items() if k not in ACCOUNT}
    done = subprocess.run(
        login_ui_argv(server.free_port()),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert MISSING in done.stderr


def test_ui_without_the_account_is_a_one_line_error():
    env = {k: v for k, v in os.environ.items() if k not in ACCOUNT}
    done = asyncgap("ui", "--web-login", env=env)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {MISSING}"
