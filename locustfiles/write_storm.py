"""Durable writes only: every user POSTs notes as fast as the server acknowledges them.

A 201 promises a committed row; under several workers SQLite serialises the writers, so this
is the pattern that finds lost or refused writes ("database is locked").
"""

from locust import task

from locustfiles.common import AsyncGapUser


class WriteStorm(AsyncGapUser):
    @task(9)
    def write_note(self) -> None:
        self.call_variant("POST", "notes", json={"text": "write storm"}, expect=201)
