"""`python -m asyncgap.load.check LOCUSTFILE`: load a locustfile as Locust will, before any server
starts; exit 2 with one line when it does not load or defines no user to run."""

import sys

from locust.util.load_locustfile import load_locustfile


def main(argv: list[str]) -> int:
    (path,) = argv
    try:
        users, _shapes = load_locustfile(path)
    except (Exception, SystemExit) as exc:  # a user's file may raise anything as it imports
        text = str(exc).strip().splitlines()
        print(f"the locustfile does not load: {type(exc).__name__}: {text[0] if text else ''}".rstrip(": "))
        return 2
    if not users:
        print("the locustfile defines no User class to run (an HttpUser or FastHttpUser subclass)")
        return 2
    print(", ".join(sorted(users)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
