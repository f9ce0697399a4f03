"""Worker kills and restarts are read from the server's log, in plain words."""

from asyncgap.engines.supervision import describe, worker_events

GUNICORN_LOG = """\
[2026-11-24 18:28:00 +0000] [10] [INFO] Booting worker with pid: 11
[2026-11-24 18:28:00 +0000] [10] [INFO] Booting worker with pid: 12
[2026-11-24 18:28:04 +0000] [10] [CRITICAL] WORKER TIMEOUT (pid:11)
[2026-11-24 18:28:04 +0000] [10] [WARNING] Worker (pid:11) was sent SIGABRT!
[2026-11-24 18:28:04 +0000] [10] [INFO] Booting worker with pid: 13
[2026-11-24 18:28:06 +0000] [10] [CRITICAL] WORKER TIMEOUT (pid:12)
[2026-11-24 18:28:06 +0000] [10] [ERROR] Worker (pid:12) was sent SIGKILL! Perhaps out of memory?
[2026-11-24 18:28:07 +0000] [10] [INFO] Booting worker with pid: 14
[2026-11-24 18:28:08 +0000] [10] [ERROR] Worker (pid:13) exited with code 3.
[2026-11-24 18:28:09 +0000] [10] [INFO] Worker (pid:14) was sent SIGTERM!
"""


def test_gunicorn_kills_and_replacements_are_counted_and_explained(tmp_path):
    log = tmp_path / "server.log"
    log.write_text(GUNICORN_LOG)
    events = worker_events(log, workers=2, timeout_s=4)
    assert [(e.event, e.count) for e in events] == [
        ("gunicorn killed a worker whose event loop was blocked past its 4 s timeout", 2),
        ("a worker was killed by SIGKILL", 1),
        ("a worker exited with code 3", 1),
        ("gunicorn booted a replacement worker", 2),
    ]
    assert events[0].example.endswith("WORKER TIMEOUT (pid:11)")
    assert describe(events).startswith("2 x gunicorn killed a worker whose event loop was blocked")


def test_uvicorn_replacing_a_dead_worker_is_an_event(tmp_path):
    log = tmp_path / "server.log"
    log.write_text("INFO:     Started parent process [20]\nINFO:     Child process [21] died\n")
    assert describe(worker_events(log, workers=2)) == "1 x a worker died and uvicorn started a new one"


def test_a_quiet_log_or_no_log_has_no_events(tmp_path):
    log = tmp_path / "server.log"
    log.write_text(GUNICORN_LOG.splitlines()[0] + "\n" + GUNICORN_LOG.splitlines()[1] + "\n")
    assert worker_events(log, workers=2) == []
    assert worker_events(tmp_path / "missing.log", workers=1) == []
