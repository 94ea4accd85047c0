#!/usr/bin/env bash
# `make bench`: every benchmark, results printed as Markdown tables.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
bench/download-throughput "$BUILD" "${BENCH_SIZE_MIB:-2048}" "${BENCH_ROUNDS:-3}"
# What --checksum costs: ferryd with and without it on the same download (issue 16).
bench/download-checksum "$BUILD" "${BENCH_SIZE_MIB:-2048}" "${BENCH_ROUNDS:-3}"
# Segmented downloads: ferryd --connections 1 and 4 vs aria2c -x4 and curl, each request capped at 50 MiB/s.
bench/download-segmented "$BUILD" --size "${BENCH_SEGMENTED_SIZE:-1G}" --rounds "${BENCH_SEGMENTED_ROUNDS:-1}"
bench/videofarm-server "$BUILD" "${BENCH_PUT_MIB:-1024}"
# The catalogue's reads (GET /videos, GET /videos/ID) vs a Node/Express server holding the rows in memory.
python3 bench/videofarm-list.py --build "$BUILD"
# The VideoFarm server's blob stores: local directory vs Ceph RADOS (a single-node memstore cluster).
bench/videofarm-blob-stores "$BUILD" "${BENCH_BLOB_PUT_MIB:-512}"
# ferryd at scale: many small downloads vs aria2c/curl, memory with queued/active tasks, start-up, latency.
python3 bench/daemon/daemon-bench.py --build "$BUILD" ${BENCH_DAEMON_ARGS:-}
# Connectivity: ferryd (rtnetlink) vs aria2c (retries) from `ip link set lo up` to the first byte (root: a netns).
bench/route-back-first-byte "$BUILD" "${BENCH_ROUTE_ROUNDS:-10}"
bench/fuzz-parsers "$BUILD" "${FUZZ_SECONDS:-300}"
