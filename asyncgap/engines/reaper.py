"""`python -m asyncgap.engines.reaper`: stops what a harness started once the harness is gone,
however it ended.

Its stdin is a pipe that only the harness can write to (see asyncgap.engines.lifeline), one line per
change: `+group PGID`, `-group PGID`, `+dir PATH`, `-dir PATH`. End of file means the harness
has exited, cleanly or not (even SIGKILL closes its end): every process group still
registered gets SIGTERM, then SIGKILL after GRACE_S, and every folder still registered is
removed. After a clean exit nothing is registered, so it simply ends.

It runs in its own session and ignores the signals a closed terminal, a Ctrl-C or a
`kill` of the harness would bring, so it lives exactly as long as this clean-up needs.
"""

import os
import shutil
import signal
import sys
import time
from collections.abc import Iterable

GRACE_S = 2.0  # SIGTERM, then SIGKILL: everything is gone well within the 5 s promised
POLL_S = 0.05


def registered(lines: Iterable[str]) -> tuple[set[int], set[str]]:
    """Replay the harness's lines: the process groups and folders still registered at the end."""
    groups: set[int] = set()
    folders: set[str] = set()
    for line in lines:
        change, _, value = line.rstrip("\n").partition(" ")
        if change == "+group":
            groups.add(int(value))
        elif change == "-group":
            groups.discard(int(value))
        elif change == "+dir":
            folders.add(value)
        elif change == "-dir":
            folders.discard(value)
    return groups, folders


def signal_group(pgid: int, sig: int) -> bool:
    """Signal a process group; False if it has no process left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True


def reap(groups: set[int], folders: set[str], grace_s: float = GRACE_S) -> None:
    """SIGTERM every group, SIGKILL what is left after `grace_s`, then remove the folders."""
    alive = {pgid for pgid in groups if signal_group(pgid, signal.SIGTERM)}
    deadline = time.monotonic() + grace_s
    while alive and time.monotonic() < deadline:
        time.sleep(POLL_S)
        alive = {pgid for pgid in alive if signal_group(pgid, 0)}
    for pgid in alive:
        signal_group(pgid, signal.SIGKILL)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    reap(*registered(sys.stdin))


if __name__ == "__main__":
    main()
