#!/usr/bin/env bash
# Render the live page (a running `make ui`) in headless Chromium to a PNG.
#   scripts/screenshot-live.sh OUT.png [URL] [WIDTH,HEIGHT]
set -euo pipefail
out=$1 url=${2:-http://127.0.0.1:8089/asyncgap/live} size=${3:-1280,420}
"$(dirname "$0")/ensure-debian-packages.sh" chromium
mkdir -p "$(dirname "$out")"
timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --hide-scrollbars --window-size="$size" --virtual-time-budget=3000 \
  --screenshot="$(realpath -m "$out")" "$url" 2>/dev/null
