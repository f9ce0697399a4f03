"""`python -m asyncgap.appside.introspect MODULE:ATTR OUT_JSON`: import the app as its servers
will, and write how each route runs (asyncgap.appside.routes), the operations of its OpenAPI
schema with what each needs to be called, and the versions it runs on.

Run with the app's interpreter, in its folder and environment, before anything is started: an
app that does not import exits 3, an object that is not an ASGI app 4, each with one line on
stderr. The JSON goes to a file, not stdout, which an app may print to as it imports.
"""

import json
import os
import platform
import sys
from importlib import metadata

from asyncgap.appside.load import AppLoadError, load_app
from asyncgap.appside.routes import router_of, walk

EXIT_IMPORT, EXIT_NOT_ASGI = 3, 4
PACKAGES = ("fastapi", "starlette", "pydantic", "anyio", "uvicorn", "gunicorn", "uvicorn-worker", "uvloop")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def versions() -> dict[str, str | None]:
    """The versions of the packages that decide how the app is served (None: not installed)."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def needs(method: str, path: str, operation: dict) -> list[str]:
    """What a call of the operation needs that a generated request cannot make up. Credentials
    are not among them: a scheme may be optional (`auto_error=False`), which the schema does not
    say, so a secured GET is tried once, and kept when it answers without them."""
    why = [] if method == "get" else [f"a {method.upper()} changes state"]
    if "{" in path:
        why.append("path parameters")
    for parameter in operation.get("parameters") or []:
        if parameter.get("required") and parameter.get("in") != "path":
            why.append(f"required {parameter.get('in', '')} parameter {parameter.get('name', '?')!r}".strip())
    if (operation.get("requestBody") or {}).get("required"):
        why.append("a request body")
    return why


def credentials(operation: dict, secured: bool) -> list[str]:
    """The security schemes the operation declares (its own, or the schema's default), by name."""
    if not operation.get("security", [{}] if secured else []):
        return []
    return sorted({name for requirement in operation.get("security") or [] for name in requirement}) or [
        "security"
    ]


def operations(app: object) -> tuple[list[dict], str]:
    """Each operation of the app's OpenAPI schema and what it needs; or none, and why."""
    make = getattr(app, "openapi", None)
    if not callable(make):
        return [], "the app has no OpenAPI schema (not a FastAPI app)"
    try:
        schema = make()
    except Exception as exc:  # a schema the app cannot build: said, not fatal
        return [], f"the app's OpenAPI schema failed: {type(exc).__name__}: {exc}".splitlines()[0]
    secured = bool(schema.get("security"))
    return [
        {
            "method": method.upper(),
            "path": path,
            "needs": needs(method, path, operation),
            "credentials": credentials(operation, secured),
        }
        for path, item in (schema.get("paths") or {}).items()
        for method, operation in item.items()
        if method in HTTP_METHODS and isinstance(operation, dict)
    ], ""


def introspect(target: str) -> dict:
    app = load_app(target)
    root = os.path.realpath(os.getcwd())
    routes = router_of(app)
    found, why = operations(app)
    return {
        "app": target,
        "python": sys.executable,
        "versions": versions(),
        "routes": [route.to_json() for route in walk(routes or [], root)],
        "routes_missing": "" if routes is not None else "the app has no routes to walk (not Starlette)",
        "operations": found,
        "operations_missing": why,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m asyncgap.appside.introspect MODULE:ATTR OUT_JSON", file=sys.stderr)
        return 2
    sys.path.insert(0, os.getcwd())  # as `uvicorn MODULE:ATTR` imports from its folder
    try:
        found = introspect(argv[0])
    except AppLoadError as exc:
        print(exc, file=sys.stderr)
        return EXIT_IMPORT if exc.kind == "import" else EXIT_NOT_ASGI
    with open(argv[1], "w") as out:
        json.dump(found, out, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
