"""ltm-scheduler against the real broker: retries with their exact
(compressed) delays from a fake channel that fails twice then succeeds,
exhaustion, leases with a vanished worker, restarts with pending retries,
duplicate and late results, the missed-slot policy, the daily report job,
bad input and bad settings."""

import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest

import ltmtest
from ltmservice import Service, binary, run_once


# ---- helpers, also used by test_ltmctl*.py ----------------------------------

def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text):
    text = text.replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(text).timestamp()


def write_accounts(directory, accounts):
    path = os.path.join(directory, "accounts.json")
    with open(path, "w") as f:
        json.dump({"accounts": accounts}, f)
    return path


def seed_last_alive(data_dir, ts):
    """Makes the ledger say the scheduler was last alive at ts (seconds)."""
    db = sqlite3.connect(os.path.join(data_dir, "ledger.db"))
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    db.execute("INSERT OR REPLACE INTO meta VALUES ('last_alive_ms', ?)", (int(ts * 1000),))
    db.commit()
    db.close()


def start_scheduler(test, broker, accounts, env=None, data_dir=None, log_dir=None):
    """Starts ltm-scheduler with compressed delays; its data dir (removed at
    the end unless one is given) holds the accounts file and the ledger; its
    log goes there too unless log_dir is given."""
    full = {"LTM_RETRY_BASE_POST": "1s", "LTM_RETRY_BASE_STORY": "2s", "LTM_LEASE": "30s",
            "LTM_DAILY_REPORT_AT": "off", "LTM_SCHEDULER_TICK": "200ms", "LTM_LOG_LEVEL": "debug"}
    full.update(env or {})
    svc = Service(broker, "scheduler", env=full, data_dir=data_dir, start=False)
    test.addCleanup(svc.close)
    svc.env["LTM_ACCOUNTS_FILE"] = write_accounts(svc.data_dir, accounts)
    if log_dir:
        svc.log_path = os.path.join(log_dir, os.path.basename(svc.log_path))
    svc.start()
    svc.wait_log("mqtt connected")
    return svc


