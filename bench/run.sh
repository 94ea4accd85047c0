#!/usr/bin/env bash
# `make bench`: every benchmark, results printed as Markdown tables.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
bench/download-throughput "$BUILD" "${BENCH_SIZE_MIB:-2048}" "${BENCH_ROUNDS:-3}"
