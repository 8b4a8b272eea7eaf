#!/usr/bin/env bash
# Usage: scripts/gen-credentials.sh OUTDIR
#
# Creates or completes the broker credentials of every LTM user in OUTDIR:
#   OUTDIR/credentials.env  LTM_PASSWORD_<USER>=<password> lines (mode 600)
#   OUTDIR/passwd           mosquitto password file (hashed, mode 600)
# Idempotent: a password already in credentials.env is kept; only missing
# users get a new random one. passwd is rebuilt from credentials.env when it
# is missing, older than credentials.env, or does not list exactly our users.
# Nothing written here may be committed (see .gitignore).
set -euo pipefail

# Keep in sync with mosquitto/acl.
USERS=(scheduler poster story-publisher sysmonitor notifier health-gateway ltmctl operator)

die() { printf 'gen-credentials: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 1 && -n $1 ]] || die "usage: $0 OUTDIR"
command -v mosquitto_passwd >/dev/null || die "mosquitto_passwd not found (install mosquitto, see scripts/install-deps.sh)"

outdir=$1
umask 077
mkdir -p -- "$outdir"
env_file=$outdir/credentials.env
passwd_file=$outdir/passwd

# story-publisher -> LTM_PASSWORD_STORY_PUBLISHER
var_name() {
	local upper=${1^^}
	printf 'LTM_PASSWORD_%s' "${upper//-/_}"
}

# 18 random bytes -> 24 characters of base64url, no padding.
new_password() {
	head -c 18 /dev/urandom | base64 | tr '+/' '-_'
}

# Value of VAR in the existing credentials.env, without sourcing it.
existing_password() {
	[[ -f $env_file ]] || return 0
	sed -n "s/^$1=//p" "$env_file" | tail -n 1
}

created=0
env_tmp=$(mktemp "$outdir/.credentials.env.XXXXXX")
passwd_tmp=$(mktemp "$outdir/.passwd.XXXXXX")
trap 'rm -f -- "$env_tmp" "$passwd_tmp"' EXIT

declare -A password
for user in "${USERS[@]}"; do
	var=$(var_name "$user")
	pw=$(existing_password "$var")
	if [[ -z $pw ]]; then
		pw=$(new_password)
		created=1
	fi
	[[ $pw =~ ^[A-Za-z0-9._~-]+$ ]] || die "$env_file: $var has characters outside [A-Za-z0-9._~-]"
	password[$user]=$pw
	printf '%s=%s\n' "$var" "$pw" >>"$env_tmp"
done

if [[ $created -eq 1 || ! -f $env_file ]]; then
	chmod 600 "$env_tmp"
	mv -f -- "$env_tmp" "$env_file"
fi
chmod 600 "$env_file"

passwd_users() {
	cut -d: -f1 "$passwd_file" | sort
}

if [[ ! -f $passwd_file || $env_file -nt $passwd_file ||
	"$(passwd_users)" != "$(printf '%s\n' "${USERS[@]}" | sort)" ]]; then
	rm -f -- "$passwd_tmp"
	create=(-c) # first user creates the file
	for user in "${USERS[@]}"; do
		mosquitto_passwd "${create[@]}" -b "$passwd_tmp" "$user" "${password[$user]}" >/dev/null
		create=()
	done
	chmod 600 "$passwd_tmp"
	if [[ -f $passwd_file ]]; then
		# Rewrite in place: a bind mount of the file (docker compose) keeps
		# pointing at the old inode if the file is replaced by rename.
		cat -- "$passwd_tmp" >"$passwd_file"
	else
		mv -f -- "$passwd_tmp" "$passwd_file"
	fi
fi
chmod 600 "$passwd_file"
