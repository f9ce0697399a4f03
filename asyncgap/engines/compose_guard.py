"""`python -m asyncgap.engines.compose_guard DISARMED -- DOWN_ARGV...`: takes a compose run's stack down if
the harness dies before it could.

The harness starts it like any child (asyncgap.engines.children, so the reaper holds its group). When
it is stopped with SIGTERM, by the harness at a clean end or by the reaper after the harness was
killed, it runs DOWN_ARGV (`docker compose -p PROJECT down -v`) unless the file DISARMED exists
(the harness took the stack down itself). The command runs in a session of its own: the
reaper's SIGKILL of this group, two seconds later, must not cut it short.
"""

import signal
import subprocess
import sys
from pathlib import Path

DOWN_TIMEOUT_S = 120


def main() -> None:
    disarmed, separator, *down = sys.argv[1:]
    if separator != "--" or not down:
        sys.exit("usage: python -m asyncgap.engines.compose_guard DISARMED -- DOWN_ARGV...")

    def stop(_signum, _frame) -> None:
        if not Path(disarmed).exists():
            subprocess.run(down, start_new_session=True, stdin=subprocess.DEVNULL, timeout=DOWN_TIMEOUT_S)
        sys.exit(0)

    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, stop)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
