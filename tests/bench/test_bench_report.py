"""`make bench` prints every section it measured, each with its goal, from bench.json alone."""

from asyncgap.bench import suite
from asyncgap.bench.probes import NO_WRK

REPORT = {
    "pinned": True,
    "cores": {"generator": [0], "server": [1]},
    "fidelity": [
        {
            "setup": "uvicorn-1w",
            "variant": "sync",
            "generator": "locust",
            "rps": 430.1,
            "predicted_rps": 436.3,
            "rps_ratio": 0.986,
        }
    ],
    "headroom": [
        {
            "generator": "asyncgap-user",
            "rps": 2800.0,
            "cores": 0.99,
            "requests_per_cpu_s": 2828,
            "cost_vs_bare": 0.88,
        }
    ],
    "instrumentation": {"skipped": "wrk is not installed (make bench installs it)"},
    "time_to_result": {"exit": 0, "wall_s": 70.2, "cells": 6, "phases_s": {"load_s": 40.0}, "rest_s": 9.9},
    "convergence": [
        {
            "variant": "sync",
            "fixed_load_s": 21.0,
            "converge_load_s": 11.0,
            "time_saved": 0.476,
            "fixed_ci_pct": 0.9,
            "converge_ci_pct": 1.7,
            "stopped_early": True,
            "fixed_ratio": 1.0,
            "converge_ratio": 1.01,
            "rps_converge_over_fixed": 1.006,
        },
        {"variant": "async-blocking", "error": "the server exited with -9 during the load"},
    ],
    "model": [
        {
            "setup": "uvicorn-1w",
            "scenario": "sleep",
            "variant": "sync",
            "rps": 440.0,
            "predicted_rps": 438.3,
            "bound": "threads",
            "ratio": 1.004,
            "reason": "",
        },
        {
            "setup": "uvicorn-1w",
            "scenario": "upstream",
            "variant": "async",
            "rps": 103.9,
            "predicted_rps": 462.7,
            "bound": "cpu",
            "ratio": 0.225,
            "reason": "measured 0.22x the prediction: each request cost 4.4x",
        },
        {
            "setup": "uvicorn-1w",
            "scenario": "db",
            "variant": "sync",
            "rps": None,
            "predicted_rps": None,
            "bound": None,
            "ratio": None,
            "reason": "the server exited with 1",
        },
    ],
}


def test_markdown_has_every_section_with_its_goal_and_figures():
    text = suite.markdown(REPORT)
    for heading in (
        "## 1. Fidelity",
        "## 2. Generator headroom",
        "## 3. Instrumentation cost",
        "## 4. Time to result",
        "## 5. Convergence (goal: rps within +-2% at 95%",
    ):
        assert heading in text
    assert "server on CPU [1], load generators on CPU [0]" in text
    assert "| sync | 21.0 | 11.0 | 0.476 | 0.900 | 1.700 | True | 1.000 | 1.010 | 1.006 |  |" in text
    assert "the server exited with -9 during the load" in text
    assert "wrk is not installed" in text


def test_the_model_section_counts_hits_misses_with_reasons_and_failures():
    text = suite.markdown(REPORT)
    assert "## 6. The model over the `full` profile on uvicorn-1w, uvicorn-2w" in text
    assert "1 of 3 cells within +-10%; 1 outside it, each with its measured reason; 1 failed." in text
    assert "Worst sleep cell: 1.004." in text


def test_only_the_sections_measured_are_printed():
    text = suite.markdown({"pinned": True, "cores": REPORT["cores"], "model": REPORT["model"]})
    assert "## 6. The model" in text
    assert "## 1. Fidelity" not in text


def test_the_watchdog_section_prints_its_ratio_and_goal():
    dog = {
        "rps_on": [5100.0, 5000.0],
        "rps_off": [5150.0, 5080.0],
        "ratio_on_over_off": 0.985,
        "cpu_us_per_request_on": [190.0],
        "cpu_us_per_request_off": [187.0],
        "capacity_ratio_on_over_off": 0.984,
    }
    text = suite.markdown({"pinned": True, "cores": REPORT["cores"], "watchdog": dog})
    assert "## 8. Watchdog cost (goal: ratio_on_over_off >= 0.97)" in text
    assert "median ratio **0.985**" in text
    assert "## 3. Instrumentation" not in text


def test_the_watchdog_section_prints_the_sleep_cells_on_and_off():
    sleep = {
        "on": [{"rps": 1040.0, "ratio": 0.94, "cpu_ms": 0.4}],
        "off": [{"rps": 1100.0, "ratio": 0.99, "cpu_ms": 0.3}, {"error": "the server exited with 1"}],
        "rps_ratio_on_over_off": 0.945,
    }
    text = suite.markdown(
        {"pinned": True, "cores": REPORT["cores"], "watchdog": {**NO_WRK, "sleep_async": sleep}}
    )
    assert "wrk is not installed" in text
    assert "The sleep async cell at 100 users" in text
    assert "on: 1,040 rps (0.94, 0.4 ms); off: 1,100 rps (0.99, 0.3 ms), the server exited with 1." in text
    assert "Median rps ratio on/off **0.945**" in text
