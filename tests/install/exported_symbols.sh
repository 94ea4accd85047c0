#!/usr/bin/env bash
# ExportedSymbols: libferry.so exports the public API and nothing else. Lists its defined dynamic
# symbols (nm -D --defined-only -C) and fails on any that is not
#   ferry::...                      a function or variable of the public API (FERRY_EXPORT)
#   ferry_...                       a C function of the public API
#   vtable for ferry::..., typeinfo for ferry::..., typeinfo name for ferry::...
#                                   a FERRY_EXPORT polymorphic class's (SessionDelegate,
#                                   DelegateQueue): an application's subclass and libferry must
#                                   agree on one, so the toolchain exports them with the class
# except the internal namespaces inside ferry:: (ferry::protocol::, ferry::engine::, ferry::files::,
# ...: any lowercase ferry::name:: but the public error codes' ferry::errc::). Anything else —
# std:: template instantiations, the libraries libferry uses — is a dependency leaking into the ABI.
# No toolchain symbol needs an allowance: with the version script's `local: *`
# (src/client/libferry.map) the linker exports no _init, _fini, _edata, _end or __bss_start.
#   exported_symbols.sh LIBFERRY_SO
set -euo pipefail

library=$1
symbols=$(nm -D --defined-only -C "$library" | sed -E 's/^[0-9a-fA-F]+ [A-Za-z] //')
[ -n "$symbols" ] || { echo "FAIL: $library exports nothing"; exit 1; }
grep -q '^ferry::Session::create(' <<<"$symbols" || { echo "FAIL: ferry::Session::create is not exported"; exit 1; }
unexpected=$(grep -vE '^(ferry::|ferry_|(vtable|typeinfo|typeinfo name) for ferry::)' <<<"$symbols" || true)
internal=$(grep -E '^((vtable|typeinfo|typeinfo name) for )?ferry::[a-z_]+::' <<<"$symbols" |
           grep -vE '^ferry::errc::' || true)
unexpected=$(printf '%s\n%s' "$unexpected" "$internal" | sed '/^$/d')
if [ -n "$unexpected" ]; then
  echo "FAIL: $library exports symbols outside the public API (ferry::, ferry_):"
  echo "$unexpected"
  exit 1
fi
echo "$(wc -l <<<"$symbols") exported symbols, all of the public API"
