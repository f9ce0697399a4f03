#!/usr/bin/env bash
# Resolve pyproject's pinned direct dependencies in a scratch venv and freeze the whole tree.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --disable-pip-version-check .
{ echo "# Runtime lock: every package pinned (pip freeze of pyproject's dependencies). Regenerate with 'make lock'."
  "$tmp/venv/bin/pip" freeze --exclude asyncgap; } > requirements.txt
