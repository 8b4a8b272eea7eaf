"""Harness for LTM integration tests: a real mosquitto, real MQTT clients.

Python 3 standard library only. Every broker runs from the project's own
mosquitto/mosquitto.conf (rendered by scripts/render-broker-conf.sh) with
credentials from scripts/gen-credentials.sh, on a free loopback port, in a
private temporary state directory. No test ever talks to a system-wide broker.

    broker = Broker()                       # started and accepting connections
    sub = Subscriber(broker, "operator", ["ltm/#"])   # returns once SUBACKed
    publish(broker, "scheduler", "ltm/jobs/post", {"job_id": "j1"})
    topic, payload, retained = sub.wait_for(lambda m: m.topic == "ltm/jobs/post")
    broker.close()                          # or use both as context managers

Nothing here sleeps for a fixed time: waits poll with short intervals until
a deadline and fail with what they saw. Every process started here is killed
by close()/stop(), and at interpreter exit if a test forgot to.
"""

import atexit
import collections
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid

SOURCE_DIR = os.environ.get("LTM_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN_DIR = os.environ.get("LTM_BIN_DIR") or os.path.join(SOURCE_DIR, "build", "bin")
SCRIPTS_DIR = os.path.join(SOURCE_DIR, "scripts")

# Keep in sync with scripts/gen-credentials.sh and mosquitto/acl.
USERS = ("scheduler", "poster", "story-publisher", "sysmonitor", "notifier",
         "health-gateway", "ltmctl", "operator")

# Set LTM_KEEP_TEST_STATE=1 to keep brokers' state dirs (config, log, db).
KEEP_STATE = os.environ.get("LTM_KEEP_TEST_STATE") not in (None, "", "0")

POLL_INTERVAL = 0.01

_live_processes = set()
_live_lock = threading.Lock()


def _track(proc):
    with _live_lock:
        _live_processes.add(proc)
    return proc


def _untrack(proc):
    with _live_lock:
        _live_processes.discard(proc)


def _end_process(proc, grace=3.0):
    """SIGTERM, then SIGKILL after `grace` seconds; always reaps."""
    if proc.poll() is None:
        try:
            proc.terminate()
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        except ProcessLookupError:
            pass
    _untrack(proc)


@atexit.register
def _kill_leftovers():
    with _live_lock:
        leftovers = list(_live_processes)
    for proc in leftovers:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    _live_processes.clear()


def wait_until(check, timeout=5.0, what="condition"):
    """Polls check() until it returns something truthy and returns that.

    Raises AssertionError naming `what` when `timeout` seconds pass.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(POLL_INTERVAL)


def free_port():
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def topic_matches(topic_filter, topic):
    """MQTT topic filter matching ('+' one level, '#' the rest)."""
    if topic_filter.startswith("$share/"):
        topic_filter = topic_filter.split("/", 2)[2]
    if topic.startswith("$") and not topic_filter.startswith("$"):
        return False
    f_parts, t_parts = topic_filter.split("/"), topic.split("/")
    for i, part in enumerate(f_parts):
        if part == "#":
            return True
        if i >= len(t_parts) or (part != "+" and part != t_parts[i]):
            return False
    return len(f_parts) == len(t_parts)


def _run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=30, **kwargs)


class Broker:
    """A mosquitto started from the project's config on a free loopback port.

    The state dir holds passwd, credentials.env, mosquitto.conf, data/ and
    broker.log. stop() is a clean shutdown (the broker saves its state),
    kill() is SIGKILL (it saves nothing), restart() starts it again on the
    same port with the same state dir.
    """

    def __init__(self, state_dir=None, start_timeout=10.0):
        self.start_timeout = start_timeout
        self._own_state_dir = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="ltm-broker-")
        self.conf_path = os.path.join(self.state_dir, "mosquitto.conf")
        self.log_path = os.path.join(self.state_dir, "broker.log")
        self.db_path = os.path.join(self.state_dir, "data", "mosquitto.db")
        self.port = None
        self.proc = None
        self._passwords = None
        try:
            _run([os.path.join(SCRIPTS_DIR, "gen-credentials.sh"), self.state_dir])
            self._start_on_new_port()
        except BaseException:
            self.close()
            raise

    # -- addresses and credentials ------------------------------------------
    @property
    def url(self):
        return "mqtt://127.0.0.1:%d" % self.port

    def password(self, user):
        if self._passwords is None:
            self._passwords = {}
            with open(os.path.join(self.state_dir, "credentials.env")) as f:
                for line in f:
                    name, sep, value = line.strip().partition("=")
                    if sep and name.startswith("LTM_PASSWORD_"):
                        self._passwords[name] = value
        key = "LTM_PASSWORD_" + user.upper().replace("-", "_")
        if key not in self._passwords:
            raise KeyError("no broker user %r (known: %s)" % (user, ", ".join(USERS)))
        return self._passwords[key]

    def env_for(self, service):
        """Environment variables that point `service` at this broker."""
        return {
            "LTM_MQTT_URL": self.url,
            "LTM_MQTT_USERNAME": service,
            "LTM_MQTT_PASSWORD": self.password(service),
        }

    def log(self):
        """The broker's log so far (all runs of this state dir)."""
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    # -- life cycle ------------------------------------------------------------
    def _start_on_new_port(self):
        for _ in range(5):
            self.port = free_port()
            _run([os.path.join(SCRIPTS_DIR, "render-broker-conf.sh"),
                  str(self.port), self.state_dir])
            if self._start(retry_busy_port=False):
                return
        raise RuntimeError("could not start mosquitto on a free port:\n" + self.log())

    def _start(self, retry_busy_port=True):
        """Starts mosquitto, returns once it accepts connections.

        Returns False if the port was taken and retry_busy_port is False.
        """
        deadline = time.monotonic() + self.start_timeout
        while True:
            log_start = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
            with open(self.log_path, "ab") as log:
                self.proc = _track(subprocess.Popen(
                    ["mosquitto", "-c", self.conf_path],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT))
            while self.proc.poll() is None:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                        return True
                except OSError:
                    pass
                if time.monotonic() >= deadline:
                    self.kill()
                    raise RuntimeError("mosquitto did not accept connections on port %d "
                                       "within %.0f s:\n%s"
                                       % (self.port, self.start_timeout, self.log()))
                time.sleep(POLL_INTERVAL)
            _untrack(self.proc)
            with open(self.log_path, errors="replace") as f:
                f.seek(log_start)
                this_run = f.read()
            if "Address already in use" not in this_run:
                raise RuntimeError("mosquitto exited with status %d:\n%s"
                                   % (self.proc.returncode, this_run))
            if not retry_busy_port or time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """Clean shutdown (SIGTERM): the broker writes its state to disk."""
        if self.proc is not None:
            _end_process(self.proc, grace=10.0)

    def kill(self):
        """SIGKILL: whatever is not in the last snapshot is lost."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        if self.proc is not None:
            _untrack(self.proc)

    def restart(self):
        """Starts the broker again (stopping it first if it runs): same port, same state."""
        if self.running():
            self.stop()
        if not self._start(retry_busy_port=True):
            raise RuntimeError("port %d is taken by another process:\n%s" % (self.port, self.log()))

    def wait_for_snapshot(self, needle, timeout=10.0):
        """Waits until the persistence file contains the bytes `needle`.

        Payloads are stored raw in mosquitto.db, so this tells that a message
        is in a snapshot on disk and would survive a SIGKILL.
        """
        if isinstance(needle, str):
            needle = needle.encode()

        def saved():
            try:
                with open(self.db_path, "rb") as f:
                    return needle in f.read()
            except FileNotFoundError:
                return False
        wait_until(saved, timeout, "a snapshot containing %r in %s (is time-based autosave "
                   "still configured in mosquitto/mosquitto.conf?)" % (needle, self.db_path))

    def close(self):
        self.stop()
        if self._own_state_dir and not KEEP_STATE:
            shutil.rmtree(self.state_dir, ignore_errors=True)
        elif KEEP_STATE:
            print("broker state kept in", self.state_dir)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


Message = collections.namedtuple("Message", "topic payload retained")


def _decode_payload(raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    try:
        return json.loads(text)
    except ValueError:
        return text


# mosquitto_sub -F '%r %q %t %x': retain flag, QoS, topic, payload in hex.
# The hex payload is last and has no spaces, so topics with spaces, payloads
# with spaces, newlines or binary all come out unambiguous, one per line.
_MESSAGE_LINE = re.compile(r"^([01]) ([012]) (.*) ([0-9a-f]*)$")


class Subscriber:
    """mosquitto_sub as `user`, collecting messages in a background thread.

    The constructor returns once the broker has acknowledged the
    subscriptions (SUBACK), so anything published afterwards is routed to it.
    With client_id and clean=False the session is persistent (-c).
    mosquitto_sub reconnects by itself after a broker restart and subscribes
    again; call wait_subscribed(after_restart=True) to wait for that.
    `extra_args` go to mosquitto_sub as they are (e.g. a --will-topic).
    """

    def __init__(self, broker, user, topics, qos=1, client_id=None, clean=True,
                 password=None, extra_args=(), wait=True, timeout=5.0):
        if isinstance(topics, str):
            topics = [topics]
        self.broker, self.user, self.topics = broker, user, list(topics)
        self._cond = threading.Condition()
        self._messages = []
        self._other_lines = []
        self._subacks = 0
        cmd = ["stdbuf", "-oL",  # -d lines are not flushed otherwise
               "mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port),
               "-q", str(qos), "-d", "-F", "%r %q %t %x"]
        if user is not None:
            pw = password if password is not None else broker.password(user)
            cmd += ["-u", user, "-P", pw]
        if client_id is not None:
            cmd += ["-i", client_id]
        if not clean:
            cmd.append("-c")
        for t in self.topics:
            cmd += ["-t", t]
        cmd += list(extra_args)
        self.proc = _track(subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if wait:
            try:
                self.wait_subscribed(timeout)
            except BaseException:
                self.close()
                raise

    def _read(self):
        for raw_line in self.proc.stdout:
            line = raw_line.decode("utf-8", "replace").rstrip("\n")
            m = _MESSAGE_LINE.match(line)
            with self._cond:
                if m:
                    payload = _decode_payload(bytes.fromhex(m.group(4)))
                    self._messages.append(Message(m.group(3), payload, m.group(1) == "1"))
                elif line.startswith("Subscribed (mid:"):
                    self._subacks += 1
                elif line:
                    self._other_lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _describe(self):
        with self._cond:
            msgs = list(self._messages)
            other = list(self._other_lines[-15:])
        status = "running" if self.proc.poll() is None else "exited %s" % self.proc.returncode
        return ("subscriber %s on %s (%s) saw %d messages:\n  %s\nlast other output:\n  %s"
                % (self.user, self.topics, status, len(msgs),
                   "\n  ".join(repr(tuple(m)) for m in msgs[-30:]) or "(none)",
                   "\n  ".join(other) or "(none)"))

    def wait_subscribed(self, timeout=5.0, after_restart=False):
        """Waits for the (next, if after_restart) SUBACK; fails if mosquitto_sub exits."""
        with self._cond:
            target = self._subacks + 1 if after_restart else 1
            done = self._cond.wait_for(
                lambda: self._subacks >= target or self.proc.poll() is not None, timeout)
            if done and self._subacks >= target:
                return
        raise AssertionError("subscription not acknowledged within %.1f s\n%s"
                             % (timeout, self._describe()))

    def mark(self):
        """Index to pass as `since` to wait_for() to ignore earlier messages."""
        with self._cond:
            return len(self._messages)

    def messages(self, topic_filter=None, since=0):
        """Collected messages (optionally only those matching an MQTT filter)."""
        with self._cond:
            msgs = self._messages[since:]
        if topic_filter is None:
            return msgs
        return [m for m in msgs if topic_matches(topic_filter, m.topic)]

    def wait_for(self, predicate=None, timeout=5.0, since=0, topic=None):
        """First collected message (from index `since`) matching topic and predicate.

        predicate takes a Message(topic, payload, retained); payload is the
        parsed JSON, else the text, else the bytes. Raises AssertionError
        listing what was seen when `timeout` seconds pass.
        """
        def match(m):
            return ((topic is None or topic_matches(topic, m.topic))
                    and (predicate is None or predicate(m)))

        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for m in self._messages[since:]:
                    if match(m):
                        return m
                since = max(since, len(self._messages))
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    break
                self._cond.wait(min(left, 0.1))
        raise AssertionError("no matching message within %.1f s\n%s" % (timeout, self._describe()))

    def wait_count(self, n, topic=None, predicate=None, timeout=5.0):
        """Waits until at least n matching messages were collected; returns them."""
        def matching():
            return [m for m in self.messages(topic)
                    if predicate is None or predicate(m)]
        try:
            wait_until(lambda: len(matching()) >= n, timeout, "%d messages" % n)
        except AssertionError:
            raise AssertionError("expected %d messages, got %d\n%s"
                                 % (n, len(matching()), self._describe())) from None
        return matching()

    def close(self):
        _end_process(self.proc)
        self._reader.join(timeout=5)
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def publish(broker, user, topic, payload, qos=1, retain=False, password=None,
            extra_args=(), timeout=10.0):
    """Publishes one message with mosquitto_pub; returns its exit code.

    payload: dict/list (sent as compact JSON), str, bytes, or None/b"" for
    an empty message (clears a retained one). user None connects anonymously.
    Mind that a publish denied by the ACL still exits 0 (the broker acks it).
    """
    cmd = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port),
           "-t", topic, "-q", str(qos)]
    if user is not None:
        cmd += ["-u", user, "-P", password if password is not None else broker.password(user)]
    if retain:
        cmd.append("-r")
    if isinstance(payload, (dict, list)):
        payload = json.dumps(payload, separators=(",", ":"))
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    if not payload:
        cmd.append("-n")
        payload = b""
    else:
        cmd.append("-s")  # whole stdin is the message: any bytes, no argv limits
    cmd += list(extra_args)
    proc = subprocess.run(cmd, input=payload, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)
    publish.last_stderr = proc.stderr.decode("utf-8", "replace")
    return proc.returncode


publish.last_stderr = ""


def publish_lines(broker, user, topic, payloads, qos=1, timeout=30.0):
    """Publishes several messages over one connection (mosquitto_pub -l).

    Each payload (dict/list as JSON, or str) must fit on one line. Returns
    the exit code.
    """
    lines = []
    for p in payloads:
        if isinstance(p, (dict, list)):
            p = json.dumps(p, separators=(",", ":"))
        if "\n" in p or not p:
            raise ValueError("publish_lines payloads must be one non-empty line")
        lines.append(p + "\n")
    cmd = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port),
           "-u", user, "-P", broker.password(user), "-t", topic, "-q", str(qos), "-l"]
    proc = subprocess.run(cmd, input="".join(lines).encode("utf-8"),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return proc.returncode


def sync(broker, subscriber, user, topic, timeout=5.0):
    """Barrier: publishes a unique probe as `user` on `topic` until `subscriber` sees it.

    `user` must be allowed to write `topic` and the subscriber's user to read
    it, through one of its (non-shared) subscriptions. Once the probe
    arrived, every message published before sync() was called (by publishers
    that had already returned) has been routed, and whatever was delivered to
    this subscriber on the same connection has arrived: a test can then
    assert that something did NOT arrive. Returns the probe Message.
    """
    probe = "probe-" + uuid.uuid4().hex
    deadline = time.monotonic() + timeout
    since = subscriber.mark()
    while True:
        rc = publish(broker, user, topic, {"probe": probe})
        if rc != 0:
            raise AssertionError("probe publish as %s on %s failed (exit %d): %s"
                                 % (user, topic, rc, publish.last_stderr))
        try:
            return subscriber.wait_for(
                lambda m: isinstance(m.payload, dict) and m.payload.get("probe") == probe,
                timeout=min(0.5, max(0.01, deadline - time.monotonic())), since=since)
        except AssertionError:
            if time.monotonic() >= deadline:
                raise


def is_probe(message):
    return isinstance(message.payload, dict) and "probe" in message.payload
