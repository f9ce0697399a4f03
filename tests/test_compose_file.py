"""docker-compose.yml, read statically: the same setups as matrix.toml, served the same way, on loopback."""

import re
import shlex

import pytest
import yaml

from asyncgap.core import matrix
from tests.paths import ROOT

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


# docker-compose.postgres.yml: laid over docker-compose.yml, the setups on a `postgres` service.
POSTGRES_FILE = yaml.safe_load((ROOT / "docker-compose.postgres.yml").read_text())
POSTGRES_OVERLAY: dict[str, dict] = POSTGRES_FILE["services"]
POSTGRES = POSTGRES_OVERLAY["postgres"]
POSTGRES_SCRIPT = (ROOT / "scripts" / "compose-postgres.sh").read_text()
POSTGRES_ROLE = re.search(r"^ROLE=(\S+)$", POSTGRES_SCRIPT, re.M)[1]


def test_default_compose_file_stays_on_sqlite():
    """A bare `docker compose up` needs no postgres: no service and no database URL by default."""
    assert "postgres" not in SERVICES
    assert all("ASYNCGAP_DATABASE_URL" not in (s.get("environment") or {}) for s in SERVICES.values())


def test_postgres_runs_the_cluster_script_on_the_apps_image_and_base():
    assert argv(POSTGRES) == ["scripts/compose-postgres.sh"]
    assert POSTGRES["image"] == SERVICES["upstream"]["image"]
    assert POSTGRES["build"] == SERVICES["upstream"]["build"]
    assert re.search(r"^COPY scripts/compose-postgres.sh scripts/$", (ROOT / "Dockerfile").read_text(), re.M)
    assert "!scripts/compose-postgres.sh" in (ROOT / ".dockerignore").read_text().splitlines()


def test_postgres_is_health_checked_with_pg_isready_as_the_setups_role():
    test = POSTGRES["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1].endswith("/bin/pg_isready")
    assert test[test.index("-h") + 1] == "127.0.0.1"
    assert test[test.index("-U") + 1] == test[test.index("-d") + 1] == POSTGRES_ROLE


def test_postgres_publishes_nothing_and_keeps_its_data_in_a_volume():
    assert "ports" not in POSTGRES
    assert all(not service.get("ports") for service in POSTGRES_OVERLAY.values())
    volume, _, target = POSTGRES["volumes"][0].partition(":")
    assert target == "/app/var" and volume in POSTGRES_FILE["volumes"]
    assert "DATA=/app/var/" in POSTGRES_SCRIPT


@pytest.mark.parametrize("name", ["prestart", *MATRIX.setups])
def test_overlay_puts_prestart_and_every_setup_on_a_healthy_postgres(name):
    from service.settings import Settings

    service = POSTGRES_OVERLAY[name]
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    url = service["environment"]["ASYNCGAP_DATABASE_URL"]
    settings = Settings(database_url=url)
    assert settings.backend == "postgres"
    assert re.fullmatch(rf"postgresql://{POSTGRES_ROLE}:[^@]+@postgres:5432/{POSTGRES_ROLE}", url), url


def test_overlay_touches_only_postgres_prestart_and_the_setups():
    assert set(POSTGRES_OVERLAY) == {"postgres", "prestart", *MATRIX.setups}
