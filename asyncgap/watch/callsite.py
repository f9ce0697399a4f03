"""Name the line that blocked: the innermost frame of application code and what it called.

A stack sampled from another thread shows Python frames only. When the application frame
called Python code (httpx), the callee is the frame just inside it: `httpx.Client.get`.
When it called C (`time.sleep`, `sqlite3.Connection.execute`), there is no frame for it: the
callee is found from the call expression the frame is executing (its source position) and
the object it names, resolved in the frame's own namespaces. Both are cached per code
location, so a sampler pays for the resolution once.
"""

import ast
import dis
import linecache
import os
import sys
import sysconfig
from dataclasses import dataclass
from types import CodeType, FrameType

NO_APP_FRAME = "(no application frame)"
OWN_CODE = "(own code)"  # the application frame runs its own bytecode (a CPU loop), not a call
UNKNOWN = "?"  # a call whose target is not a plain dotted name
MOST_CALLERS = 8  # application frames kept above a site: a handler is rarely further out
_ENTER = dis.opmap["BEFORE_WITH"]  # `with lock:` calls the lock's __enter__

_LIBRARY_PATHS = ("stdlib", "platstdlib", "purelib", "platlib")
_LIBRARY_DIRS = tuple({os.path.realpath(sysconfig.get_path(name)) + os.sep for name in _LIBRARY_PATHS})


@dataclass(frozen=True)
class CallSite:
    callee: str  # what the application called and is waiting in, e.g. time.sleep
    site: str  # relpath:line function of the application frame that called it

    def __str__(self) -> str:
        return f"{self.callee} <- {self.site}"


class Namer:
    """Call sites of stacks, with what is learnt about code objects and call lines cached."""

    def __init__(self, root: str | None = None, skip_files: tuple[str, ...] = ()) -> None:
        self.root = os.path.realpath(root or os.getcwd()) + os.sep
        self.skip_files = {os.path.realpath(f) for f in skip_files}
        self._is_app: dict[CodeType, bool] = {}
        self._callee: dict[tuple[CodeType, int], str] = {}
        self._shown: dict[CodeType, str] = {}  # a code object's file, as shown
        self._calling: dict[tuple[CodeType, int], bool] = {}
        self._named: dict[CodeType, str] = {}  # a library frame's name, e.g. threading.Condition.wait

    def is_app(self, code: CodeType) -> bool:
        """Application code: a real file outside the interpreter's and the installed libraries' folders."""
        known = self._is_app.get(code)
        if known is None:
            filename = code.co_filename
            real = os.path.realpath(filename) if not filename.startswith("<") else ""
            known = bool(real) and not real.startswith(_LIBRARY_DIRS) and real not in self.skip_files
            self._is_app[code] = known
        return known

    def site_of(self, frame: FrameType | None) -> CallSite | None:
        """The call site of a stack (its innermost frame given), None when no application frame is on it."""
        inner: FrameType | None = None
        while frame is not None:
            if self.is_app(frame.f_code):
                callee = self.name(inner.f_code, inner.f_globals) if inner else self.called(frame)
                return CallSite(callee, self._where(frame))
            inner, frame = frame, frame.f_back
        return None

    def callers(self, frame: FrameType | None) -> list[str]:
        """The application frames that called the site's ("relpath function", innermost first, each
        once): how a call in a helper is tied to the handler or dependency that made it."""
        seen: list[str] = []
        while frame is not None and not self.is_app(frame.f_code):
            frame = frame.f_back
        frame = frame and frame.f_back  # the site's own frame is the site
        while frame is not None and len(seen) < MOST_CALLERS:
            if self.is_app(frame.f_code):
                caller = f"{self._file(frame.f_code)} {frame.f_code.co_name}"
                if caller not in seen:
                    seen.append(caller)
            frame = frame.f_back
        return seen

    def _where(self, frame: FrameType) -> str:
        return f"{self._file(frame.f_code)}:{frame.f_lineno} {frame.f_code.co_name}"

    def _file(self, code: CodeType) -> str:
        shown = self._shown.get(code)
        if shown is None:
            shown = self._shown[code] = os.path.realpath(code.co_filename).removeprefix(self.root)
        return shown

    def name(self, code: CodeType, module_globals: dict) -> str:
        """`python_name`, cached per code object."""
        named = self._named.get(code)
        if named is None:
            named = self._named[code] = python_name(code, module_globals)
        return named

    def calling(self, frame: FrameType) -> bool:
        """`calls`, cached per code location."""
        key = (frame.f_code, frame.f_lasti)
        known = self._calling.get(key)
        if known is None:
            known = self._calling[key] = calls(frame)
        return known

    def called(self, frame: FrameType) -> str:
        """`called_in`, cached per code location."""
        key = (frame.f_code, frame.f_lasti)
        name = self._callee.get(key)
        if name is None:
            name = self._callee[key] = called_in(frame)
        return name


