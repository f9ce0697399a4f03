"""A cell's blocking figures from the watch files in its samples: diffs, shares, and no made-up zeros."""

import json

import pytest

from core import watchfile
from loadtest import blocking, blocking_view
from loadtest.records import CellResult

SLEEP = "service/routes/sleep.py:20 sleep_blocking"


def watch(pid: int, watching_s: float, blocked: dict, threads: dict | None = None) -> dict:
    loop = {"time.sleep": blocked} if blocked else {}
    return watchfile.Watch(pid=pid, written_at=1.0, watching_s=watching_s, threshold_s=0.02,
                           loop_blocked_s=sum(blocked.values()), loop=loop,
                           threads_busy_s=sum((threads or {}).values()),
                           threads={"time.sleep": threads} if threads else {}).to_json()  # fmt: skip


def sample(t: float, watches: dict | None) -> dict:
    return {"t": t, "watch": watches}


def test_the_steady_window_is_the_difference_of_its_first_and_last_sample():
    samples = [
        sample(2.0, {"11": watch(11, 10.0, {SLEEP: 8.0, "other.py:3 f": 1.0})}),
        sample(2.5, {"11": watch(11, 10.5, {SLEEP: 8.5, "other.py:3 f": 1.0})}),
        sample(6.0, {"11": watch(11, 14.0, {SLEEP: 11.9, "other.py:3 f": 1.1})}),
    ]
    got = blocking.figures(samples)
    assert got["loop_blocked_share"] == pytest.approx(4.0 / 4.0)
    ranked = [(b["callee"], b["site"]) for b in got["blocking"]]
    assert ranked == [("time.sleep", SLEEP), ("time.sleep", "other.py:3 f")]
    assert got["blocking"][0]["blocked_s"] == pytest.approx(3.9)
    assert got["blocking"][0]["share"] == pytest.approx(3.9 / 4.0)
    assert got["threads"] == [] and got["threads_busy_mean"] == 0.0
    assert got["blocking_missing"] == ""


def test_workers_add_up_and_a_worker_started_in_the_window_counts_from_zero():
    first = {"1": watch(1, 10.0, {}, {SLEEP: 100.0})}
    last = {"1": watch(1, 14.0, {}, {SLEEP: 260.0}), "2": watch(2, 4.0, {}, {SLEEP: 150.0})}
    got = blocking.figures([sample(0.0, first), sample(4.0, last)])
    assert got["threads_busy_mean"] == pytest.approx((160.0 + 150.0) / 4.0)  # both workers' threads
    assert got["threads"][0]["blocked_s"] == pytest.approx(310.0)
    assert got["loop_blocked_share"] == 0.0
    assert got["blocking"] == []  # measured: never blocked; not "no data"


@pytest.mark.parametrize(("samples", "why"), [
    ([sample(0.0, None), sample(4.0, {"1": watch(1, 4.0, {})})], "unreadable or partial"),
    ([sample(0.0, {"1": watch(1, 4.0, {})}), sample(4.0, None)], "unreadable or partial"),
    ([sample(0.0, {}), sample(4.0, {})], "no watch file"),
    ([sample(0.0, {"1": watch(1, 4.0, {})})], "fewer than two samples"),
    ([sample(0.0, {"1": {"pid": 1}}), sample(4.0, {"1": {"pid": 1}})], "lacks a figure"),
    ([{"t": 0.0}, {"t": 4.0}], "unreadable or partial"),  # samples from before the watchdog
])  # fmt: skip
def test_without_usable_files_the_cell_has_no_blocking_data(samples, why):
    got = blocking.figures(samples)
    assert got["blocking"] is None and got["threads"] is None
    assert got["loop_blocked_share"] is None and got["threads_busy_mean"] is None
    assert got["blocking_missing"].startswith("no blocking data: ")
    assert why in got["blocking_missing"]


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


def cell(**fields) -> CellResult:
    return CellResult(setup="uvicorn-1w", scenario="sleep", variant="async-blocking", users=100, status="ok",
                      **fields)  # fmt: skip


def test_the_verdict_names_the_call():
    got = blocking.figures([sample(0.0, {"1": watch(1, 0.0, {})}),
                            sample(10.0, {"1": watch(1, 10.0, {SLEEP: 9.7, "x.py:1 g": 0.1})})])  # fmt: skip
    words = blocking_view.verdict(cell(**got))
    assert words == ("under async-blocking, the loop was blocked 98% of the time, 99% of it in time.sleep "
                     "called from service/routes/sleep.py:20 (sleep_blocking)")  # fmt: skip
    assert blocking_view.short(cell(**got)) == "98% time.sleep"
    (line,) = blocking_view.called_out([cell(**got), cell()])
    assert line.startswith("uvicorn-1w sleep async-blocking 100 users: the loop was blocked 98% of the time")
    assert "service/routes/sleep.py:20 sleep_blocking" in blocking_view.table([cell(**got)])


def test_no_data_is_said_not_zero():
    old = cell()  # a summary from before the watchdog
    assert blocking_view.short(old) == "no data"
    assert blocking_view.loop_words(old) == "no blocking data"
    missing = cell(**blocking.figures([sample(0.0, None), sample(1.0, None)]))
    assert blocking_view.verdict(missing).startswith("under async-blocking, no blocking data: ")
    assert "0%" not in blocking_view.table([missing])


def test_shares_near_the_ends_keep_a_decimal():
    shown = [blocking_view.pct(s) for s in (0.0, 0.003, 0.5, 0.996, 1.0)]
    assert shown == ["0%", "0.3%", "50%", "99.6%", "100%"]
