"""ltm-scheduler killed (SIGKILL) around a burst of slots armed ahead of
their instant (issue 14 item 6): once after the burst was recorded and
before its instant, once as its jobs go out. No job is lost (every slot
reaches the workers' topic, the lost ones through the lease), no job goes
out that the ledger does not hold with that very attempt and dispatch time,
and no attempt goes out twice.

Slots are whole local minutes, so instead of waiting for the next minute
the test compiles (with zic) a zone "Test/Burst" whose UTC offset is a few
seconds, chosen so that a local minute starts LEAD_S seconds from now; every
start of the scheduler sees it through TZDIR (the standard variable GLib and
glibc read). The slot instant is then a UTC second that is usually not a
whole minute, and job ids carry it as such. No real-world wait but LEAD_S; the
lease is compressed."""

import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest

import ltmtest
from test_scheduler import parse_iso, start_scheduler

ACCOUNTS = 1000
LEAD_S = 8
LEASE_S = 12


def zone_dir_with_minute_at(test, instant):
    """A TZDIR holding the system's zoneinfo plus "Test/Burst", a fixed zone
    whose offset (0 to 59 s) puts a local minute boundary at `instant`, a
    whole UTC second."""
    offset = -instant % 60
    tzdir = tempfile.mkdtemp(prefix="ltm-tz-")
    test.addCleanup(shutil.rmtree, tzdir, True)
    system = os.environ.get("TZDIR") or "/usr/share/zoneinfo"
    for name in os.listdir(system):
        os.symlink(os.path.join(system, name), os.path.join(tzdir, name))
    source = os.path.join(tzdir, "burst.zi")
    with open(source, "w") as f:
        # GLib refuses a TZif footer whose abbreviation is under 3 letters.
        f.write("Zone Test/Burst 0:00:%02d - LTMT\n" % offset)
    zic = shutil.which("zic") or "/usr/sbin/zic"
    subprocess.run([zic, "-d", tzdir, source], check=True, timeout=30)
    return tzdir, offset


def ledger_attempts(data_dir):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(data_dir, "ledger.db"), uri=True,
                         timeout=10)
    try:
        return {(job_id, attempt): dispatched for job_id, attempt, dispatched in
                db.execute("SELECT job_id, attempt, dispatched_ms FROM attempts")}
    finally:
        db.close()


class SchedulerBurstKillTest(unittest.TestCase):
    def setUp(self):
        self.broker = ltmtest.Broker()
        self.addCleanup(self.broker.close)
        self.watch = ltmtest.Subscriber(self.broker, "operator", ["ltm/jobs/post"])
        self.addCleanup(self.watch.close)

    def jobs_seen(self):
        return [m.payload for m in self.watch.messages("ltm/jobs/post")
                if isinstance(m.payload, dict)]

    def test_sigkill_before_and_during_a_burst_loses_nothing_and_sends_nothing_unrecorded(self):
        slot = int(time.time()) + LEAD_S
        tzdir, offset = zone_dir_with_minute_at(self, slot)
        hhmm = time.strftime("%H:%M", time.gmtime(slot + offset))
        accounts = [{"name": "acct-%d" % i, "timezone": "Test/Burst",
                     "schedule": {"posts": [hhmm]}}
                    for i in range(ACCOUNTS)]
        data_dir = tempfile.mkdtemp(prefix="ltm-burst-")
        if not ltmtest.KEEP_STATE:
            self.addCleanup(shutil.rmtree, data_dir, True)
        env = {"LTM_DISPATCH_AHEAD": "60s", "LTM_LEASE": "%ds" % LEASE_S,
               "LTM_LOG_LEVEL": "info", "TZDIR": tzdir}
        ids = {"post:acct-%d:%s" % (i, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(slot)))
               for i in range(ACCOUNTS)}

        # 1. Killed once the whole burst is recorded, before its instant.
        sched = start_scheduler(self, self.broker, accounts, env=env, data_dir=data_dir)
        sched.wait_log(r"slots armed jobs=%d " % ACCOUNTS, timeout=30)
        armed_ahead = slot - time.time()
        self.assertGreater(armed_ahead, 0, "armed too late for this test: machine overloaded?")
        sched.kill()
        self.assertEqual(self.jobs_seen(), [], "published before the slot instant")
        self.assertEqual(len(ledger_attempts(data_dir)), ACCOUNTS)

        # 2. The restart records them again and sends them at the instant; it
        # is killed as soon as the first one arrives.
        sched2 = start_scheduler(self, self.broker, accounts, env=env, data_dir=data_dir)
        sched2.wait_log(r"armed jobs never sent before the restart are recorded again jobs=%d "
                        % ACCOUNTS)
        self.watch.wait_for(topic="ltm/jobs/post", timeout=slot - time.time() + 30)
        sched2.kill()
        first = self.jobs_seen()
        self.assertGreaterEqual(min(parse_iso(j["dispatched_at"]) for j in first), slot)

        # 3. The last start sends nothing again that may have gone out; what
        # was lost on the way comes back through the lease.
        sched3 = start_scheduler(self, self.broker, accounts, env=env, data_dir=data_dir)
        ltmtest.wait_until(lambda: {j["job_id"] for j in self.jobs_seen()} >= ids,
                           slot + LEASE_S + 30 - time.time(), "every slot dispatched")
        sched3.stop()
        jobs = self.jobs_seen()
        sent = [(j["job_id"], j["attempt"]) for j in jobs]
        self.assertEqual(len(sent), len(set(sent)), "an attempt went out twice")
        self.assertEqual({j["job_id"] for j in jobs}, ids)
        recorded = ledger_attempts(data_dir)
        for j in jobs:
            key = (j["job_id"], j["attempt"])
            self.assertIn(key, recorded, "published without a record in the ledger")
            self.assertEqual(recorded[key], int(round(parse_iso(j["dispatched_at"]) * 1000)), j)
        # Attempt 1 went out once per slot at most: the restart after the
        # second kill did not send the burst again.
        self.assertLessEqual(sum(1 for j in jobs if j["attempt"] == 1), ACCOUNTS)
        print("burst kill test: %d jobs at %s (zone offset %d s, armed %.1f s ahead), %d "
              "attempt-1 messages before the kill, %d after the lease"
              % (ACCOUNTS, min(ids)[-20:], offset, armed_ahead, len(first),
                 sum(1 for j in jobs if j["attempt"] > 1)))


if __name__ == "__main__":
    unittest.main()
