"""The daily report: figures checked against the results fed in, the JSON on
ltm/reports/daily, the report job's own result, and no second message when
the scheduler sends the job again."""

import time
import unittest

import ltmtest
from test_notifier import NotifierCase, alert, iso, plain
from test_notifier_rules import result


def report_job(date, attempt=1):
    return {"job_id": "report:" + date, "kind": "report", "attempt": attempt, "max_attempts": 3,
            "slot": iso(time.time() + 60), "dispatched_at": iso(), "lease_ms": 60000}


class TestDailyReport(NotifierCase):
    def feed(self):
        acme = [result("acme", "published", publish_ms=ms) for ms in (100, 300, 200)]
        acme.append(result("acme", "published", publish_ms=400, kind="story"))
        acme.append(result("acme", "failed", final=False, job="post:acme:r"))    # retried
        acme.append(result("acme", "failed", final=True, attempt=2, job="post:acme:r"))
        acme.append(result("acme", "missed"))
        beta = [result("be<t>a&", "failed"), result("be<t>a&", "published", publish_ms=1000)]
        # The same result delivered twice counts once.
        beta.append(dict(beta[-1]))
        rc = ltmtest.publish_lines(self.broker, "poster", "ltm/results", acme + beta)
        self.assertEqual(rc, 0)
        samples = [{"cpu_percent": 10, "memory_percent": 40, "disks": [{"mount": "/", "percent": 70}]},
                   # the sysmonitor's own nested shape
                   {"cpu": {"percent": 50}, "disks": [{"path": "/", "percent": 72}]},
                   {"cpu_percent": 30, "memory_percent": 60, "unknown": True}]
        rc = ltmtest.publish_lines(self.broker, "sysmonitor", "ltm/metrics/system", samples, qos=0)
        self.assertEqual(rc, 0)
        self.send_alerts([alert("host.cpu", severity="critical")])
        self.wait_delivered(lambda t: "host.cpu" in t)

    def test_report_figures_json_result_and_message(self):
        self.feed()
        date = time.strftime("%Y-%m-%d", time.gmtime())
        ltmtest.publish(self.broker, "scheduler", "ltm/jobs/report", report_job(date))
        report = self.watch.wait_for(topic="ltm/reports/daily", timeout=10).payload
        self.assertEqual(report["date"], date)
        accounts = {a["account"]: a for a in report["accounts"]}
        acme, beta, overall = accounts["acme"], accounts["be<t>a&"], report["overall"]
        self.assertEqual((acme["posts_published"], acme["stories_published"], acme["failed"],
                          acme["retried"], acme["missed"]), (3, 1, 1, 1, 1))
        self.assertAlmostEqual(acme["success_rate"], 80.0)
        self.assertEqual(acme["publish_ms"], {"count": 4, "median": 250, "p95": 400})
        self.assertEqual((beta["posts_published"], beta["failed"]), (1, 1))
        self.assertAlmostEqual(beta["success_rate"], 50.0)
        self.assertEqual((overall["posts_published"], overall["stories_published"],
                          overall["failed"], overall["retried"], overall["missed"]),
                         (4, 1, 2, 1, 1))
        self.assertAlmostEqual(overall["success_rate"], 500 / 7)
        self.assertEqual(overall["publish_ms"], {"count": 5, "median": 300, "p95": 1000})
        self.assertEqual(report["host"]["cpu"], {"peak": 50, "avg": 30})
        self.assertEqual(report["host"]["memory"], {"peak": 60, "avg": 50})
        self.assertEqual(report["host"]["disks"], [{"peak": 72, "avg": 71, "mount": "/"}])
        self.assertEqual([a["key"] for a in report["active_alerts"]], ["host.cpu"])

        closed = self.watch.wait_for(lambda m: m.payload.get("job_id") == "report:" + date,
                                     topic="ltm/results", timeout=10).payload
        self.assertEqual((closed["kind"], closed["status"], closed["final"]),
                         ("report", "published", True))
        text = plain(self.wait_delivered(lambda t: "LTM daily report" in t)[0])
        self.assertIn("be<t>a&: 1 posts and 0 stories published, 1 failed", text)
        self.assertIn("success 80.0 %", text)
        self.assertIn("CPU 50 % / 30 %", text)

        # The scheduler's lease expired and it sends the job again: closed
        # again, but the report is not sent twice.
        since = self.watch.mark()
        ltmtest.publish(self.broker, "scheduler", "ltm/jobs/report", report_job(date, attempt=2))
        again = self.watch.wait_for(lambda m: m.payload.get("job_id") == "report:" + date,
                                    topic="ltm/results", since=since, timeout=10).payload
        self.assertEqual(again["attempt"], 2)
        ltmtest.sync(self.broker, self.watch, "sysmonitor", "ltm/alerts")
        self.assertEqual(len([t for t in self.tg.delivered() if "LTM daily report" in t]), 1)
        self.assertEqual(self.watch.messages("ltm/reports/daily", since=since), [])

    def test_report_without_host_data_and_bad_job(self):
        ltmtest.publish(self.broker, "scheduler", "ltm/jobs/report",
                        {"job_id": "x", "kind": "post", "account": "a", "attempt": 1,
                         "slot": iso(), "dispatched_at": iso()})
        dlq = self.watch.wait_for(topic="ltm/dlq", timeout=10).payload
        self.assertIn("kind", dlq["reason"])
        ltmtest.publish(self.broker, "scheduler", "ltm/jobs/report", report_job("2026-01-02"))
        report = self.watch.wait_for(topic="ltm/reports/daily", timeout=10).payload
        self.assertIsNone(report["host"])
        self.assertEqual(report["host_note"], "no host data")
        self.assertEqual(report["overall"]["success_rate"], None)
        text = plain(self.wait_delivered(lambda t: "LTM daily report" in t)[0])
        self.assertIn("no host data", text)
        self.assertIn("No post or story was due", text)


if __name__ == "__main__":
    unittest.main()
