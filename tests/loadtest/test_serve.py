"""`python -m service.serve`: the one place server argv is built."""

import os
import subprocess
import sys
import tempfile

from core import matrix
from service.serve import METRICS_PREFIX, metrics_dir, server_argv, server_env


def test_uvicorn_argv_binds_loopback_with_access_log_off():
    argv = server_argv("uvicorn-2w", matrix.load().setup("uvicorn-2w"), "127.0.0.1")
    assert argv[1:4] == ["-m", "uvicorn", "service.app:app"]
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--port") + 1] == "8102"
    assert argv[argv.index("--workers") + 1] == "2"
    assert "--no-access-log" in argv


def test_gunicorn_argv_uses_uvicorn_worker():
    argv = server_argv("gunicorn-2w", matrix.load().setup("gunicorn-2w"), "127.0.0.1", port=9000)
    assert argv[1:4] == ["-m", "gunicorn", "service.app:app"]
    assert argv[argv.index("--worker-class") + 1] == "uvicorn_worker.UvicornWorker"
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:9000"
    assert argv[argv.index("--workers") + 1] == "2"
    assert argv[argv.index("--timeout") + 1] == "30"  # matrix.toml states gunicorn's worker timeout


def test_upstream_serves_the_fake_api():
    argv = server_argv("upstream", matrix.load().setup("upstream"), "127.0.0.1")
    assert "service.upstream:app" in argv


def serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.serve", *args], capture_output=True, text=True)


def test_dry_run_prints_the_command():
    done = serve("uvicorn-1w", "--dry-run", "--workers", "3")
    assert done.returncode == 0
    assert "--workers 3" in done.stdout


def test_unknown_setup_is_one_line_and_exit_2():
    done = serve("nginx-1w", "--dry-run")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: unknown setup 'nginx-1w'; choose from: uvicorn-1w, uvicorn-2w, gunicorn-2w, uvicorn-1w-t100"
    )


def test_a_setup_that_fixes_its_thread_tokens_passes_them_to_its_workers(monkeypatch, tmp_path):
    monkeypatch.setenv("ASYNCGAP_THREAD_TOKENS", "7")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # no default folder made
    m = matrix.load()
    assert server_env("uvicorn-1w-t100", m.setup("uvicorn-1w-t100"))["ASYNCGAP_THREAD_TOKENS"] == "100"
    assert server_env("uvicorn-1w", m.setup("uvicorn-1w"))["ASYNCGAP_THREAD_TOKENS"] == "7"  # inherited


def test_zero_workers_is_refused():
    done = serve("uvicorn-1w", "--dry-run", "--workers", "0")
    assert done.returncode == 2
    assert "workers" in done.stderr and "Traceback" not in done.stderr


def test_a_default_metrics_folder_replaces_those_of_exited_servers(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    exited = subprocess.Popen(["true"])
    exited.wait()
    for owner in (exited.pid, os.getppid(), os.getpid(), "uvicorn-1w-x1y2"):
        (tmp_path / f"{METRICS_PREFIX}{owner}").mkdir()
        (tmp_path / f"{METRICS_PREFIX}{owner}" / "counter_1.db").touch()

    mine = metrics_dir()

    assert mine == str(tmp_path / f"{METRICS_PREFIX}{os.getpid()}")
    assert list((tmp_path / f"{METRICS_PREFIX}{os.getpid()}").iterdir()) == []  # a stale one, emptied
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{METRICS_PREFIX}{owner}" for owner in (os.getppid(), os.getpid(), "uvicorn-1w-x1y2")
    )  # the exited server's is gone; a running one's and a foreign name are left alone
