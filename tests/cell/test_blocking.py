"""A cell's blocking figures from the watch files in its samples: diffs, shares, and no made-up zeros."""

import json

import pytest

from asyncgap.cell import blocking
from asyncgap.core.records import NO_APP_FRAME, BlockingSite, CellResult
from asyncgap.views import blocking as view
from asyncgap.watch import watchfile

SLEEP = "service/routes/sleep.py:20 sleep_blocking"


def watch(pid: int, watching_s: float, blocked: dict, threads: dict | None = None) -> dict:
    loop = {"time.sleep": blocked} if blocked else {}
    return watchfile.Watch(
        pid=pid,
        written_at=1.0,
        watching_s=watching_s,
        threshold_s=0.02,
        loop_blocked_s=sum(blocked.values()),
        loop=loop,
        threads_busy_s=sum((threads or {}).values()),
        threads={"time.sleep": threads} if threads else {},
    ).to_json()


def sample(t: float, watches: dict | None) -> dict:
    return {"t": t, "watch": watches}


def test_the_steady_window_is_the_difference_of_its_first_and_last_sample():
    samples = [
        sample(2.0, {"11": watch(11, 10.0, {SLEEP: 8.0, "other.py:3 f": 1.0})}),
        sample(2.5, {"11": watch(11, 10.5, {SLEEP: 8.5, "other.py:3 f": 1.0})}),
        sample(6.0, {"11": watch(11, 14.0, {SLEEP: 11.9, "other.py:3 f": 1.1})}),
    ]
    got = blocking.figures(samples)
    assert got.loop_blocked_share == pytest.approx(4.0 / 4.0)
    ranked = [(b.callee, b.site) for b in got.blocking]
    assert ranked == [("time.sleep", SLEEP), ("time.sleep", "other.py:3 f")]
    assert got.blocking[0].blocked_s == pytest.approx(3.9)
    assert got.blocking[0].share == pytest.approx(3.9 / 4.0)
    assert got.threads == [] and got.threads_busy_mean == 0.0
    assert got.blocking_missing == ""


def test_workers_add_up_and_a_worker_started_in_the_window_counts_from_zero():
    first = {"1": watch(1, 10.0, {}, {SLEEP: 100.0})}
    last = {"1": watch(1, 14.0, {}, {SLEEP: 260.0}), "2": watch(2, 4.0, {}, {SLEEP: 150.0})}
    got = blocking.figures([sample(0.0, first), sample(4.0, last)])
    assert got.threads_busy_mean == pytest.approx((160.0 + 150.0) / 4.0)  # both workers' threads
    assert got.threads[0].blocked_s == pytest.approx(310.0)
    assert got.loop_blocked_share == 0.0
    assert got.blocking == []  # measured: never blocked; not "no data"


@pytest.mark.parametrize(
    ("samples", "why"),
    [
        ([sample(0.0, None), sample(4.0, {"1": watch(1, 4.0, {})})], "unreadable or partial"),
        ([sample(0.0, {"1": watch(1, 4.0, {})}), sample(4.0, None)], "unreadable or partial"),
        ([sample(0.0, {}), sample(4.0, {})], "no watch file"),
        ([sample(0.0, {"1": watch(1, 4.0, {})})], "fewer than two samples"),
        ([sample(0.0, {"1": {"pid": 1}}), sample(4.0, {"1": {"pid": 1}})], "lacks a figure"),
        ([{"t": 0.0}, {"t": 4.0}], "unreadable or partial"),  # samples from before the watchdog
    ],
)
def test_without_usable_files_the_cell_has_no_blocking_data(samples, why):
    got = blocking.figures(samples)
    assert got.blocking is None and got.threads is None
    assert got.loop_blocked_share is None and got.threads_busy_mean is None
    assert got.blocking_missing.startswith("no blocking data: ")
    assert why in got.blocking_missing


def test_reading_the_folder(tmp_path):
    watchfile.write(tmp_path, watchfile.parse(watch(7, 1.0, {SLEEP: 0.5})))
    (tmp_path / "something-else.db").write_bytes(b"prometheus")
    read = blocking.read_watches(tmp_path)
    assert list(read) == ["7"] and read["7"]["loop"] == {"time.sleep": {SLEEP: 0.5}}
    (tmp_path / "asyncgap-watch-8.json").write_text('{"pid": 8, "written_at"')  # half a file
    assert blocking.read_watches(tmp_path) is None
    (tmp_path / "asyncgap-watch-8.json").write_text(json.dumps({"pid": 8, "loop": "x"}))
    assert blocking.read_watches(tmp_path) is None
    (tmp_path / "asyncgap-watch-8.json").write_bytes(b"\xff\xfe")
    assert blocking.read_watches(tmp_path) is None


def test_calibration_reads_the_loop_blocked_by_worker_and_diffs_the_workers_in_both(tmp_path):
    assert blocking.loop_blocked(tmp_path / "none") == {}  # no server wrote here: nothing to diff
    watchfile.write(tmp_path, watchfile.parse(watch(7, 1.0, {SLEEP: 0.5})))
    watchfile.write(tmp_path, watchfile.parse(watch(8, 1.0, {SLEEP: 0.25})))
    before = blocking.loop_blocked(tmp_path)
    assert before == {"7": (1.0, 0.5), "8": (1.0, 0.25)}
    watchfile.write(tmp_path, watchfile.parse(watch(7, 2.0, {SLEEP: 2.5})))  # 2 s more
    (tmp_path / "asyncgap-watch-8.json").unlink()  # a worker replaced: its total starts again
    watchfile.write(tmp_path, watchfile.parse(watch(9, 1.0, {SLEEP: 9.0})))
    assert blocking.blocked_between(before, blocking.loop_blocked(tmp_path)) == 2.0
    (tmp_path / "asyncgap-watch-9.json").write_text('{"pid": 9, "written_at"')  # half a file
    assert blocking.loop_blocked(tmp_path) is None


