#!/usr/bin/env bash
# Usage: scripts/systemd-setup.sh [--etc DIR] [--port N] [--no-user]
#
# Prepares a host for the systemd units (docs/deployment.md), after
# `cmake --install`. Run as root; idempotent (run it again to rotate a
# password: docs/operations.md). Works from the source tree and from the
# installed copy in <prefix>/share/ltm/scripts.
#
#   user and group "ltm"         the services' user (unless --no-user)
#   DIR/broker/credentials.env   generated passwords (scripts/gen-credentials.sh)
#   DIR/broker/passwd            hashed, root:mosquitto 640
#   DIR/broker/mosquitto.conf    mosquitto/mosquitto.conf rendered by
#                                scripts/render-broker-conf.sh for 127.0.0.1:N
#                                (default 11883), persistence in
#                                /var/lib/ltm-broker/; plus the TLS listener of
#                                DIR/tls/broker/listener.conf if that exists
#                                (scripts/gen-tls.sh DIR/tls)
#   DIR/ltm.env                  shared settings, from ltm.env.example if missing
#   DIR/accounts.json            from the example accounts file if missing
#   DIR/<service>.env            LTM_MQTT_PASSWORD of that service; other lines
#                                in it (the service's secrets) are kept
#   DIR/dlq-archive.env          for ltm-dlq-archive.service (operator password)
# DIR defaults to /etc/ltm. Secrets are mode 600, owned by root: systemd reads
# them before it starts a unit as "ltm".
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
base=$(cd -- "$here/.." && pwd -P) # the repo, or <prefix>/share/ltm
services=(scheduler poster story-publisher sysmonitor notifier health-gateway)
say() { printf '==> %s\n' "$*"; }
die() { printf 'systemd-setup: %s\n' "$*" >&2; exit 1; }

etc=/etc/ltm port=11883 make_user=1
while [[ $# -gt 0 ]]; do
	case $1 in
	--etc) [[ $# -ge 2 ]] || die "--etc needs a value"; etc=$2; shift 2 ;;
	--port) [[ $# -ge 2 ]] || die "--port needs a value"; port=$2; shift 2 ;;
	--no-user) make_user=0; shift ;;
	*) die "usage: $0 [--etc DIR] [--port N] [--no-user]" ;;
	esac
done
env_example=$base/ltm.env.example
[[ -r $env_example ]] || env_example=$base/deploy/systemd/ltm.env.example
[[ -r $env_example ]] || die "cannot find ltm.env.example next to $here"

if [[ $make_user -eq 1 ]] && ! getent passwd ltm >/dev/null; then
	say "creating the system user ltm"
	useradd --system --user-group --home-dir /var/lib/ltm --no-create-home \
		--shell /usr/sbin/nologin ltm
fi

umask 077
mkdir -p -- "$etc/broker"
"$here/gen-credentials.sh" "$etc/broker"
# The config the tests use, with the paths of this host.
"$here/render-broker-conf.sh" "$port" "$etc/broker"
rmdir -- "$etc/broker/data" 2>/dev/null || true
conf=$etc/broker/mosquitto.conf
sed -i -e 's|^persistence_location[[:space:]].*|persistence_location /var/lib/ltm-broker/|' \
	-e 's|^user[[:space:]].*|user mosquitto|' "$conf"
if [[ -r $etc/tls/broker/listener.conf ]]; then
	say "adding the TLS listener of $etc/tls/broker/listener.conf"
	cat -- "$etc/tls/broker/listener.conf" >>"$conf"
fi
chmod 644 "$conf"
# The broker runs as mosquitto: it must read passwd and the TLS key.
if getent group mosquitto >/dev/null; then
	chgrp mosquitto "$etc/broker/passwd"
	chmod 640 "$etc/broker/passwd"
	if [[ -f $etc/tls/broker/broker.key ]]; then
		chgrp mosquitto "$etc/tls/broker/broker.key"
		chmod 640 "$etc/tls/broker/broker.key"
		chmod 755 "$etc/tls" "$etc/tls/broker"
	fi
fi
chmod 755 "$etc" "$etc/broker"

if [[ ! -f $etc/ltm.env ]]; then
	say "creating $etc/ltm.env (edit it: docs/configuration.md)"
	install -m 600 -- "$env_example" "$etc/ltm.env"
	sed -i "s|^LTM_MQTT_URL=mqtt://127.0.0.1:11883\$|LTM_MQTT_URL=mqtt://127.0.0.1:$port|" "$etc/ltm.env"
elif ! grep -q "^LTM_MQTT_URL=mqtts\?://[^:/]*:$port/\?\$" "$etc/ltm.env"; then
	say "warning: $etc/ltm.env keeps its LTM_MQTT_URL ($(sed -n 's/^LTM_MQTT_URL=//p' "$etc/ltm.env" | tail -n 1)); the broker listens on $port"
fi
if [[ ! -f $etc/accounts.json ]]; then
	say "creating $etc/accounts.json from the example (sandbox accounts; docs/accounts.md)"
	install -m 644 -- "$base/config/accounts.example.json" "$etc/accounts.json"
fi

password_of() {
	local var=LTM_PASSWORD_${1^^}
	var=${var//-/_}
	sed -n "s/^$var=//p" "$etc/broker/credentials.env" | tail -n 1
}
for svc in "${services[@]}"; do
	file=$etc/$svc.env
	tmp=$(mktemp "$etc/.$svc.env.XXXXXX")
	{
		if [[ -f $file ]]; then grep -v '^LTM_MQTT_PASSWORD=' -- "$file" || true; fi
		printf 'LTM_MQTT_PASSWORD=%s\n' "$(password_of "$svc")"
	} >"$tmp"
	chmod 600 "$tmp"
	mv -f -- "$tmp" "$file"
done

# ltm-dlq-archive.service: the read-only operator user, and where the broker is.
tmp=$(mktemp "$etc/.dlq-archive.env.XXXXXX")
printf 'LTM_PASSWORD_OPERATOR=%s\nLTM_BROKER_PORT=%s\n' "$(password_of operator)" "$port" >"$tmp"
chmod 600 "$tmp"
mv -f -- "$tmp" "$etc/dlq-archive.env"

say "done. Next: systemctl daemon-reload && systemctl enable --now ltm.target"
say "after a password change: systemctl reload ltm-broker && systemctl restart ltm.target"
