"""Pick and ready the engine a run asked for, before anything of the run is written."""

from asyncgap.engines.local import Engine, LocalEngine


class EngineError(RuntimeError):
    """An engine that cannot run here (no Docker engine, an image that would not build): one line."""


def prepare(name: str, generator_workers: int) -> Engine:
    """The engine, ready to run cells: for compose, Docker answers and the image is built."""
    if name == "local":
        return LocalEngine(generator_workers)
    from asyncgap.engines import compose, docker  # Docker's tooling only when asked for

    try:
        return compose.prepare(generator_workers)
    except docker.ComposeError as exc:
        raise EngineError(str(exc)) from None
