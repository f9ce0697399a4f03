"""Gunicorn server hooks, loaded with `--config python:service.gunicorn_conf` (argv: service.serve)."""

from prometheus_client import multiprocess


def child_exit(server, worker) -> None:
    """Drop a dead worker's live gauges, so /metrics shows only the workers that run."""
    multiprocess.mark_process_dead(worker.pid)
