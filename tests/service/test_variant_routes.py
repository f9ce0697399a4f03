"""The variant decides only how the one piece of work is called."""

import inspect

from service.routes.sleep import sleep_blocking, sleep_non_blocking
from service.variant_routes import endpoint


def test_sync_is_the_blocking_def_run_by_the_thread_pool():
    assert endpoint("sync", sleep_blocking, sleep_non_blocking) is sleep_blocking
    assert not inspect.iscoroutinefunction(sleep_blocking)


def test_async_awaits_the_non_blocking_form():
    assert endpoint("async", sleep_blocking, sleep_non_blocking) is sleep_non_blocking
    assert inspect.iscoroutinefunction(sleep_non_blocking)


def test_async_blocking_calls_the_blocking_form_inline_with_its_signature():
    inline = endpoint("async-blocking", sleep_blocking, sleep_non_blocking)
    assert inspect.iscoroutinefunction(inline)
    assert inspect.signature(inline) == inspect.signature(sleep_blocking)
