"""A worker replica that is gone for good keeps its share of the jobs until
scripts/forget-offline.sh (docs/operations.md) wipes its session.

This is what `docker compose up -d` does to poster replicas after an upgrade
or a setting change: new containers, new host names, new LTM_INSTANCE; the
old sessions stay members of $share/posters.
"""

import os
import subprocess
import unittest

import ltmtest
from ltmservice import Service

FORGET = os.path.join(ltmtest.SOURCE_DIR, "scripts", "forget-offline.sh")


def job(job_id):
    return {"job_id": job_id, "kind": "post", "account": "demo", "attempt": 1,
            "max_attempts": 3, "slot": "2026-11-25T12:00:00Z",
            "dispatched_at": "2026-11-25T12:00:00.010Z", "text": "hello " + job_id}


class ForgetOfflineTest(unittest.TestCase):
    def setUp(self):
        self.broker = ltmtest.Broker()
        self.addCleanup(self.broker.close)
        self.results = ltmtest.Subscriber(self.broker, "operator",
                                          ["ltm/results", "ltm/status/+/+"])
        self.addCleanup(self.results.close)

    def start_poster(self, instance):
        svc = Service(self.broker, "poster", instance=instance)
        self.addCleanup(svc.close)
        self.results.wait_for(lambda m: m.topic == "ltm/status/poster/" + instance
                              and m.payload.get("state") == "online", timeout=15)
        return svc

    def dispatch(self, prefix, n):
        for i in range(n):
            self.assertEqual(ltmtest.publish(self.broker, "scheduler", "ltm/jobs/post",
                                             job("%s-%d" % (prefix, i))), 0)

    def published(self, prefix):
        return [m for m in self.results.messages("ltm/results")
                if m.payload.get("job_id", "").startswith(prefix + "-")]

    def forget(self, *args):
        with open(os.path.join(self.broker.state_dir, "credentials.env")) as f:
            creds = f.name
        proc = subprocess.run([FORGET, "--credentials", creds, "--url", self.broker.url, *args],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stdout)
        return proc.stdout

    def test_stale_replica_takes_jobs_until_forgotten(self):
        old = self.start_poster("old")
        self.assertEqual(old.stop(), 0, old.log())  # clean stop: offline, session kept
        self.start_poster("new")

        # Round robin: the gone replica's turns wait in its session.
        self.dispatch("before", 4)
        ltmtest.wait_until(lambda: len(self.published("before")) == 2, 15,
                           "the live replica's half of the jobs")
        self.assertEqual(len(self.published("before")), 2)

        out = self.forget("--dry-run")
        self.assertIn("would forget poster/old", out)
        self.assertNotIn("poster/new", out)
        out = self.forget()
        self.assertIn("forgot poster/old (session ltm-poster-old)", out)
        self.assertIn("1 offline replica(s) forgotten, 0 kept", out)

        self.dispatch("after", 4)
        ltmtest.wait_until(lambda: len(self.published("after")) == 4, 15,
                           "every job at the live replica")
        self.assertTrue(all(m.payload.get("status") == "published"
                            for m in self.published("after")))
        # Its retained status is gone too: nothing lists the old replica.
        statuses = subprocess.run(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(self.broker.port), "-u", "operator",
             "-P", self.broker.password("operator"), "-t", "ltm/status/poster/+",
             "--retained-only", "-W", "2", "-F", "%t"],
            stdout=subprocess.PIPE, text=True, timeout=10).stdout.split()
        self.assertEqual(statuses, ["ltm/status/poster/new"])
        self.assertIn("0 offline replica(s) forgotten, 0 kept", self.forget())

    def test_last_replica_of_a_service_keeps_its_session(self):
        only = self.start_poster("only")
        self.assertEqual(only.stop(), 0, only.log())
        out = self.forget()
        self.assertIn("kept poster/only: no poster replica is online", out)
        self.assertIn("0 offline replica(s) forgotten, 1 kept", out)
        # Jobs sent while it is down wait in its session and reach it.
        self.dispatch("queued", 2)
        only.start()
        ltmtest.wait_until(lambda: len(self.published("queued")) == 2, 15,
                           "the queued jobs after the restart")


if __name__ == "__main__":
    unittest.main()
