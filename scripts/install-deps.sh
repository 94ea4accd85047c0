#!/usr/bin/env bash
# Installs the Debian packages Ferry builds, tests and benchmarks with, when any is missing.
# Idempotent and quiet when everything is already there. Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  # `make deb` and its test: dpkg-shlibdeps (dpkg-dev), lintian; groff and man check the man pages
  dpkg-dev lintian groff-base man-db
  # the libraries docs/architecture.md ("Dependencies") names
  libcurl4-openssl-dev libsqlite3-dev libboost1.81-dev nlohmann-json3-dev libcli11-dev
  libspdlog-dev libexpected-dev libgtest-dev libgmock-dev libbenchmark-dev libpq-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libsystemd-dev
  # the VideoFarm server's Ceph RADOS blob store (librados), and a single-node cluster for its tests
  librados-dev ceph-mon ceph-osd
  # rtnetlink messages for ferryd's connectivity watch (src/device/netlink_watcher.cpp)
  libmnl-dev
  # accounts in the VideoFarm server: Argon2id password hashes, BLAKE2b token digests
  libsodium-dev
  # real peers for tests and benchmarks
  nginx-light curl aria2 wrk python3 util-linux procps postgresql sqlite3 xxd
  # the Python binding's tests (pytest) and its `pip install ./python` into a venv
  python3-pytest python3-venv python3-wheel
  # openssl makes the private CA and certificates of the TLS tests
  openssl
  # systemd-socket-activate for the socket activation test
  systemd
  # the machine's state tests: a private dbus-daemon with python3-dbusmock's NetworkManager, UPower,
  # power-profiles-daemon and logind (busctl, from systemd, drives them); ip and unshare (util-linux)
  # for the connectivity test's network namespace
  dbus-daemon python3-dbusmock iproute2
  # the VideoFarm web page test: headless chromium driven through chromedriver
  chromium chromium-driver
)

# Installed and configured (not merely known to dpkg: a removed package's kept configuration
# answers `dpkg -s` too).
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep "install ok installed" >/dev/null; }

missing=()
# Node.js and npm run the interop clients nobody here wrote (tus-js-client, @tus/server). A machine
# that already has them (from NodeSource, say) keeps its own; otherwise Debian's are installed.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
for p in "${PACKAGES[@]}"; do
  if ! installed "$p"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Whether this very run brings nginx: only then is its system service ours to stop. An nginx the
# user had before (a package's service, or one they run themselves) is never touched; the tests
# start their own nginx on free loopback ports and need nothing stopped.
installs_nginx=false
for p in "${missing[@]}"; do
  if [ "$p" = nginx-light ] && ! installed nginx; then
    installs_nginx=true
  fi
done
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The nginx package starts a system-wide server on port 80 when it is installed; the tests do not
# need it, so the service this run brought is stopped and disabled (systemd, else SysV; neither is
# required: in a container without an init nothing was started).
if [ "$installs_nginx" = true ]; then
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true
  elif command -v service >/dev/null 2>&1; then
    $SUDO service nginx stop >/dev/null 2>&1 || true
  fi
fi
