#!/usr/bin/env bash
# Resolve pyproject's pinned direct dependencies in a scratch venv and freeze the whole tree.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
# The dependencies themselves, not the project: it is not an installable package (several
# top-level folders, run from the checkout).
mapfile -t deps < <(python3 -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"], sep="\n")')
"$tmp/venv/bin/pip" install -q --disable-pip-version-check "${deps[@]}"
{ echo "# Runtime lock: every package pinned (pip freeze of pyproject's dependencies). Regenerate with 'make lock'."
  "$tmp/venv/bin/pip" freeze; } > requirements.txt
