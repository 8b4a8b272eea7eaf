"""Runs the real LTM binaries for integration tests.

    svc = Service(broker, "poster", env={"LTM_HEARTBEAT_INTERVAL": "500ms"})
    svc.wait_log("mqtt connected")
    svc.stop()          # SIGTERM; returns the exit status
    svc.kill()          # SIGKILL: no clean shutdown, the Last Will fires

Each service gets its own data dir (unless one is given), its broker user's
credentials, LTM_INSTANCE "t1" (or the one given) and a log file that tests
can read and that is shown when an assertion about the service fails.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import ltmtest


def binary(name):
    """Path of a built binary: 'poster' -> <bin>/ltm-poster, 'ltmctl' as is."""
    file = name if name.startswith("ltm") else "ltm-" + name
    path = os.path.join(ltmtest.BIN_DIR, file)
    if not os.access(path, os.X_OK):
        raise AssertionError("%s is not built (LTM_BIN_DIR=%s)" % (path, ltmtest.BIN_DIR))
    return path


class Service:
    def __init__(self, broker, name, env=None, instance="t1", data_dir=None, user=None,
                 start=True):
        self.broker, self.name, self.instance = broker, name, instance
        self._own_data_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="ltm-%s-" % name)
        self.log_path = os.path.join(self.data_dir, "service-%s-%s.log" % (name, instance))
        self.env = dict(os.environ)
        for key in list(self.env):
            if key.startswith("LTM_") and key not in ("LTM_BIN_DIR", "LTM_SOURCE_DIR"):
                del self.env[key]
        self.env.update(broker.env_for(user or name) if broker else {})
        self.env.update({"LTM_DATA_DIR": self.data_dir, "LTM_INSTANCE": instance,
                         "LTM_HEARTBEAT_INTERVAL": "1s"})
        self.env.update(env or {})
        self.proc = None
        self.returncode = None
        if start:
            self.start()

    def start(self):
        self._log = open(self.log_path, "ab")
        self.proc = ltmtest._track(subprocess.Popen(
            [binary(self.name)], env=self.env, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT))
        self.returncode = None
        return self

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=10.0, count=1):
        """Waits until the log has `count` lines matching the regex; returns them."""
        regex = re.compile(pattern)

        def found():
            lines = [l for l in self.log().splitlines() if regex.search(l)]
            return lines if len(lines) >= count else None
        try:
            return ltmtest.wait_until(found, timeout, "log line /%s/" % pattern)
        except AssertionError:
            raise AssertionError("ltm-%s never logged /%s/ (%d times); its log:\n%s"
                                 % (self.name, pattern, count, self.log())) from None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10.0):
        """SIGTERM and wait; returns the exit status (SIGKILL after timeout)."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("ltm-%s ignored SIGTERM for %.0f s; its log:\n%s"
                                     % (self.name, timeout, self.log()))
        return self._reap()

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        return self._reap()

    def wait_exit(self, timeout=10.0):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("ltm-%s still running after %.0f s; its log:\n%s"
                                 % (self.name, timeout, self.log())) from None
        return self._reap()

    def _reap(self):
        if self.proc is not None:
            self.returncode = self.proc.returncode
            ltmtest._untrack(self.proc)
            self.proc = None
            self._log.close()
            self._check_sanitizers()
        return self.returncode

    def _check_sanitizers(self):
        """In an ASan/UBSan build a report in the log fails the test that ran it."""
        log = self.log()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in log:
                raise AssertionError("ltm-%s: sanitizer report in its log:\n%s"
                                     % (self.name, log))

    def close(self):
        if self.proc is not None:
            self.kill()
        if self._own_data_dir and not ltmtest.KEEP_STATE:
            shutil.rmtree(self.data_dir, ignore_errors=True)


# One sandbox account with posts and stories, for tests that run the whole set.
DEMO_ACCOUNTS = """{"accounts": [{"name": "demo", "timezone": "UTC",
  "schedule": {"weekdays": ["mon"], "posts": ["03:17"], "stories": ["03:17"]},
  "content": {"language": "en", "prompt": "Unused."},
  "channel": {"type": "sandbox"}, "stories": {"channel": {"type": "sandbox"},
  "image_urls": ["https://example.com/story.jpg"]}}]}"""


def give_accounts(svc, text=DEMO_ACCOUNTS):
    """Writes an accounts file into the service's data dir and points
    LTM_ACCOUNTS_FILE at it (before start())."""
    path = os.path.join(svc.data_dir, "accounts.json")
    with open(path, "w") as f:
        f.write(text)
    svc.env["LTM_ACCOUNTS_FILE"] = path


def run_once(name, env, timeout=10.0):
    """Runs a binary to completion with exactly `env` (plus PATH); returns (code, output)."""
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    full_env.update(env)
    proc = subprocess.run([binary(name)], env=full_env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def wait_status(subscriber, service, instance, state, timeout=10.0, since=0):
    """Waits for the retained-status topic of one replica to say `state`."""
    topic = "ltm/status/%s/%s" % (service, instance)
    return subscriber.wait_for(
        lambda m: isinstance(m.payload, dict) and m.payload.get("state") == state,
        topic=topic, timeout=timeout, since=since)
