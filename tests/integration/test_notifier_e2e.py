"""End to end with the real scheduler and sysmonitor: the scheduler
dispatches the daily report job, the notifier builds and sends the report,
and its result closes the job in the scheduler's ledger; the sysmonitor's
alerts reach Telegram and its host metrics reach the report."""

import shutil
import tempfile
import time
import unittest

import ltmtest
from test_notifier import NotifierCase
from ltmservice import Service
from test_notifier import plain
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


class TestWithSysmonitor(NotifierCase):
    def test_sysmonitor_alert_and_host_figures(self):
        d = tempfile.mkdtemp(prefix="ltm-sysmon-")
        self.addCleanup(shutil.rmtree, d, True)
        # A 0 % disk threshold: the data dir's disk is "full" at once.
        sysmon = Service(self.broker, "sysmonitor", data_dir=d, env={
            "LTM_SYSMON_INTERVAL": "200ms", "LTM_SYSMON_DISK_THRESHOLD": "0",
            "LTM_SYSMON_HOLD_SAMPLES": "1", "LTM_SYSMON_DISKS": d})
        self.addCleanup(sysmon.close)
        alert = self.watch.wait_for(lambda m: m.payload.get("state") == "firing",
                                    topic="ltm/alerts", timeout=15).payload
        text = plain(self.wait_delivered(lambda t: alert["key"] in plain(t), timeout=15)[0])
        self.assertIn("[%s]" % alert["severity"].upper(), text)
        self.assertIn("from sysmonitor", text)
        self.watch.wait_count(3, topic="ltm/metrics/system", timeout=10)
        ltmtest.publish(self.broker, "scheduler", "ltm/jobs/report", {
            "job_id": "report:2099-01-01", "kind": "report", "attempt": 1,
            "slot": "2099-01-01T06:00:00Z", "dispatched_at": "2099-01-01T06:00:00Z"})
        # The report covers the 24 h before its slot; this one is in the
        # future, so the host figures of now are outside it...
        report = self.watch.wait_for(topic="ltm/reports/daily", timeout=10).payload
        self.assertIsNone(report["host"])
        self.assertIn(alert["key"], [a["key"] for a in report["active_alerts"]])
        # ...and one whose slot is now covers them.
        now_iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 60))
        since = self.watch.mark()
        ltmtest.publish(self.broker, "scheduler", "ltm/jobs/report", {
            "job_id": "report:" + now_iso[:10], "kind": "report", "attempt": 1,
            "slot": now_iso, "dispatched_at": now_iso})
        report = self.watch.wait_for(topic="ltm/reports/daily", since=since, timeout=10).payload
        host = report["host"]
        self.assertGreater(host["cpu"]["peak"], -1)
        self.assertGreater(host["memory"]["peak"], 0)
        self.assertEqual([x["mount"] for x in host["disks"]], [d])


if __name__ == "__main__":
    unittest.main()
