"""Name the line that blocked: the innermost frame of application code and what it called.

A stack sampled from another thread shows Python frames only. When the application frame
called Python code (httpx), the callee is the frame just inside it: `httpx.Client.get`.
When it called C (`time.sleep`, `sqlite3.Connection.execute`), there is no frame for it: the
frame's instruction says whether it is calling, the source of that call gives the callee as
written, and the object that dotted name stands for is resolved in the frame's own namespaces.
No AST is built (see `_dotted_callee`). Both are cached per code location, so a sampler pays
for the resolution once.
"""

import dis
import io
import linecache
import os
import sys
import sysconfig
import tokenize
from dataclasses import dataclass
from types import CodeType, FrameType

NO_APP_FRAME = "(no application frame)"
OWN_CODE = "(own code)"  # the application frame runs its own bytecode (a CPU loop), not a call
UNKNOWN = "?"  # a call whose target is not a plain dotted name
MOST_CALLERS = 8  # application frames kept above a site: a handler is rarely further out
_ENTER = dis.opmap["BEFORE_WITH"]  # `with lock:` calls the lock's __enter__
# The instructions of a frame in a call; 3.11 calls a builtin within PRECALL once specialised
_CALLS = ("PRECALL", "CALL", "CALL_KW", "CALL_FUNCTION_EX", "BEFORE_WITH")
_CALLING = {dis.opmap[name] for name in _CALLS if name in dis.opmap}

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
    """What the frame's current call calls, e.g. `time.sleep`; `(own code)` when the frame is not
    calling anything; `?` when the callee is not a dotted name or has no source."""
    if not calls(frame):
        return OWN_CODE
    entering = frame.f_code.co_code[frame.f_lasti] == _ENTER
    written = _written_callee(frame.f_code, frame.f_lasti, entering)
    try:  # a property or a proxy's __getattr__ runs the app's code, which may raise here
        target = _resolve(written, frame)
        if entering:  # the C lock's __enter__ has no frame of its own
            if target is None or not hasattr(type(target), "__enter__"):
                return UNKNOWN
            return callable_name(target.__enter__, f"{written}.__enter__")
        return UNKNOWN if target is None else callable_name(target, written)
    except Exception:  # the sampler's thread must live on: the callee is unknown
        return UNKNOWN


def calls(frame: FrameType) -> bool:
    """Whether the frame is in a call (or a `with` entering), not running its own bytecode: read
    from its instruction alone, so nothing of the frame's is touched."""
    return frame.f_code.co_code[frame.f_lasti] in _CALLING


def _written_callee(code: CodeType, lasti: int, entering: bool) -> str:
    """The callee as written in the source: for a call, the dotted name before its argument list;
    for a `with`, its item, the expression the instruction before loaded. "" without source."""
    if entering:
        before = [i.offset for i in dis.get_instructions(code) if i.offset < lasti]
        if not before:
            return ""
        lasti = before[-1]
    span = list(code.co_positions())[lasti // 2]
    if None in span:
        return ""
    try:
        written = _source(code.co_filename, *span)
    except (TypeError, ValueError):  # positions past the source as read now
        return ""
    if linecache.getline(code.co_filename, span[0]).encode()[: span[2]].rstrip().endswith(b"."):
        return ""  # `conn\n.execute(q)`: the span starts at the attribute, its object is lines up
    return written.strip() if entering else _dotted_callee(written)


def _dotted_callee(call: str) -> str:
    """`time.sleep` of the call `time.sleep(0.1)`, read from its tokens (so comments and line breaks
    may sit between them): "" when the callee is no dotted name (`f(a)(b)`, `handlers[0]()`).
    Tokens, not an AST: CPython 3.11 before 3.11.8 kept the AST constructor's depth count per
    interpreter, so a parse in the sampler's thread during one in the application's made the
    application's raise SystemError (gh-106905)."""
    try:  # in parentheses, the lines of a call split over several are one logical line
        tokens = tokenize.generate_tokens(io.StringIO(f"({call})").readline)
        significant = [(t.type, t.string) for t in tokens if t.type in (tokenize.NAME, tokenize.OP)][1:-1]
    except (tokenize.TokenError, SyntaxError, ValueError):  # 3.12's tokenizer: also Unicode errors
        return ""
    names: list[str] = []
    at = 0  # the token read: a name, then a dot and another name, and so on
    while at < len(significant) and significant[at][0] == tokenize.NAME:
        names.append(significant[at][1])
        at += 1
        if significant[at : at + 1] != [(tokenize.OP, ".")]:
            break
        at += 1
    arguments = significant[at:]
    if not names or arguments[:1] != [(tokenize.OP, "(")] or _closed_at(arguments) != len(arguments) - 1:
        return ""
    return ".".join(names)


def _closed_at(tokens: list[tuple[int, str]]) -> int:
    """Where the bracket the tokens open with is closed."""
    depth = 0
    for at, (kind, text) in enumerate(tokens):
        if kind == tokenize.OP and text in ("(", "[", "{"):
            depth += 1
        elif kind == tokenize.OP and text in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                return at
    return -1


def _source(filename: str, line: int, end_line: int, col: int, end_col: int) -> str:
    lines = [linecache.getline(filename, n) for n in range(line, end_line + 1)]
    if len(lines) == 1:
        return lines[0].encode()[col:end_col].decode()
    return "".join([lines[0].encode()[col:].decode(), *lines[1:-1], lines[-1].encode()[:end_col].decode()])


def _resolve(written: str, frame: FrameType) -> object | None:
    """The object a dotted name (`time.sleep`, `conn.execute`) stands for in the frame; only
    names and attributes are followed (an attribute may be a property, run as read)."""
    first, *attributes = names = [name.strip() for name in written.split(".")]
    if not all(name.isidentifier() for name in names):
        return None
    namespace = next((ns for ns in (frame.f_locals, frame.f_globals, frame.f_builtins) if first in ns), None)
    if namespace is None:
        return None
    target = namespace[first]
    for attribute in attributes:
        target = getattr(target, attribute, None)
        if target is None:
            return None
    return target


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