def cell(**fields) -> CellResult:
    return CellResult(
        setup="uvicorn-1w", scenario="sleep", variant="async-blocking", users=100, status="ok", **fields
    )


def test_the_verdict_names_the_call():
    got = blocking.figures(
        [
            sample(0.0, {"1": watch(1, 0.0, {})}),
            sample(10.0, {"1": watch(1, 10.0, {SLEEP: 9.7, "x.py:1 g": 0.1})}),
        ]
    )
    words = view.verdict(cell(**dict(got)))
    assert words == (
        "under async-blocking, the loop was blocked 98% of the time, 99% of it in time.sleep "
        "called from service/routes/sleep.py:20 (sleep_blocking)"
    )
    assert view.short(cell(**dict(got))) == "98% time.sleep"
    (line,) = view.called_out([cell(**dict(got)), cell()])
    assert line.startswith("uvicorn-1w sleep async-blocking 100 users: the loop was blocked 98% of the time")
    assert "service/routes/sleep.py:20 sleep_blocking" in view.table([cell(**dict(got))])


def test_a_site_with_no_application_frame_says_so_not_where_it_was_called_from():
    site = BlockingSite(site=NO_APP_FRAME, callee="weakref.remove", blocked_s=1.0, share=1.0, state="cpu")
    assert (
        site.in_words() == "weakref.remove, with no frame of the application on its stack, working on the CPU"
    )


def test_no_data_is_said_not_zero():
    old = cell()  # a summary from before the watchdog
    assert view.short(old) == "no data"
    assert view.loop_words(old) == "no blocking data"
    missing = cell(**dict(blocking.figures([sample(0.0, None), sample(1.0, None)])))
    assert view.verdict(missing).startswith("under async-blocking, no blocking data: ")
    assert "0%" not in view.table([missing])


def test_shares_near_the_ends_keep_a_decimal():
    shown = [view.pct(s) for s in (0.0, 0.003, 0.5, 0.996, 1.0)]
    assert shown == ["0%", "0.3%", "50%", "99.6%", "100%"]


POOLED = "tests/apps/capped.py:40 connection"
WAIT = "waiting threading.Condition.wait"


def pooled_watch(watching_s: float, waited: float, ran: float, executor_s: float) -> dict:
    """A worker whose threads queued on a pool (mostly waiting), and whose default executor slept."""
    data = watch(1, watching_s, {}, {POOLED: waited + ran})
    data["threads"] = {"threading.Semaphore.acquire": {POOLED: waited + ran}}
    key = watchfile.key("threading.Semaphore.acquire", POOLED)
    data["threads_states"] = {key: {WAIT: waited, "cpu threading.Semaphore.acquire": ran}}
    data["executor"] = {"time.sleep": {SLEEP: executor_s}}
    data["executor_states"] = {watchfile.key("time.sleep", SLEEP): {"io time.sleep": executor_s}}
    data.update(executor_busy_s=executor_s, executor_total=6)
    return data


def test_a_sites_state_is_what_most_of_its_samples_did_in_the_window():
    first = {"1": pooled_watch(10.0, 50.0, 40.0, 1.0)}
    last = {"1": pooled_watch(14.0, 86.0, 41.0, 9.0)}  # in the window: 36 s waiting, 1 s on the CPU
    got = blocking.figures([sample(0.0, first), sample(4.0, last)])
    (site,) = got.threads
    assert (site.state, site.innermost) == ("waiting", "threading.Condition.wait")
    assert site.state_share == pytest.approx(36 / 37, abs=1e-4)
    (executor,) = got.executor
    assert (executor.callee, executor.state, executor.innermost) == ("time.sleep", "io", "time.sleep")
    assert got.executor_busy_mean == pytest.approx(8.0 / 4.0) and got.executor_workers == 6
    words = view.thread_words(cell(**dict(got)))
    assert words.startswith(
        "9.2 pool threads busy, 100% of it in threading.Semaphore.acquire called from "
        "tests/apps/capped.py:40 (connection), waiting for a lock in threading.Condition.wait; "
        "2.0 of 6 default-executor threads busy, 100% of it in time.sleep called from"
    )
    assert words.endswith("(sleep_blocking), waiting on I/O")
    shown = view.table([cell(**dict(got))])
    assert "waiting for a lock in threading.Condition.wait (97%)" in shown and ": executor" in shown


def test_files_from_before_the_states_give_sites_without_a_state():
    old = {key: value for key, value in pooled_watch(4.0, 3.0, 0.0, 0.0).items() if "executor" not in key}
    del old["threads_states"]
    got = blocking.figures([sample(0.0, {}), sample(4.0, {"1": old})])
    assert got.threads[0].state is None and got.threads[0].innermost is None
    assert got.executor == [] and got.executor_busy_mean == 0.0 and got.executor_workers is None
    assert view.thread_words(cell(**dict(got))).endswith("tests/apps/capped.py:40 (connection)")
