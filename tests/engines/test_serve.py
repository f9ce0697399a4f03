"""`python -m asyncgap.engines.serve`: the one place a server's argv is built, for any app."""

import subprocess
import sys

from asyncgap.core import matrix
from asyncgap.engines.serve import ENTRY, parser, server_argv, server_env
from service.resources import HTTP_LIMITS


def test_uvicorn_argv_binds_loopback_with_access_log_off():
    argv = server_argv(matrix.load().setup("uvicorn-2w"), "service.app:app", host="127.0.0.1")
    assert argv[1:4] == ["-m", "uvicorn", "service.app:app"]
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--port") + 1] == "8102"
    assert argv[argv.index("--workers") + 1] == "2"
    assert "--no-access-log" in argv


def test_gunicorn_argv_uses_uvicorn_worker_and_the_setups_timeout():
    argv = server_argv(matrix.load().setup("gunicorn-2w"), "m:app", host="127.0.0.1", port=9000)
    assert argv[1:4] == ["-m", "gunicorn", "m:app"]
    assert argv[argv.index("--worker-class") + 1] == "uvicorn_worker.UvicornWorker"
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:9000"
    assert argv[argv.index("--timeout") + 1] == "30"  # the shipped setup states gunicorn's worker timeout
    assert "--config" not in argv  # the demo's Prometheus hook is the demo's


def test_a_setups_keep_alive_reaches_either_server():
    for name, flag in (("uvicorn-1w", "--timeout-keep-alive"), ("gunicorn-2w", "--keep-alive")):
        setup = matrix.load().setup(name)
        assert flag not in server_argv(setup, "m:app", host="127.0.0.1")  # the server's own default
        kept = setup.model_copy(update={"keep_alive_s": 65})
        argv = server_argv(kept, "m:app", host="127.0.0.1")
        assert argv[argv.index(flag) + 1] == "65"


def test_the_upstream_keeps_an_idle_connection_longer_than_the_service_does():
    """Else a call can take a pooled connection as the upstream closes it (a 502 under load)."""
    assert matrix.load().upstream.keep_alive_s > HTTP_LIMITS.keepalive_expiry


def test_the_apps_own_interpreter_serves_it():
    argv = server_argv(
        matrix.load().setup("uvicorn-1w"), "m:app", host="127.0.0.1", python="/venv/bin/python"
    )
    assert argv[0] == "/venv/bin/python"


def test_a_watched_app_is_imported_through_the_entry_from_its_folder(tmp_path):
    args = parser().parse_args(
        [
            "uvicorn-1w-t100",
            "--app",
            "app.main:app",
            "--app-dir",
            str(tmp_path),
            "--watch",
            "--path",
            "/inject",
        ]
    )
    env = server_env(args, matrix.load().setup("uvicorn-1w-t100"), {"PYTHONPATH": "/theirs"})
    assert env["ASYNCGAP_APP"] == "app.main:app"
    assert env["PYTHONPATH"].split(":") == ["/inject", str(tmp_path), "/theirs"]
    assert env["ASYNCGAP_THREAD_TOKENS"] == "100"  # the setup's, applied by the entry at startup


def test_dry_run_prints_the_entry_for_a_watched_app():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "asyncgap.engines.serve",
            "uvicorn-1w",
            "--app",
            "a:b",
            "--watch",
            "--dry-run",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0
    assert f" {ENTRY} " in done.stdout and "a:b" not in done.stdout


def test_unknown_setup_is_one_line_and_exit_2():
    done = subprocess.run(
        [sys.executable, "-m", "asyncgap.engines.serve", "nginx", "--app", "a:b", "--dry-run"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: unknown setup 'nginx'") and len(done.stderr.splitlines()) == 1
