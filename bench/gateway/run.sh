#!/usr/bin/env bash
# Usage: bench/gateway/run.sh [BUILD_DIR] [DURATION_S]
#
# Requests per second and p99 latency of the health gateway's /health and
# /metrics with wrk at 50 connections, side by side in one run with the seed
# system's stack (Flask under gunicorn with one sync worker, Flask's own
# threaded server) and nginx with one worker serving the same bytes from a
# static file. Installs what it needs (wrk, gunicorn, python3-flask,
# nginx-light) through scripts/install-deps.sh, starts every server itself on
# free loopback ports and stops them at the end. Prints a Markdown table.
# BENCH_PIN=1 pins wrk to core 1 and the servers to core 0 (idle machines).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
"$root/scripts/install-deps.sh" wrk gunicorn python3-flask nginx-light >&2
exec python3 "$here/bench.py" "$build/bin" "${2:-10}"
