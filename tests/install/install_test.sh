#!/usr/bin/env bash
# Install.OutOfTreeExamples: Ferry as an outside developer gets it. Installs the build tree into a
# temporary prefix, checks what is there (files and man pages, SONAME, unit paths, and that no
# installed header includes anything outside ferry/ but the standard library and tl/expected.hpp,
# each header compiling on its own), then builds examples/ out of the tree against the prefix twice
# — with pkg-config, as README's "Install" shows, and as a CMake project with find_package(Ferry);
# the C example (background_download.c) both ways too
# (and in_process_fetch once more with libferry.a, which must hold everything libferry.so does) —
# and runs each build against the prefix's ferryd: the first run hands a download over and exits
# while it is still running (nginx sends it slowly), the second attaches and receives
# didFinishDownloadingTo and didComplete, and the file is byte for byte the served one. Last, the
# VideoFarm client (apps/videofarm) is built out of the tree against the prefix too and moves a
# movie up and down through the prefix's videofarm-server and ferryd.
#   install_test.sh BUILD_DIR SOURCE_DIR VIDEOFARM(ON|OFF)
set -euo pipefail

build=$1
source=$2
videofarm=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-install-test.XXXXXX")
prefix=$work/prefix
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() { echo "== $*"; }
# A loopback port nothing listens on now.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

step "cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }

step "installed files"
expected=(bin/ferryd bin/ferryctl lib/libferry.so lib/libferry.so.0 lib/libferry.so.0.1.0 lib/libferry.a
          include/ferry/session.hpp include/ferry/ferry.h include/ferry/error.hpp include/ferry/export.hpp lib/pkgconfig/ferry.pc
          lib/cmake/Ferry/FerryConfig.cmake lib/cmake/Ferry/FerryConfigVersion.cmake
          lib/cmake/Ferry/FerryTargets.cmake lib/systemd/user/ferryd.socket lib/systemd/user/ferryd.service
          share/man/man8/ferryd.8.gz share/man/man1/ferryctl.1.gz)
if [ "$videofarm" = ON ]; then
  expected+=(bin/videofarm bin/videofarm-server share/man/man1/videofarm.1.gz share/man/man8/videofarm-server.8.gz
             share/videofarm-server/web/index.html share/videofarm-server/web/app.js)
fi
for f in "${expected[@]}"; do
  [ -e "$prefix/$f" ] || fail "$f is not installed"
done
readelf -d "$prefix/lib/libferry.so.0.1.0" | grep 'SONAME.*\[libferry\.so\.0\]' >/dev/null || fail "libferry.so has no SONAME libferry.so.0"
grep -qx "ExecStart=$prefix/bin/ferryd" "$prefix/lib/systemd/user/ferryd.service" ||
  fail "ferryd.service does not start $prefix/bin/ferryd: $(grep ExecStart "$prefix/lib/systemd/user/ferryd.service")"

step "installed headers include only ferry/, the standard library and tl/expected.hpp"
# Every #include line of every installed header; allowed: "ferry/x.hpp", <name> without a slash
# (the standard library's headers have none), C's <stddef.h> and <stdint.h> (ferry/ferry.h) and
# <tl/expected.hpp> (ferry::Result, ferry/error.hpp).
outside=$(grep -rhE '^[[:space:]]*#[[:space:]]*include' "$prefix/include" |
          sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*//; s/[[:space:]]*(\/\/.*)?$//' |
          grep -vE '^"ferry/[a-z_]+\.hpp"$|^<[a-z_]+>$|^<(stddef|stdint)\.h>$|^<tl/expected\.hpp>$' || true)
