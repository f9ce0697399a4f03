"""Where a run's results go: a new, empty folder (results/<UTC timestamp> unless --out says),
and results/latest pointing at the newest."""

import os
from datetime import UTC, datetime
from pathlib import Path

from asyncgap.cell import plan

RESULTS = Path("results")  # in the project folder (the matrix's), where the harness works


def timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def create(out: Path | None) -> Path:
    """A new, empty run folder, created; nothing is created when it cannot be used."""
    if out is None:
        out = RESULTS / timestamp()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise plan.PlanError(f"--out {out} exists and is not an empty folder")
    for ancestor in out.parents:
        if ancestor.exists() and not ancestor.is_dir():
            raise plan.PlanError(f"--out {out}: {ancestor} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # not writable, read-only file system, ...
        raise plan.PlanError(f"cannot create --out {out}: {exc.strerror}") from None
    return out


def link_latest(out: Path) -> None:
    """results/latest -> the newest run, replaced atomically."""
    if out.resolve().parent != RESULTS.resolve():
        return
    tmp = RESULTS / ".latest.tmp"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(out.name)
    os.replace(tmp, RESULTS / "latest")
