"""`python -m asyncgap`: bad input is one line on stderr, exit 2, and no results folder."""

import os
import socket

import pytest

from tests.cli import asyncgap
from tests.paths import demo_matrix_text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--setups", "nginx"], "unknown setup 'nginx'; choose from: uvicorn-1w, uvicorn-2w, gunicorn-2w"),
        (["--scenarios", "sleep,video"], "unknown scenario 'video'; choose from: sleep, db"),
        (["--variants", "threads"], "unknown variant 'threads'; choose from: sync, async, async-blocking"),
        (["--profile", "huge"], "unknown profile 'huge'; choose from: quick, default, full"),
        (["--users", "0"], "--users must be a positive number, got 0"),
        (["--users", "-5"], "--users must be a positive number, got -5"),
        (["--duration", "0"], "--duration must be a positive number of seconds"),
        (["--users", "many"], "argument --users: invalid int value: 'many'"),
        (["--duration", "soon"], "argument --duration: invalid float value: 'soon'"),
        (["--converge", "0"], "--converge must be a percentage above 0 and below 100, got 0"),
        (["--converge", "150"], "--converge must be a percentage above 0 and below 100, got 150"),
        (["--converge", "tight"], "argument --converge: invalid float value: 'tight'"),
        (["--users", "1,10,0"], "--users must be a positive number, got 0"),
        (["--users", "1,10,10,40"], "--users lists 10 twice"),
        (["--users", "1,40,10"], "--users must increase: 10 comes after 40"),
        (["--users", ",".join(map(str, range(1, 14)))], "--users has 13 levels; at most 12"),
        (["--users", "1,x"], "argument --users: invalid int value: 'x'"),
        (["--users", "1,10", "--converge", "5"], "--converge ends a single level early"),
        (["--profile", "sweep", "--converge", "5"], "--converge ends a single level early"),
        (["--generator-workers", "0"], "--generator-workers: must be a whole number of Locust workers, 1 or"),
        (["--generator-workers", "two"], "--generator-workers: must be a whole number of Locust workers"),
        (["--engine", "k8s"], "argument --engine: invalid choice: 'k8s'"),
    ],
)
def test_bad_run_arguments(tmp_path, args, message):
    out = tmp_path / "run"
    done = asyncgap("run", *args, "--out", str(out))
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not out.exists()


def test_out_that_is_a_file(tmp_path):
    out = tmp_path / "file"
    out.write_text("x")
    done = asyncgap("run", "--quick", "--out", str(out))
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: --out {out} exists and is not an empty folder"


def test_out_that_cannot_be_created():
    """sysfs refuses new folders even to root: a stand-in for any folder that is not writable."""
    done = asyncgap("run", "--quick", "--out", "/sys/asyncgap-run")
    assert done.returncode == 2
    assert done.stderr.startswith("error: cannot create --out /sys/asyncgap-run: ")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_report_of_a_missing_folder(tmp_path):
    done = asyncgap("report", str(tmp_path / "nope"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {tmp_path / 'nope'} is not a run folder: no summary.json in it"


def test_report_of_a_corrupt_summary(tmp_path):
    (tmp_path / "summary.json").write_text("{not json")
    done = asyncgap("report", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {tmp_path / 'summary.json'} is unreadable")


def test_list_describes_every_choice():
    done = asyncgap("list")
    assert done.returncode == 0
    for name in ("uvicorn-1w", "gunicorn-2w", "sleep", "tutorial", "async-blocking", "quick"):
        assert name in done.stdout


MATRIX = demo_matrix_text()


@pytest.mark.parametrize(
    ("matrix_text", "message"),
    [
        (MATRIX + "\n[[broken\n", "matrix.toml is not valid TOML"),
        (MATRIX + "\n[setups.uvicorn-1w]\n", "matrix.toml is not valid TOML"),  # a duplicate setup
        (MATRIX.replace("workers = 1\nport = 8101", "workers = 0\nport = 8101"), "setups.uvicorn-1w.workers"),
        (MATRIX.replace("workers = 1\nport = 8101", "workers = 1"), "setups.uvicorn-1w.port: Field required"),
        (MATRIX.replace("users = 100", 'users = "many"', 1), "scenarios.sleep.users"),
        (MATRIX.replace('setups = ["uvicorn-1w", "uvicorn-2w"]', "setups = []", 1), "profiles.quick.setups"),
        (MATRIX.replace("[setups.uvicorn-1w]", "[setups.uvicorn-1w]\nthreads = 4"), "Extra inputs"),
        (MATRIX.replace("[setups.uvicorn-1w]", "[setups.uvicorn-1w]\ntimeout_s = 5"), "uvicorn has none"),
    ],
)
def test_bad_matrix_files(tmp_path, matrix_text, message):
    path = tmp_path / "matrix.toml"
    path.write_text(matrix_text)
    out = tmp_path / "run"
    done = asyncgap("run", "--quick", "--out", str(out), env={**os.environ, "ASYNCGAP_MATRIX": str(path)})
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not out.exists()


def test_repeat_must_be_positive(tmp_path):
    done = asyncgap("run", "--repeat", "0", "--out", str(tmp_path / "run"))
    assert done.returncode == 2
    assert done.stderr.strip() == "error: --repeat must be 1 or more, got 0"


def test_a_port_in_use_is_refused_before_anything_is_written(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 8101))
        holder.listen()
        done = asyncgap("run", "--quick", "--out", str(tmp_path / "run"))
    assert done.returncode == 2
    assert done.stderr.strip() == "error: port 8101 on 127.0.0.1 is already in use; stop what holds it"
    assert not (tmp_path / "run").exists()


def test_out_under_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    done = asyncgap("run", "--quick", "--out", str(tmp_path / "file" / "run"))
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"error: --out {tmp_path / 'file' / 'run'}: {tmp_path / 'file'} is a file, not a folder"
    )


@pytest.mark.parametrize("name", ["upstream", "nginx"])
def test_ui_refuses_what_is_not_a_setup(name):
    done = asyncgap("ui", "--setups", name)
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"error: unknown setup {name!r}; choose from: uvicorn-1w, uvicorn-2w, gunicorn-2w, uvicorn-1w-t100"
    )
