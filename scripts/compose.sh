#!/usr/bin/env bash
# Usage: scripts/compose.sh ARGS...        (the arguments of `docker compose`)
#
# Runs Docker Compose v2 (`docker compose`) when it is installed, else the
# docker-compose 1.29 of Debian 12 and Ubuntu 22.04, from the repository
# directory, so that the commands of docs/deployment.md work with either:
#   scripts/compose.sh up -d --build --wait
#   scripts/compose.sh up -d --scale poster=3 --wait
#   scripts/compose.sh --profile tools run --rm ltmctl jobs
# docker-compose 1.29 has no `up --wait`: here it is `up -d` followed by
# waiting until every started container of the project is running and, where
# it has a health check, healthy (`--wait-timeout SECONDS`, default 180).
# The wait fails as soon as a container exits or turns unhealthy, naming it
# with the end of its log. LTM_COMPOSE=v1|v2 picks one explicitly.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
die() { printf 'compose: %s\n' "$*" >&2; exit 1; }

compose=()
case ${LTM_COMPOSE:-} in
v2) compose=(docker compose) ;;
v1) compose=(docker-compose) ;;
"")
	if docker compose version >/dev/null 2>&1; then
		compose=(docker compose)
	elif command -v docker-compose >/dev/null; then
		compose=(docker-compose)
	else
		die "neither 'docker compose' nor docker-compose is installed (Debian/Ubuntu: apt-get install docker-compose)"
	fi
	;;
*) die "LTM_COMPOSE must be v1 or v2, got '$LTM_COMPOSE'" ;;
esac
cd -- "$repo"

if [[ ${compose[*]} == "docker compose" ]]; then
	exec "${compose[@]}" "$@"
fi

# docker-compose 1.29: the first argument that is not a global option (such
# as -f FILE, -p NAME) is the command; when it is `up`, take --wait and
# --wait-timeout out of its options. Any other command runs unchanged.
args=() global=() wait=0 timeout=180 seen_up=0
while (($#)); do
	if ((!seen_up)); then
		case $1 in
		up) seen_up=1 args+=("$1") ;;
		-f | --file | -p | --project-name | --env-file | --profile | --project-directory | \
			--log-level | -H | --host | -c | --context | --ansi)
			(($# >= 2)) || die "$1 needs a value"
			global+=("$1" "$2")
			args+=("$1" "$2")
			shift
			;;
		-*) args+=("$1") ;;
		*) exec "${compose[@]}" "${args[@]}" "$@" ;;
		esac
	else
		case $1 in
		--wait) wait=1 ;;
		--wait-timeout)
			timeout=${2:-}
			shift
			;;
		--wait-timeout=*) timeout=${1#*=} ;;
		*) args+=("$1") ;;
		esac
	fi
	shift
done
[[ $timeout =~ ^[0-9]+$ ]] || die "--wait-timeout takes whole seconds, got '$timeout'"

"${compose[@]}" "${args[@]}"
((wait)) || exit 0

# Containers `up` started (one-off `run` containers and stopped profiles are
# not among them: `ps` lists the services' containers).
deadline=$((SECONDS + timeout))
while :; do
	mapfile -t ids < <("${compose[@]}" "${global[@]}" ps -q)
	((${#ids[@]})) || die "--wait: the project has no containers"
	pending=()
	while read -r name state health; do
		name=${name#/}
		case $state/$health in
		running/healthy | running/none) ;;
		running/starting) pending+=("$name (health: starting)") ;;
		running/unhealthy | restarting/* | exited/* | dead/*)
			printf 'compose: --wait: container %s is %s\n' "$name" \
				"$([[ $state == running ]] && echo unhealthy || echo "$state")" >&2
			docker logs --tail 20 "$name" >&2 || true
			exit 1
			;;
		*) pending+=("$name ($state)") ;;
		esac
	done < <(docker inspect -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "${ids[@]}")
	((${#pending[@]})) || break
	if ((SECONDS >= deadline)); then
		die "--wait: not healthy after ${timeout}s: ${pending[*]}"
	fi
	sleep 1
done
printf 'compose: all %d containers running and healthy\n' "${#ids[@]}" >&2
