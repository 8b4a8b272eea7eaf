#!/usr/bin/env bash
# Usage: bench/sysmonitor/run.sh BUILD_DIR [ITERATIONS] [DISK...]
#
# CPU time per full host sample, side by side in one run: the sysmonitor's
# sampler, psutil doing the same sample, and the bare kernel reads of the
# same files (the physical limit). Then the sysmonitor's idle CPU at the
# default 10 s interval, measured on a running ltm-sysmonitor connected to a
# broker (tests/integration harness) over IDLE_SECONDS (default 60).
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [ITERATIONS] [DISK...]}
iterations=${2:-20000}
shift $(( $# >= 2 ? 2 : $# ))
disks=("$@")
[[ ${#disks[@]} -gt 0 ]] || disks=(/)
here=$(cd "$(dirname "$0")" && pwd)

echo "# $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# $iterations samples each, disks: ${disks[*]}"
"$build/bin/bench-sysmonitor" "$iterations" "${disks[@]}"
# Debian's python3-psutil belongs to the system interpreter, not a pyenv one.
"${PSUTIL_PYTHON:-/usr/bin/python3}" "$here/bench_psutil.py" "$iterations" "${disks[@]}"
LTM_BIN_DIR="$build/bin" LTM_SOURCE_DIR="$(cd "$here/../.." && pwd)" \
	python3 "$here/idle_cpu.py" "${IDLE_SECONDS:-60}"
