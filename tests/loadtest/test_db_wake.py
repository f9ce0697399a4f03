"""verify's database wake: the quickest call that reaches the database, after a pause, less the
same back to back. Run in a child Python, since importing Locust patches the standard library."""

import json
import subprocess
import sys

PROBE = """
import json, os, time
from loadtest.verify import WAKE_CALLS, _db_wake

called = []

def burn(name, cpu_s):
    def task(user):
        called.append(name)
        end = time.process_time() + cpu_s
        while time.process_time() < end:
            pass
    return task

# (round trip ms, database CPU ms back to back, task, user): the quickest is the one probed
tasks = [(104.0, 0.9, burn("waiting", 0.0), None), (0.8, 0.5, burn("quick", 0.002), None)]
found = _db_wake(os.getpid(), 0.0, tasks)
print(json.dumps({**found, "called": sorted(set(called)), "calls": len(called), "expected": WAKE_CALLS,
                  "none": _db_wake(None, 0.0, tasks)}))
"""


def test_the_database_wake_is_the_quickest_calls_cpu_after_a_pause_less_back_to_back():
    argv = [sys.executable, "-c", PROBE]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["called"] == ["quick"] and got["calls"] == got["expected"]
    assert got["db_floor_ms"] == 0.5  # the quickest call's database CPU back to back
    assert got["db_wake_ms"] >= 2.0 - 0.5  # each paused call burnt at least 2 ms of this process's CPU
    assert got["none"] == {"db_wake_ms": None, "db_floor_ms": None}  # no database: nothing measured
