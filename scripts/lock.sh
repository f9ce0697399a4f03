#!/usr/bin/env bash
# Resolve asyncgap and the demo's dependencies (pyproject's ranges and pins) in a scratch venv and
# freeze the whole tree, asyncgap and pip left out: the exact versions the demo, tests and CI use
# (setuptools included: hdrhistogram requires a recent one at run time).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --disable-pip-version-check ".[demo]"
{ echo "# Runtime lock: every package pinned (pip freeze of asyncgap[demo]: the harness and the demo service)."
  echo "# Regenerate with 'make lock'."
  "$tmp/venv/bin/pip" freeze --all --exclude asyncgap --exclude pip; } > requirements.txt
