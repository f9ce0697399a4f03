"""Import the app named MODULE:ATTR and check that it is an ASGI app, with one-line errors."""

import importlib
import inspect

ASGI_HINT = "an ASGI app is an async callable of (scope, receive, send), e.g. a FastAPI() instance"


class AppLoadError(Exception):
    """An app that cannot be served: `kind` is 'import' or 'asgi', the message one line."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def split_target(target: str) -> tuple[str, str]:
    """'app.main:app' -> ('app.main', 'app'); an AppLoadError for anything else."""
    module, _, attr = target.partition(":")
    if not module or not attr or not all(p.isidentifier() for p in (*module.split("."), *attr.split("."))):
        raise AppLoadError("import", f"{target!r} is not MODULE:ATTR (e.g. app.main:app)")
    return module, attr


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def load_app(target: str) -> object:
    """The object MODULE:ATTR names; AppLoadError('import') when the module fails to import or has
    no such attribute, AppLoadError('asgi') when the object is not an ASGI callable."""
    module_name, attr = split_target(target)
    try:
        found: object = importlib.import_module(module_name)
    except (Exception, SystemExit) as exc:  # an app's import may raise anything, exit too
        raise AppLoadError("import", f"{module_name} does not import: {_first_line(exc)}") from None
    for part in attr.split("."):
        if not hasattr(found, part):
            raise AppLoadError("import", f"{module_name} has no attribute {attr!r}")
        found = getattr(found, part)
    if not is_asgi(found):
        raise AppLoadError("asgi", f"{target} is a {type(found).__name__}, not an ASGI app ({ASGI_HINT})")
    return found


def is_asgi(app: object) -> bool:
    """An async callable (an `async def`, or an object whose __call__ is one): what ASGI 3 servers call."""
    if inspect.isclass(app):
        return False
    call = app if inspect.isfunction(app) or inspect.ismethod(app) else getattr(app, "__call__", None)  # noqa: B004
    return call is not None and inspect.iscoroutinefunction(call)
