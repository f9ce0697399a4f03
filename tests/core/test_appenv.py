"""The app's environment: env files as Docker Compose reads them, --env over them, errors that
never show a value."""

import pytest

from asyncgap.core.appenv import AppEnv, EnvError

ENV_FILE = """\
# a comment
export A=1
B="two words" # a comment after a quoted value
C='single ${A}'
D=${PGPORT}
E=${MISSING:-fallback}
F="line1\\nline2"
G=plain # a comment after a space
H=x#y
BARE
"""


def test_an_env_file_reads_as_documented(tmp_path):
    path = tmp_path / "app.env"
    path.write_text(ENV_FILE)
    env = AppEnv(files=(path,), extra={"PGPORT": "5433"}).resolve({"HOME": "/home/me"})
    assert env == {
        "PGPORT": "5433",
        "A": "1",
        "B": "two words",
        "C": "single 1",
        "D": "5433",  # --postgres's variables can be referred to
        "E": "fallback",
        "F": "line1\nline2",
        "G": "plain",
        "H": "x#y",
    }


def test_later_files_and_then_env_pairs_win_and_pairs_are_taken_as_typed(tmp_path):
    first, second = tmp_path / "a.env", tmp_path / "b.env"
    first.write_text("X=1\nY=1\n")
    second.write_text("Y=${X}2\n")
    env = AppEnv(files=(first, second), pairs=("X=3", "Z=${X}")).resolve({})
    assert env == {"X": "3", "Y": "12", "Z": "${X}"}


def test_the_environment_below_fills_in_a_reference(tmp_path):
    path = tmp_path / "app.env"
    path.write_text("URL=http://${HOST_NAME}:80\n")
    assert AppEnv(files=(path,)).resolve({"HOST_NAME": "db"}) == {"URL": "http://db:80"}


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("secret-value", "one has no '='"),
        ("=secret-value", "got the key ''"),
        ("1X=secret-value", "got the key '1X'"),
    ],
)
def test_a_bad_pair_names_its_key_never_its_value(pair, message):
    with pytest.raises(EnvError) as caught:
        AppEnv(pairs=(pair,)).resolve({})
    assert message in str(caught.value) and "secret-value" not in str(caught.value)


def test_a_line_that_is_not_key_value_is_named_by_its_number(tmp_path):
    path = tmp_path / "app.env"
    path.write_text("GOOD=1\nthis is not = a binding secret-value\n")
    with pytest.raises(EnvError, match=r"line 2 is not KEY=VALUE") as caught:
        AppEnv(files=(path,)).resolve({})
    assert "secret-value" not in str(caught.value)


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(EnvError, match="No such file"):
        AppEnv(files=(tmp_path / "nope.env",)).resolve({})
