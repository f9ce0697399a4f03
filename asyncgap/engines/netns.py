"""Connections per worker of a server in a network namespace of its own (a container's), read
from this host's /proc: psutil counts only the connections of the reader's own namespace, and
the workers report their pids as their namespace numbers them.

A worker's connections are the established TCP sockets on the server's port that it holds:
its socket inodes (/proc/PID/fd) matched against its namespace's table (/proc/PID/net/tcp*).
"""

import os
from pathlib import Path

import psutil

ESTABLISHED = "01"  # the kernel's TCP state code in /proc/net/tcp


def separate(pid: int) -> bool:
    """True when `pid` lives in another network namespace than this process."""
    try:
        return os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net")
    except OSError:
        return False


def host_pids(root_pid: int) -> dict[str, int]:
    """Each process of the tree under `root_pid`: its pid as its own namespace numbers it -> its pid here."""
    mapping = {}
    try:
        procs = [root_pid, *(p.pid for p in psutil.Process(root_pid).children(recursive=True))]
    except psutil.NoSuchProcess:
        return {}
    for pid in procs:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("NSpid:"):
                mapping[line.split()[-1]] = pid
    return mapping


def established(pid: int, port: int) -> int:
    """Established connections on local `port` that process `pid` holds, in its own namespace."""
    try:
        inodes = {
            link[len("socket:[") : -1]
            for fd in os.listdir(f"/proc/{pid}/fd")
            if (link := _readlink(f"/proc/{pid}/fd/{fd}")).startswith("socket:[")
        }
    except OSError:
        return 0
    count = 0
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if fields[3] == ESTABLISHED and local_port == port and fields[9] in inodes:
                count += 1
    return count


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""
