"""The target guard inside Locust: no request leaves for a host that target.refusal rejects.

Locust takes a host from several places, so there are three checks: at start-up, --host and
the user classes' own `host` (exit 2); in the web UI, the swarm form's host and the class
editor's (`POST /user`), refused with the reason; and last, every user before its first
request, which stops it, so nothing is sent however a host got past the first two.
"""

import json
import logging

from flask import jsonify, request
from flask_login import current_user
from locust import events
from locust.exception import StopUser

from asyncgap.load.target import refusal


def _allow_remote(environment) -> bool:
    return environment.parsed_options.allow_remote_target


def check_user(user) -> None:
    """Before a user's first request (AsyncGapUser.on_start): stop it if its host is refused."""
    if why := refusal(user.host or "", allow_remote=_allow_remote(user.environment)):
        logging.error(why)
        raise StopUser()


@events.init.add_listener
def _guard(environment, **_kwargs) -> None:
    allow = _allow_remote(environment)
    classes = {*environment.user_classes, *(environment.available_user_classes or {}).values()}
    for host in [environment.host, *(cls.host for cls in classes)]:
        if why := refusal(host or "", allow_remote=allow):
            logging.error(why)
            raise SystemExit(2)
    if environment.web_ui is not None:
        _guard_web_ui(environment, allow)


def _posted_host() -> str:
    """The host a swarm form or a class edit asks for ('' when it names none)."""
    if request.path.endswith("/swarm"):
        return request.form.get("host", "")
    if request.path.endswith("/user"):
        try:
            return str(json.loads(request.data or b"{}").get("host") or "")
        except (ValueError, AttributeError):
            return ""  # Locust's own handler rejects what is not a JSON object
    return ""


def _guard_web_ui(environment, allow: bool) -> None:
    web_ui = environment.web_ui

    @web_ui.app.before_request
    def _check_posted_host():
        if request.method != "POST" or (web_ui.web_login and not current_user.is_authenticated):
            return None  # with --web-login, the login page answers strangers, not this guard
        if why := refusal(_posted_host(), allow_remote=allow):
            logging.error(why)
            return jsonify({"success": False, "message": why, "host": environment.host})  # as Locust's own
        return None
