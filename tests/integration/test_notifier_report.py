"""The daily report: figures checked against the results fed in, the JSON on
ltm/reports/daily, the report job's own result, and no second message when
the scheduler sends the job again."""

import time
import unittest

import ltmtest
from test_notifier import NotifierCase, alert, iso, plain
from test_notifier_rules import result


HOUR_MS = 3600000


def check(account, post, age_h, status="read", figures=None, attempt=1, final=True,
          error_class=None, remote_id=None):
    """An engagement check's result, as a worker publishes it (docs/topics.md)."""
    r = {"job_id": "engagement:%s@%dh" % (post, age_h), "kind": "engagement", "account": account,
         "attempt": attempt, "status": status, "retryable": not final, "final": final,
         "channel": "linkedin", "remote_id": remote_id or "urn:li:share:" + post,
         "worker": "ltm-poster-1", "post_job_id": post, "age_ms": age_h * HOUR_MS,
         "durations_ms": {"generate": 0, "image": 0, "publish": 300}, "finished_at": iso()}
    if status == "read":
        r["figures"] = figures
    elif status == "failed":
        r["error_class"] = error_class or "server"
        r["error"] = "HTTP 403: no analytics scope"
    return r


def expected_engagement(checks):
    """The report's engagement figures computed apart from the notifier: per
    post the reading of the greatest age, summed; the best post by engagement,
    then impressions, then job id."""
    latest, failed, gone, blocked = {}, 0, 0, 0
    for c in checks:
        if c["status"] == "read":
            old = latest.get(c["post_job_id"])
            if old is None or c["age_ms"] >= old["age_ms"]:
                latest[c["post_job_id"]] = c
        elif c["status"] == "gone":
            gone += 1
        elif c["final"] and c.get("error_class") in ("permission", "quota", "rate_limited"):
            blocked += 1  # the scheduler's own alert or its waiting: not a failure
        elif c["final"]:
            failed += 1
    totals = {}
    for c in latest.values():
        for k, v in c["figures"].items():
            totals[k] = totals.get(k, 0) + v
    engagement = lambda c: sum(c["figures"].get(k, 0)  # noqa: E731
                               for k in ("reactions", "comments", "shares", "saves"))
    best = min(latest.values(), default=None,
               key=lambda c: (-engagement(c), -c["figures"].get("impressions", -1),
                              c["post_job_id"]))
    return {"posts_read": len(latest), "totals": totals, "checks_failed": failed,
            "checks_gone": gone, "checks_blocked": blocked, "best": best, "best_engagement": best and engagement(best)}


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

    def test_report_engagement_figures(self):
        posts = [result("acme", "published", job="post:acme:A"),
                 result("acme", "published", job="post:acme:B")]
        posts[0]["theme"] = "product tips"
        acme = [
            check("acme", "post:acme:A", 1, figures={"impressions": 150, "reach": 120,
                                                     "reactions": 6, "comments": 1, "shares": 0}),
            check("acme", "post:acme:A", 24, figures={"impressions": 1200, "reach": 800,
                                                      "reactions": 35, "comments": 4, "shares": 2}),
            # engagement 41 as A's 24 h reading, more impressions: the best post
            check("acme", "post:acme:B", 1, figures={"impressions": 2000, "reactions": 30,
                                                     "comments": 10, "shares": 1}),
            check("acme", "post:acme:C", 24, status="gone"),
            check("acme", "post:acme:D", 1, status="failed", final=False),
            check("acme", "post:acme:D", 1, status="failed", attempt=2, error_class="auth"),
            check("acme", "post:acme:E", 1, status="failed", error_class="permission"),
            check("acme", "post:acme:F", 1, status="failed", error_class="quota"),
        ]
        beta = [check("beta", "story:beta:S", 1, remote_id="17900000000000001",
                      figures={"impressions": 50, "reach": 40, "comments": 2})]
        # Delivered twice: counts once.
        sent = posts + acme + [dict(acme[1])] + beta
        self.assertEqual(ltmtest.publish_lines(self.broker, "poster", "ltm/results", sent), 0)
        date = time.strftime("%Y-%m-%d", time.gmtime())
        ltmtest.publish(self.broker, "scheduler", "ltm/jobs/report", report_job(date))
        report = self.watch.wait_for(topic="ltm/reports/daily", timeout=10).payload
        accounts = {a["account"]: a for a in report["accounts"]}
        for name, checks in (("acme", acme), ("beta", beta)):
            want, got = expected_engagement(checks), accounts[name]["engagement"]
            self.assertEqual(got["posts_read"], want["posts_read"], name)
            self.assertEqual(got["totals"], want["totals"], name)
            self.assertEqual((got["checks_failed"], got["checks_gone"], got["checks_blocked"]),
                             (want["checks_failed"], want["checks_gone"],
                              want["checks_blocked"]), name)
            best = want["best"]
            self.assertEqual(got["best_post"], {
                "post_job_id": best["post_job_id"], "remote_id": best["remote_id"],
                "age_ms": best["age_ms"], "engagement": want["best_engagement"],
                "figures": best["figures"]}, name)
        self.assertEqual(accounts["acme"]["engagement"]["totals"],
                         {"impressions": 3200, "reach": 800, "reactions": 65, "comments": 14,
                          "shares": 3})  # no "saves": no post offered it
        self.assertEqual(accounts["acme"]["engagement"]["best_post"]["post_job_id"], "post:acme:B")
        # Checks are not publications: two posts, nothing failed.
        self.assertEqual((accounts["acme"]["posts_published"], accounts["acme"]["failed"],
                          accounts["acme"]["retried"]), (2, 0, 0))
        self.assertEqual(accounts["beta"]["posts_published"], 0)
        self.assertEqual(report["overall"]["engagement"]["posts_read"], 3)
        self.assertEqual(report["overall"]["engagement"]["totals"]["impressions"], 3250)
        text = plain(self.wait_delivered(lambda t: "LTM daily report" in t)[0])
        self.assertIn("acme: 2 posts and 0 stories published, 0 failed", text)
        self.assertIn("engagement: 2 posts read; impressions 3200, reach 800, reactions 65, "
                      "comments 14, shares 3\nbest post: post:acme:B (urn:li:share:post:acme:B) "
                      "at 1h, engagement 41; impressions 2000, reactions 30, comments 10, "
                      "shares 1\nengagement checks: 1 failed, 1 gone, 2 blocked (no permission, "
                      "quota or rate limit)", text)
        self.assertIn("beta: 0 posts and 0 stories published", text)
        self.assertIn("engagement: 1 posts read; impressions 50, reach 40, comments 2\n"
                      "best post: story:beta:S (17900000000000001) at 1h, engagement 2", text)
        # A failed check is no publishing failure.
        self.assertFalse(any("results.failures" in t for t in self.tg.delivered()))

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
