"""Helpers of test_bad_input.py: a raw MQTT 3.1.1 client, the bad-payload
corpus per topic, and the list of subscriptions read from the sources and
from docs/topics.md.

Raw client, not mosquitto_pub: the corpus has NUL bytes, newlines and
payloads of 256 KiB, which `mosquitto_pub -l` cannot send, and 10,000
messages must go out pipelined over one connection (one process each would
take minutes).
"""

import itertools
import json
import os
import re
import socket
import struct
import threading
import time
import uuid

import ltmtest

# ---------------------------------------------------------------------------
# A minimal MQTT 3.1.1 client


def _utf8(text):
    data = text.encode("utf-8")
    return struct.pack("!H", len(data)) + data


def _remaining_length(n):
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


class RawClient:
    """One MQTT connection as `user`. publish_many() pipelines QoS 1
    publishes and returns once the broker acknowledged every one;
    on_message(topic, payload, retained) is called from the reader thread for
    each message of `subscribe` (filters, QoS 1), acknowledged after it."""

    def __init__(self, broker, user, subscribe=(), on_message=None, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", broker.port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = self.sock.makefile("rb")
        self.on_message = on_message
        self._send_lock = threading.Lock()
        self._cond = threading.Condition()
        self.acked = 0
        self.sent = 0
        self.closed_by_broker = False
        self._next_id = 0
        client_id = "bad-input-%s-%s" % (user, uuid.uuid4().hex[:8])
        body = (_utf8("MQTT") + bytes([4, 0xC2]) + struct.pack("!H", 120)
                + _utf8(client_id) + _utf8(user) + _utf8(broker.password(user)))
        self._send(0x10, body)
        kind, body = self._read_packet()
        if kind != 0x20 or body[1] != 0:
            raise AssertionError("broker refused %s: CONNACK %r" % (user, body))
        if subscribe:
            body = struct.pack("!H", self._packet_id())
            for topic_filter in subscribe:
                body += _utf8(topic_filter) + b"\x01"
            self._send(0x82, body)
            kind, body = self._read_packet()
            if kind != 0x90 or 0x80 in body[2:]:
                raise AssertionError("subscription of %s to %s refused: %r"
                                     % (user, subscribe, body))
        self.sock.settimeout(None)
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    def _packet_id(self):
        self._next_id = self._next_id % 65535 + 1
        return self._next_id

    def _send(self, first_byte, body):
        with self._send_lock:
            self.sock.sendall(bytes([first_byte]) + _remaining_length(len(body)) + body)

    def _read_exact(self, n):
        data = self.rfile.read(n)
        if data is None or len(data) < n:
            raise EOFError
        return data

    def _read_packet(self):
        first = self._read_exact(1)[0]
        length, shift = 0, 0
        while True:
            byte = self._read_exact(1)[0]
            length += (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        body = self._read_exact(length)
        return first & 0xF0, ((first, body) if first & 0xF0 == 0x30 else body)

    def _read_loop(self):
        try:
            while True:
                kind, body = self._read_packet()
                if kind == 0x40:  # PUBACK
                    with self._cond:
                        self.acked += 1
                        self._cond.notify_all()
                elif kind == 0x30:
                    first, data = body
                    qos = (first >> 1) & 3
                    tlen = struct.unpack("!H", data[:2])[0]
                    topic = data[2:2 + tlen].decode("utf-8", "replace")
                    pos = 2 + tlen
                    if qos:
                        packet_id = data[pos:pos + 2]
                        pos += 2
                    if self.on_message:
                        self.on_message(topic, data[pos:], bool(first & 1))
                    if qos:
                        self._send(0x40, packet_id)
        except (EOFError, OSError, ValueError):
            with self._cond:
                self.closed_by_broker = True
                self._cond.notify_all()

    def publish_many(self, topic, payloads, retain=False, timeout=120.0):
        """Sends every payload (bytes) with QoS 1 and waits for all PUBACKs.

        At most 20,000 are left unacknowledged at once (packet ids are 16 bits)."""
        topic_bytes = _utf8(topic)
        batch = bytearray()
        for payload in payloads:
            with self._cond:
                if not self._cond.wait_for(lambda: self.sent - self.acked < 20000
                                           or self.closed_by_broker, timeout):
                    raise AssertionError("the broker stopped acknowledging on %s" % topic)
            body = topic_bytes + struct.pack("!H", self._packet_id()) + payload
            batch += bytes([0x32 | (1 if retain else 0)]) + _remaining_length(len(body)) + body
            self.sent += 1
            if len(batch) > 1 << 20:
                with self._send_lock:
                    self.sock.sendall(batch)
                batch = bytearray()
        if batch:
            with self._send_lock:
                self.sock.sendall(batch)
        with self._cond:
            done = self._cond.wait_for(lambda: self.acked >= self.sent or self.closed_by_broker,
                                       timeout)
            if self.closed_by_broker:
                raise AssertionError("the broker closed the connection while publishing on %s "
                                     "(%d of %d acknowledged)" % (topic, self.acked, self.sent))
            if not done:
                raise AssertionError("%d of %d publishes on %s acknowledged within %.0f s"
                                     % (self.acked, self.sent, topic, timeout))

    def connected(self):
        return not self.closed_by_broker

    def close(self):
        try:
            self._send(0xE0, b"")
        except OSError:
            pass
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._reader.join(timeout=5)


class DeadLetters:
    """Counts the dead letters on ltm/dlq by (service, topic) and reason, and
    keeps the last message of every other topic it is subscribed to."""

    def __init__(self, broker, extra=()):
        self._lock = threading.Condition()
        self.counts = {}
        self.reasons = {}
        self.oversize = 0  # dead letters of 256 KiB or more: the broker would have dropped them
        self.probes = {}   # dead letters of payloads starting with {probe (not counted above)
        self.last = {}
        self.seen = {}
        self.client = RawClient(broker, "operator", ["ltm/dlq"] + list(extra), self._on_message)

    def _on_message(self, topic, payload, retained):
        with self._lock:
            if topic != "ltm/dlq":
                self.last[topic] = payload
                self.seen[topic] = self.seen.get(topic, 0) + 1
            else:
                try:
                    d = json.loads(payload)
                    key = (d["service"], d["topic"])
                    reason = d["reason"]
                except Exception:  # pylint: disable=broad-except
                    return  # a bad payload the test itself sent on ltm/dlq
                if key[0] not in SERVICES:
                    return  # a well-formed one the test sent
                if str(d.get("payload", "")).startswith("{probe"):
                    self.probes[key] = self.probes.get(key, 0) + 1
                    return
                self.counts[key] = self.counts.get(key, 0) + 1
                per = self.reasons.setdefault(key, {})
                per[reason] = per.get(reason, 0) + 1
                if len(payload) >= 262144:
                    self.oversize += 1
            self._lock.notify_all()

    def count(self, service, topic):
        with self._lock:
            return self.counts.get((service, topic), 0)

    def reasons_of(self, service, topic):
        with self._lock:
            return dict(self.reasons.get((service, topic), {}))

    def last_json(self, topic):
        with self._lock:
            payload = self.last.get(topic)
        try:
            return json.loads(payload) if payload else None
        except (ValueError, RecursionError):
            return None

    def wait_counts(self, expected, stall=60.0):
        """Waits until every (service, topic) reached its expected count; fails
        when no count moved for `stall` seconds (so a slow machine is fine)."""
        last_total, last_move = -1, time.monotonic()
        while True:
            with self._lock:
                behind = {k: (self.counts.get(k, 0), n) for k, n in expected.items()
                          if self.counts.get(k, 0) < n}
                total = sum(self.counts.values())
            if not behind:
                return
            if total != last_total:
                last_total, last_move = total, time.monotonic()
            elif time.monotonic() - last_move > stall:
                raise AssertionError("dead letters stopped arriving (got, expected): %r" % behind)
            time.sleep(0.05)

    def close(self):
        self.client.close()


def rss_anon_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise AssertionError("no RssAnon in /proc/%d/status" % pid)


# ---------------------------------------------------------------------------
# Subscriptions: from the sources and from docs/topics.md

SERVICES = ("scheduler", "poster", "story-publisher", "sysmonitor", "notifier",
            "health-gateway", "ltmctl")
_SUBSCRIBE = re.compile(r"ltm_(?:service|mqtt)_subscribe\(\s*[^,]+,\s*([^,]+?)\s*,")


def _service_of(path):
    return path.split(os.sep)[1]


def _resolve(root, rel, expr, text):
    """The filters a non-literal subscribe argument stands for, as (service, filter)."""
    name = expr.split("->")[-1].split(".")[-1]
    m = re.search(r'#define\s+%s\s+"([^"]+)"' % re.escape(name), text)
    if m:
        return [(_service_of(rel), m.group(1))]
    m = re.search(r'snprintf\(\s*[\w.>-]*\b%s\s*,\s*sizeof[^,]+,\s*"([^"]+)"' % re.escape(name),
                  text)
    if not m:
        raise AssertionError("%s: cannot tell what the subscription %s is; teach "
                             "badinput._resolve to read it" % (rel, expr))
    pattern = m.group(1)
    if _service_of(rel) != "publishing":
        return [(_service_of(rel), pattern.replace("%s", "+"))]
    # The worker's "$share/%s/ltm/jobs/%s": group and kind from each binary's main.c,
    # and the engagement checks of a worker that reads figures (.reads_figures = 1).
    out = []
    for svc in os.listdir(os.path.join(root, "services")):
        main = os.path.join(root, "services", svc, "main.c")
        if not os.path.exists(main):
            continue
        with open(main) as f:
            src = f.read()
        w = re.search(r'\.kind\s*=\s*LTM_JOB_(\w+)\s*,\s*\.share_group\s*=\s*"([^"]+)"', src)
        if w and "ltm_worker_run" in src:
            out.append((svc, pattern % (w.group(2), w.group(1).lower())))
            if re.search(r"\.reads_figures\s*=\s*1\b", src):
                out.append((svc, pattern % (w.group(2), "engagement")))
    if not out:
        raise AssertionError("%s: no worker binary found for %s" % (rel, pattern))
    return out


def code_subscriptions(root=ltmtest.SOURCE_DIR):
    """Every (service, filter) a subscribe call in services/ makes."""
    subs = set()
    for dirpath, _, files in os.walk(os.path.join(root, "services")):
        for name in files:
            if not name.endswith(".c") or name.endswith("_test.c"):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            with open(path) as f:
                text = f.read()
            for m in _SUBSCRIBE.finditer(text):
                expr = m.group(1)
                if expr.startswith('"'):
                    subs.add((_service_of(rel), expr.strip('"')))
                else:
                    subs.update(_resolve(root, rel, expr, text))
    return subs


_PLACEHOLDER = {"<service>": "poster", "<instance>": "t1", "<request-id>": "r1", "<id>": "r1"}


def doc_consumers(root=ltmtest.SOURCE_DIR):
    """(service, topic) for every consumer named in the topic table of docs/topics.md,
    placeholders replaced by an example (ltm/status/poster/t1)."""
    with open(os.path.join(root, "docs", "topics.md")) as f:
        lines = f.read().splitlines()
    pairs = set()
    header = None
    for line in lines:
        if not line.startswith("|"):
            header = None if header and not line.strip() else header
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "topic" and "consumed by" in cells:
            header = cells
            continue
        if header is None or set(cells[0]) <= set("-: "):
            continue
        topic = cells[0].strip("`")
        for k, v in _PLACEHOLDER.items():
            topic = topic.replace(k, v)
        consumers = cells[header.index("consumed by")]
        for svc in SERVICES:
            if re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(svc), consumers):
                pairs.add((svc, topic))
    if not pairs:
        raise AssertionError("no consumer found in the topic table of docs/topics.md")
    return pairs


def doc_family(topic):
    """Topics that differ only in a placeholder of docs/topics.md compare equal."""
    parts = topic.split("/")
    if parts[:2] == ["ltm", "status"]:
        return "ltm/status/<service>/<instance>"
    if parts[:2] == ["ltm", "replies"]:
        return "ltm/replies/<request-id>"
    if parts[:2] == ["ltm", "metrics"] and parts[2:] not in (["system"], ["summary"]):
        return "ltm/metrics/<service>"
    return topic


def message_size_limit(root=ltmtest.SOURCE_DIR):
    with open(os.path.join(root, "mosquitto", "mosquitto.conf")) as f:
        m = re.search(r"^message_size_limit\s+(\d+)", f.read(), re.M)
    if not m:
        raise AssertionError("mosquitto/mosquitto.conf sets no message_size_limit")
    return int(m.group(1))


# ---------------------------------------------------------------------------
# The corpus

NOW = "2026-12-03T08:00:00.000Z"
HOLE = "@@HOLE@@"  # where the bytes under test go, inside an otherwise valid message

# Reasons, matched in this order (first match wins).
R_UNKNOWN = (r"field (kind|state|status|severity): expected (post|published|firing|online|info)"
             r"|field command: unknown|on ltm/jobs/report|does not belong on")
R_MISSING = r"field \S+ is required|must not be empty"
R_LONG = r"longer than \d+ bytes"
R_WRONG = r"field \S+: expected|no cpu, memory or disk percentage"
R_UTF8 = r"not valid UTF-8"
R_CTRL = r"raw control character"
R_NUL = r"NUL byte"
R_U0000 = r"escape \\u0000"
R_NOTOBJ = r"JSON but not an object"
R_EMPTY = r"empty payload"
R_JSON = r"not valid JSON|trailing bytes"
REASONS = (R_UNKNOWN, R_MISSING, R_LONG, R_WRONG, R_UTF8, R_CTRL, R_NUL, R_U0000, R_NOTOBJ,
           R_EMPTY, R_JSON)


def classify(reason):
    for r in REASONS:
        if re.search(r, reason):
            return r
    return "unexpected: " + reason


class Item:
    """One bad payload: its category, bytes, and the reason it must get.
    schema: bad only for a reader that checks the message's fields (not for
    one that takes any JSON object, like the gateway's ltm/metrics/system)."""

    def __init__(self, category, payload, reason, schema=False):
        self.category, self.payload, self.reason, self.schema = category, payload, reason, schema


def _dump(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


JOB = {"job_id": "post:demo:bad-input", "kind": "post", "account": "demo", "attempt": 1,
       "max_attempts": 3, "slot": NOW, "dispatched_at": NOW, "lease_ms": 600000, "text": "x"}
ENGAGEMENT = {"job_id": "engagement:post:demo:bad-input@3600000", "kind": "engagement",
              "account": "demo", "attempt": 1, "max_attempts": 3, "slot": NOW,
              "dispatched_at": NOW, "lease_ms": 600000, "post_job_id": "post:demo:bad-input",
              "post_kind": "post", "channel": "sandbox", "remote_id": "sandbox:post:demo:bad-input",
              "published_at": NOW, "age_ms": 3600000}
RESULT = {"job_id": "post:demo:bad-input", "kind": "post", "account": "demo", "attempt": 1,
          "status": "failed", "retryable": True, "final": False, "error_class": "network",
          "error": "x", "finished_at": NOW}
ALERT = {"key": "bad-input.test", "state": "firing", "severity": "warning", "summary": "x",
         "source": "test", "value": 1.0, "threshold": 1, "since": NOW, "at": NOW}
STATUS = {"service": "poster", "instance": "bad-input", "state": "online", "version": "0",
          "host": "h", "pid": 1, "started_at": NOW, "heartbeat_at": NOW,
          "heartbeat_interval_ms": 1000}
DLQ = {"service": "bad-input", "instance": "x", "topic": "ltm/jobs/post", "reason": "x",
       "at": NOW, "payload": "x"}

# Per topic: the valid message the corpus damages, its required fields,
# wrong-typed values, unknown kinds, and a string field with a length limit.
SHAPES = {
    "ltm/jobs/post": dict(
        template=JOB, required=("job_id", "kind", "account", "attempt", "slot", "dispatched_at"),
        wrong={"attempt": "1", "job_id": 5, "slot": 1764748800, "lease_ms": -5, "text": []},
        unknown={"kind": ("tweet", "story")}, long="text"),
    "ltm/jobs/story": dict(
        template=dict(JOB, job_id="story:demo:bad-input", kind="story"),
        required=("job_id", "kind", "account", "attempt", "slot", "dispatched_at"),
        wrong={"attempt": 1.5, "max_attempts": "3", "dispatched_at": "now", "image_url": {}},
        unknown={"kind": ("tweet", "post")}, long="prompt"),
    "ltm/jobs/engagement": dict(
        template=ENGAGEMENT,
        required=("job_id", "kind", "account", "attempt", "slot", "dispatched_at", "post_job_id",
                  "post_kind", "channel", "remote_id", "published_at", "age_ms"),
        wrong={"age_ms": "1h", "published_at": 5, "remote_id": 7, "post_kind": "report"},
        unknown={"kind": ("tweet",)}, long="remote_id"),
    "ltm/jobs/report": dict(
        template={k: v for k, v in dict(JOB, job_id="report:2026-12-03", kind="report").items()
                  if k != "account"},
        required=("job_id", "kind", "attempt", "slot", "dispatched_at"),
        wrong={"attempt": 0, "slot": "2026-13-45T99:00:00Z", "job_id": True},
        unknown={"kind": ("tweet",)}, long="job_id"),
    "ltm/results": dict(
        template=RESULT,
        required=("job_id", "kind", "account", "attempt", "status", "retryable", "final",
                  "finished_at"),
        wrong={"retryable": "yes", "attempt": 1.5, "finished_at": "yesterday",
               "durations_ms": [], "final": 1},
        unknown={"status": ("exploded",), "kind": ("tweet",)}, long="error"),
    "ltm/commands/scheduler": dict(
        template={"request_id": "bad-input-1", "command": "jobs"},
        required=("request_id", "command"),
        wrong={"limit": "ten", "at": 5, "account": 7, "request_id": "../etc"},
        unknown={"command": ("explode", "POST")}, long="text"),
    "ltm/alerts": dict(
        template=ALERT, required=("key", "state", "severity", "summary", "since", "at"),
        wrong={"value": "high", "since": 5, "key": ["k"]},
        unknown={"state": ("burning",), "severity": ("apocalyptic",)}, long="summary"),
    "ltm/status/poster/bad-input": dict(
        template=STATUS, required=("service", "instance", "state"),
        wrong={"pid": "one", "heartbeat_interval_ms": -1, "detail": "x"},
        unknown={"state": ("sleeping",)}, long="host", empty_is_valid=True),
    "ltm/metrics/system": dict(
        template={"cpu": {"percent": 12.5}, "memory": {"percent": 40}},
        schema_items=[{"cpu": {"percent": "high"}}, {"cpu": "93"}, {},
                      {"memory": {"used": 1}}, {"disks": [{"path": 5, "percent": "x"}]}]),
    "ltm/metrics/summary": dict(template={"hourly": {}}),
    "ltm/metrics/poster": dict(
        template={"service": "poster", "instance": "bad-input", "at": NOW, "rss_bytes": 1},
        required=("instance",), wrong={"instance": "bad name!"}, long="instance"),
    "ltm/reports/startup": dict(
        template={"at": NOW, "instance": "t9"}, required=("at",),
        wrong={"at": "soon"}, empty_is_valid=True),
    "ltm/dlq": dict(template=DLQ, required=("service", "reason"), wrong={"service": 5}),
}


def _with_hole(template, raw):
    """The template with one more field whose string value is the raw bytes."""
    return _dump(dict(template, bad_input=HOLE)).replace(HOLE.encode(), raw)


def _with_value(template, raw):
    """The template with one more field whose value is the raw bytes."""
    return _dump(dict(template, bad_input=HOLE)).replace(b'"%s"' % HOLE.encode(), raw)


def corpus(topic, limit, template=None):
    """(small items, items exactly `limit` bytes long) for topic; template
    replaces the shape's valid message."""
    shape = SHAPES[topic]
    t = template or shape["template"]
    base = _dump(t)
    small = [
        Item("malformed JSON", base[:len(base) // 2], R_JSON),
        Item("malformed JSON", b"{not json", R_JSON),
        Item("malformed JSON", base + b" trailing", R_JSON),
        Item("malformed JSON", base.replace(b":", b"=", 1), R_JSON),
        Item("not an object", b"[1,2,3]", R_NOTOBJ),
        Item("not an object", b'"text"', R_NOTOBJ),
        Item("not an object", b"null", R_NOTOBJ),
        Item("invalid UTF-8", _with_hole(t, b"a\xffb"), R_UTF8),
        Item("invalid UTF-8", _with_hole(t, b"\xc0\xaf"), R_UTF8),         # overlong "/"
        Item("invalid UTF-8", _with_hole(t, b"\xed\xa0\x80"), R_UTF8),     # a surrogate
        Item("invalid UTF-8", _with_hole(t, b"\xe2\x82"), R_UTF8),         # cut short
        Item("invalid UTF-8", b"\xfe\xff" + base, R_UTF8),
        Item("control characters", _with_hole(t, b"a\x07b"), R_CTRL),
        Item("control characters", _with_hole(t, b"\x1b[31mred"), R_CTRL),
        Item("control characters", _with_hole(t, b"line\nbreak"), R_CTRL),
        Item("control characters", b"{\x01}", R_CTRL),
        Item("NUL byte", _with_hole(t, b"a\x00b"), R_NUL),
        Item("NUL byte", base + b"\x00", R_NUL),
        Item("NUL byte", _with_hole(t, b"a\\u0000b"), R_U0000),
        Item("10,000-deep nesting", b"[" * 10000 + b"]" * 10000, R_JSON),
        Item("10,000-deep nesting", b'{"a":' * 10000 + b"1" + b"}" * 10000, R_JSON),
        Item("10,000-deep nesting", _with_value(t, b"[" * 10000 + b"]" * 10000), R_JSON),
    ]
    if not shape.get("empty_is_valid"):
        small.append(Item("empty", b"", R_EMPTY))
    for field in shape.get("required", ()):
        small.append(Item("missing field", _dump({k: v for k, v in t.items() if k != field}),
                          R_MISSING, schema=True))
    for field, value in shape.get("wrong", {}).items():
        small.append(Item("wrong type", _dump(dict(t, **{field: value})), R_WRONG, schema=True))
    for field, values in shape.get("unknown", {}).items():
        for value in values:
            small.append(Item("unknown kind", _dump(dict(t, **{field: value})), R_UNKNOWN,
                              schema=True))
    for obj in shape.get("schema_items", ()):
        small.append(Item("wrong type", _dump(obj), R_WRONG, schema=True))

    # Exactly at the broker's limit: not JSON, and (where the shape has a
    # string with a length limit) a valid shape with that string too long.
    at_limit = [Item("at the size limit", b'{"x":"' + b"a" * (limit - 6), R_JSON),
                Item("at the size limit", (b"\x01" * limit), R_CTRL)]
    if shape.get("long"):
        short = _dump(dict(t, **{shape["long"]: ""}))
        pad = limit - len(short)
        item = _dump(dict(t, **{shape["long"]: "y" * pad}))
        assert len(item) == limit, (topic, len(item))
        at_limit.append(Item("at the size limit", item, R_LONG, schema=True))
    return small, at_limit


def flood(small, at_limit, count, at_limit_count):
    """count payloads: at_limit_count of the at-limit ones, the rest cycling small."""
    big = list(itertools.islice(itertools.cycle(at_limit), at_limit_count))
    rest = list(itertools.islice(itertools.cycle(small), count - len(big)))
    # Spread the big ones through the flood rather than all at once.
    out, step = [], max(1, len(rest) // (len(big) + 1))
    for i, item in enumerate(rest):
        if big and i % step == step - 1:
            out.append(big.pop())
        out.append(item)
    return out + big
