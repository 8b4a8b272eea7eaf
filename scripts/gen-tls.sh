#!/usr/bin/env bash
# Usage: scripts/gen-tls.sh [--broker-dir DIR] [--port N] OUTDIR [HOST-OR-IP...]
#        scripts/gen-tls.sh --compose [HOST-OR-IP...]
#
# A development certificate authority and the certificates of an LTM broker
# TLS listener, with openssl. For production use certificates from your own
# CA or a public one; the layout and the listener lines stay the same.
#
#   OUTDIR/ca.crt, OUTDIR/ca.key        the CA (ca.key never leaves OUTDIR)
#   OUTDIR/broker/ca.crt, broker.crt, broker.key
#                                       what the broker needs; the certificate
#                                       is valid for localhost, 127.0.0.1, ::1,
#                                       "broker" (the compose service) and
#                                       every HOST-OR-IP given
#   OUTDIR/broker/listener.conf         the TLS listener lines to append to the
#                                       broker's mosquitto.conf; file paths in
#                                       it are DIR (default OUTDIR/broker), the
#                                       place the broker sees these files at
#   OUTDIR/client/ca.crt, client.crt, client.key
#                                       for services: LTM_MQTT_CA_FILE, and
#                                       LTM_MQTT_CERT_FILE/KEY_FILE when the
#                                       listener requires client certificates
# --compose = OUTDIR var/tls, DIR /mosquitto/config/tls, and also writes
# var/tls/broker/mosquitto.conf (mosquitto/mosquitto.conf plus the listener),
# which compose.tls.yaml mounts.
#
# Idempotent: existing keys and certificates are kept (delete OUTDIR to start
# over); listener.conf is rewritten every run. Keys are mode 600.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
die() { printf 'gen-tls: %s\n' "$*" >&2; exit 1; }

broker_dir="" port=8883 compose=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--broker-dir) [[ $# -ge 2 ]] || die "--broker-dir needs a value"; broker_dir=$2; shift 2 ;;
	--port) [[ $# -ge 2 ]] || die "--port needs a value"; port=$2; shift 2 ;;
	--compose) compose=1; shift ;;
	--) shift; break ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
if [[ $compose -eq 1 ]]; then
	outdir=$repo/var/tls
	broker_dir=/mosquitto/config/tls
else
	[[ $# -ge 1 && -n $1 ]] || die "usage: $0 [--broker-dir DIR] [--port N] OUTDIR [HOST-OR-IP...]"
	outdir=$1
	shift
fi
if [[ ! $port =~ ^[0-9]{1,5}$ ]] || ((10#$port < 1 || 10#$port > 65535)); then
	die "--port must be a number from 1 to 65535, got '$port'"
fi
port=$((10#$port))
command -v openssl >/dev/null || die "openssl not found"

umask 077
mkdir -p -- "$outdir/broker" "$outdir/client"
outdir=$(cd -- "$outdir" && pwd -P)
# Certificates are public, keys are not: the directories are open, each
# key file is mode 600 (whoever needs a key gets it by owner or group).
chmod 755 "$outdir" "$outdir/broker" "$outdir/client"
broker_dir=${broker_dir:-$outdir/broker}
[[ $broker_dir != *[[:space:]]* ]] || die "the broker's directory must not contain white space: $broker_dir"

sans="DNS:localhost,DNS:broker,IP:127.0.0.1,IP:::1"
for name in "$@"; do
	if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then
		sans+=",IP:$name"
	elif [[ $name =~ ^[A-Za-z0-9.-]+$ ]]; then
		sans+=",DNS:$name"
	else
		die "not a host name or IP address: '$name'"
	fi
done

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [[ ! -f $outdir/ca.key || ! -f $outdir/ca.crt ]]; then
	new_key "$outdir/ca.key"
	openssl req -x509 -new -key "$outdir/ca.key" -sha256 -days 3650 \
		-subj "/CN=LTM development CA" \
		-addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$outdir/ca.crt"
fi

# sign NAME CN EXTENSIONS: NAME.key + NAME.crt signed by the CA, in a temp dir.
sign() {
	local dir=$1 name=$2 cn=$3 ext=$4 tmp
	[[ -f $dir/$name.key && -f $dir/$name.crt ]] && return 0
	tmp=$(mktemp -d)
	new_key "$tmp/$name.key"
	openssl req -new -key "$tmp/$name.key" -subj "/CN=$cn" -out "$tmp/$name.csr"
	printf '%s\n' "$ext" >"$tmp/ext.cnf"
	openssl x509 -req -in "$tmp/$name.csr" -CA "$outdir/ca.crt" -CAkey "$outdir/ca.key" \
		-CAcreateserial -CAserial "$outdir/ca.srl" -days 825 -sha256 \
		-extfile "$tmp/ext.cnf" -out "$tmp/$name.crt" 2>/dev/null
	mv -f -- "$tmp/$name.key" "$dir/$name.key"
	mv -f -- "$tmp/$name.crt" "$dir/$name.crt"
	rm -rf -- "$tmp"
}
sign "$outdir/broker" broker "LTM broker" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$sans"
sign "$outdir/client" client "ltm-client" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
cp -f -- "$outdir/ca.crt" "$outdir/broker/ca.crt"
cp -f -- "$outdir/ca.crt" "$outdir/client/ca.crt"
chmod 644 "$outdir/ca.crt" "$outdir"/{broker,client}/*.crt
chmod 600 "$outdir/ca.key" "$outdir"/{broker,client}/*.key

# With per_listener_settings false (mosquitto.conf) the users, ACL and limits
# apply to this listener too; these lines only add TLS to it.
cat >"$outdir/broker/listener.conf" <<EOF

# --- TLS listener (scripts/gen-tls.sh) -------------------------------------
# Clients: LTM_MQTT_URL=mqtts://<host>:$port and LTM_MQTT_CA_FILE=<ca.crt>.
# require_certificate true also asks for LTM_MQTT_CERT_FILE/LTM_MQTT_KEY_FILE
# (a certificate signed by the same CA); users and passwords still apply.
listener $port
cafile $broker_dir/ca.crt
certfile $broker_dir/broker.crt
keyfile $broker_dir/broker.key
tls_version tlsv1.2
require_certificate false
EOF
chmod 644 "$outdir/broker/listener.conf"

if [[ $compose -eq 1 ]]; then
	cat -- "$repo/mosquitto/mosquitto.conf" "$outdir/broker/listener.conf" \
		>"$outdir/broker/mosquitto.conf"
	chmod 644 "$outdir/broker/mosquitto.conf"
fi
printf 'gen-tls: CA %s/ca.crt; broker files in %s/broker; client files in %s/client\n' \
	"$outdir" "$outdir" "$outdir"
