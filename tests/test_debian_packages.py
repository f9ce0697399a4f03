"""scripts/ensure-debian-packages.sh on a machine where it may not install: one line naming the
packages, exit 1, and apt-get never run. The commands it looks at are fakes on a PATH of their own."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.paths import ROOT

SCRIPT = ROOT / "scripts" / "ensure-debian-packages.sh"
APT_RAN = "apt-get ran"


def fake_path(folder: Path, **commands: str) -> str:
    """A PATH holding bash, grep and env, and each of `commands` as a shell script with that body."""
    folder.mkdir()
    for real in ("bash", "grep", "env"):
        (folder / real).symlink_to(shutil.which(real))
    for name, body in commands.items():
        (folder / name).write_text(f"#!/bin/sh\n{body}\n")
        (folder / name).chmod(0o755)
    return str(folder)


def ensure(path: str, *packages: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT), *packages],
        env={"PATH": path},
        stdin=subprocess.DEVNULL,  # no terminal to answer a password prompt
        capture_output=True,
        text=True,
        timeout=30,
    )


NOT_INSTALLED = {"dpkg-query": "exit 1", "apt-get": f"echo {APT_RAN}; exit 0"}
INSTALLED = {"dpkg-query": "printf 'install ok installed'", "apt-get": f"echo {APT_RAN}; exit 0"}


@pytest.mark.parametrize(
    ("commands", "why"),
    [
        ({**NOT_INSTALLED, "id": "echo 1000"}, "not root and no sudo"),
        ({**NOT_INSTALLED, "id": "echo 1000", "sudo": "exit 1"}, "not root and sudo is not allowed"),
        ({"dpkg-query": "exit 1", "id": "echo 0"}, "no apt-get on this machine"),
    ],
)
def test_without_a_way_to_install_it_names_the_packages_in_one_line(tmp_path, commands, why):
    done = ensure(fake_path(tmp_path / "bin", **commands), "chromium", "wrk")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"error: {why}; install these Debian packages first: apt-get install chromium wrk"
    ]


def test_packages_already_installed_need_neither_root_nor_apt(tmp_path):
    done = ensure(fake_path(tmp_path / "bin", **INSTALLED, id="echo 1000"), "chromium", "wrk")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_with_sudo_allowed_it_installs_only_the_missing_ones(tmp_path):
    commands = {
        "dpkg-query": '[ "$3" = wrk ] && printf "install ok installed"; exit 0',
        "apt-get": f'echo "{APT_RAN}: $*"',
        "id": "echo 1000",
        "sudo": '[ "$1" = -n ] && shift; "$@"',
    }
    done = ensure(fake_path(tmp_path / "bin", **commands), "chromium", "wrk")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["installing Debian packages: chromium", f"{APT_RAN}: update -qq"]
