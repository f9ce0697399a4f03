"""`python -m asyncgap.load.check LOCUSTFILE`: load a locustfile as Locust will, before any server
starts; exit 2 with one line when it does not load or defines no user to run. Its last line names
the user classes, and a line before it the LoadTestShapes a wrapped locustfile left out."""

import sys
from pathlib import Path

from locust.util.load_locustfile import load_locustfile

from asyncgap.core.names import LEFT_OUT_SHAPES, SHAPES_LINE


def main(argv: list[str]) -> int:
    (path,) = argv
    try:
        users, shapes = load_locustfile(path)
    except (Exception, SystemExit) as exc:  # a user's file may raise anything as it imports
        text = str(exc).strip().splitlines()
        print(f"the locustfile does not load: {type(exc).__name__}: {text[0] if text else ''}".rstrip(": "))
        return 2
    if not users:
        print("the locustfile defines no User class to run (an HttpUser or FastHttpUser subclass)")
        return 2
    if shapes:  # a guard: the wrapper leaves a user's shapes out (the cell sets the users)
        print(f"the locustfile still defines a LoadTestShape ({type(shapes[0]).__name__}) for Locust to run")
        return 2
    if left_out := getattr(sys.modules.get(Path(path).stem), LEFT_OUT_SHAPES, None):
        print(SHAPES_LINE + ", ".join(left_out))
    print(", ".join(sorted(users)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
