"""Docker Compose for real: build the image, run the upstream, one setup and a Locust master with
two workers headless for 10 s, and read Locust's own CSV; and, with docker-compose.postgres.yml
laid over it, one setup on the `postgres` service writing and reading notes.

docker-compose.yml is used as it is but for its published host ports, which Docker picks here
(127.0.0.1::PORT), so the test cannot collide with servers already listening on this machine.
With no container registry the base image is built from Debian's packages by
scripts/build-base-image.sh; the stack always goes down with its volume, pass or fail.
"""

import csv
import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from asyncgap.engines import docker
from tests.paths import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.docker]

SETUP = "gunicorn-2w"  # the setup with the most moving parts: gunicorn, its config, two workers
WORKERS = 2
MASTER = f"locust-{SETUP}"
IMAGE_USER = 10001  # the Dockerfile's non-root user
IMAGE_LABEL = "org.opencontainers.image.title=asyncgap"
DEFAULT_BASE = re.search(r"^ARG BASE_IMAGE=(\S+)$", (ROOT / "Dockerfile").read_text(), re.M)[1]
SWARM = {
    "LOCUST_HEADLESS": "true",
    "LOCUST_RUN_TIME": "10s",
    "LOCUST_USERS": "10",
    "LOCUST_SPAWN_RATE": "10",
    "LOCUST_LOCUSTFILE": "locustfiles/sleep_mix.py",
    "LOCUST_VARIANT": "async",
    "LOCUST_ONLY_SUMMARY": "true",
    "LOCUST_LOGLEVEL": "DEBUG",  # each worker then logs the users it spawned
}


def compose_tool() -> list[str]:
    if tool := docker.compose_tool():
        return tool
    pytest.fail("a Docker engine answers but there is no Compose tool (docker compose or docker-compose)")


def base_image(need_postgres: bool = False) -> str:
    """The Dockerfile's default base when this machine has it and PostgreSQL is not needed, else
    one built from Debian's packages (which has PostgreSQL)."""
    inspect = ["docker", "image", "inspect", DEFAULT_BASE]
    if not need_postgres and subprocess.run(inspect, capture_output=True).returncode == 0:
        return DEFAULT_BASE
    done = run([str(ROOT / "scripts" / "build-base-image.sh")], timeout=1200)
    return done.stdout.split()[-1]


