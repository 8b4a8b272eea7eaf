#!/usr/bin/env bash
# Usage: scripts/up.sh
#
# Installs what is missing (Debian/Ubuntu packages), builds LTM, and runs the
# whole system locally: a Mosquitto broker from mosquitto/mosquitto.conf and
# the six services, in sandbox mode unless .env says otherwise. State, logs and
# generated broker credentials live in var/ (never committed).
# Stop with scripts/down.sh.
#
# Environment, or else .env: LTM_BROKER_PORT (default 11883: the Debian
# mosquitto package runs its own broker on 1883), PORT (health gateway,
# default 8000), LTM_HTTP_BIND (default 127.0.0.1: the page and /status stay
# on this machine unless you open them).
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
state=$repo/var
# A value of .env, read without sourcing it (that comes later, for the services).
dotenv() {
	[[ -f $repo/.env ]] || return 0
	sed -n "s/^[[:space:]]*$1=//p" "$repo/.env" | tail -n 1 | sed "s/^[\"']//; s/[\"']\$//"
}
broker_port=${LTM_BROKER_PORT:-$(dotenv LTM_BROKER_PORT)}
broker_port=${broker_port:-11883}
http_port=${PORT:-$(dotenv PORT)}
http_port=${http_port:-8000}
[[ $broker_port =~ ^[0-9]+$ ]] || { echo "up: LTM_BROKER_PORT must be a port number, got '$broker_port'" >&2; exit 1; }
[[ $http_port =~ ^[0-9]+$ ]] || { echo "up: PORT must be a port number, got '$http_port'" >&2; exit 1; }
services=(scheduler poster story-publisher sysmonitor notifier health-gateway)

say() { printf '==> %s\n' "$*"; }
die() { printf 'up: %s\n' "$*" >&2; exit 1; }

say "installing missing packages"
"$repo/scripts/install-deps.sh" --run

say "building"
cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$repo/build" -j"$(nproc)" >/dev/null

"$repo/scripts/down.sh" --quiet

mkdir -p "$state/logs" "$state/run" "$state/data"
"$repo/scripts/gen-credentials.sh" "$state/broker"
"$repo/scripts/render-broker-conf.sh" "$broker_port" "$state/broker"

# Values of credentials.env, read without sourcing it.
password_of() {
	local var=LTM_PASSWORD_${1^^}
	var=${var//-/_}
	sed -n "s/^$var=//p" "$state/broker/credentials.env" | tail -n 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

say "starting mosquitto on 127.0.0.1:$broker_port"
if port_open "$broker_port"; then
	die "port $broker_port is taken; set LTM_BROKER_PORT to a free port"
fi
setsid mosquitto -c "$state/broker/mosquitto.conf" >>"$state/logs/mosquitto.log" 2>&1 &
echo $! >"$state/run/mosquitto.pid"
for _ in $(seq 100); do
	port_open "$broker_port" && break
	sleep 0.1
done
port_open "$broker_port" || die "mosquitto did not start; see $state/logs/mosquitto.log"

# Operator settings (API keys, LTM_MODE, TZ...) come from .env when present.
if [[ -f $repo/.env ]]; then
	say "loading settings from .env"
	set -a
	# shellcheck disable=SC1091
	. "$repo/.env"
	set +a
fi
export LTM_MQTT_URL="mqtt://127.0.0.1:$broker_port"
export LTM_DATA_DIR=${LTM_DATA_DIR:-$state/data}
export LTM_ACCOUNTS_FILE=${LTM_ACCOUNTS_FILE:-$repo/config/accounts.example.json}
export LTM_INSTANCE=${LTM_INSTANCE:-local}
export PORT=$http_port
export LTM_HTTP_BIND=${LTM_HTTP_BIND:-127.0.0.1}

for svc in "${services[@]}"; do
	say "starting ltm-$svc"
	LTM_MQTT_USERNAME=$svc LTM_MQTT_PASSWORD=$(password_of "$svc") \
		setsid "$repo/build/bin/ltm-$svc" >>"$state/logs/$svc.log" 2>&1 &
	echo $! >"$state/run/$svc.pid"
done

say "waiting for the services to report online"
online=""
for _ in $(seq 50); do
	online=$(timeout 2 mosquitto_sub -h 127.0.0.1 -p "$broker_port" -u operator \
		-P "$(password_of operator)" -t 'ltm/status/+/+' -W 1 -F '%t %p' 2>/dev/null |
		grep -c '"state":"online"' || true)
	[[ $online -ge ${#services[@]} ]] && break
	for svc in "${services[@]}"; do
		kill -0 "$(cat "$state/run/$svc.pid")" 2>/dev/null ||
			die "ltm-$svc exited; see $state/logs/$svc.log"
	done
	sleep 0.2
done
[[ $online -ge ${#services[@]} ]] ||
	die "only $online of ${#services[@]} services reported online; see $state/logs/"

# The other scripts find a broker on another port only through the variable.
port_prefix=""
[[ $broker_port == 11883 ]] || port_prefix="LTM_BROKER_PORT=$broker_port "
cat <<MSG

LTM is running ($online services online; broker 127.0.0.1:$broker_port; logs in var/logs/).

  Watch every message:   ${port_prefix}scripts/watch.sh
  Publish a post now:    ${port_prefix}scripts/ltmctl post --account demo --text "Hello from LTM"
  Health check:          curl -s localhost:$http_port/health
  Sandbox publications:  tail -f var/data/outbox/posts.jsonl
  Stop everything:       scripts/down.sh
MSG
