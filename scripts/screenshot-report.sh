#!/usr/bin/env bash
# Render a run's report.html in headless Chromium to a PNG (docs/dashboard.png comes from here).
#   scripts/screenshot-report.sh RUN_DIR OUT.png [WIDTH,HEIGHT]
set -euo pipefail
run_dir=$1 out=$2 size=${3:-1280,2400}
[ -f "$run_dir/report.html" ] || { echo "error: no report.html in $run_dir" >&2; exit 2; }
"$(dirname "$0")/ensure-debian-packages.sh" chromium
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --hide-scrollbars --window-size="$size" --virtual-time-budget=5000 \
  --screenshot="$(realpath -m "$out")" "file://$(realpath "$run_dir")/report.html" 2>/dev/null
