#!/usr/bin/env bash
# Usage: scripts/base-image.sh [--rebuild]
#
# Makes sure the engine has the Debian base image that the Dockerfile and
# deploy/docker/broker.Dockerfile build FROM, and prints its name as the last
# line on standard output (the rest goes to standard error):
#   1. debian:<release>-slim already in the engine, or pulled: printed as is;
#   2. no registry (an air-gapped host, a machine without Docker Hub): the
#      image ltm-base:<release> is made here with `debootstrap
#      --variant=minbase` from the Debian mirror named in this host's own apt
#      sources (/etc/apt), and imported with `docker import`.
# scripts/compose-env.sh runs it and puts the name in .env as LTM_BASE_IMAGE,
# which compose.yaml passes to both Dockerfiles as the build arg BASE_IMAGE.
#
# --rebuild makes ltm-base:<release> again, e.g. to take in the mirror's
# security updates (then rebuild the images: docs/deployment.md).
# LTM_DEBIAN_MIRROR=URL overrides the mirror (a host whose apt sources name
# no Debian mirror of that release, e.g. Ubuntu). Installs debootstrap with
# apt-get when missing; sudo when not root.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'base-image: %s\n' "$*" >&2; exit 1; }

rebuild=0
case ${1:-} in
"") ;;
--rebuild) rebuild=1 ;;
*) die "usage: $0 [--rebuild]" ;;
esac

command -v docker >/dev/null || die "docker is not installed (docs/deployment.md)"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer ('docker info' fails): is it running, and may $(id -un) use it?"

# The one place the release is written: the Dockerfile's default base image.
official=$(sed -n 's/^ARG BASE_IMAGE=//p' "$repo/Dockerfile")
[[ $official =~ ^debian:([a-z]+)-slim$ ]] || die "cannot read 'ARG BASE_IMAGE=debian:<release>-slim' in Dockerfile"
release=${BASH_REMATCH[1]}
local_name=ltm-base:$release

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

if have_image "$official"; then
	printf '%s\n' "$official"
	exit 0
fi
if ((!rebuild)) && have_image "$local_name"; then
	say "using $local_name (made by this script earlier; --rebuild makes it again)"
	printf '%s\n' "$local_name"
	exit 0
fi
if ((!rebuild)); then
	say "pulling $official"
	if timeout 300 docker pull -q "$official" >&2; then
		printf '%s\n' "$official"
		exit 0
	fi
	say "$official cannot be pulled: making $local_name from a Debian mirror"
fi

# URIs of this host's apt sources that serve SUITE, one-line and deb822
# formats; Types must include deb. Prints one URI a line, first match first.
mirrors_serving() {
	local suite=$1 f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -r $f ]] || continue
		awk -v suite="$suite" '
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				if ($(i + 1) == suite) print $i
			}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		# deb822: stanzas separated by blank lines; fields may be folded.
		awk -v suite="$suite" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && enabled != "no")
					{ n = split(uris, u, " "); for (k = 1; k <= n; k++) print u[k] }
				types = uris = suites = ""; enabled = ""; field = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^#/ { next }
			/^[A-Za-z-]+:/ {
				field = tolower($1); sub(/:$/, "", field)
				value = $0; sub(/^[^:]*:[ \t]*/, "", value)
			}
			/^[ \t]+[^ \t]/ { value = $0 }
			{
				gsub(/^[ \t]+|[ \t]+$/, "", value)
				if (field == "types") types = types " " value
				else if (field == "uris") uris = uris " " value
				else if (field == "suites") suites = suites " " value
				else if (field == "enabled") enabled = tolower(value)
			}
			END { flush() }' "$f"
	done
}

mirror=${LTM_DEBIAN_MIRROR:-$(mirrors_serving "$release" | head -n 1)}
[[ -n $mirror ]] || die "no apt source of this host serves Debian '$release' (/etc/apt/sources.list*); set LTM_DEBIAN_MIRROR=<URL of a Debian mirror>"
[[ $mirror =~ ^(https?|file)://[^[:space:]]+$ ]] || die "LTM_DEBIAN_MIRROR/apt source '$mirror' is not an http(s):// or file:// URL"
security=$(mirrors_serving "$release-security" | head -n 1)
updates=$(mirrors_serving "$release-updates" | head -n 1)

as_root=()
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null || die "debootstrap needs root and sudo is not installed"
	as_root=(sudo)
fi
if ! command -v debootstrap >/dev/null && [[ ! -x /usr/sbin/debootstrap ]]; then
	say "installing debootstrap"
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ltm-base.XXXXXX")
cleanup() { "${as_root[@]}" rm -rf --one-file-system -- "$work"; }
trap cleanup EXIT
root=$work/root

say "debootstrap --variant=minbase $release from the host's mirror (about a minute)"
if ! "${as_root[@]}" env PATH="/usr/sbin:/sbin:$PATH" debootstrap --variant=minbase \
	"$release" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
	tail -n 20 "$work/debootstrap.log" >&2
	die "debootstrap failed (log above)"
fi

# What the official -slim image does: apt sources for the release, its
# updates and security suites; no docs, man pages or locales from later
# installs; no package lists or caches in the image.
{
	echo "deb $mirror $release main"
	[[ -n $updates ]] && echo "deb $updates $release-updates main"
	[[ -n $security ]] && echo "deb $security $release-security main"
} | "${as_root[@]}" tee "$root/etc/apt/sources.list" >/dev/null
"${as_root[@]}" tee "$root/etc/dpkg/dpkg.cfg.d/docker-slim" >/dev/null <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
"${as_root[@]}" sh -c '
	cd "$1" &&
	find usr/share/doc -mindepth 2 ! -name copyright ! -type d -delete &&
	find usr/share/doc -mindepth 1 -type d -empty -delete &&
	rm -rf usr/share/man/* usr/share/info/* var/cache/apt/*.bin \
		var/cache/apt/archives/*.deb var/lib/apt/lists/* var/log/*.log &&
	find usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
' sh "$root"

say "docker import as $local_name"
"${as_root[@]}" tar -C "$root" --numeric-owner -c . |
	docker import \
		--change 'CMD ["bash"]' \
		--change "LABEL org.opencontainers.image.description=\"Debian $release minbase, made by scripts/base-image.sh\"" \
		- "$local_name" >/dev/null
say "made $local_name ($(docker image inspect -f '{{.Size}}' "$local_name" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
printf '%s\n' "$local_name"
