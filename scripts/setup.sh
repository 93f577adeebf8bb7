#!/usr/bin/env bash
# setup.sh installs what riskmap's build, tests and demo need, and only what is missing.
# It is idempotent: a second run changes nothing. It uses sudo when not root.
#   nmap, ndiff            apt (the scanner and the peer for baseline diffs)
#   python3-onnx           apt (the onnx checker, used by tests only)
#   libonnxruntime.so.1    npm onnxruntime-node@1.24.3, sha256-checked, cached in third_party/onnxruntime/
#   @duckdb/node-api       npm, cached in third_party/duckdb/ (an independent Parquet reader for tests)
# Set RISKMAP_SETUP_EXTRAS=bench to add the benchmark peers (python3-sklearn, python3-xgboost).
set -euo pipefail
cd "$(dirname "$0")/.."

ORT_VERSION=1.24.3
ORT_SHA256=92ba8e44d31b80a34f5e805076a044122c3be1fffe0d88ed790de7267b0b2682
ORT_DIR=third_party/onnxruntime
DUCKDB_VERSION=1.5.6-r.1
DUCKDB_DIR=third_party/duckdb

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
log() { printf 'setup: %s\n' "$*" >&2; }

apt_missing=()
need_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' || apt_missing+=("$1"); }
need_pkg nmap
need_pkg ndiff
need_pkg python3-onnx
need_pkg iproute2
if [ "${RISKMAP_SETUP_EXTRAS:-}" = bench ]; then
  need_pkg python3-sklearn
  need_pkg python3-xgboost
  need_pkg python3-numpy
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  log "apt-get install ${apt_missing[*]}"
  sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

ort_lib="$ORT_DIR/libonnxruntime.so.1"
if ! echo "$ORT_SHA256  $ort_lib" | sha256sum -c --status 2>/dev/null; then
  log "fetching onnxruntime-node@$ORT_VERSION for libonnxruntime.so.1"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null)
  tar -xzf "$tmp/onnxruntime-node-$ORT_VERSION.tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
  got=$(sha256sum "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" | cut -d' ' -f1)
  if [ "$got" != "$ORT_SHA256" ]; then
    log "libonnxruntime.so.1 sha256 is $got, expected $ORT_SHA256: refusing it"
    exit 1
  fi
  mkdir -p "$ORT_DIR"
  install -m 0644 "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$ort_lib.tmp"
  mv "$ort_lib.tmp" "$ort_lib"
fi

if [ ! -f "$DUCKDB_DIR/node_modules/@duckdb/node-api/package.json" ]; then
  log "npm install @duckdb/node-api@$DUCKDB_VERSION"
  mkdir -p "$DUCKDB_DIR"
  (cd "$DUCKDB_DIR" && { [ -f package.json ] || echo '{"private":true}' > package.json; } && npm install --silent --no-audit --no-fund "@duckdb/node-api@$DUCKDB_VERSION" >/dev/null)
fi
