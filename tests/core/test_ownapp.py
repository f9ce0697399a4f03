"""What a run records of an app's routes: stations (declared ones win) and the route a request reaches."""

from asyncgap.core.ownapp import RouteShape, route_for, station_for


def shape(method: str, path: str) -> RouteShape:
    return RouteShape(method=method, path=path, handler="h", runs="loop", station="delay", hops=0)


def test_a_declared_station_wins_else_the_pool_or_nothing_scarce():
    assert station_for("threads", None) == "threads"
    assert station_for("loop", None) == "delay"  # its CPU on the loop is the model's CPU bound
    assert station_for("loop", "loop") == "loop"
    assert station_for("threads", "bogus") == "threads"


def test_a_request_reaches_its_route_by_template_or_by_path():
    routes = {
        "/items/{item_id}": shape("GET", "/items/{item_id}"),
        "POST /items/": shape("POST", "/items/"),
        "/files/{rest:path}": shape("GET", "/files/{rest:path}"),
    }
    assert route_for("/items/{item_id}", routes).path == "/items/{item_id}"
    assert route_for("/items/42?full=1", routes).path == "/items/{item_id}"
    assert route_for("POST /items/", routes).method == "POST"
    assert route_for("/files/a/b/c.txt", routes).path == "/files/{rest:path}"
    assert route_for("/items/42/extra", routes) is None
    assert route_for("DELETE /items/42", routes) is None


def test_the_url_a_request_was_sent_to_finds_its_route_whatever_its_name():
    """Locust's name= is a label: a sentence, or a path that another route has."""
    routes = {
        "/items/": shape("GET", "/items/"),
        "/items/{item_id}": shape("GET", "/items/{item_id}"),
        "POST /items/": shape("POST", "/items/"),
    }
    assert route_for("Open an item", routes) is None
    assert route_for("Open an item", routes, reached="/items/42").path == "/items/{item_id}"
    assert route_for("POST Add an item", routes, reached="POST /items/").method == "POST"
    assert route_for("/items/", routes, reached="/items/42").path == "/items/{item_id}"  # the URL wins
    assert route_for("/items/", routes, reached="/nowhere").path == "/items/"  # else the name
    assert route_for("/items/", routes, reached=None).path == "/items/"
