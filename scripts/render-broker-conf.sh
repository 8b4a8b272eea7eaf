#!/usr/bin/env bash
# Usage: scripts/render-broker-conf.sh PORT STATEDIR [BIND]
#
# Writes STATEDIR/mosquitto.conf: mosquitto/mosquitto.conf (the config docker
# compose mounts) with only the deployment-specific lines rewritten, so local
# runs and the integration tests use the very same broker settings:
#   listener             -> listener PORT BIND (BIND defaults to 127.0.0.1)
#   password_file        -> STATEDIR/passwd (see scripts/gen-credentials.sh)
#   acl_file             -> <repo>/mosquitto/acl
#   persistence_location -> STATEDIR/data/ (created)
#   user                 -> the invoking user: started as root, mosquitto
#                           would drop to "mosquitto", who cannot read the
#                           private STATEDIR; as non-root the line is a no-op.
# Prints nothing on success.
set -euo pipefail

die() { printf 'render-broker-conf: %s\n' "$*" >&2; exit 1; }

[[ $# -ge 2 && $# -le 3 ]] || die "usage: $0 PORT STATEDIR [BIND]"
port=$1
statedir=$2
bind=${3:-127.0.0.1}

if [[ ! $port =~ ^[0-9]{1,5}$ ]] || ((10#$port < 1 || 10#$port > 65535)); then
	die "PORT must be a number from 1 to 65535, got '$port'"
fi
port=$((10#$port))
[[ -n $statedir ]] || die "STATEDIR must not be empty"
[[ -n $bind && $bind =~ ^[A-Za-z0-9.:_-]+$ ]] ||
	die "BIND must be an address or host name, got '$bind'"

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
template=$repo/mosquitto/mosquitto.conf
acl=$repo/mosquitto/acl
[[ -r $template ]] || die "cannot read $template"
[[ -r $acl ]] || die "cannot read $acl"

# Mosquitto splits config values at white space; sed would need | & \ escaped.
check_path() {
	[[ $1 != *[[:space:]\|\&\\]* ]] ||
		die "path must not contain white space, '|', '&' or '\\': $1"
}
check_path "$statedir"
check_path "$acl"
umask 077
mkdir -p -- "$statedir/data" || die "cannot create $statedir/data"
statedir=$(cd -- "$statedir" && pwd -P)
check_path "$statedir"
# Not root: mosquitto ignores the line; an unnamed uid keeps the template's.
user=$(id -un 2>/dev/null || echo mosquitto)

# Each rewritten key must appear exactly once in the template; otherwise the
# rendered config would silently differ from what compose runs.
for key in user listener password_file acl_file persistence_location; do
	n=$(grep -c "^${key}[[:space:]]" "$template" || true)
	[[ $n -eq 1 ]] || die "$template: expected exactly one '$key' line, found $n"
done

out=$statedir/mosquitto.conf
tmp=$(mktemp "$statedir/.mosquitto.conf.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
sed -e "s|^user[[:space:]].*|user $user|" \
	-e "s|^listener[[:space:]].*|listener $port $bind|" \
	-e "s|^password_file[[:space:]].*|password_file $statedir/passwd|" \
	-e "s|^acl_file[[:space:]].*|acl_file $acl|" \
	-e "s|^persistence_location[[:space:]].*|persistence_location $statedir/data/|" \
	"$template" >"$tmp"
chmod 600 "$tmp"
mv -f -- "$tmp" "$out"
