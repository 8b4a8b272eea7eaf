#!/usr/bin/env bash
# Usage: scripts/forget-offline.sh [--dry-run] [--credentials FILE] [--url mqtt://HOST:PORT]
#
# Forgets every service replica whose retained status says "offline": wipes
# its persistent broker session and clears its retained status.
#
# Why: a worker replica's session stays in the broker after the replica is
# gone (persistent_client_expiration 7d), and Mosquitto keeps handing it its
# round-robin share of ltm/jobs/* through the $share group: those jobs wait
# until the scheduler's lease (LTM_LEASE, 10 min) re-dispatches them, and the
# retry may land on a dead replica again. This happens whenever a replica
# disappears for good under a new name, e.g. `docker compose up -d` after an
# upgrade or a setting change re-creates the containers, whose host names
# (the default LTM_INSTANCE) are new. Run this afterwards (docs/operations.md).
# A replica is forgotten only while another replica of its service is online,
# so the last one of a service (a restarting scheduler) keeps its session.
# Forgetting one that is only down for a while is safe: when it comes back it
# subscribes again, and the jobs queued for it are re-dispatched by the lease.
#
# Defaults: the broker of scripts/up.sh and docker compose
# (127.0.0.1:${LTM_BROKER_PORT:-11883}) and var/broker/credentials.env; under
# systemd: --credentials /etc/ltm/broker/credentials.env (as root).
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
die() { printf 'forget-offline: %s\n' "$*" >&2; exit 1; }

dry_run=0
creds=$repo/var/broker/credentials.env
url=mqtt://127.0.0.1:${LTM_BROKER_PORT:-11883}
while [[ $# -gt 0 ]]; do
	case $1 in
	--dry-run) dry_run=1; shift ;;
	--credentials) [[ $# -ge 2 ]] || die "--credentials needs a value"; creds=$2; shift 2 ;;
	--url) [[ $# -ge 2 ]] || die "--url needs a value"; url=$2; shift 2 ;;
	*) die "usage: $0 [--dry-run] [--credentials FILE] [--url mqtt://HOST:PORT]" ;;
	esac
done
[[ -r $creds ]] || die "cannot read $creds (run scripts/compose-env.sh or scripts/up.sh first)"
[[ $url =~ ^mqtt://([^:/]+):([0-9]+)/?$ ]] || die "--url must be mqtt://HOST:PORT, got '$url'"
host=${BASH_REMATCH[1]}
port=${BASH_REMATCH[2]}

password_of() {
	local var=LTM_PASSWORD_${1^^}
	var=${var//-/_}
	sed -n "s/^$var=//p" "$creds" | tail -n 1
}
# Credentials go to the MQTT clients through their options file
# ($XDG_CONFIG_HOME/mosquitto_sub), not their command line, which any user
# of the host can read with ps.
optdir=$(mktemp -d)
trap 'rm -rf -- "$optdir"' EXIT
login_as() {
	local pw
	pw=$(password_of "$1")
	[[ -n $pw ]] || die "$creds has no password for $1"
	printf -- '-u %s\n-P %s\n' "$1" "$pw" >"$optdir/mosquitto_sub"
	cp -- "$optdir/mosquitto_sub" "$optdir/mosquitto_pub"
}
export XDG_CONFIG_HOME=$optdir
login_as operator

# Retained statuses arrive right after SUBACK; -W ends the read when the
# broker has nothing more to send.
statuses=$(mosquitto_sub -h "$host" -p "$port" \
	-t 'ltm/status/+/+' --retained-only -W 2 -F '%t %p' 2>/dev/null || true)

# Services with a replica online now. The session of the last replica of a
# service holds what was sent to that service while it is down (the
# scheduler's results, the notifier's alerts, the only poster's jobs): it is
# kept until another replica of that service is online.
declare -A online=()
while read -r topic payload; do
	[[ $payload == *'"state":"online"'* ]] || continue
	IFS=/ read -r _ _ service _ <<<"$topic"
	online[$service]=1
done <<<"$statuses"

forgotten=0 kept=0
while read -r topic payload; do
	[[ -n $topic ]] || continue
	[[ $payload == *'"state":"offline"'* ]] || continue
	IFS=/ read -r _ _ service instance <<<"$topic"
	[[ $service =~ ^[a-z-]+$ && $instance =~ ^[A-Za-z0-9._-]+$ ]] || continue
	client_id=ltm-$service-$instance
	if [[ -z ${online[$service]:-} ]]; then
		echo "kept $service/$instance: no $service replica is online to take over its work"
		kept=$((kept + 1))
		continue
	fi
	if [[ $dry_run -eq 1 ]]; then
		echo "would forget $service/$instance (session $client_id)"
		forgotten=$((forgotten + 1))
		continue
	fi
	login_as "$service"
	# A clean-session connection with the replica's client id discards its
	# session, with its $share membership and its queue.
	mosquitto_sub -h "$host" -p "$port" -i "$client_id" \
		-t "ltm/status/$service/$instance" -E -W 5 >/dev/null
	# Only the service's own user may write its status topic (mosquitto/acl).
	mosquitto_pub -h "$host" -p "$port" -q 1 -r -n -t "ltm/status/$service/$instance"
	echo "forgot $service/$instance (session $client_id)"
	forgotten=$((forgotten + 1))
done <<<"$statuses"
if [[ $dry_run -eq 1 ]]; then
	echo "forget-offline: $forgotten offline replica(s) would be forgotten, $kept kept"
else
	echo "forget-offline: $forgotten offline replica(s) forgotten, $kept kept"
fi
