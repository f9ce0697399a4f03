"""The reaper: when its pipe closes it stops the groups and removes the folders still registered,
escalating to SIGKILL, and leaves alone what was released."""

import subprocess
import sys
import time

import psutil

from asyncgap.engines import reaper
from tests.e2e.processes import running
from tests.paths import ROOT

DEAF_TO_SIGTERM = 'trap "" TERM; sleep 60 & wait'  # a shell and its sleep, both ignoring SIGTERM


def test_registered_is_replayed_until_end_of_file():
    lines = ["+group 10\n", "+group 11\n", "+dir /a b\n", "+dir /c\n", "-group 10\n", "-dir /c\n"]
    assert reaper.registered(lines) == ({11}, {"/a b"})


def test_on_end_of_file_it_kills_the_registered_groups_and_removes_the_folders(tmp_path):
    doomed = subprocess.Popen(["sh", "-c", DEAF_TO_SIGTERM], start_new_session=True)
    spared = subprocess.Popen(["sleep", "60"], start_new_session=True)
    kept, removed = tmp_path / "kept", tmp_path / "removed"
    for folder in (kept, removed):
        (folder / "sub").mkdir(parents=True)
    watcher = subprocess.Popen(
        [sys.executable, "-m", "asyncgap.engines.reaper"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    group = [psutil.Process(doomed.pid)]
    others = [psutil.Process(spared.pid), psutil.Process(watcher.pid)]
    try:
        deadline = time.monotonic() + 5
        while len(group) < 2 and time.monotonic() < deadline:  # the shell has started its sleep
            group = [psutil.Process(doomed.pid), *psutil.Process(doomed.pid).children()]
            time.sleep(0.01)
        watcher.stdin.write(
            f"+group {doomed.pid}\n+group {spared.pid}\n-group {spared.pid}\n"
            f"+dir {removed}\n+dir {kept}\n-dir {kept}\n"
        )
        watcher.stdin.close()  # what the harness's death does
        began = time.monotonic()
        watcher.wait(timeout=10)
        took = time.monotonic() - began

        assert len(group) == 2
        assert reaper.GRACE_S <= took < reaper.GRACE_S + 2  # SIGTERM was ignored: it took SIGKILL
        assert running(group) == []
        assert spared.poll() is None
        assert not removed.exists()
        assert (kept / "sub").is_dir()
    finally:
        for proc in running([*group, *others]):
            proc.kill()
        for child in (doomed, spared, watcher):
            child.wait(timeout=10)