[ -z "$outside" ] || fail "installed headers include what is not installed: $outside"
[ -z "$(find "$prefix/include" -mindepth 1 -not -path "$prefix/include/ferry*")" ] || fail "something besides include/ferry/ is installed"
for header in "$prefix"/include/ferry/*.hpp; do
  echo "#include <ferry/$(basename "$header")>" |
    c++ -std=c++20 -Wall -Wextra -Werror -fsyntax-only -I"$prefix/include" -x c++ - ||
    fail "ferry/$(basename "$header") does not compile on its own"
done
# The C API's header: C11 and C++ alike.
echo "#include <ferry/ferry.h>" | cc -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -I"$prefix/include" -x c - ||
  fail "ferry/ferry.h does not compile as C11"
echo "#include <ferry/ferry.h>" | c++ -std=c++20 -Wall -Wextra -Werror -fsyntax-only -I"$prefix/include" -x c++ - ||
  fail "ferry/ferry.h does not compile as C++"

step "examples/ with pkg-config (c++ -std=c++20 ... \$(pkg-config --cflags --libs ferry))"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
[ "$(pkg-config --modversion ferry)" = 0.1.0 ] || fail "pkg-config --modversion ferry: $(pkg-config --modversion ferry)"
mkdir -p "$work/pc"
# shellcheck disable=SC2046 # pkg-config's words are separate arguments, as the README writes it
c++ -std=c++20 -Wall -Wextra -Werror "$source/examples/background_download.cpp" -o "$work/pc/background_download" \
  $(pkg-config --cflags --libs ferry) || fail "the pkg-config build"
readelf -d "$work/pc/background_download" | grep 'NEEDED.*\[libferry\.so\.0\]' >/dev/null || fail "the pkg-config build does not link libferry.so.0"
# The C example, as README's "Use from C" builds it.
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror "$source/examples/background_download.c" -o "$work/pc/background_download_c" \
  $(pkg-config --cflags --libs ferry) || fail "the pkg-config build of the C example"

step "examples/ linked with libferry.a"
# As README's "Install" writes it: the archive, and the libraries libferry.so would have brought.
mkdir -p "$work/static"
# shellcheck disable=SC2046
c++ -std=c++20 -Wall -Wextra -Werror "$source/examples/in_process_fetch.cpp" -o "$work/static/in_process_fetch" \
  $(pkg-config --cflags ferry) "$prefix/lib/libferry.a" $(pkg-config --libs libcurl libcrypto spdlog) -pthread ||
  fail "the static build"
if readelf -d "$work/static/in_process_fetch" | grep 'NEEDED.*libferry' >/dev/null; then fail "the static build needs libferry.so"; fi

step "examples/ with CMake find_package(Ferry 0.1)"
cmake -S "$source/examples" -B "$work/cmake" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >"$work/cmake-configure.log" || { cat "$work/cmake-configure.log"; fail "configuring examples/"; }
cmake --build "$work/cmake" -j 2 >"$work/cmake-build.log" || { cat "$work/cmake-build.log"; fail "building examples/"; }
cmake_example=$work/cmake/ferry-example-download
readelf -d "$cmake_example" | grep 'NEEDED.*\[libferry\.so\.0\]' >/dev/null || fail "the CMake build does not link libferry.so.0"

step "nginx and the prefix's ferryd on loopback"
port=$(free_port)
mkdir -p "$work/www" "$work/nginx/logs" "$work/run" "$work/state"
head -c $((3 * 1024 * 1024 + 4321)) /dev/urandom >"$work/www/payload.bin"
echo "hello from nginx" >"$work/www/hello.txt"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log info;
events { worker_connections 64; }
http {
  default_type application/octet-stream;
  access_log $work/nginx/logs/access.log;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$port;
    root $work/www;
    # ~3 s per download: the example's first run exits long before its download ends.
    limit_rate 1m;
  }
}
CONF
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
"$nginx_bin" -e "$work/nginx/logs/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" >"$work/nginx/logs/stdout.log" 2>&1 &
pids+=($!)
export FERRY_SOCKET=$work/run/ferryd.sock FERRY_STATE_DIR=$work/state FERRYD=$prefix/bin/ferryd
export XDG_CACHE_HOME=$work/cache XDG_RUNTIME_DIR=$work/run
"$prefix/bin/ferryd" --socket "$FERRY_SOCKET" --state-dir "$FERRY_STATE_DIR" >"$work/ferryd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  [ -S "$FERRY_SOCKET" ] && curl -sf -o /dev/null "http://127.0.0.1:$port/payload.bin" --max-time 10 && break
  sleep 0.1
done
[ -S "$FERRY_SOCKET" ] || { cat "$work/ferryd.log"; fail "ferryd did not listen on $FERRY_SOCKET"; }

step "the static build's data task (an in-process session: no ferryd)"
fetched=$("$work/static/in_process_fetch" "http://127.0.0.1:$port/hello.txt") || fail "static in_process_fetch: $fetched"
[ "$fetched" = "status 200
hello from nginx" ] || fail "static in_process_fetch printed: $fetched"

# One build's two runs: hand over (exit while the download runs), then collect. LIBRARY_PATH: what
# the program needs in LD_LIBRARY_PATH to find libferry.so.0 (the pkg-config build, as a program
# linked with a plain -L; the CMake build has the prefix in its RUNPATH and gets none).
hand_over_and_collect() {
  local name=$1 example=$2 library_path=$3 out=$work/out-$1
  mkdir -p "$out"
  step "$name: first run hands the download over and exits"
  local handed
  handed=$(LD_LIBRARY_PATH=$library_path "$example" "http://127.0.0.1:$port/payload.bin" "$out") ||
    fail "$name: first run: $handed"
  echo "$handed"
  local id
  id=$(sed -nE 's/^task ([0-9]+) handed to ferryd$/\1/p' <<<"$handed")
  [ -n "$id" ] || fail "$name: first run did not hand a task over: $handed"
  local state
  state=$("$prefix/bin/ferryctl" --json list | python3 -c "import json, sys; print(next(t['state'] for t in json.load(sys.stdin) if t['id'] == $id))")
  [ "$state" = running ] || fail "$name: task $id is '$state' after the first run exited, not running in ferryd"
  for _ in $(seq 600); do
    state=$("$prefix/bin/ferryctl" --json list | python3 -c "import json, sys; print(next((t['state'] for t in json.load(sys.stdin) if t['id'] == $id), 'gone'))")
    [ "$state" = running ] || [ "$state" = finalizing ] || break  # finalizing: the file is being put in place
    sleep 0.1
  done
  [ "$state" = completed ] || { cat "$work/ferryd.log"; fail "$name: task $id ended '$state' in ferryd"; }
  step "$name: second run attaches and collects"
  local collected
  collected=$(LD_LIBRARY_PATH=$library_path "$example" "$out") || fail "$name: second run: $collected"
  echo "$collected"
  grep -qxF "task $id -> $out/download-$id" <<<"$collected" || fail "$name: no didFinishDownloadingTo for task $id"
  grep -qxF "task $id completed (HTTP 200)" <<<"$collected" || fail "$name: no successful didComplete for task $id"
  cmp "$work/www/payload.bin" "$out/download-$id" || fail "$name: the collected file differs from the served one"
}
hand_over_and_collect pkg-config "$work/pc/background_download" "$prefix/lib"
hand_over_and_collect cmake "$cmake_example" ""
hand_over_and_collect c "$work/pc/background_download_c" "$prefix/lib"
hand_over_and_collect cmake-c "$work/cmake/ferry-example-download-c" ""

step "the Python package: pip install into a venv, and the .deb's copy in PREFIX/lib/python3/dist-packages"
# From a copy: pip builds in the source directory (python/build, *.egg-info). --system-site-packages:
# setuptools and wheel from Debian's python3 (install-deps.sh); nothing is fetched.
cp -r "$source/python" "$work/python-src"
/usr/bin/python3 -m venv --system-site-packages "$work/venv" || fail "python3 -m venv"
"$work/venv/bin/pip" install --quiet --no-index --no-build-isolation "$work/python-src" >"$work/pip.log" 2>&1 ||
  { cat "$work/pip.log"; fail "pip install ./python"; }
LD_LIBRARY_PATH=$prefix/lib "$work/venv/bin/python" -c 'import ferry, sys; sys.exit(0 if ferry.__file__.startswith(sys.prefix) else 1)' ||
  fail "the venv's ferry is not the one pip installed"
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$work/venv/bin/python" "$source/examples/background_download.py" >"$work/py-example"
chmod +x "$work/py-example"
# LD_LIBRARY_PATH: how the loader finds the prefix's libferry.so.0 (the package loads it by SONAME).
hand_over_and_collect python "$work/py-example" "$prefix/lib"
[ -f "$prefix/lib/python3/dist-packages/ferry/session.py" ] || fail "the ferry package is not installed in the prefix"
PYTHONPATH=$prefix/lib/python3/dist-packages LD_LIBRARY_PATH=$prefix/lib /usr/bin/python3 -c \
  'import ferry; assert ferry.version() == "0.1.0", ferry.version()' || fail "the prefix's ferry package does not load"

if [ "$videofarm" = ON ]; then
  step "the prefix's videofarm-server serves the installed web page without --web-dir"
  vf_port=$(free_port)
  echo 'a long test passphrase' | "$prefix/bin/videofarm-server" --data-dir "$work/vf" --create-user alice \
    >"$work/vf-user.log" 2>&1 || { cat "$work/vf-user.log"; fail "videofarm-server --create-user"; }
  "$prefix/bin/videofarm-server" --listen "127.0.0.1:$vf_port" --data-dir "$work/vf" >"$work/vf.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    curl -sf -o "$work/index.html" "http://127.0.0.1:$vf_port/" --max-time 5 && break
    sleep 0.1
  done
  cmp "$work/index.html" "$prefix/share/videofarm-server/web/index.html" ||
    { cat "$work/vf.log"; fail "GET / is not the installed index.html"; }

  # The VideoFarm client is Ferry's first outside application: it builds against the prefix's
  # libferry (find_package(Ferry), public headers only) and moves a movie both ways through the
  # prefix's ferryd.
  step "apps/videofarm built out of tree against the prefix"
  cmake -S "$source/apps/videofarm" -B "$work/vf-client" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_UNITY_BUILD=ON \
    -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror -O1" >"$work/vf-configure.log" 2>&1 ||
    { cat "$work/vf-configure.log"; fail "configuring apps/videofarm against the prefix"; }
  cmake --build "$work/vf-client" -j 2 >"$work/vf-build.log" 2>&1 || { cat "$work/vf-build.log"; fail "building apps/videofarm"; }
  vf=$work/vf-client/videofarm
  readelf -d "$vf" | grep 'NEEDED.*\[libferry\.so\.0\]' >/dev/null || fail "the out-of-tree videofarm does not link libferry.so.0"
  vf_server=http://127.0.0.1:$vf_port
  echo 'a long test passphrase' | "$vf" --server "$vf_server" --data-dir "$work/vf-up" login --name alice ||
    fail "videofarm login"
  added=$("$vf" --server "$vf_server" --data-dir "$work/vf-up" add "$source/tests/fixtures/media/sample-3s.mp4" \
          --title "Installed" --thumbnail "$source/tests/fixtures/media/sample-thumb.png") || fail "videofarm add: $added"
  echo "$added"
  video=$(sed -nE 's/^added ([0-9a-f]{16}) .*/\1/p' <<<"$added")
  [ -n "$video" ] || fail "videofarm add named no video: $added"
  "$vf" --server "$vf_server" --data-dir "$work/vf-up" status --watch >"$work/vf-up.log" 2>&1 ||
    { cat "$work/vf-up.log" "$work/ferryd.log"; fail "the upload did not finish"; }
  curl -sf "$vf_server/videos/$video/movie" | cmp - "$source/tests/fixtures/media/sample-3s.mp4" ||
    fail "the server's movie differs from the uploaded one"
  "$vf" --server "$vf_server" --data-dir "$work/vf-down" download "$video" >"$work/vf-down.log" 2>&1 ||
    { cat "$work/vf-down.log"; fail "videofarm download"; }
  "$vf" --server "$vf_server" --data-dir "$work/vf-down" status --watch >>"$work/vf-down.log" 2>&1 ||
    { cat "$work/vf-down.log" "$work/ferryd.log"; fail "the download did not finish"; }
  cmp "$work/vf-down/library/$video/movie.mp4" "$source/tests/fixtures/media/sample-3s.mp4" ||
    fail "the library's movie differs from the uploaded one"
  cmp "$work/vf-down/library/$video/thumbnail" "$source/tests/fixtures/media/sample-thumb.png" ||
    fail "the library's thumbnail differs from the uploaded one"
fi
echo "install test passed"
