"""`make docs-runs`: re-measure every published run in docs/runs/ from the command line its
meta.json recorded, one after another, and keep only its records (summary.json or bench.json,
and meta.json); the Locust CSV and HTML stay in the scratch folder. A run that fails leaves its
published records as they were.

    python -m asyncgap.remeasure [NAME ...]   (default: every run in docs/runs/)
"""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from asyncgap import pages
from asyncgap.core import records

KEPT = (records.SUMMARY_NAME, pages.BENCH_NAME, "meta.json")


def command(argv: list[str], out: Path) -> list[str]:
    """The recorded command line, run by this interpreter, its `--out` replaced by `out`."""
    args, skip = [], False
    for arg in argv[1:]:  # argv[0]: the program, as it was installed then
        if skip:
            skip = False
        elif arg == "--out":
            skip = True
        elif not arg.startswith("--out="):
            args.append(arg)
    return [sys.executable, "-m", "asyncgap", *args, "--out", str(out)]


def recorded_argv(run_dir: Path) -> list[str]:
    """The command line a published run was measured with."""
    try:
        argv = json.loads((run_dir / "meta.json").read_text())["argv"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise records.ResultsError(f"{run_dir}: no recorded command line in meta.json ({exc})") from None
    if not isinstance(argv, list) or len(argv) < 2:
        raise records.ResultsError(f"{run_dir}: meta.json's argv is not a command line")
    return [str(arg) for arg in argv]


def remeasure(run_dir: Path, scratch: Path) -> bool:
    """Run it again; on success, replace its published records with the new ones."""
    out = scratch / run_dir.name
    cmd = command(recorded_argv(run_dir), out)
    print(f"{run_dir.name}: {' '.join(cmd[3:])}", flush=True)
    if subprocess.run(cmd, cwd=pages.ROOT, check=False).returncode != 0:
        print(f"{run_dir.name}: failed; its published records are unchanged", file=sys.stderr)
        return False
    for name in KEPT:
        (run_dir / name).unlink(missing_ok=True)
        if (out / name).is_file():
            shutil.copy2(out / name, run_dir / name)
    return True


def main(names: list[str]) -> int:
    runs = pages.ROOT / pages.RUNS
    chosen = [runs / name for name in names] or sorted(p for p in runs.iterdir() if p.is_dir())
    try:
        argvs = {run_dir: recorded_argv(run_dir) for run_dir in chosen}  # all checked before any load
    except records.ResultsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="asyncgap-runs-") as scratch:
        failed = [run_dir.name for run_dir in argvs if not remeasure(run_dir, Path(scratch))]
    if failed:
        print(f"not re-measured: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
