#!/usr/bin/env bash
# Man.Pages: the man pages in man/ format without a warning, in groff's strictest mode and as
# lintian checks them (man --warnings), each names the version its program reports, and each names
# every option its program's --help lists (ferryctl's and videofarm's commands' --help too), so a
# new option without a line in its man page, or a new version, fails here.
#   man_pages.sh BIN_DIR MAN_DIR VIDEOFARM(ON|OFF)
set -euo pipefail

bin=$1
man_dir=$2
videofarm=$3
failed=0
fail() {
  echo "FAIL: $*" >&2
  failed=1
}

pages=(ferryd.8 ferryctl.1)
if [ "$videofarm" = ON ]; then pages+=(videofarm.1 videofarm-server.8); fi

for page in "${pages[@]}"; do
  file=$man_dir/$page
  # -ww: every warning; -z: no output, only the diagnostics.
  out=$(groff -man -ww -z "$file" 2>&1) || fail "groff exits non-zero on $page"
  [ -z "$out" ] || fail "groff warns on $page: $out"
  # What lintian's manpages check runs (it is in man-db).
  out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$file" 2>&1 >/dev/null) ||
    fail "man exits non-zero on $page"
  [ -z "$out" ] || fail "man --warnings on $page: $out"
  # The header's source field names the version the program reports (.TH NAME SECTION DATE "Ferry V").
  program=${page%.*}
  version=$("$bin/$program" --version)
  grep -qE "^\.TH .* \"Ferry $version\"" "$file" || fail "$page's .TH does not say \"Ferry $version\": $(grep '^\.TH' "$file")"
done

# The long options of a program's --help output (and of each command given), e.g. --state-dir.
options_of() {
  local program=$1
  shift
  {
    "$bin/$program" --help
    for command in "$@"; do "$bin/$program" "$command" --help; done
  } | grep -oE -- '--[a-z][a-z-]+' | sort -u
}
# The page's text with troff's \- as -, so "\-\-state\-dir" reads --state-dir.
check_options() {
  local page=$1
  shift
  local text
  text=$(sed 's/\\-/-/g' "$man_dir/$page")
  local option
  for option in $(options_of "$@"); do
    grep -qE -- "(^|[^a-z-])$option([^a-z-]|\$)" <<<"$text" || fail "$page does not describe $option"
  done
}
check_options ferryd.8 ferryd
check_options ferryctl.1 ferryctl download upload get wait list watch events suspend resume cancel resume-data status limit
if [ "$videofarm" = ON ]; then
  check_options videofarm.1 videofarm list add download pause resume delete login logout status handle-events
  check_options videofarm-server.8 videofarm-server
fi

[ "$failed" = 0 ] || exit 1
echo "man pages passed: ${pages[*]}"
