"""The generated mix's choices: which GETs of a schema are tried, and why one is left out."""

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
