"""Locust's --web-login, made usable: one user and password from the environment.

Locust's login page needs a login handler of the project's own (its docs give an example).
This is that handler: ASYNCGAP_WEB_USER and ASYNCGAP_WEB_PASSWORD name the one account,
compared in constant time; the session key is random per process, so a restart logs
everyone out, and each UI's cookie is named after its port. The web UI still binds
loopback only; the login is for shared machines.
"""

import hmac
import logging
import secrets

from flask import Blueprint, redirect, request, session, url_for
from flask_login import UserMixin, login_user
from locust import events

from asyncgap.core.web_account import MISSING, credentials


class Account(UserMixin):
    def __init__(self, name: str) -> None:
        self.id = name


@events.init.add_listener
def _login_page(environment, **_kwargs) -> None:
    web_ui = environment.web_ui
    if web_ui is None or not web_ui.web_login:
        return
    account = credentials()
    if account is None:
        logging.error(MISSING)
        raise SystemExit(2)
    base = environment.parsed_options.web_base_path or ""
    blueprint = Blueprint("asyncgap_login", __name__, url_prefix=base)
    web_ui.login_manager.user_loader(lambda name: Account(name) if name == account[0] else None)
    web_ui.app.config["SECRET_KEY"] = secrets.token_hex(32)
    # Cookies ignore the port: side-by-side UIs on one host need a cookie each, or logging in
    # to one would overwrite (and so end) the session of another.
    web_ui.app.config["SESSION_COOKIE_NAME"] = f"asyncgap_session_{environment.parsed_options.web_port}"
    web_ui.auth_args = {"username_password_callback": f"{base}/login_submit"}

    @blueprint.route("/login_submit", methods=["POST"])
    def login_submit():
        name, password = request.form.get("username", ""), request.form.get("password", "")
        matches = hmac.compare_digest(name.encode(), account[0].encode())
        if hmac.compare_digest(password.encode(), account[1].encode()) and matches:
            login_user(Account(name))
            return redirect(url_for("locust.index"))
        session["auth_error"] = "Wrong user or password"
        return redirect(url_for("locust.login"))

    web_ui.app.register_blueprint(blueprint)
