"""The environment a user's app runs in (`--env-file F`, `--env KEY=VAL`), and only its names
for the record: values often hold database passwords and signing keys.

Every server process, the `--prestart` command and the introspection get, from lowest to
highest precedence: the harness's own environment, what `--postgres` exports (PGHOST, PGPORT,
PGUSER, PGDATABASE, DATABASE_URL), each `--env-file` in the order given, then each `--env`.

An env file is read by python-dotenv's parser, as Docker Compose and pydantic-settings read
one: `KEY=VALUE` lines, an optional `export ` in front, `#` comments (a whole line, or after a
space in an unquoted value), values in single or double quotes (double quotes understand
escapes such as \\n), a quoted value may span lines. `${VAR}` and `${VAR:-default}` are
replaced, in any value (quoted or not), by what is known so far: earlier lines and files, then
the environment below them, so `POSTGRES_PORT=${PGPORT}` works with --postgres. A bare `KEY`
(no `=`) is ignored. `--env` values are taken as typed (the shell has expanded them already).
"""

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv.parser import parse_stream
from dotenv.variables import parse_variables


class EnvError(ValueError):
    """An env file or --env pair that cannot be used; the message is one line, with no value in it."""


@dataclass(frozen=True)
class AppEnv:
    """What the user gave for the app's environment: env files (in order) and KEY=VAL pairs."""

    files: tuple[Path, ...] = ()
    pairs: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)  # what the harness exports (--postgres)

    def resolve(self, base: Mapping[str, str]) -> dict[str, str]:
        """The variables the user set, over `base` (the harness's environment and `extra`)."""
        known = {**base, **self.extra}
        chosen: dict[str, str] = dict(self.extra)
        for path in self.files:
            for key, value in read_file(path, known).items():
                known[key] = chosen[key] = value
        for key, value in (split_pair(pair) for pair in self.pairs):
            known[key] = chosen[key] = value
        return chosen


def split_pair(pair: str) -> tuple[str, str]:
    """'KEY=VAL' -> (KEY, VAL); the error names the key at most, never the value."""
    key, sep, value = pair.partition("=")
    if not sep:
        raise EnvError("--env takes KEY=VALUE; one has no '='")
    if not key or not key.replace("_", "a").isalnum() or key[0].isdigit():
        raise EnvError(f"--env takes KEY=VALUE with KEY a variable name; got the key {key!r}")
    return key, value


def read_file(path: Path, known: Mapping[str, str]) -> dict[str, str]:
    """The file's variables, `${VAR}` replaced from earlier lines and then from `known`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EnvError(f"--env-file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise EnvError(f"--env-file {path} is not UTF-8 text") from None
    values: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            raise EnvError(f"--env-file {path}: line {binding.original.line} is not KEY=VALUE")
        if binding.key is None or binding.value is None:
            continue  # a comment, a blank line, or a bare KEY
        scope = {**known, **values}
        values[binding.key] = "".join(atom.resolve(scope) for atom in parse_variables(binding.value))
    return values