def python_name(code: CodeType, module_globals: dict) -> str:
    """`httpx.Client.get` for a frame of httpx/_client.py's Client.get: the module without its
    private parts (what users import), then the qualified name."""
    return f"{public_module(module_globals.get('__name__', ''))}.{code.co_qualname}".lstrip(".")


def public_module(module: str) -> str:
    """`httpx._client` -> `httpx`; a C accelerator `_sqlite3` -> `sqlite3` (the module users import)."""
    public = ".".join(part for part in module.split(".") if not part.startswith("_"))
    if public:
        return public
    bare = module.lstrip("_").split(".")[0]
    return bare if bare in sys.modules else module


def called_in(frame: FrameType) -> str:
    """What the frame's current call expression calls, e.g. `time.sleep`; `(own code)` when the
    frame is not calling anything; `?` when the call cannot be named."""
    if frame.f_code.co_code[frame.f_lasti] == _ENTER:
        return _entered(frame)
    call = _call(frame)
    if isinstance(call, str):
        return call
    target = _resolve(call.func, frame)
    return UNKNOWN if target is None else callable_name(target, ast.unparse(call.func))


def calls(frame: FrameType) -> bool:
    """Whether the frame is in a call (or a `with` entering), not running its own bytecode; a frame
    without source counts as calling. Nothing is resolved, so nothing of the frame's is touched."""
    return frame.f_code.co_code[frame.f_lasti] == _ENTER or _call(frame) != OWN_CODE


def _call(frame: FrameType) -> ast.Call | str:
    """The call expression the frame is executing, from its source position; OWN_CODE when it is
    not a call, UNKNOWN without source."""
    try:
        positions = list(frame.f_code.co_positions())[frame.f_lasti // 2]
        expression = _source(frame.f_code.co_filename, *positions).strip()
    except (IndexError, TypeError, ValueError):
        return UNKNOWN
    if not expression:
        return UNKNOWN  # no source
    try:
        tree = ast.parse(expression, mode="eval").body
    except SyntaxError:  # a statement (return, assignment): not a call
        return OWN_CODE
    return tree if isinstance(tree, ast.Call) else OWN_CODE


def _entered(frame: FrameType) -> str:
    """What a `with` statement enters, e.g. `_thread.lock.__enter__` (a C lock's has no frame of its
    own): the object its item expression names, the expression ending at the instruction before."""
    previous = None
    for instruction in dis.get_instructions(frame.f_code):
        if instruction.offset >= frame.f_lasti:
            break
        previous = instruction
    try:
        expression = _source(frame.f_code.co_filename, *previous.positions).strip()
        tree = ast.parse(expression, mode="eval").body
    except (AttributeError, TypeError, ValueError, SyntaxError):  # no instruction, position or source
        return UNKNOWN
    target = _resolve(tree, frame)
    if target is None or not hasattr(type(target), "__enter__"):
        return UNKNOWN
    return callable_name(target.__enter__, f"{ast.unparse(tree)}.__enter__")


def _source(filename: str, line: int, end_line: int, col: int, end_col: int) -> str:
    lines = [linecache.getline(filename, n) for n in range(line, end_line + 1)]
    if len(lines) == 1:
        return lines[0].encode()[col:end_col].decode()
    return "".join([lines[0].encode()[col:].decode(), *lines[1:-1], lines[-1].encode()[:end_col].decode()])


def _resolve(node: ast.expr, frame: FrameType) -> object | None:
    """The object a dotted name (`time.sleep`, `conn.execute`) stands for in the frame; only
    names and attributes are followed, nothing is called."""
    if isinstance(node, ast.Name):
        for namespace in (frame.f_locals, frame.f_globals, frame.f_builtins):
            if node.id in namespace:
                return namespace[node.id]
        return None
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, frame)
        return None if owner is None else getattr(owner, node.attr, None)
    return None


def callable_name(target: object, written: str) -> str:
    """`time.sleep`, `sqlite3.Connection.execute`, `json.dumps`: where the callable is defined."""
    owner = getattr(target, "__self__", None)
    name = getattr(target, "__name__", None)
    if name is None:
        return written
    if owner is not None and not isinstance(owner, type) and type(owner).__name__ != "module":
        cls = type(owner)
        return f"{public_module(cls.__module__)}.{cls.__qualname__}.{name}"
    module = getattr(target, "__module__", None) or getattr(owner, "__name__", None)
    qualname = getattr(target, "__qualname__", name)
    return f"{public_module(module)}.{qualname}" if module else qualname