def ltmctl(broker, *args, env=None, timeout=20):
    """Runs ltmctl; returns (exit code, stdout, stderr)."""
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    full.update(broker.env_for("ltmctl") if broker else {})
    full.update(env or {})
    proc = subprocess.run([binary("ltmctl")] + list(args), env=full, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def ltmctl_json(test, broker, *args):
    code, out, err = ltmctl(broker, "--json", *args)
    test.assertEqual(code, 0, "ltmctl %s failed: %s %s" % (args, out, err))
    return json.loads(out)


def is_job(job_id, attempt=None):
    return lambda m: (isinstance(m.payload, dict) and m.payload.get("job_id") == job_id
                      and (attempt is None or m.payload.get("attempt") == attempt))


def answer(broker, job, status, retryable=False, error_class=None, final=None, **extra):
    """Publishes the result a worker would for this job (a dict)."""
    r = {"job_id": job["job_id"], "kind": job["kind"], "account": job.get("account"),
         "attempt": job["attempt"], "status": status, "retryable": retryable,
         "final": (status == "published" or not retryable
                   or job["attempt"] >= job["max_attempts"]) if final is None else final,
         "channel": "fake", "worker": "fake-worker",
         "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat()
                        .replace("+00:00", "Z")}
    if error_class:
        r["error_class"] = error_class
        r["error"] = "scripted %s failure" % error_class
    r.update(extra)
    if r["account"] is None:
        del r["account"]
    assert ltmtest.publish(broker, "poster", "ltm/results", r) == 0
    return time.time()


def scheduler_detail(watch, since=0, predicate=lambda d: True, timeout=10):
    m = watch.wait_for(lambda m: isinstance(m.payload, dict) and "detail" in m.payload
                       and predicate(m.payload["detail"]),
                       topic="ltm/status/scheduler/t1", since=since, timeout=timeout)
    return m.payload["detail"]


ACME = [{"name": "acme", "timezone": "Europe/Berlin", "schedule": {"posts": ["09:00"]}}]


class SchedulerTest(unittest.TestCase):
    def setUp(self):
        self.broker = ltmtest.Broker()
        self.addCleanup(self.broker.close)
        self.watch = ltmtest.Subscriber(self.broker, "operator", ["ltm/#"])
        self.addCleanup(self.watch.close)

    def post_now(self, text="hello"):
        out = ltmctl_json(self, self.broker, "post", "--account", "acme", "--text", text)
        self.assertTrue(out["ok"], out)
        return out["job_id"]

    def job(self, job_id, attempt, timeout=10):
        return self.watch.wait_for(is_job(job_id, attempt), topic="ltm/jobs/post",
                                   timeout=timeout).payload

    def test_fake_channel_fails_twice_then_publishes_with_exact_delays(self):
        start_scheduler(self, self.broker, ACME)
        job_id = self.post_now()
        j1 = self.job(job_id, 1)
        self.assertEqual(j1["max_attempts"], 3)
        t1 = answer(self.broker, j1, "failed", retryable=True, error_class="server")
        j2 = self.job(job_id, 2)
        t2 = answer(self.broker, j2, "failed", retryable=True, error_class="network")
        j3 = self.job(job_id, 3)
        answer(self.broker, j3, "published", remote_id="fake:1")
        # Retry n waits n x base (1 s here): 1 s, then 2 s, counted from when
        # the scheduler recorded the failure (its own clock, in the ledger).
        d1 = parse_iso(j2["dispatched_at"]) - t1
        d2 = parse_iso(j3["dispatched_at"]) - t2
        self.assertGreaterEqual(d1, 0.95)
        self.assertGreaterEqual(d2, 1.95)

        def history():
            jobs = ltmctl_json(self, self.broker, "jobs", "--account", "acme")["jobs"]
            return jobs if jobs and jobs[0]["state"] == "published" else None
        jobs = ltmtest.wait_until(history, 10, "job published in the ledger")
        self.assertEqual(len(jobs), 1)
        attempts = jobs[0]["attempts"]
        self.assertEqual([a["outcome"] for a in attempts], ["failed", "failed", "published"])
        for n in (1, 2):
            waited = (parse_iso(attempts[n]["dispatched_at"])
                      - parse_iso(attempts[n - 1]["finished_at"]))
            self.assertGreaterEqual(waited, n * 1.0, attempts)
            self.assertLess(waited, n * 1.0 + 0.5, attempts)
        code, text, _ = ltmctl(self.broker, "jobs")
        self.assertEqual(code, 0)
        self.assertIn(job_id + "  published  attempts 3/3", text)
        self.assertIn("attempt 2", text)
        ltmtest.sync(self.broker, self.watch, "scheduler", "ltm/results")
        self.assertEqual(len(self.watch.messages("ltm/jobs/post")), 3)
        finals = [m for m in self.watch.messages("ltm/results")
                  if isinstance(m.payload, dict) and m.payload.get("worker", "").startswith("ltm-scheduler")]
        self.assertEqual(finals, [])

    def test_three_failures_produce_one_final_result(self):
        start_scheduler(self, self.broker, ACME)
        env = dict(os.environ, **self.broker.env_for("ltmctl"))
        waiting = subprocess.Popen(
            [binary("ltmctl"), "--json", "--timeout", "30s", "post", "--account", "acme",
             "--text", "doomed", "--wait"], env=env, stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: waiting.poll() is None and waiting.kill())
        job_id = json.loads(waiting.stdout.readline())["job_id"]
        for attempt in (1, 2, 3):
            j = self.job(job_id, attempt)
            answer(self.broker, j, "failed", retryable=True, error_class="server", final=False)
        final = self.watch.wait_for(
            lambda m: isinstance(m.payload, dict) and m.payload.get("job_id") == job_id
            and m.payload.get("worker") == "ltm-scheduler-t1", topic="ltm/results").payload
        self.assertTrue(final["final"])
        self.assertEqual(final["status"], "failed")
        self.assertEqual(final["attempt"], 3)
        self.assertIn("3 attempts failed", final["error"])
        ltmtest.sync(self.broker, self.watch, "scheduler", "ltm/results")
        self.assertEqual(len(self.watch.messages("ltm/jobs/post")), 3)
        # ltmctl --wait saw the same final result and exits 5.
        self.assertEqual(waiting.wait(timeout=20), 5)
        outcome = json.loads(waiting.stdout.read())
        waiting.stdout.close()
        self.assertEqual((outcome["job_id"], outcome["final"]), (job_id, True))

    def test_lease_expiry_when_the_worker_vanishes(self):
        start_scheduler(self, self.broker, ACME, env={"LTM_LEASE": "1500ms"})
        job_id = self.post_now()
        j1 = self.job(job_id, 1)  # nobody answers: the worker died with it
        j2 = self.job(job_id, 2, timeout=10)
        waited = parse_iso(j2["dispatched_at"]) - parse_iso(j1["dispatched_at"])
        self.assertGreaterEqual(waited, 1.5 + 1.0 - 0.05)  # lease, then 1 x base
        answer(self.broker, j2, "published")
        # Attempt 1's worker comes back with a late failure: recorded, not counted.
        answer(self.broker, j1, "failed", retryable=True, error_class="network")
        detail = scheduler_detail(self.watch, predicate=lambda d: d["results_ignored"] >= 1)
        self.assertEqual(detail["lease_expired"], 1)
        self.assertEqual(detail["results_counted"], 1)
        jobs = ltmctl_json(self, self.broker, "jobs")["jobs"]
        self.assertEqual(jobs[0]["state"], "published")
        self.assertEqual(jobs[0]["attempts"][0]["outcome"], "lease_expired")

    def test_duplicate_results_count_once(self):
        start_scheduler(self, self.broker, ACME)
        job_id = self.post_now()
        j1 = self.job(job_id, 1)
        answer(self.broker, j1, "published")
        answer(self.broker, j1, "published")
        detail = scheduler_detail(self.watch, predicate=lambda d: d["results_ignored"] >= 1)
        self.assertEqual(detail["results_counted"], 1)
        self.assertEqual(detail["dispatched"], 1)

    def test_restart_keeps_the_pending_retry(self):
        data_dir = os.path.join(self._tmp(), "sched")
        os.makedirs(data_dir)
        env = {"LTM_RETRY_BASE_POST": "3s"}
        sched = start_scheduler(self, self.broker, ACME, env=env, data_dir=data_dir)
        job_id = self.post_now()
        j1 = self.job(job_id, 1)
        t1 = answer(self.broker, j1, "failed", retryable=True, error_class="server")
        # Killed once the ledger holds the retry (the log line comes before
        # the commit; a result lost with an uncommitted transaction is
        # recovered by the lease, which these tests do not wait for).
        ltmtest.wait_until(
            lambda: ltmctl_json(self, self.broker, "jobs")["jobs"][0]["state"] == "waiting",
            10, "retry recorded in the ledger")
        sched.kill()
        sched2 = start_scheduler(self, self.broker, ACME, env=env, data_dir=data_dir)
        j2 = self.job(job_id, 2, timeout=15)
        self.assertGreaterEqual(parse_iso(j2["dispatched_at"]) - t1, 2.95)
        attempts = ltmctl_json(self, self.broker, "jobs")["jobs"][0]["attempts"]
        waited = parse_iso(attempts[1]["dispatched_at"]) - parse_iso(attempts[0]["finished_at"])
        self.assertGreaterEqual(waited, 3.0, attempts)
        self.assertLess(waited, 4.5, attempts)
        answer(self.broker, j2, "published")
        sched2.wait_log("attempt=2")
        ltmtest.sync(self.broker, self.watch, "scheduler", "ltm/results")
        self.assertEqual(len(self.watch.messages("ltm/jobs/post")), 2)

    def test_result_sent_while_the_scheduler_is_down_waits_for_it(self):
        data_dir = os.path.join(self._tmp(), "sched")
        os.makedirs(data_dir)
        sched = start_scheduler(self, self.broker, ACME, data_dir=data_dir)
        job_id = self.post_now()
        j1 = self.job(job_id, 1)
        sched.kill()
        answer(self.broker, j1, "published")  # queued in the scheduler's session
        sched2 = start_scheduler(self, self.broker, ACME, data_dir=data_dir)
        sched2.wait_log("result job_id=%s attempt=1 status=published" % job_id)

        def state():
            jobs = ltmctl_json(self, self.broker, "jobs")["jobs"]
            return jobs[0]["state"] == "published" and jobs
        jobs = ltmtest.wait_until(state, 10, "published after the restart")
        self.assertEqual(len(jobs[0]["attempts"]), 1)
        ltmtest.sync(self.broker, self.watch, "scheduler", "ltm/results")
        self.assertEqual(len(self.watch.messages("ltm/jobs/post")), 1)

    def test_missed_slots_grace_and_daily_report_at_start(self):
        now = time.time()
        data_dir = os.path.join(self._tmp(), "sched")
        os.makedirs(data_dir)
        seed_last_alive(data_dir, now - 3 * 3600)
        old = time.gmtime(now - 2 * 3600)
        recent = time.gmtime(now - 120)
        accounts = [{"name": "acme", "timezone": "UTC", "schedule": {
            "posts": ["%02d:%02d" % (old.tm_hour, old.tm_min),
                      "%02d:%02d" % (recent.tm_hour, recent.tm_min)]}}]
        sched = start_scheduler(self, self.broker, accounts, data_dir=data_dir, env={
            "LTM_MISSED_GRACE": "1h", "LTM_DAILY_REPORT_AT": "%02d:%02d" % (recent.tm_hour, recent.tm_min)})
        old_slot = iso(now - 2 * 3600 - old.tm_sec)
        recent_slot = iso(now - 120 - recent.tm_sec)
        missed = self.watch.wait_for(is_job("post:acme:" + old_slot), topic="ltm/results").payload
        self.assertEqual(missed["status"], "missed")
        self.assertTrue(missed["final"])
        j = self.watch.wait_for(is_job("post:acme:" + recent_slot), topic="ltm/jobs/post").payload
        self.assertEqual(j["attempt"], 1)
        report = self.watch.wait_for(is_job("report:" + recent_slot[:10]),
                                     topic="ltm/jobs/report").payload
        self.assertEqual(report["kind"], "report")
        self.assertNotIn("account", report)
        # A second start at once dispatches nothing again.
        sched.stop()
        mark = self.watch.mark()
        start_scheduler(self, self.broker, accounts, data_dir=data_dir)
        ltmtest.sync(self.broker, self.watch, "scheduler", "ltm/results")
        again = [m for m in self.watch.messages(since=mark)
                 if m.topic.startswith("ltm/jobs/") and m.payload.get("attempt") == 1]
        self.assertEqual(again, [])

    def test_bad_messages_go_to_the_dlq_and_service_continues(self):
        start_scheduler(self, self.broker, ACME)
        ltmtest.publish(self.broker, "poster", "ltm/results", "{not json")
        dlq = self.watch.wait_for(topic="ltm/dlq").payload
        self.assertEqual(dlq["topic"], "ltm/results")
        ltmtest.publish(self.broker, "ltmctl", "ltm/commands/scheduler",
                        {"request_id": "../../x", "command": "jobs"})
        dlq = self.watch.wait_for(lambda m: "request_id" in json.dumps(m.payload),
                                  topic="ltm/dlq").payload
        self.assertIn("request_id", dlq["reason"])
        self.assertTrue(self.post_now().startswith("post:acme:ondemand:"))

    def test_bad_settings_stop_at_start(self):
        tmp = self._tmp()
        good = write_accounts(tmp, ACME)
        base = dict(self.broker.env_for("scheduler"), LTM_DATA_DIR=tmp, LTM_ACCOUNTS_FILE=good)
        code, out = run_once("scheduler", dict(base, LTM_DAILY_REPORT_AT="25:00"))
        self.assertEqual(code, 78, out)
        self.assertIn("LTM_DAILY_REPORT_AT", out)
        code, out = run_once("scheduler", dict(base, DATABASE_URL="postgres://u:hunter2@h/db"))
        self.assertEqual(code, 78, out)
        self.assertIn("DATABASE_URL", out)
        self.assertNotIn("hunter2", out)
        bad = os.path.join(tmp, "bad.json")
        with open(bad, "w") as f:
            json.dump({"accounts": [{"name": "acme", "schedule": {"posts": ["9h"]}}]}, f)
        code, out = run_once("scheduler", dict(base, LTM_ACCOUNTS_FILE=bad))
        self.assertEqual(code, 78, out)
        self.assertIn('account "acme": field schedule.posts[0]: expected HH:MM', out)

    def _tmp(self):
        d = tempfile.mkdtemp(prefix="ltm-sched-test-")
        self.addCleanup(shutil.rmtree, d, True)
        return d


if __name__ == "__main__":
    unittest.main()
