#!/usr/bin/env bash
# `make run`: ferryd on embedded defaults, in the foreground. Ctrl-C stops it (tasks stay resumable).
set -euo pipefail
BUILD=${1:-build}
BIN="$(cd "$(dirname "$0")/.." && pwd)/$BUILD/bin"
if [ ! -x "$BIN/ferryd" ]; then
  echo "ferryd is not built yet ($BIN/ferryd missing)" >&2
  exit 1
fi
SOCKET=${FERRY_SOCKET:-${XDG_RUNTIME_DIR:-/tmp/ferry-$(id -u)}/ferry/ferryd.sock}
[ -n "${XDG_RUNTIME_DIR:-}" ] || SOCKET=${FERRY_SOCKET:-/tmp/ferry-$(id -u)/ferryd.sock}
echo "ferryd: socket $SOCKET"
echo "try, in another terminal:"
echo "  $BIN/ferryctl download https://deb.debian.org/debian/README -o /tmp/README"
echo "  $BIN/ferryctl list"
exec "$BIN/ferryd" --socket "$SOCKET"
