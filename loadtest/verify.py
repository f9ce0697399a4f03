"""`python -m loadtest.verify OUT_JSON LOCUSTFILE --host URL [LOCUST OPTIONS]`: run each task of
a scenario a few times, one request at a time, and write per-endpoint figures to OUT_JSON.

It does two jobs before any load: it proves that every URL the scenario uses answers as
the scenario expects, and it measures each endpoint's service time on an idle server
(the S of the model: the fastest of a few calls, the least disturbed by anything else).
It runs as its own process because importing Locust monkey-patches the standard library,
which the harness must not be.
"""

import json
import sys
from collections import defaultdict
from pathlib import Path

from locust import events
from locust.argument_parser import get_parser
from locust.env import Environment
from locust.util.load_locustfile import load_locustfile

from core.names import endpoint_key

REPEAT = 5


def verify(locustfile: str, locust_args: list[str]) -> dict[str, dict]:
    """Per endpoint name: method, requests made, the first error (None if all passed), fastest ms."""
    user_classes, _shapes = load_locustfile(locustfile)
    options = get_parser().parse_args(["-f", locustfile, *locust_args])
    env = Environment(
        user_classes=list(user_classes.values()), host=options.host, parsed_options=options, events=events
    )
    latencies: dict[tuple[str, str], list[float]] = defaultdict(list)
    errors: dict[tuple[str, str], str] = {}

    def record(request_type, name, response_time, exception=None, **_kwargs) -> None:
        latencies[request_type, name].append(response_time)
        if exception is not None:
            errors.setdefault((request_type, name), str(exception))

    env.events.request.add_listener(record)
    for user_class in user_classes.values():
        user_class.host = options.host  # what Locust's own main() does with --host
        user = user_class(env)
        for task in dict.fromkeys(user_class.tasks):  # each task once, whatever its weight
            for _ in range(REPEAT):
                task(user)
    return {
        endpoint_key(method, name): {
            "method": method,
            "requests": len(times),
            "error": errors.get((method, name)),
            "min_ms": min(times),
        }
        for (method, name), times in latencies.items()
    }


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(verify(sys.argv[2], sys.argv[3:]), indent=2))
