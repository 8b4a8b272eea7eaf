#!/usr/bin/env bash
# Usage: scripts/watch.sh [TOPIC-FILTER]   (default ltm/#)
# Shows every message on the local broker, as the read-only "operator" user.
set -euo pipefail
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
creds=$repo/var/broker/credentials.env
[[ -f $creds ]] || { echo "watch: no credentials yet; run scripts/up.sh first" >&2; exit 1; }
# The password goes through mosquitto_sub's options file: a command line is
# readable by every local user (ps).
opts=$(mktemp -d)
trap 'rm -rf -- "$opts"' EXIT
printf -- '-P %s\n' "$(sed -n 's/^LTM_PASSWORD_OPERATOR=//p' "$creds")" >"$opts/mosquitto_sub"
XDG_CONFIG_HOME=$opts mosquitto_sub -h 127.0.0.1 -p "${LTM_BROKER_PORT:-11883}" -u operator \
	-v -t "${1:-ltm/#}"
