"""What `asyncgap run --app` refuses about the app's interpreter before anything starts."""

import pytest

from asyncgap import app_run
from asyncgap.engines.app_process import AppError


def servers(uvicorn: str) -> None:
    app_run._servers_there({"versions": {"uvicorn": uvicorn}}, cells=[], the_matrix=None)


@pytest.mark.parametrize("version", ["0.22.0", "0.29.0", "0.34.2", "0.100.1", "1.0.0"])
def test_a_uvicorn_with_the_graceful_timeout_is_taken(version):
    servers(version)


@pytest.mark.parametrize("version", ["0.18.3", "0.21.1", "0.9.0"])
def test_an_older_uvicorn_is_one_line_before_the_app_starts(version):
    with pytest.raises(AppError) as refused:
        servers(version)
    assert str(refused.value) == (
        f"the app's interpreter has uvicorn {version}; asyncgap starts it with "
        "--timeout-graceful-shutdown, which needs uvicorn 0.22 or later: upgrade it there"
    )
