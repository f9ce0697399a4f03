"""The one web-UI account, from the environment: read by Locust's login handler and checked
by `asyncgap ui --web-login` before anything starts (this module imports no Locust, so the
harness can use it without gevent's monkey-patching)."""

import os

USER_ENV, PASSWORD_ENV = "ASYNCGAP_WEB_USER", "ASYNCGAP_WEB_PASSWORD"
MISSING = f"--web-login needs {USER_ENV} and {PASSWORD_ENV} in the environment"


def credentials() -> tuple[str, str] | None:
    """(user, password), or None when either variable is unset or empty."""
    user, password = os.environ.get(USER_ENV, ""), os.environ.get(PASSWORD_ENV, "")
    return (user, password) if user and password else None
