#!/usr/bin/env bash
# Connectivity from rtnetlink, end to end, in a network namespace of this test's own (only
# loopback, plus two veth links that carry a default route): nginx and the fixture server inside
# it, ferryd and ferryctl too.
#   - `ip link set lo down`: a running download and one created meanwhile wait with waiting_for
#     no-network, their retry count stays 0 and no byte moves; `ip link set lo up`: both complete
#     byte-exact.
#   - the default route moves to the other link while a transfer is stalled: ferryd restarts it at
#     once (Range from its offset) instead of waiting out its 60 s stall timeout.
# Usage: connectivity_test.sh BIN_DIR SOURCE_DIR. Needs root (or user namespaces) for unshare
# --net: elsewhere it says so and exits 77, which CTest counts as skipped. CI runs as root.
set -euo pipefail
BIN=$1
SRC=$2

if [ "${FERRY_IN_NETNS:-}" != 1 ]; then
  if ! unshare --net true 2>/dev/null; then
    echo "SKIPPED: this user may not make a network namespace (unshare --net); run as root to test connectivity"
    exit 77
  fi
  exec env FERRY_IN_NETNS=1 unshare --net bash "$0" "$@"
fi

work=$(mktemp -d /tmp/ferry-connectivity.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  echo "--- ferryd log"; tail -n 40 "$work/ferryd.log" || true
  exit 1
}

ip link set lo up
# Two veth pairs (every kernel has veth; dummy is a module containers may lack), each end up.
for n in 0 1; do
  ip link add "v$n" type veth peer name "v${n}p"
  ip addr add "10.$((n + 1)).0.1/24" dev "v$n"
  ip link set "v$n" up && ip link set "v${n}p" up
done
ip route add default via 10.1.0.254 dev v0

mkdir -p "$work/www" "$work/nginx/logs"
head -c $((3 * 1024 * 1024)) /dev/urandom > "$work/www/big.bin"
head -c $((256 * 1024)) /dev/urandom > "$work/www/small.bin"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1; daemon off; master_process off;
pid $work/nginx/nginx.pid; error_log $work/nginx/logs/error.log;
events { worker_connections 64; }
http {
  log_format ranges '\$status \$http_range \$request_uri';
  access_log $work/nginx/logs/access.log ranges;
  client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi; uwsgi_temp_path $work/nginx/uwsgi; scgi_temp_path $work/nginx/scgi;
  server { listen 127.0.0.1:8080; root $work/www; limit_rate 1m; }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" & pids+=($!)
python3 "$SRC/tests/servers/fixture_server.py" --port 8081 --file "$work/www/big.bin" --stall-first-after 65536 \
  --log "$work/fixture.log" >/dev/null 2>&1 & pids+=($!)
export FERRY_SOCKET=$work/run/ferryd.sock FERRY_STATE_DIR=$work/state
"$BIN/ferryd" --socket "$FERRY_SOCKET" --state-dir "$FERRY_STATE_DIR" --system-bus none --session-bus none \
  --log-level debug >"$work/ferryd.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do [ -S "$FERRY_SOCKET" ] && break; sleep 0.1; done

# field TASK NAME: a field of the task in `ferryctl list --json`.
field() {
  "$BIN/ferryctl" list --json | python3 -c "import json, sys
for t in json.load(sys.stdin):
    if t['id'] == $1: print(t['$2'])"
}
# until SECONDS CONDITION...: true once the condition holds, false after SECONDS.
until_true() {
  local deadline=$((SECONDS + $1)); shift
  while [ $SECONDS -lt $deadline ]; do "$@" && return 0; sleep 0.1; done
  return 1
}
is() { [ "$(field "$1" "$2")" = "$3" ]; }
at_least() { [ "$(field "$1" bytes_written)" -ge "$2" ] 2>/dev/null; }

a=$("$BIN/ferryctl" download http://127.0.0.1:8080/big.bin -o "$work/a.out" --detach)
until_true 20 at_least "$a" 262144 || fail "task $a did not start moving bytes"

ip link set lo down
until_true 10 is "$a" waiting_for no-network || fail "task $a does not wait for the network: $(field "$a" waiting_for)"
b=$("$BIN/ferryctl" download http://127.0.0.1:8080/small.bin -o "$work/b.out" --detach)
until_true 10 is "$b" waiting_for no-network || fail "task $b does not wait for the network: $(field "$b" waiting_for)"
"$BIN/ferryctl" list | grep "(waiting: no-network)" >/dev/null || fail "ferryctl list does not say no-network"
held_at=$(field "$a" bytes_written)
sleep 2
[ "$(field "$a" bytes_written)" = "$held_at" ] || fail "task $a moved bytes without a network"
is "$a" retries 0 || fail "task $a spent retries without a network: $(field "$a" retries)"
is "$b" retries 0 || fail "task $b spent retries without a network: $(field "$b" retries)"
is "$a" waiting_for no-network || fail "task $a stopped waiting for the network: $(field "$a" waiting_for)"

ip link set lo up
until_true 30 is "$a" state completed || fail "task $a did not complete after the network came back"
until_true 30 is "$b" state completed || fail "task $b did not complete after the network came back"
cmp "$work/a.out" "$work/www/big.bin" || fail "a.out differs"
cmp "$work/b.out" "$work/www/small.bin" || fail "b.out differs"
is "$a" retries 0 || fail "task $a retried: $(field "$a" retries)"
until_true 10 grep -q "^206 bytes=$held_at- /big.bin" "$work/nginx/logs/access.log" \
  || fail "task $a did not continue with Range from byte $held_at: $(cat "$work/nginx/logs/access.log")"

# A stalled transfer and a default route that moves: restarted at once, from its offset.
c=$("$BIN/ferryctl" download http://127.0.0.1:8081/stall.bin -o "$work/c.out" --detach)
until_true 20 at_least "$c" 65536 || fail "task $c did not receive its first bytes"
sleep 1.5  # stalled for more than a second
ip route replace default via 10.2.0.254 dev v1
until_true 30 is "$c" state completed || fail "task $c was not restarted after the default route moved"
cmp "$work/c.out" "$work/www/big.bin" || fail "c.out differs"
grep -q "range=bytes=65536-" "$work/fixture.log" || fail "the restart did not continue from byte 65536: $(cat "$work/fixture.log")"
kill -TERM "${pids[2]}" && wait "${pids[2]}" || true  # ferryd: its log is complete once it has exited
grep -q "restarting its transfer after a network change" "$work/ferryd.log" || fail "ferryd did not say why it restarted"

echo "connectivity: every check passed"
