"""docker-compose.yml, read statically: the same setups as matrix.toml, served the same way, on loopback."""

import re
import shlex

import pytest
import yaml

from core import matrix
from core.matrix import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict] = COMPOSE["services"]
MATRIX = matrix.load()
SERVED = ["upstream", *MATRIX.setups]  # everything `python -m service.serve NAME` starts


def argv(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def published(service: dict) -> list[tuple[str, str, str]]:
    """(host ip, host port, container port) of every published port, short or long syntax."""
    out = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            out.append((port.get("host_ip", ""), str(port.get("published", "")), str(port["target"])))
        else:
            parts = str(port).split(":")
            out.append(tuple(["", "", ""][: 3 - len(parts)] + parts))
    return out


@pytest.mark.parametrize("name", SERVED)
def test_every_setup_is_a_service_running_the_serve_command(name):
    assert name in SERVICES, f"matrix.toml's {name!r} is missing from docker-compose.yml"
    assert argv(SERVICES[name]) == ["python", "-m", "service.serve", name, "--host", "0.0.0.0"]


def test_no_service_serves_a_setup_matrix_toml_does_not_have():
    serve = ["python", "-m", "service.serve"]
    served = {argv(s)[3] for s in SERVICES.values() if argv(s)[:3] == serve and len(argv(s)) > 3}
    assert served == set(SERVED)


@pytest.mark.parametrize("name", SERVED)
def test_setup_is_published_and_health_checked_on_its_matrix_port(name):
    port = str(MATRIX.setup(name).port)
    service = SERVICES[name]
    assert published(service) == [("127.0.0.1", port, port)]
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], "a health check may use only what the image has"
    assert f"http://127.0.0.1:{port}/healthz" in test[3]


@pytest.mark.parametrize("name", list(MATRIX.setups))
def test_setup_waits_for_the_schema_and_a_healthy_upstream(name):
    depends = SERVICES[name]["depends_on"]
    assert depends["prestart"]["condition"] == "service_completed_successfully"
    assert depends["upstream"]["condition"] == "service_healthy"
    assert SERVICES[name]["environment"]["ASYNCGAP_UPSTREAM_URL"] == f"http://upstream:{MATRIX.upstream.port}"


def test_prestart_creates_the_schema_once():
    assert argv(SERVICES["prestart"]) == ["python", "-m", "service.prestart"]


@pytest.mark.parametrize("name", list(MATRIX.setups))
def test_each_setup_has_a_locust_master_aimed_at_it(name):
    master = SERVICES[f"locust-{name}"]
    command = argv(master)
    assert command[:2] == ["locust", "--master"]
    assert command[command.index("--host") + 1] == f"http://{name}:{MATRIX.setups[name].port}"
    assert master["depends_on"][name]["condition"] == "service_healthy"
    assert any(target == "8089" for _ip, _host, target in published(master))


def test_workers_join_the_master_of_the_chosen_setup_the_first_by_default():
    """A bare `docker compose up` starts something useful: the workers join the first setup's master."""
    worker = SERVICES["locust-worker"]
    assert argv(worker)[:2] == ["locust", "--worker"]
    default = next(iter(MATRIX.setups))
    assert worker["command"].endswith(f"--master-host locust-${{SETUP:-{default}}}"), worker["command"]
    assert "WORKERS" in str(worker["scale"])


def test_every_published_port_is_bound_to_loopback_only():
    for name, service in SERVICES.items():
        for ip, host, _target in published(service):
            assert ip == "127.0.0.1", f"{name} publishes on {ip or 'every interface'}"
            assert host, f"{name}: give the host port, so nothing listens on a random one"


def test_master_ports_are_distinct():
    hosts = [host for s in SERVICES.values() for _ip, host, _t in published(s)]
    assert len(hosts) == len(set(hosts))


def test_compose_default_base_image_is_the_dockerfiles():
    dockerfile_default = re.search(r"^ARG BASE_IMAGE=(\S+)$", (ROOT / "Dockerfile").read_text(), re.M)[1]
    build_arg = SERVICES["upstream"]["build"]["args"]["BASE_IMAGE"]
    assert build_arg == f"${{BASE_IMAGE:-{dockerfile_default}}}"


def test_the_image_runs_as_a_non_root_user():
    users = re.findall(r"^USER (\S+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert users and users[-1] not in {"root", "0"}
