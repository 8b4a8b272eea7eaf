"""Issue 14, long faults (2): the data dir full, then read-only, for a while.

The scheduler's and the poster's data dir is a small tmpfs (root only: the
test command runs as root in CI; elsewhere the test skips with one line).
The sysmonitor watches that mount. Posts are in the ledger beforehand
(`ltmctl post --at`) and fall due during the fault.

- full: a filler file takes every free byte; posts fall due; the filler goes.
- read-only: a file system cannot be remounted read-only while a process
  holds a file open for writing (EBUSY), and the kernel's own remount on an
  I/O error needs fsck, so the test does what a restart during such a fault
  does: the services stop, the mount goes read-only, they start on it and
  must exit with a status a supervisor restarts (not 78, "fix the settings"),
  saying why; once it is writable again the supervisor's next start works.
  The test plays the supervisor (systemd's Restart=on-failure).

Both: nothing crashes in a loop, `PRAGMA integrity_check` of the ledger and
of the publication database is ok, sysmonitor's disk alert fires and
resolves, the services count and report their failed writes, and every job
ends published or finally failed with a reason, none lost or published
twice, without a manual step.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fakes"))

import ltmtest  # noqa: E402
from faultkit import Mount, figures, schedule_posts, wait_final  # noqa: E402
from ltmservice import Service  # noqa: E402
from publishing import PublishingCase, accounts, wait_consuming  # noqa: E402
from test_scheduler import start_scheduler  # noqa: E402

FAULT_S = 6.0
POSTS = 6
SCHED_ENV = {"LTM_MQTT_PERSISTENCE": os.environ.get("XP", "file"), "LTM_RETRY_BASE_POST": "500ms", "LTM_MAX_ATTEMPTS": "3", "LTM_LEASE": "4s"}


def integrity(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


class DataDirCase(PublishingCase):
    def setUp(self):
        super().setUp()
        try:
            self.fs = Mount("6m")
        except PermissionError as e:
            self.skipTest("cannot mount a tmpfs here (%s): the data-dir faults need root" % e)
        self.addCleanup(self.fs.close)
        self.sched_dir = os.path.join(self.fs.path, "scheduler")
        self.poster_dir = os.path.join(self.fs.path, "poster")
        os.makedirs(self.sched_dir)
        os.makedirs(self.poster_dir)
        self.data = accounts(hook={"channel": {"type": "webhook", "url": self.hook.hook_url,
                                               "token_env": "HOOK_TOKEN"}})
        sysmon_dir = tempfile.mkdtemp(prefix="ltm-sysmon-")
        self.addCleanup(shutil.rmtree, sysmon_dir, True)
        self.sysmon = self.outside_log(Service(self.broker, "sysmonitor", data_dir=sysmon_dir, env={
            "LTM_SYSMON_INTERVAL": "200ms", "LTM_SYSMON_HOLD_SAMPLES": "2",
            "LTM_SYSMON_CLEAR_SAMPLES": "2", "LTM_SYSMON_DISKS": self.fs.path,
            "LTM_SYSMON_WATCH_BROKER": "false"}, start=False))
        self.addCleanup(self.sysmon.close)
        self.sysmon.start()
        self.disk_key = "host.disk:" + self.fs.path

    def outside_log(self, svc):
        """Logs stay off the faulty file system: they are the evidence."""
        svc.log_path = os.path.join(self.tmp, os.path.basename(svc.log_path))
        return svc

    def start_poster(self):
        svc = self.outside_log(Service(self.broker, "poster", data_dir=self.poster_dir,
                                       env=self.env(self.write_accounts(self.data)), start=False))
        self.addCleanup(svc.close)
        svc.start()
        svc.wait_log("mqtt connected")
        wait_consuming(self.broker, self.watch, "poster", "t1")
        return svc

    def start_scheduler(self):
        return start_scheduler(self, self.broker, self.data["accounts"], env=SCHED_ENV,
                               data_dir=self.sched_dir, log_dir=self.tmp)

    def start_with_posts(self, lead_ms, text):
        """Scheduler and poster on the mount, POSTS posts due over FAULT_S from lead_ms."""
        sched = self.start_scheduler()
        poster = self.start_poster()
        posts = schedule_posts(self, self.broker, "hook",
                               [lead_ms + i * FAULT_S * 1000 / POSTS for i in range(POSTS)], text)
        return sched, poster, posts

    def disk_alert(self, state, since=0, timeout=15):
        return self.watch.wait_for(
            lambda m: isinstance(m.payload, dict) and m.payload.get("key") == self.disk_key
            and m.payload.get("state") == state, topic="ltm/alerts", since=since,
            timeout=timeout).payload

    def check_outcome(self, name, posts, jobs, extra):
        received = [b["job_id"] for b in self.hook.received]
        counts = {"jobs": len(posts), "published": 0, "finally_failed": 0, "lost": 0,
                  "duplicates": len(received) - len(set(received))}
        for job_id, _ in posts:
            job = jobs[job_id]
            if job["state"] == "published":
                counts["published"] += 1
                self.assertEqual(received.count(job_id), 1, job)
            else:
                counts["finally_failed"] += 1
                self.assertTrue(job.get("reason"), job)
                self.assertNotIn(job_id, received, job)
        counts["lost"] = len(posts) - counts["published"] - counts["finally_failed"]
        self.assertEqual(counts["lost"], 0)
        self.assertEqual(counts["duplicates"], 0)
        self.assertEqual(integrity(os.path.join(self.sched_dir, "ledger.db")), "ok")
        self.assertEqual(integrity(os.path.join(self.poster_dir, "poster-publications.db")), "ok")
        counts.update(extra)
        figures(name, **counts)
        return counts


class TestDataDirFull(DataDirCase):
    def test_full_for_a_while_then_freed(self):
        sched, poster, posts = self.start_with_posts(2000, "disk full")
        since = self.watch.mark()
        filler = os.path.join(self.fs.path, "filler")
        # Unbuffered: a buffered file would meet "no space" again when it is
        # closed, outside the loop that expects it.
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
            except OSError:
                pass
        fired = self.disk_alert("firing", since)
        self.assertGreater(fired["value"], 90, fired)
        first_due = time.time()
        ltmtest.wait_until(lambda: time.time() >= first_due + FAULT_S, FAULT_S + 5,
                           "the end of the fault")
        os.unlink(filler)
        self.disk_alert("resolved", since)
        jobs = wait_final(self, self.broker, [j for j, _ in posts], timeout=40)
        for svc in (sched, poster):
            self.assertTrue(svc.running(), "ltm-%s is gone:\n%s" % (svc.name, svc.log()[-3000:]))
        # What the services said: the scheduler's failed ledger writes in its
        # status, both services' refused MQTT persistence writes in their metrics;
        # and only what went out counted and logged as dispatched (a rolled-back
        # batch is tried again each tick).
        ids = {j for j, _ in posts}
        sent = [m for m in self.watch.messages("ltm/jobs/post")
                if isinstance(m.payload, dict) and m.payload.get("job_id") in ids]
        detail = self.scheduler_detail(lambda d: d.get("dispatched") == len(sent))
        self.assertEqual(detail["dispatched"], len(sent), "dispatches counted in the status")
        self.assertEqual(sched.log().count("job dispatched"), len(sent), "dispatches logged")
        ledger_errors = detail["ledger_errors"]
        self.assertGreater(ledger_errors, 0, "failed ledger writes must be counted in the "
                           "scheduler's status (detail.ledger_errors)")
        self.assertIn("database or disk is full", sched.log())
        store = {svc: self.metric(svc, "mqtt_store_failures") for svc in ("scheduler", "poster")}
        self.assertGreater(store["scheduler"], 0, store)
        self.check_outcome("data_dir_full", posts, jobs, {
            "alerts": 1, "ledger_errors": ledger_errors,
            "mqtt_store_failures_scheduler": store["scheduler"],
            "mqtt_store_failures_poster": store["poster"]})

    def scheduler_detail(self, settled=lambda detail: True):
        """The scheduler's status detail once `settled` holds for it, else the
        last one seen: the detail is refreshed about once a second, so the
        first heartbeat after the jobs ended may still carry an older one."""
        since = self.watch.mark()
        seen = []

        def match(m):
            if not (isinstance(m.payload, dict) and isinstance(m.payload.get("detail"), dict)):
                return False
            seen.append(m.payload["detail"])
            return settled(m.payload["detail"])
        try:
            self.watch.wait_for(match, topic="ltm/status/scheduler/t1", since=since, timeout=10)
        except AssertionError:
            if not seen:
                raise
        return seen[-1]

    def metric(self, service, name):
        since = self.watch.mark()
        return self.watch.wait_for(lambda m: isinstance(m.payload, dict) and name in m.payload,
                                   topic="ltm/metrics/" + service, since=since,
                                   timeout=10).payload[name]


class Supervisor:
    """What systemd's Restart=on-failure (RestartSec) does for each service:
    a process that exited is started again after restart_s, unless its
    status was 78 (a bad setting: RestartPreventExitStatus=78)."""

    def __init__(self, services, restart_s=0.5):
        self.services, self.restart_s = services, restart_s
        self.exits = {svc.name: [] for svc in services}
        self._exited_at = {}

    def tick(self):
        for svc in self.services:
            if svc.proc is not None and svc.proc.poll() is not None:
                self.exits[svc.name].append(svc.wait_exit())
                self._exited_at[svc.name] = time.monotonic()
            elif svc.proc is None and self.exits[svc.name] and self.exits[svc.name][-1] != 78 \
                    and time.monotonic() >= self._exited_at[svc.name] + self.restart_s:
                svc.start()

    def running(self):
        self.tick()
        return all(svc.running() for svc in self.services)


class TestDataDirReadOnly(DataDirCase):
    def test_read_only_for_a_while_then_writable(self):
        sched, poster, posts = self.start_with_posts(3000, "read-only")
        self.assertEqual(sched.stop(), 0)
        self.assertEqual(poster.stop(), 0)
        self.fs.remount("ro")
        fault_start = time.time()
        supervisor = Supervisor([sched, poster])
        sched.start()
        poster.start()
        ltmtest.wait_until(lambda: time.time() >= fault_start + FAULT_S and supervisor.tick()
                           is None, FAULT_S + 5, "the end of the fault")
        self.fs.remount("rw")
        try:
            ltmtest.wait_until(supervisor.running, 20, "both services running again after the "
                               "fault: exits %s" % supervisor.exits)
        except AssertionError:
            raise AssertionError("%s\n--- scheduler:\n%s\n--- poster:\n%s" % (
                supervisor.exits, sched.log()[-1500:], poster.log()[-1500:])) from None
        jobs = wait_final(self, self.broker, [j for j, _ in posts], timeout=40)
        for name, codes in supervisor.exits.items():
            self.assertNotIn(78, codes, "ltm-%s exited 78 on a read-only data dir: no "
                             "supervisor restarts that" % name)
        for svc in (sched, poster):
            self.assertRegex(svc.log(), r"data dir not writable; waiting for it .*"
                             r"error=\"Read-only file system\"")
            self.assertIn("data dir writable again", svc.log())
        self.check_outcome("data_dir_read_only", posts, jobs, {
            "restarts_scheduler": len(supervisor.exits["scheduler"]),
            "restarts_poster": len(supervisor.exits["poster"])})


if __name__ == "__main__":
    unittest.main()
