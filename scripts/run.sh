#!/usr/bin/env bash
# `make run`: ferryd and the VideoFarm server on embedded defaults, in the foreground.
# Ctrl-C stops both; every transfer stays resumable and continues at the next start.
set -euo pipefail
BUILD=${1:-build}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/$BUILD/bin"
for program in ferryd ferryctl; do
  [ -x "$BIN/$program" ] || { echo "make run: $BIN/$program is missing; run make build" >&2; exit 1; }
done

if [ -n "${FERRY_SOCKET:-}" ]; then SOCKET=$FERRY_SOCKET
elif [ -n "${XDG_RUNTIME_DIR:-}" ]; then SOCKET=$XDG_RUNTIME_DIR/ferry/ferryd.sock
else SOCKET=/tmp/ferry-$(id -u)/ferryd.sock; fi
STATE=${FERRY_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/ferry}
VF_PORT=${VIDEOFARM_PORT:-8080}
VF_DATA=${VIDEOFARM_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/videofarm-server}
mkdir -p "$STATE" "$VF_DATA"

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

"$BIN/ferryd" --socket "$SOCKET" --state-dir "$STATE" &
pids+=($!)
if [ -x "$BIN/videofarm-server" ]; then
  "$BIN/videofarm-server" --listen "127.0.0.1:$VF_PORT" --data-dir "$VF_DATA" --web-dir "$ROOT/$BUILD/web" &
  pids+=($!)
fi
for _ in $(seq 50); do [ -S "$SOCKET" ] && break; sleep 0.1; done

cat <<INFO

Ferry is running.
  ferryd socket   $SOCKET
  ferryd state    $STATE   (tasks, events, partial files; ferry.db is SQLite)
INFO
if [ -x "$BIN/videofarm-server" ]; then
  cat <<INFO
  VideoFarm       http://127.0.0.1:$VF_PORT/   (data in $VF_DATA)
  First account   echo 'a long passphrase' | $BIN/videofarm-server --data-dir $VF_DATA --create-user alice
INFO
fi
cat <<INFO

Try, in another terminal:
  $BIN/ferryctl download http://127.0.0.1:$VF_PORT/videos -o /tmp/videos.json
  $BIN/ferryctl list
  $BIN/ferryctl status

Ctrl-C stops everything; transfers resume at the next start.
INFO
wait -n "${pids[@]}"
