#!/usr/bin/env bash
# Usage: scripts/test.sh
# Installs what is missing, builds with warnings as errors under gcc and
# clang, and runs every test (unit and integration, against a real broker and
# the real binaries) with ctest, twice: on the optimised build and on an
# AddressSanitizer + UBSan build (LTM_TEST_SANITIZE=0 skips the second run).
# The compose deployment test (label docker: images built and the stack run
# in the Docker engine, skipped where `docker info` fails) runs in the first
# pass only: its services are the images' binaries, not the sanitizer build's;
# so does the valgrind memcheck test (label valgrind), which ASan binaries
# cannot run under.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
jobs=$(nproc)

"$repo/scripts/install-deps.sh"

echo "==> clang build (warnings are errors)"
CC=clang cmake -S "$repo" -B "$repo/build-clang" -DLTM_WERROR=ON >/dev/null
cmake --build "$repo/build-clang" -j"$jobs" >/dev/null

# Optimised: some of gcc's warnings (format truncation, uninitialised use)
# are only found by the optimiser's analysis.
echo "==> gcc build (warnings are errors)"
cmake -S "$repo" -B "$repo/build" -DLTM_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$repo/build" -j"$jobs" >/dev/null

echo "==> tests"
ctest --test-dir "$repo/build" --output-on-failure -j"$jobs"

if [[ ${LTM_TEST_SANITIZE:-1} == 1 ]]; then
	echo "==> tests under AddressSanitizer + UBSan"
	cmake -S "$repo" -B "$repo/build-asan" -DLTM_WERROR=ON -DLTM_SANITIZE=ON \
		-DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build "$repo/build-asan" -j"$jobs" >/dev/null
	ctest --test-dir "$repo/build-asan" --output-on-failure -j"$jobs" -LE '^(docker|valgrind)$'
fi
