"""The traffic of a user's app: which GETs of a schema the generated mix tries, and why one is
left out; a user's locustfile wrapped, its LoadTestShape left out."""

from pathlib import Path

from asyncgap.cell import traffic
from asyncgap.core.ownapp import LeftOut


def test_a_secured_get_is_a_candidate_and_a_hard_need_is_left_out():
    operations = [
        {"method": "GET", "path": "/articles", "needs": [], "credentials": ["APIKeyHeader"]},
        {"method": "GET", "path": "/items/{id}", "needs": ["path parameters"], "credentials": []},
        {"method": "POST", "path": "/items", "needs": ["a POST changes state"], "credentials": []},
    ]
    paths, left_out = traffic.candidates(operations)
    assert paths == ["/articles"]
    assert left_out == [
        LeftOut(endpoint="/items/{id}", why="needs path parameters"),
        LeftOut(endpoint="POST /items", why="needs a POST changes state"),
    ]


def test_a_refused_get_names_the_credentials_it_declares_only_when_it_asked_for_them():
    assert traffic.refused(403, ["APIKeyHeader"]) == (
        "needs credentials (APIKeyHeader): a GET without them answered 403"
    )
    assert traffic.refused(401, ["OAuth2PasswordBearer"]).startswith("needs credentials (OAuth2")
    assert traffic.refused(404, ["APIKeyHeader"]) == "a GET answered 404"
    assert traffic.refused(401, []) == "a GET answered 401"


SHAPED = """
from locust import HttpUser, LoadTestShape, task


class Reader(HttpUser):
    @task
    def ready(self):
        self.client.get("/ready")


class Ramp(LoadTestShape):
    def tick(self):
        return (20, 10)
"""


def test_a_users_load_shape_is_left_out_of_the_wrapped_locustfile_and_named(tmp_path: Path):
    """A shape would set the users and the run time, and Locust would ignore the cell's."""
    theirs = tmp_path / "theirs" / "shaped.py"
    theirs.parent.mkdir()
    theirs.write_text(SHAPED)
    wrapped = tmp_path / traffic.WRAPPED_NAME
    wrapped.write_text(traffic.wrapped(theirs))
    assert traffic.check(wrapped, tmp_path / "check.log") == traffic.Checked(["Reader"], ["Ramp"])
    theirs.write_text(SHAPED.split("class Ramp")[0])
    assert traffic.check(wrapped, tmp_path / "check.log") == traffic.Checked(["Reader"], [])
