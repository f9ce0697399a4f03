"""The transfer section: rows predicted from another cell's calibration, and why a row missed."""

from types import SimpleNamespace

import pytest

from asyncgap.bench import suite, transfer
from asyncgap.cell.model import Server, predict
from asyncgap.core.prediction import EndpointCalibration


def row(setup: str, ratio: float, own_ratio: float, cpu_home: float, cpu_own: float) -> dict:
    return {
        "scenario": "sleep",
        "variant": "async",
        "setup": setup,
        "users": 100,
        "rps": 1000.0,
        "transferred_rps": round(1000 / ratio, 1),
        "ratio": ratio,
        "own_rps": round(1000 / own_ratio, 1),
        "own_ratio": own_ratio,
        "cpu_ms_home": cpu_home,
        "cpu_ms_own": cpu_own,
    }


ROWS = [
    row("uvicorn-1w", 0.99, 0.99, 0.25, 0.25),
    row("uvicorn-2w", 0.80, 0.98, 0.25, 0.40),  # the CPU per request moved with the workers
    row("gunicorn-2w", 0.75, 0.76, 0.25, 0.26),  # its own calibration misses it as well
    {
        "scenario": "sleep",
        "variant": "sync",
        "setup": "uvicorn-2w",
        "users": 100,
        "error": "the server exited",
    },
]


def test_the_section_counts_rows_within_tolerance_and_failures():
    text = suite.markdown({"pinned": True, "cores": {"generator": [0], "server": [1]}, "transfer": ROWS})
    assert "## 11. Transfer: calibrated once on uvicorn-1w" in text
    assert "1 of 3 rows within +-10% on uvicorn-1w's calibration alone; 1 failed." in text
    assert "the server exited" in text


def test_a_miss_names_the_input_that_moved_or_says_the_model_missed_it_too():
    text = transfer.markdown(ROWS)
    assert "uvicorn-2w at 100 users: 0.80, CPU per request hot 0.40 ms on its own server, 0.25 ms on" in text
    assert "gunicorn-2w at 100 users: 0.75, its own calibration misses it too (0.76): the model" in text
    assert "uvicorn-1w at 100 users" not in text.split("|")[-1]  # a row within tolerance is no miss


def test_a_miss_its_own_calibration_shares_is_the_models_even_when_the_cpu_moved():
    text = transfer.markdown([row("uvicorn-1w-t100", 0.67, 0.66, 0.71, 0.60)])
    assert "0.67, its own calibration misses it too (0.66): the model, not the transfer" in text
    assert "CPU per request hot" not in text


def test_a_transferred_prediction_takes_the_pace_its_own_cell_expected_of_the_machine():
    """The calibration is the home cell's; the pace of the cores before a load is the machine's at
    that moment, which the other cell read before its own: twice as fast, half the CPU a request."""
    work = EndpointCalibration(
        method="GET",
        station="threads",
        share=1.0,
        round_trip_ms=20.0,
        service_ms=20.0,
        cpu_ms_alone=10.0,
        cpu_ms_busy=10.0,
        pace_busy_ms=0.8,
        pace_expected_ms=0.8,
    )
    home = {"/sync/cpu": work}
    elsewhere = predict(
        {"/sync/cpu": work.model_copy(update={"pace_expected_ms": 0.4})}, 8, Server(1, cores=1)
    )
    at_home = predict(home, 8, Server(1, cores=1)).predicted_rps
    assert at_home == pytest.approx(100.0)  # 10 ms of CPU a request on one core
    assert elsewhere.predicted_rps > 1.9 * at_home
    got = SimpleNamespace(model=elsewhere)
    assert transfer.transferred(home, got, 8, None) == elsewhere.predicted_rps
    assert transfer.cpu_ms(transfer.at_pace_of(home, got)) == pytest.approx(5.0)
    unpaced = predict(
        {"/sync/cpu": work.model_copy(update={"pace_expected_ms": None})}, 8, Server(1, cores=1)
    )
    assert transfer.transferred(home, SimpleNamespace(model=unpaced), 8, None) == at_home  # home's own
