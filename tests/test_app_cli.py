"""`asyncgap run --app`: bad input is one line and exit 2, before anything is written or served."""

import os
import subprocess

import pytest

from asyncgap.meta import redacted
from tests.cli import asyncgap
from tests.paths import ROOT

APP = ["--app", "tests.apps.capped:app", "--app-dir", str(ROOT)]


def run_app(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return asyncgap(
        "run",
        *args,
        "--out",
        str(tmp_path / "run"),
        cwd=tmp_path,  # no matrix.toml here: the shipped setups and profiles
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "ASYNCGAP_MATRIX"},
    )


def one_line_and_nothing_written(done: subprocess.CompletedProcess, tmp_path) -> str:
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "run").exists()
    return done.stderr.strip()


def test_an_app_that_does_not_import_is_its_import_error(tmp_path):
    done = run_app(tmp_path, "--app", "tests.apps.nosuch:app", "--app-dir", str(ROOT))
    line = one_line_and_nothing_written(done, tmp_path)
    assert line == (
        "error: tests.apps.nosuch does not import: ModuleNotFoundError: No module named 'tests.apps.nosuch'"
    )


def test_an_attribute_that_is_not_an_asgi_app(tmp_path):
    done = run_app(tmp_path, "--app", "tests.apps.capped:POOL", "--app-dir", str(ROOT))
    assert "is a BoundedSemaphore, not an ASGI app" in one_line_and_nothing_written(done, tmp_path)


def test_a_prestart_that_fails_stops_the_run_with_its_tail(tmp_path):
    done = run_app(tmp_path, *APP, "--prestart", "echo migrating; echo 'relation users missing' >&2; exit 3")
    line = one_line_and_nothing_written(done, tmp_path)
    assert line == "error: --prestart failed (3): migrating | relation users missing"


def test_a_prestart_runs_in_the_apps_folder_and_environment(tmp_path):
    marker = tmp_path / "seen"
    done = run_app(
        tmp_path, *APP, "--env", "SEEN=yes", "--prestart", f'test "$SEEN" = yes && pwd > {marker}; exit 1'
    )
    one_line_and_nothing_written(done, tmp_path)
    assert marker.read_text().strip() == str(ROOT)


def test_a_locustfile_that_fails_to_load(tmp_path):
    locustfile = tmp_path / "broken.py"
    locustfile.write_text("import no_such_module_here\n")
    done = run_app(tmp_path, *APP, "--locustfile", str(locustfile))
    line = one_line_and_nothing_written(done, tmp_path)
    assert line.startswith("error: the locustfile does not load: ModuleNotFoundError")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env", "secret-value"], "error: --env takes KEY=VALUE; one has no '='"),
        (["--env-file", "nope.env"], "No such file"),
        (["--python", "/no/such/python"], "error: --python /no/such/python: no such file"),
        (["--scenarios", "sleep"], "leave out --scenarios and --variants"),
        (["--setups", "nginx"], "unknown setup 'nginx'"),
    ],
)
def test_bad_options_are_one_line(tmp_path, args, message):
    done = run_app(tmp_path, *APP, *args)
    line = one_line_and_nothing_written(done, tmp_path)
    assert message in line and "secret-value" not in line


def test_the_recorded_command_line_keeps_env_names_only():
    argv = ["asyncgap", "run", "--env", "DB_PASSWORD=hunter2", "--env=KEY=v=1", "--app", "a:b"]
    assert redacted(argv) == ["asyncgap", "run", "--env", "DB_PASSWORD=...", "--env=KEY=...", "--app", "a:b"]
