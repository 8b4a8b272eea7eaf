"""End to end with the real scheduler: it dispatches the daily report job,
the notifier builds and sends the report, and its result closes the job in
the scheduler's ledger (no second attempt after the lease)."""

import shutil
import tempfile
import time
import unittest

import ltmtest
from test_notifier import NotifierCase
from test_scheduler import ltmctl_json, seed_last_alive, start_scheduler


class TestReportWithScheduler(NotifierCase):
    def test_scheduler_report_job_is_sent_and_closed(self):
        now = time.time()
        recent = time.gmtime(now - 120)
        data_dir = tempfile.mkdtemp(prefix="ltm-scheduler-")
        self.addCleanup(shutil.rmtree, data_dir, True)
        seed_last_alive(data_dir, now - 3 * 3600)
        accounts = [{"name": "acme", "timezone": "UTC", "schedule": {"posts": []}}]
        start_scheduler(self, self.broker, accounts, data_dir=data_dir, env={
            "LTM_MISSED_GRACE": "1h", "LTM_LEASE": "3s",
            "LTM_DAILY_REPORT_AT": "%02d:%02d" % (recent.tm_hour, recent.tm_min)})
        date = time.strftime("%Y-%m-%d", recent)
        job = self.watch.wait_for(lambda m: m.payload.get("job_id") == "report:" + date,
                                  topic="ltm/jobs/report", timeout=10).payload
        report = self.watch.wait_for(topic="ltm/reports/daily", timeout=10).payload
        self.assertEqual(report["job_id"], job["job_id"])
        self.assertEqual(report["to"][:16], job["slot"][:16])
        self.wait_delivered(lambda t: "LTM daily report" in t)
        result = self.watch.wait_for(
            lambda m: m.payload.get("job_id") == job["job_id"] and m.payload.get("kind") == "report",
            topic="ltm/results", timeout=10).payload
        self.assertEqual((result["status"], result["final"], result["attempt"]),
                         ("published", True, 1))

        def closed():
            jobs = ltmctl_json(self, self.broker, "jobs", "--since", "1d")["jobs"]
            mine = [j for j in jobs if j.get("job_id") == job["job_id"]]
            return mine and mine[0].get("state") == "published" and mine
        # Closed: the scheduler will not send attempt 2 when the lease ends.
        ltmtest.wait_until(closed, 10, "the report job closed in the scheduler's ledger")
        ltmtest.sync(self.broker, self.watch, "scheduler", "ltm/results")
        attempts = [m for m in self.watch.messages("ltm/jobs/report")
                    if m.payload.get("job_id") == job["job_id"]]
        self.assertEqual(len(attempts), 1)


if __name__ == "__main__":
    unittest.main()
