#!/usr/bin/env bash
# Usage: scripts/replay-dlq.sh [--dry-run] [--credentials FILE] [--url mqtt://HOST:PORT] [FILE]
#
# Publishes dead letters back where they came from, once their cause is
# fixed (docs/operations.md, "Dead letters"). Input: ltm/dlq messages, one
# JSON object per line (the dlq-archive file of docker compose, or lines
# saved from `mosquitto_sub -t ltm/dlq -F %p`), from FILE or stdin. Each one
# is published with QoS 1 on its "topic", with its "payload" (or the bytes of
# "payload_base64"), as the broker user allowed to write that topic
# (mosquitto/acl). A line that is not a dead letter stops the replay before
# anything is published.
#
# Defaults: the broker of scripts/up.sh and docker compose
# (127.0.0.1:${LTM_BROKER_PORT:-11883}) and var/broker/credentials.env.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
die() { printf 'replay-dlq: %s\n' "$*" >&2; exit 1; }

dry_run=0
creds=$repo/var/broker/credentials.env
url=mqtt://127.0.0.1:${LTM_BROKER_PORT:-11883}
while [[ $# -gt 0 ]]; do
	case $1 in
	--dry-run) dry_run=1; shift ;;
	--credentials) [[ $# -ge 2 ]] || die "--credentials needs a value"; creds=$2; shift 2 ;;
	--url) [[ $# -ge 2 ]] || die "--url needs a value"; url=$2; shift 2 ;;
	--) shift; break ;;
	-?*) die "unknown option $1" ;;
	*) break ;;
	esac
done
input=${1:--}
[[ $# -le 1 ]] || die "at most one FILE"
[[ -r $creds ]] || die "cannot read $creds"
[[ $url =~ ^mqtt://([^:/]+):([0-9]+)/?$ ]] || die "--url must be mqtt://HOST:PORT, got '$url'"
host=${BASH_REMATCH[1]}
port=${BASH_REMATCH[2]}

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
# The program below comes on python's stdin: the dead letters must not.
if [[ $input == - ]]; then
	cat >"$work/input"
	input=$work/input
fi
# Split the input into one payload file and one "USER TOPIC" line per dead
# letter, checking all of them first. A message that several services turned
# away (one result refused by the scheduler, the sysmonitor, the notifier and
# the gateway) is one dead letter per service: it is published once.
python3 - "$input" "$work" <<'PY' || exit 1
import base64, json, os, re, sys

src, work = sys.argv[1], sys.argv[2]
seen = set()
duplicates = 0
# Which user may write which topic (mosquitto/acl).
WRITERS = [(r"^ltm/jobs/(post|story|report)$", "scheduler"),
           (r"^ltm/results$", "scheduler"),
           (r"^ltm/alerts$", "sysmonitor"),
           (r"^ltm/commands/scheduler$", "ltmctl")]
text = open(src, encoding="utf-8").read()
plan = []
for n, line in enumerate(text.splitlines(), 1):
    if not line.strip():
        continue
    try:
        d = json.loads(line)
        topic = d["topic"]
        data = (base64.b64decode(d["payload_base64"], validate=True) if "payload_base64" in d
                else d["payload"].encode("utf-8"))
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        sys.exit("replay-dlq: line %d is not a dead letter (%s)" % (n, e))
    if d.get("payload_truncated"):
        sys.exit("replay-dlq: line %d: only the first bytes of its %s-byte payload were kept "
                 "(ltm/dlq keeps at most 32 KiB); it cannot be replayed"
                 % (n, d.get("payload_bytes", "?")))
    user = next((u for pattern, u in WRITERS if re.match(pattern, str(topic))), None)
    if user is None:
        sys.exit("replay-dlq: line %d: no LTM user may publish on %r; replay it by hand"
                 % (n, topic))
    if (topic, data) in seen:
        duplicates += 1
        continue
    seen.add((topic, data))
    with open(os.path.join(work, "%06d" % n), "wb") as f:
        f.write(data)
    plan.append("%06d %s %s" % (n, user, topic))
if not plan:
    sys.exit("replay-dlq: no dead letter in the input")
if duplicates:
    print("replay-dlq: %d duplicate(s) of the same message on the same topic skipped" % duplicates,
          file=sys.stderr)
with open(os.path.join(work, "plan"), "w") as f:
    f.write("".join(p + "\n" for p in plan))
PY

password_of() {
	local var=LTM_PASSWORD_${1^^}
	var=${var//-/_}
	sed -n "s/^$var=//p" "$creds" | tail -n 1
}
count=0
while read -r file user topic; do
	if [[ $dry_run -eq 1 ]]; then
		echo "would publish $(wc -c <"$work/$file") bytes on $topic as $user"
		continue
	fi
	pw=$(password_of "$user")
	[[ -n $pw ]] || die "$creds has no password for $user"
	# Through the options file: a command line is readable by every local user.
	printf -- '-u %s\n-P %s\n' "$user" "$pw" >"$work/mosquitto_pub"
	XDG_CONFIG_HOME=$work mosquitto_pub -h "$host" -p "$port" -q 1 -t "$topic" -f "$work/$file"
	count=$((count + 1))
done <"$work/plan"
[[ $dry_run -eq 1 ]] || echo "replay-dlq: $count message(s) published"
