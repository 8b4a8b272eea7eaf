#!/usr/bin/env bash
# Usage: scripts/down.sh [--quiet]
# Stops what scripts/up.sh started: the services first (SIGTERM: each
# publishes its offline status and drains its outbox), then the broker.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
run=$repo/var/run
quiet=${1:-}

stop() {
	local name=$1 pidfile=$run/$1.pid pid
	[[ -f $pidfile ]] || return 0
	pid=$(cat "$pidfile")
	if kill -0 "$pid" 2>/dev/null; then
		[[ $quiet == --quiet ]] || printf '==> stopping %s\n' "$name"
		kill -TERM "$pid"
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	fi
	rm -f -- "$pidfile"
}

for svc in health-gateway notifier sysmonitor story-publisher poster scheduler; do
	stop "$svc"
done
stop mosquitto
