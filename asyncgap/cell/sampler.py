"""Watch a cell from outside while Locust runs, so watching costs the server nothing.

Worker metrics come from the Prometheus multiprocess folder (files the workers write; a user's
app, which has none, from the watchdog's files in the same folder), not from /metrics: a blocked
event loop would answer a scrape only seconds late. CPU time and connections per worker come
from the kernel through psutil.
"""

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil
from prometheus_client.multiprocess import MultiProcessCollector

from asyncgap.cell import blocking
from asyncgap.core import names
from asyncgap.engines import netns, pace

IDLE_S = 0.5  # the idle server's own CPU (lag probe, metrics timers), measured this long


@dataclass(frozen=True)
class Sample:
    t: float  # seconds since the swarm started
    at: float  # the same moment, seconds since the epoch: Locust's clock for each second's requests
    generator_cpu_s: float
    server_cpu_s: float
    lag_s: dict[str, float] = field(default_factory=dict)  # worker pid -> worst recent lag
    tokens_busy: dict[str, float] = field(default_factory=dict)  # worker pid -> busy tokens
    connections: dict[str, int] = field(default_factory=dict)  # worker pid -> open connections
    outbound: dict[str, int] = field(default_factory=dict)  # worker pid -> its connections to other servers
    requests: float = 0.0  # requests the server has finished, all workers (stale by up to 50 ms)
    watch: dict[str, dict] | None = (
        None  # pid -> its watch file (asyncgap/cell/blocking.py); None: unreadable
    )
    db_cpu_s: float = 0.0  # the database server's process tree (PostgreSQL), when it has one
    server_wakeups: float = 0.0  # the server tree's voluntary context switches so far: it blocked, was woken
    server_preemptions: float = 0.0  # its involuntary ones: preempted by another process or thread
    pace_units: int = 0  # reference units the run's timer has timed on the server's cores so far
    pace_cpu_s: float = 0.0  # ... and their CPU seconds (asyncgap.engines.pace)

    def to_json(self) -> dict:
        return asdict(self)


def read_worker_metrics(metrics_dir: Path) -> dict[str, dict[str, float]]:
    """metric name -> {worker pid: value}, summed over other labels (a counter's routes)."""
    metrics: dict[str, dict[str, float]] = {}
    for family in MultiProcessCollector(None, path=str(metrics_dir)).collect():
        for sample in family.samples:
            worker = sample.labels.get("worker")
            if worker is not None:
                per_worker = metrics.setdefault(sample.name, {})
                per_worker[worker] = per_worker.get(worker, 0.0) + sample.value
    return metrics


def _cpu_clock(pid: int) -> int:
    """Linux's CPU-time clock of another process (clock_getcpuclockid, CPUCLOCK_SCHED)."""
    return ((~pid) << 3) | 2


def tree_cpu_s(root_pid: int) -> float:
    """CPU seconds used so far by a process and its descendants (a process pool included)."""
    try:
        root = psutil.Process(root_pid)
        pids = [root_pid, *(child.pid for child in root.children(recursive=True))]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for pid in pids:
        try:
            total += time.clock_gettime(_cpu_clock(pid))
        except OSError:  # exited between the listing and the reading
            continue
    return total


def idle_cpu_rate(server_pid: int) -> float:
    """CPU seconds per second the server burns with nothing to serve."""
    before = tree_cpu_s(server_pid)
    time.sleep(IDLE_S)
    return max(0.0, (tree_cpu_s(server_pid) - before) / IDLE_S)


