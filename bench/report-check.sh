#!/usr/bin/env bash
# report-check.sh renders an HTML report in headless Chromium (Debian's chromium, installed
# when missing) and saves a screenshot, so a person can see what the report shows.
#   bench/report-check.sh REPORT.html OUT.png
set -euo pipefail
report=$(realpath "$1")
out=$2
if ! command -v chromium >/dev/null; then
  echo "report-check: apt-get install chromium" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq chromium >/dev/null; else sudo apt-get install -y -qq chromium >/dev/null; fi
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# The flags keep Chromium from reaching for the network: the report must render from the file
# alone.
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --window-size=1200,2600 --screenshot="$(realpath -m "$out")" \
  "file://$report" >/dev/null 2>&1
test -s "$out"
echo "report-check: $out" >&2
