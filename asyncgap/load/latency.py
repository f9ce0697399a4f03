"""Every request's response time into HDR histograms, per second and endpoint, for exact percentiles.

The process that runs users records each request (all of them, failed ones too, as Locust's
own stats do) in the histogram of its endpoint and its second (asyncgap/core/latency.py).
In Locust's distributed mode (--processes, or a master and its workers) each worker adds
what it recorded to its regular stats report, the message Locust sends its own stats in, and
starts afresh; the master adds each report to its histograms, which merge exactly. The
process that writes Locust's --json-file writes the histograms beside it once Locust has
quit, after the workers' final reports: <json-file>_hdr.json.

Nothing is kept without a --json-file to write to (the web UI's runs), and a worker never
holds more than a report's few seconds: memory stays bounded however long Locust runs.
Recording costs about 3 µs of the load generator's CPU per request.
"""

import time
from pathlib import Path

from locust import events
from locust.runners import WorkerRunner

from asyncgap.core import latency
from asyncgap.core.names import endpoint_key

REPORT_KEY = "asyncgap_hdr"  # in a worker's stats report


class Recorder:
    """The histograms of one Locust process, by second and endpoint."""

    def __init__(self) -> None:
        self.enabled = False
        self.seconds: latency.Seconds = {}

    def record(self, method: str, name: str, response_time_ms: float) -> None:
        endpoints = self.seconds.setdefault(int(time.time()), {})
        latency.record(endpoints.setdefault(endpoint_key(method, name), latency.new()), response_time_ms)

    def take(self) -> dict:
        """What was recorded since the last take, encoded, and a fresh start."""
        taken, self.seconds = self.seconds, {}
        return latency.to_json(taken)

    def add(self, report: dict) -> None:
        latency.add_into(self.seconds, latency.from_json(report))


recorder = Recorder()


@events.init.add_listener
def _start(environment, **_kwargs) -> None:
    """Record where the histograms can go: a worker sends them on, a headless run writes them."""
    options = environment.parsed_options
    json_file = getattr(options, "json_file", None) if options else None
    is_worker = isinstance(environment.runner, WorkerRunner)
    recorder.enabled = is_worker or bool(json_file)
    if json_file and not is_worker:

        @environment.events.quit.add_listener
        def _write(**_kw) -> None:
            latency.save(Path(f"{json_file}{latency.HDR_SUFFIX}"), recorder.seconds)


@events.test_start.add_listener
def _fresh(**_kwargs) -> None:
    recorder.seconds = {}


@events.request.add_listener
def _on_request(request_type, name, response_time, **_kwargs) -> None:
    if recorder.enabled and response_time is not None:
        recorder.record(request_type, name, response_time)


@events.report_to_master.add_listener
def _send(client_id, data, **_kwargs) -> None:
    if recorder.seconds:
        data[REPORT_KEY] = recorder.take()


@events.worker_report.add_listener
def _receive(client_id, data, **_kwargs) -> None:
    if recorder.enabled and REPORT_KEY in data:
        recorder.add(data[REPORT_KEY])
