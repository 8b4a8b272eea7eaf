#!/usr/bin/env bash
# Usage: scripts/install-deps.sh [--run] [EXTRA_PACKAGE...]
#
# Installs, with apt-get, the packages LTM needs to build and test that are
# not installed yet (Debian 12, Ubuntu 22.04 and 24.04). With --run, only what
# building and running it takes (scripts/up.sh): not the test tools (clang,
# Chromium, Prometheus's promtool, docker-compose, psutil, flask). Extra package
# names given as arguments are installed too. Uses sudo when not run as root.
#
# The mosquitto package ships a system-wide broker service (localhost:1883
# on Debian/Ubuntu). LTM never uses it: tests and local runs start their own
# broker from mosquitto/mosquitto.conf on a free port, and docker compose runs
# its own container. This script leaves that service as it finds it.
set -euo pipefail

PACKAGES=(
	build-essential cmake pkg-config
	libpaho-mqtt-dev libcurl4-openssl-dev libcjson-dev libmicrohttpd-dev
	libsqlite3-dev libcmocka-dev libglib2.0-dev
	mosquitto mosquitto-clients
	tzdata python3 curl ca-certificates
)
TEST_PACKAGES=(
	clang  # the second compiler of scripts/test.sh
	libclang-rt-dev  # clang's sanitizer and libFuzzer runtimes (tests/fuzz): only recommended by clang
	docker-compose  # validates compose.yaml; runs the compose test where a Docker engine answers
	debootstrap  # the compose test's base image where no registry answers (scripts/base-image.sh)
	prometheus chromium  # promtool and headless Chromium: the health gateway's tests
	python3-psutil  # the sysmonitor benchmark compares itself with psutil
	python3-flask python3-requests  # bench/run's comparison process (Debian's python3 with flask, psutil, requests)
	valgrind  # test_memcheck.py: every service under memcheck
)

die() { printf 'install-deps: %s\n' "$*" >&2; exit 1; }

if [[ ${1:-} == --run ]]; then
	shift
else
	PACKAGES+=("${TEST_PACKAGES[@]}")
fi

for p in "$@"; do
	[[ $p =~ ^[a-z0-9][a-z0-9+.:-]+$ ]] || die "not a package name: '$p'"
done
PACKAGES+=("$@")

if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
	die "apt-get/dpkg-query not found: this script supports Debian and Ubuntu only"
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null || die "not root and sudo is not installed"
	as_root=(sudo)
fi

installed() {
	[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true) == "install ok installed" ]]
}

missing=()
for p in "${PACKAGES[@]}"; do
	installed "$p" || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
	echo "install-deps: all ${#PACKAGES[@]} packages are installed"
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q

unavailable=()
available=()
for p in "${missing[@]}"; do
	candidate=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
	if [[ -n $candidate && $candidate != "(none)" ]]; then
		available+=("$p")
	elif [[ $p != libclang-rt-dev ]]; then # Ubuntu 22.04: inside libclang-common-14-dev
		unavailable+=("$p")
	fi
done
missing=("${available[@]}")
if [[ ${#unavailable[@]} -gt 0 ]]; then
	die "no installable version of: ${unavailable[*]} (on Ubuntu, libpaho-mqtt-dev and libcjson-dev are in 'universe': enable it and rerun)"
fi

"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends "${missing[@]}"

if command -v systemctl >/dev/null && systemctl is-active --quiet mosquitto 2>/dev/null; then
	echo "install-deps: note: the system mosquitto service is running (usually localhost:1883)." \
		"LTM does not use it; tests start their own broker on a free port." \
		"It only matters if you publish port 1883 from docker compose on this host."
fi
