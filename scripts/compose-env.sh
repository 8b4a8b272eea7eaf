#!/usr/bin/env bash
# Usage: scripts/compose-env.sh
#
# Prepares what compose.yaml reads, in the repository directory:
#   var/broker/credentials.env, var/broker/passwd   (scripts/gen-credentials.sh:
#                          one broker user per service, hashed passwd file)
#   .env                   created from .env.example when missing; its
#                          LTM_PASSWORD_<USER> lines are set to the generated
#                          passwords, every other line is kept as written
#   var/broker/acl         a mode-600 copy of mosquitto/acl (the broker
#                          refuses world-readable ones in newer versions);
#                          run this script again after editing mosquitto/acl
#   var/accounts.env       created empty when missing: the account tokens
#                          (the variables named by token_env in the accounts
#                          file), given only to the publishing workers
#   LTM_BASE_IMAGE in .env the Debian image both Dockerfiles build FROM
#                          (scripts/base-image.sh: pulled, or made locally
#                          with debootstrap where no registry answers)
# Idempotent: run it again after rotating a password (docs/operations.md).
# Every file written is mode 600. Run it as the user who runs docker compose;
# once the broker container has started, var/broker/passwd and acl are its
# own, so later runs need sudo (the other files stay the invoking user's).
# LTM_SKIP_BASE_IMAGE=1 leaves LTM_BASE_IMAGE in .env as it is (no Docker
# engine needed, e.g. to prepare the files on another machine).
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
say() { printf '==> %s\n' "$*"; }
die() { printf 'compose-env: %s\n' "$*" >&2; exit 1; }

umask 077
creds=$repo/var/broker/credentials.env
env_file=$repo/.env
accounts_env=$repo/var/accounts.env

for f in passwd acl; do
	if [[ -e $repo/var/broker/$f && ! -w $repo/var/broker/$f ]]; then
		die "var/broker/$f is not writable by $(id -un): the broker container chowns it to its own user; run this script with sudo"
	fi
done
"$repo/scripts/gen-credentials.sh" "$repo/var/broker"
[[ -r $creds ]] || die "gen-credentials.sh left no $creds"
# Written in place (not replaced): the running broker's bind mount follows
# the file, so SIGHUP reloads the new rules.
[[ -e $repo/var/broker/acl ]] || install -m 600 /dev/null "$repo/var/broker/acl"
chmod 600 "$repo/var/broker/acl"
cat -- "$repo/mosquitto/acl" >"$repo/var/broker/acl"

base_image=
if [[ ${LTM_SKIP_BASE_IMAGE:-0} != 1 ]]; then
	base_image=$("$repo/scripts/base-image.sh" | tail -n 1)
	[[ -n $base_image ]] || die "scripts/base-image.sh named no image"
fi

if [[ ! -f $env_file ]]; then
	[[ -r $repo/.env.example ]] || die "neither .env nor .env.example exists"
	say "creating .env from .env.example (edit it: docs/configuration.md)"
	cp -- "$repo/.env.example" "$env_file"
fi

# Rewrite .env: drop every LTM_PASSWORD_ line (and LTM_BASE_IMAGE when it
# was just found), append the current ones. The rest (the operator's
# settings, comments) stays byte for byte.
tmp=$(mktemp "$repo/.env.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
{
	grep -v '^LTM_PASSWORD_[A-Z_]*=' -- "$env_file" |
		sed -e '/^# --- Broker passwords (scripts\/compose-env.sh)/d' \
			-e '/^# --- Base image (scripts\/compose-env.sh)/d' |
		if [[ -n $base_image ]]; then grep -v '^LTM_BASE_IMAGE='; else cat; fi || true
	if [[ -n $base_image ]]; then
		echo "# --- Base image (scripts/compose-env.sh) ---"
		echo "LTM_BASE_IMAGE=$base_image"
	fi
	echo "# --- Broker passwords (scripts/compose-env.sh) ---"
	grep '^LTM_PASSWORD_[A-Z_]*=' -- "$creds"
} >"$tmp"
chmod 600 "$tmp"
mv -f -- "$tmp" "$env_file"
trap - EXIT

if [[ ! -f $accounts_env ]]; then
	cat >"$accounts_env" <<'MSG'
# Account tokens for ltm-poster and ltm-story-publisher (docker compose).
# One NAME=value line per token_env named in the accounts file, e.g.
# ACME_LINKEDIN_TOKEN=AQX...
MSG
fi
chmod 600 "$env_file" "$accounts_env"
# Under sudo, the files docker compose and the operator scripts read stay the
# invoking user's (passwd belongs to the broker container once it started).
if [[ $(id -u) -eq 0 && -n ${SUDO_UID:-} && ${SUDO_UID} != 0 ]]; then
	chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$repo/var" "$repo/var/broker" "$creds" \
		"$env_file" "$accounts_env"
fi

n=$(grep -c '^LTM_PASSWORD_' "$env_file")
say "broker credentials for $n users in .env; account tokens go in var/accounts.env"
[[ -z $base_image ]] || say "images build FROM $base_image (LTM_BASE_IMAGE in .env)"
