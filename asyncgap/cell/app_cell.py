"""What every cell of a user's own app shares (`asyncgap run --app`): how its server starts, the
app's environment, its traffic, its routes; the demo's cells have none of it."""

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass

from asyncgap.core.matrix import Scenario
from asyncgap.core.ownapp import AppFindings, route_for
from asyncgap.core.prediction import EndpointCalibration
from asyncgap.core.stations import Station
from asyncgap.engines import postgres, server

METRICS_DIR_ENV = "ASYNCGAP_METRICS_DIR"  # where the watchdog writes (asyncgap.watch.watchfile)


def shapes_file() -> str:
    """asyncgap's own step ramp, by path: a user's locustfile has no locustfiles/ beside it."""
    spec = importlib.util.find_spec("asyncgap.load.shapes")  # found, not imported: it imports Locust
    assert spec is not None and spec.origin, "asyncgap.load.shapes is part of asyncgap"
    return spec.origin


@dataclass(frozen=True)
class AppRun:
    target: server.Target  # asyncgap's launcher with the app, its folder, interpreter and health URL
    env: Mapping[str, str]  # the variables the user set (and --postgres's): values never recorded
    scenario: Scenario  # the traffic: the locustfile Locust runs (the user's, wrapped, or generated)
    findings: AppFindings  # its routes' stations and hops, recorded in summary.json
    database: postgres.Cluster | None = None  # --postgres: its CPU is sampled as the demo's is

    def station_of(self, endpoint: str, reached: str | None = None) -> Station | None:
        """The station of the route a request reaches (None: no route matches it)."""
        route = route_for(endpoint, self.findings.routes, reached)
        return route.station if route else None

    def with_hops(self, calibration: dict[str, EndpointCalibration]) -> dict[str, EndpointCalibration]:
        """The calibration with each endpoint's thread-pool hops, for the model's token time."""
        routes = {name: route_for(name, self.findings.routes, e.reached) for name, e in calibration.items()}
        return {
            name: e.model_copy(update={"hops": routes[name].hops}) if routes[name] else e
            for name, e in calibration.items()
        }

    def server_env(self, metrics_dir: str) -> dict[str, str]:
        """A cell's server environment: the app's, and the folder its watchdog writes to."""
        return {**self.env, METRICS_DIR_ENV: metrics_dir}
