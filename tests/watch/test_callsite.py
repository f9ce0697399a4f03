"""Call sites: the innermost application frame and the callee it waits in, C or Python."""

import builtins
import json
import socket
import sqlite3
import sys
import threading
import time
from contextlib import closing, suppress

import httpx

from asyncgap.watch.callsite import Namer, callable_name, public_module

RECURSIVE = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<5e6) SELECT count(*) FROM c"


def sampled_while(work, read=Namer.site_of):
    """What `read` makes of the stack of a thread running `work` (by default its call site),
    sampled from this thread while it runs."""
    started = threading.Event()

    def run():
        started.set()
        work()

    thread = threading.Thread(target=run)
    thread.start()
    started.wait()
    time.sleep(0.1)
    found = read(Namer(), sys._current_frames()[thread.ident])
    thread.join()
    return found


def sleeping():
    time.sleep(0.3)


def querying():
    with closing(sqlite3.connect(":memory:")) as conn:
        conn.execute(RECURSIVE).fetchone()


def test_a_c_function_is_named_from_the_call_expression():
    site = sampled_while(sleeping)
    assert site is not None
    assert site.callee == "time.sleep"
    line = sleeping.__code__.co_firstlineno + 1
    assert site.site == f"tests/watch/test_callsite.py:{line} sleeping"
    assert str(site) == f"time.sleep <- tests/watch/test_callsite.py:{line} sleeping"


def sleeping_once_warm():
    for seconds in [0] * 200 + [0.3]:  # the same call, specialised by now (3.11 calls it in PRECALL)
        time.sleep(seconds)


def sleeping_written_over_lines():
    # fmt: off
    (
        time  # a call split over lines, as a chain of methods is
        .sleep(0.3)
    )
    # fmt: on


def execute():  # a name the frame can see, as a split chain's method name
    raise AssertionError("never called")


def querying_in_a_chain_split_over_lines():
    with closing(sqlite3.connect(":memory:")) as conn:
        # fmt: off
        (
            conn
            .execute(RECURSIVE)  # the call's span starts at `execute`: not the module's execute
            .fetchone()
        )
        # fmt: on


class Proxy:
    """A request-scoped proxy (werkzeug's LocalProxy): it stands for an object in the thread that
    bound it, and read from any other raises LookupError."""

    def __init__(self) -> None:
        self._local = threading.local()

    def bind(self, target: object) -> None:
        self._local.target = target

    def __getattr__(self, name: str) -> object:
        try:
            return getattr(self._local.target, name)
        except AttributeError:
            raise LookupError(name) from None


proxy = Proxy()


def sleeping_through_a_proxy():
    proxy.bind(time)
    proxy.sleep(0.3)


def sleeping_through_a_lookup():
    {"sleep": time.sleep}["sleep"](0.3)  # the callee is no dotted name


def test_a_call_is_named_once_specialised_over_lines_and_not_guessed_otherwise():
    assert sampled_while(sleeping_once_warm).callee == "time.sleep"
    assert sampled_while(sleeping_written_over_lines).callee == "time.sleep"
    assert sampled_while(sleeping_through_a_lookup).callee == "?"
    assert sampled_while(querying_in_a_chain_split_over_lines).callee == "?"


def test_a_callee_whose_resolution_raises_is_unknown():
    """The sampler's thread outlives what the app's attributes raise when read from it."""
    assert sampled_while(sleeping_through_a_proxy).callee == "?"


def test_naming_builds_no_ast(monkeypatch):
    """Before CPython 3.11.8 an AST built in the sampler's thread while the application builds one
    makes the application's fail with SystemError (gh-106905): the sampler must not parse."""

    def refuse(*args, **kwargs):
        raise AssertionError("the sampler compiled source")

    monkeypatch.setattr(builtins, "compile", refuse)  # ast.parse compiles too
    assert sampled_while(sleeping).callee == "time.sleep"
    assert sampled_while(querying).callee == "sqlite3.Connection.execute"


def test_a_c_method_is_named_by_its_class():
    site = sampled_while(querying)
    assert site is not None
    assert (site.callee, site.site.split()[-1]) == ("sqlite3.Connection.execute", "querying")


def test_a_python_callee_is_the_frame_inside_the_application_frame():
    # The client is built first: its TLS context takes a while on a busy machine, and the sample
    # must land in the call that waits.
    with (
        closing(socket.create_server(("127.0.0.1", 0))) as silent,  # accepts, never answers
        httpx.Client(timeout=1.0) as client,
    ):

        def upstream():
            with suppress(httpx.TimeoutException):
                client.get(f"http://127.0.0.1:{silent.getsockname()[1]}/")

        site = sampled_while(upstream)
    assert site is not None
    assert site.callee == "httpx.Client.get"
    assert site.site.endswith(" upstream")


def test_a_stack_of_library_code_only_has_no_site():
    thread_done = threading.Event()
    thread = threading.Thread(target=thread_done.wait)  # threading.py's own frames
    thread.start()
    try:
        assert Namer().site_of(sys._current_frames()[thread.ident]) is None
    finally:
        thread_done.set()
        thread.join()


def test_names_drop_private_modules():
    assert public_module("httpx._client") == "httpx"
    assert public_module("_sqlite3") == "sqlite3"
    assert callable_name(sqlite3.connect, "sqlite3.connect") == "sqlite3.connect"
    assert callable_name(json.dumps, "json.dumps") == "json.dumps"
    assert callable_name(time.sleep, "time.sleep") == "time.sleep"


def spinning() -> int:
    n = 0
    while n < 20_000_000:  # no call inside: the loop's own bytecode
        n += 1
    return n


def test_a_frame_running_its_own_code_is_its_own_callee():
    site = sampled_while(spinning)
    assert site is not None
    assert (site.callee, site.site.split()[-1]) == ("(own code)", "spinning")


def hashing_helper():
    time.sleep(0.3)  # stands for the password hash a helper makes


def handler():
    hashing_helper()
    hashing_helper()  # a second call from the same frame: the caller is listed once


def test_the_application_frames_above_a_site_are_its_callers_innermost_first():
    """A call in a helper is tied to the frames that called it (a handler, a dependency)."""
    site, callers = sampled_while(handler, lambda namer, frame: (namer.site_of(frame), namer.callers(frame)))
    assert site is not None and site.site.endswith(" hashing_helper")
    here = "tests/watch/test_callsite.py"
    assert callers == [f"{here} handler", f"{here} run"]