class CpuMeter:
    """CPU seconds (user + system) used by process trees since they started, never going down:
    one tree (a server), or several summed (a Locust master and its workers).

    Each process's last reading is kept, so a child that exits (a forked Locust process, a
    restarted gunicorn worker) still counts for what it used while it lived.
    """

    def __init__(self, *pids: int) -> None:
        self.pids = pids
        self._last: dict[int, float] = {}

    def read(self) -> float:
        procs = []
        for pid in self.pids:
            try:
                root = psutil.Process(pid)
                procs += [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
        for proc in procs:
            try:
                self._last[proc.pid] = self._one(proc)
            except psutil.NoSuchProcess:
                continue
        return sum(self._last.values())

    def _one(self, proc: psutil.Process) -> float:
        times = proc.cpu_times()
        return times.user + times.system


class SwitchMeter(CpuMeter):
    """Context switches of process trees so far, the same way: voluntary ones (the process blocked
    and was woken: a wake-up, a GIL hand-off waited on) or involuntary ones (preempted)."""

    def __init__(self, *pids: int, voluntary: bool) -> None:
        super().__init__(*pids)
        self.voluntary = voluntary

    def _one(self, proc: psutil.Process) -> float:
        switches = proc.num_ctx_switches()
        return switches.voluntary if self.voluntary else switches.involuntary


def connections(pids: list[str], port: int) -> tuple[dict[str, int], dict[str, int]]:
    """Established connections each worker holds: its clients' on the server's port, and its own
    to other servers (an upstream, a database: a client's pool, whose size can cost CPU)."""
    inbound, outbound = {}, {}
    for pid in pids:
        try:
            conns = psutil.Process(int(pid)).net_connections(kind="tcp")
        except psutil.NoSuchProcess:
            continue
        established = [c for c in conns if c.status == psutil.CONN_ESTABLISHED]
        inbound[pid] = sum(1 for c in established if c.laddr.port == port)
        outbound[pid] = len(established) - inbound[pid]
    return inbound, outbound


def outbound_connections(root_pid: int, port: int) -> int | None:
    """Connections a server's whole process tree holds to other servers (not on its own `port`);
    None in a container, whose sockets psutil does not see from here."""
    if netns.separate(root_pid):
        return None
    try:
        root = psutil.Process(root_pid)
        pids = [str(p.pid) for p in (root, *root.children(recursive=True))]
    except psutil.NoSuchProcess:
        return 0
    return sum(connections(pids, port)[1].values())


class Sampler:
    """Takes one Sample of a server (its process tree and metrics folder) and its load generator."""

    def __init__(
        self,
        *,
        metrics_dir: Path,
        server_pid: int,
        port: int,
        generator_pids: Sequence[int],
        db_pid: int | None = None,
        pace_log: Path | None = None,
    ) -> None:
        self.metrics_dir = metrics_dir
        self.pace_log = pace_log
        self.port = port
        self.server_pid = server_pid
        self.contained = netns.separate(server_pid)  # a container: its own pids and network namespace
        self.generator_cpu = CpuMeter(*generator_pids)
        self.server_cpu = CpuMeter(server_pid)
        self.wakeups = SwitchMeter(server_pid, voluntary=True)
        self.preemptions = SwitchMeter(server_pid, voluntary=False)
        self.db_cpu = CpuMeter(db_pid) if db_pid else None
        self.started = time.monotonic()

    def _connections(self, workers: list[str]) -> tuple[dict[str, int], dict[str, int]]:
        """Each worker's clients' connections and its own to other servers (not counted in a
        container: its namespace's table is read for the server's port only)."""
        if not self.contained:
            return connections(workers, self.port)
        here = netns.host_pids(self.server_pid)
        return {w: netns.established(here[w], self.port) for w in workers if w in here}, {}

    def sample(self) -> Sample:
        pace_totals = pace.read(self.pace_log) or pace.Totals(0, 0.0)
        gauges = read_worker_metrics(self.metrics_dir)
        watches = blocking.read_watches(self.metrics_dir)
        lag = gauges.get(names.LOOP_LAG) or _from_watches(watches, "lag_s")
        inbound, outbound = self._connections(list(lag))
        return Sample(
            t=round(time.monotonic() - self.started, 3),
            at=round(time.time(), 3),
            generator_cpu_s=self.generator_cpu.read(),
            server_cpu_s=self.server_cpu.read(),
            lag_s=lag,
            tokens_busy=gauges.get(names.TOKENS_BUSY) or _from_watches(watches, "tokens_busy"),
            connections=inbound,
            outbound=outbound,
            requests=sum(gauges.get(names.REQUESTS_SERVED, {}).values()),
            watch=watches,
            db_cpu_s=self.db_cpu.read() if self.db_cpu else 0.0,
            server_wakeups=self.wakeups.read(),
            server_preemptions=self.preemptions.read(),
            pace_units=pace_totals.units,
            pace_cpu_s=pace_totals.cpu_s,
        )


def _from_watches(watches: dict[str, dict] | None, key: str) -> dict[str, float]:
    """A per-worker figure from the watch files, for an app with no Prometheus metrics of ours
    (a user's app: the watchdog is all that runs in it)."""
    return {pid: float(watch[key]) for pid, watch in (watches or {}).items()}
