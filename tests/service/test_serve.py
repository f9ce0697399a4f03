"""`python -m service.serve`: the demo, served through asyncgap's launcher."""

import argparse
import os
import subprocess
import sys
import tempfile

from service.serve import METRICS_PREFIX, demo_env, launcher_argv, metrics_dir
from tests.paths import ROOT


def test_the_demo_is_served_by_asyncgaps_launcher_from_the_repository():
    args = serve_parser_args("gunicorn-2w", "--port", "9000")
    argv = launcher_argv(args)
    assert argv[1:4] == ["-m", "asyncgap.engines.serve", "gunicorn-2w"]
    assert argv[argv.index("--app") + 1] == "service.app:app"
    assert argv[argv.index("--app-dir") + 1] == str(ROOT)
    assert argv[argv.index("--port") + 1] == "9000"


def test_the_demos_workers_freeze_their_startup_heap_unless_told_not_to(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.delenv("ASYNCGAP_FREEZE_HEAP", raising=False)
    assert demo_env("uvicorn-1w")["ASYNCGAP_FREEZE_HEAP"] == "true"
    monkeypatch.setenv("ASYNCGAP_FREEZE_HEAP", "false")  # to measure what it saves
    assert demo_env("uvicorn-1w")["ASYNCGAP_FREEZE_HEAP"] == "false"


def test_upstream_serves_the_fake_api():
    argv = launcher_argv(serve_parser_args("upstream"))
    assert argv[argv.index("--app") + 1] == "service.upstream:app"


def serve_parser_args(*args: str):
    return argparse.Namespace(
        setup=args[0],
        host="127.0.0.1",
        port=int(args[2]) if len(args) > 2 else None,
        workers=None,
        dry_run=False,
    )


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
