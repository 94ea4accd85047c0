#!/usr/bin/env bash
# Package.DebianPackage: `make deb`'s package, built from the build tree by cpack into a temporary
# directory (cmake/package.cmake). Checks its file list (programs, libferry.so.0 and its links,
# headers, ferry.pc, the CMake package, the systemd user units, the man pages, copyright), that
# Depends comes from dpkg-shlibdeps (libcurl4), that what it unpacks is right (the unit starts
# /usr/bin/ferryd, the programs are stripped and carry no RPATH), and that lintian reports no error.
# Nothing is installed on the machine: the package is only read and unpacked into the temporary
# directory.
#   debian_package.sh BUILD_DIR VIDEOFARM(ON|OFF)
set -euo pipefail

build=$1
videofarm=$2
if ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "SKIP: dpkg-deb is missing (not a Debian system); there is no .deb to check"
  exit 77
fi
command -v lintian >/dev/null 2>&1 || { echo "FAIL: lintian is missing; scripts/install-deps.sh installs it" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-deb-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() { echo "== $*"; }

step "cpack -G DEB into $work"
(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
version=$(sed -nE 's/^set\(CPACK_PACKAGE_VERSION "([^"]+)"\)$/\1/p' "$build/CPackConfig.cmake")
deb=$work/ferry_${version}_amd64.deb
[ -f "$deb" ] || { ls "$work"; fail "cpack did not make ferry_${version}_amd64.deb"; }

step "file list (dpkg-deb -c)"
# The sixth column is the path, "./usr/..."; a link is "PATH -> TARGET".
dpkg-deb -c "$deb" | awk '{ $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }' >"$work/files"
expected=(./usr/bin/ferryd ./usr/bin/ferryctl
          "./usr/lib/libferry.so.$version" "./usr/lib/libferry.so.0 -> libferry.so.$version"
          "./usr/lib/libferry.so -> libferry.so.0" ./usr/lib/libferry.a
          ./usr/include/ferry/session.hpp ./usr/include/ferry/error.hpp ./usr/include/ferry/export.hpp
          ./usr/include/ferry/ferry.h ./usr/lib/python3/dist-packages/ferry/__init__.py
          ./usr/lib/python3/dist-packages/ferry/session.py
          ./usr/lib/pkgconfig/ferry.pc ./usr/lib/cmake/Ferry/FerryConfig.cmake
          ./usr/lib/cmake/Ferry/FerryConfigVersion.cmake ./usr/lib/cmake/Ferry/FerryTargets.cmake
          ./usr/lib/systemd/user/ferryd.socket ./usr/lib/systemd/user/ferryd.service
          ./usr/share/man/man8/ferryd.8.gz ./usr/share/man/man1/ferryctl.1.gz
          ./usr/share/doc/ferry/copyright ./usr/share/doc/ferry/changelog.gz)
if [ "$videofarm" = ON ]; then
  expected+=(./usr/bin/videofarm ./usr/bin/videofarm-server ./usr/share/man/man1/videofarm.1.gz
             ./usr/share/man/man8/videofarm-server.8.gz ./usr/share/videofarm-server/web/index.html)
fi
for f in "${expected[@]}"; do
  grep -qxF -- "$f" "$work/files" || { cat "$work/files"; fail "the package has no $f"; }
done
if grep -vE '^\./usr(/|$)' "$work/files"; then fail "the package has files outside /usr (above)"; fi

step "control fields (dpkg-deb -f)"
dpkg-deb -f "$deb" >"$work/control"
cat "$work/control"
[ "$(dpkg-deb -f "$deb" Package)" = ferry ] || fail "Package is not ferry"
[ "$(dpkg-deb -f "$deb" Architecture)" = amd64 ] || fail "Architecture is not amd64"
grep -qE '(^|, )libcurl4( |,|$)' <<<"$(dpkg-deb -f "$deb" Depends)" ||
  fail "Depends does not name libcurl4 (dpkg-shlibdeps): $(dpkg-deb -f "$deb" Depends)"
dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -x './shlibs' >/dev/null || fail "the package has no shlibs control file"

step "unpacked contents"
dpkg-deb -x "$deb" "$work/root"
grep -qx 'ExecStart=/usr/bin/ferryd' "$work/root/usr/lib/systemd/user/ferryd.service" ||
  fail "ferryd.service does not start /usr/bin/ferryd: $(grep ExecStart "$work/root/usr/lib/systemd/user/ferryd.service")"
readelf -d "$work/root/usr/lib/libferry.so.$version" | grep 'SONAME.*\[libferry\.so\.0\]' >/dev/null || fail "libferry.so has no SONAME libferry.so.0"
for f in "$work"/root/usr/bin/* "$work/root/usr/lib/libferry.so.$version"; do
  if readelf -S "$f" | grep '\.debug_info' >/dev/null; then fail "$(basename "$f") is not stripped"; fi
  if readelf -d "$f" | grep -E 'RPATH|RUNPATH' >/dev/null; then fail "$(basename "$f") has an RPATH: $(readelf -d "$f" | grep -E 'RPATH|RUNPATH')"; fi
done
for page in "$work"/root/usr/share/man/man*/*.gz; do
  gzip -t "$page" || fail "$page is not gzip"
done
# The Python package imports from the unpacked tree and loads the package's libferry.so.
PYTHONPATH=$work/root/usr/lib/python3/dist-packages FERRY_LIBRARY=$work/root/usr/lib/libferry.so.0 /usr/bin/python3 -c \
  'import ferry; assert ferry.version() == "0.1.0", ferry.version()' || fail "the package's Python module does not load"

step "lintian"
# Errors fail; warnings are listed in docs/architecture.md ("The Debian package") with why they stay.
lintian_status=0
lintian --tag-display-limit 0 "$deb" >"$work/lintian.log" 2>&1 || lintian_status=$?
cat "$work/lintian.log"
if grep -q '^E: ' "$work/lintian.log"; then fail "lintian reports errors (E: above)"; fi
# lintian exits 1 for errors (found above) and 2 when it could not run at all.
[ "$lintian_status" -le 1 ] || fail "lintian did not run (exit $lintian_status)"
echo "debian package test passed: $(basename "$deb")"
