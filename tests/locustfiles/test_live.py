"""The live page's reading from the watch files, in a child process (importing a locustfile
monkey-patches the standard library, which this test process must not be)."""

import subprocess
import sys

from tests.paths import ROOT

PROBE = """
import locust  # first, as when Locust loads a locustfile: it monkey-patches ssl before anyone imports it
import os, sys
from pathlib import Path
from asyncgap.watch import watchfile
from locustfiles import live

SITE = "service/routes/sleep.py:20 sleep_blocking"
folder = Path(sys.argv[1])

def watch(watching_s, blocked_s, now=""):
    loop = {"time.sleep": {SITE: blocked_s}} if blocked_s else {}
    return watchfile.Watch(pid=os.getpid(), written_at=0.0, watching_s=watching_s, threshold_s=0.02,
                           loop_blocked_s=blocked_s, loop=loop, lag_s=0.4, tokens_busy=2, tokens_total=40,
                           blocked_now=now)

# what grew most since the last poll, with its share; else what blocks now; else nothing
assert live.recent_top(watch(3.0, 2.9), watch(2.0, 2.0)) == f"time.sleep <- {SITE} (90% of the last 1.0 s)"
now = f"time.sleep <- {SITE}"
assert live.recent_top(watch(3.0, 2.0, now=now), watch(2.0, 2.0)) == now
assert live.recent_top(watch(3.0, 2.0), None) is None

# files only: nothing listens on the target, and the page still reads
watchfile.write(folder, watch(5.0, 4.0))
got = live.read_live("http://127.0.0.1:9", folder)
assert got["source"] == "files" and got["error"] is None, got
(worker,) = got["workers"].values()
assert (worker["lag_s"], worker["tokens_busy"], worker["tokens_total"]) == (0.4, 2, 40), worker
assert worker["stale"] is True  # written at 0: long ago
(folder / f"asyncgap-watch-{os.getpid()}.json").write_text("{")
assert live.read_live("http://127.0.0.1:9", folder)["error"].startswith("cannot read the watch files")
print("ok")
"""


def test_the_live_page_reads_the_watch_files(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
