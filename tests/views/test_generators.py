"""The hint after a run: more Locust workers only when a cell was generator-bound and cores were spare."""

from asyncgap.core import matrix
from asyncgap.core.records import CellResult
from asyncgap.views import generators

MATRIX = matrix.load()


def cell(bound: bool, setup: str = "uvicorn-1w") -> CellResult:
    return CellResult(
        setup=setup,
        scenario="fast",
        variant="async",
        users=20,
        status="ok",
        generator_bound=bound,
        generator_cores_busy=0.97,
    )


def test_a_generator_bound_cell_with_spare_cores_gets_a_suggested_n(monkeypatch):
    monkeypatch.setattr(generators.os, "sched_getaffinity", lambda _pid: set(range(8)))
    [hint] = generators.advice([cell(True), cell(False)], MATRIX, generator_workers=1)
    assert "uvicorn-1w__fast__async was generator-bound (0.97 cores busy" in hint
    assert hint.endswith("try --generator-workers 7")  # 8 cores, 1 for the server's one worker


def test_no_hint_without_spare_cores_or_without_a_generator_bound(monkeypatch):
    monkeypatch.setattr(generators.os, "sched_getaffinity", lambda _pid: {0, 1})
    assert generators.advice([cell(True)], MATRIX, generator_workers=1) == []
    monkeypatch.setattr(generators.os, "sched_getaffinity", lambda _pid: set(range(8)))
    assert generators.advice([cell(False)], MATRIX, generator_workers=1) == []