def run(argv: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert done.returncode == 0, f"{' '.join(argv)} exited {done.returncode}:\n{tail(done)}"
    return done


def tail(done: subprocess.CompletedProcess, lines: int = 40) -> str:
    return "\n".join((done.stdout + done.stderr).splitlines()[-lines:])


def with_loopback_ports_picked_by_docker(source: Path, target: Path) -> Path:
    """The compose file with '127.0.0.1:HOST:PORT' published as '127.0.0.1::PORT'."""
    compose = yaml.safe_load(source.read_text())
    for service in compose["services"].values():
        ports = service.get("ports", [])
        service["ports"] = [re.sub(r"^127\.0\.0\.1:\d+:", "127.0.0.1::", p) for p in ports]
        assert all(p.startswith("127.0.0.1::") for p in service["ports"]), ports
    target.write_text(yaml.safe_dump(compose, sort_keys=False))
    return target


def aggregated(stats_csv: Path) -> dict[str, str]:
    with stats_csv.open(newline="") as f:
        return next(row for row in csv.DictReader(f) if row["Name"] == "Aggregated")


class Stack:
    """Compose commands on one project: this test's file, environment and results folder."""

    def __init__(self, base: list[str], env: dict[str, str], results: Path) -> None:
        self.base, self.env, self.results = base, env, results

    def __call__(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
        if check:
            return run([*self.base, *args], timeout=timeout, env=self.env)
        argv = [*self.base, *args]
        return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=self.env)


@contextmanager
def stack_of(tmp_path: Path, *overlays: Path, need_postgres: bool = False) -> Iterator[Stack]:
    """A fresh Compose project on docker-compose.yml and the overlays, torn down with its volumes
    whatever happens."""
    tool = compose_tool()
    results = tmp_path / "results"
    results.mkdir()
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:  # write as the image's own non-root user, as a user without root would
        uid = gid = IMAGE_USER
        os.chown(results, uid, gid)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCUST_", "COMPOSE_"))}
    env |= SWARM | {
        "SETUP": SETUP,
        "WORKERS": str(WORKERS),
        "TAG": "e2e",
        "BASE_IMAGE": base_image(need_postgres),
        "RESULTS_DIR": str(results),
        "HOST_UID": str(uid),
        "HOST_GID": str(gid),
    }
    file = with_loopback_ports_picked_by_docker(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    files = [arg for f in (file, *overlays) for arg in ("-f", str(f))]
    project = f"asyncgap-e2e-{uuid.uuid4().hex[:8]}"
    stack = Stack([*tool, *files, "--project-directory", str(ROOT), "-p", project], env, results)
    try:
        yield stack
    finally:
        stack("down", "-v", "--remove-orphans", "-t", "10", timeout=180, check=False)
        prune = ["docker", "image", "prune", "-f", "--filter", f"label={IMAGE_LABEL}"]
        subprocess.run(prune, capture_output=True, timeout=120)  # superseded builds of this image


@pytest.fixture
def compose(tmp_path):
    with stack_of(tmp_path) as stack:
        yield stack


@pytest.fixture
def compose_on_postgres(tmp_path):
    with stack_of(tmp_path, ROOT / "docker-compose.postgres.yml", need_postgres=True) as stack:
        yield stack


@pytest.mark.timeout(1800)  # a cold machine builds the base image and the wheelhouse first
def test_headless_swarm_with_two_workers_in_compose(compose):
    started = time.monotonic()
    compose("build", "upstream", timeout=1200)  # one image for every service
    built = time.monotonic()
    headless = ["--no-build", "--abort-on-container-exit", "--exit-code-from", MASTER, MASTER]
    up = compose("up", *headless, check=False)
    swarmed = time.monotonic()
    workers_log = compose("logs", "--no-color", "locust-worker", check=False).stdout
    assert up.returncode == 0, f"Locust's master exited {up.returncode}:\n{tail(up, 60)}"

    report = compose.results / "compose" / SETUP
    stats = aggregated(report / "stats_stats.csv")
    requests, failures = int(stats["Request Count"]), int(stats["Failure Count"])
    rps = float(stats["Requests/s"])
    assert requests > 0, stats
    assert failures == 0, (report / "stats_failures.csv").read_text()
    assert (report / "report.html").stat().st_size > 0

    master_log = up.stdout + up.stderr
    assert f"{WORKERS} workers connected" in master_log, tail(up, 60)
    assert f"to {WORKERS} ready workers" in master_log, tail(up, 60)
    spawned = {
        name: int(users)
        for name, users in re.findall(r"^(locust-worker\S*)\s+\|.* (\d+) users spawned", workers_log, re.M)
    }
    assert len(spawned) == WORKERS, f"users per worker: {spawned}\n{workers_log[-3000:]}"
    assert all(spawned.values()), spawned
    print(
        f"compose smoke: {requests} requests, {rps:.1f} req/s, {failures} failures, "
        f"users per worker {spawned}; "
        f"build {built - started:.0f} s, up+swarm {swarmed - built:.0f} s"
    )


PG_SETUP = "uvicorn-1w"
PSQL = "/usr/lib/postgresql/15/bin/psql"


def ready(url: str, timeout: float) -> None:
    """Poll until the URL answers 200 (the setup's own health, which compose's `up -d` does not wait for)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} not ready after {timeout:g} s"
        time.sleep(0.5)


@pytest.mark.timeout(1800)  # a cold machine builds the base image (with PostgreSQL) first
def test_a_setup_on_the_postgres_service_commits_and_reads_notes(compose_on_postgres):
    """docker-compose.postgres.yml: postgres healthy first, then prestart's schema, then the setup
    on it; both drivers (psycopg for `sync`, asyncpg for `async`) write rows that PostgreSQL holds."""
    stack = compose_on_postgres
    started = time.monotonic()
    stack("build", "upstream", timeout=1200)
    built = time.monotonic()
    stack("up", "-d", "--no-build", PG_SETUP)
    port = stack("port", PG_SETUP, "8101").stdout.strip().rsplit(":", 1)[1]
    base = f"http://127.0.0.1:{port}"
    ready(f"{base}/healthz", timeout=60)
    up = time.monotonic()

    marker = uuid.uuid4().hex
    written = {}
    for variant in ("sync", "async"):
        response = httpx.post(f"{base}/{variant}/notes", json={"text": f"{variant}-{marker}"}, timeout=10)
        assert response.status_code == 201, response.text
        written[response.json()["id"]] = f"{variant}-{marker}"
    listed = httpx.get(f"{base}/async/notes", params={"limit": 10}, timeout=10).json()
    assert {note["id"]: note["text"] for note in listed if marker in note["text"]} == written

    query = f"SELECT id, text FROM notes WHERE text LIKE '%{marker}' ORDER BY id"
    psql = stack("exec", "-T", "postgres", PSQL, "-h", "/tmp", "-U", "asyncgap", "-tA", "-c", query)
    rows = dict(line.split("|", 1) for line in psql.stdout.splitlines() if line)
    assert {int(id_): text for id_, text in rows.items()} == written, psql.stdout
    print(f"compose on postgres: build {built - started:.0f} s, up to healthy {up - built:.0f} s")
