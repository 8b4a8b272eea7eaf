"""Engagement checks (issue 15) with the real broker and the real
ltm-scheduler; the test plays the worker. A post answered `published` gets
its checks at the (compressed) ages on ltm/jobs/engagement, naming the post;
the figures answered are kept in the ledger as a time series and shown in the
status detail; a quota exhausted by two checks in flight pauses the source
with one alert, resolved once a check is read again."""

import datetime
import os
import shutil
import sqlite3
import tempfile
import unittest

import ltmtest
from ltmservice import run_once
from test_scheduler import (ACME, answer, is_job, ltmctl_json, parse_iso, scheduler_detail,
                            start_scheduler, write_accounts)

FIGURES_2S = {"impressions": 120, "reach": 80, "reactions": 7, "comments": 1, "shares": 0}
FIGURES_4S = {"impressions": 410, "reach": 230, "reactions": 19, "comments": 3, "shares": 2}


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


class EngagementTest(unittest.TestCase):
    def setUp(self):
        self.broker = ltmtest.Broker()
        self.addCleanup(self.broker.close)
        self.watch = ltmtest.Subscriber(self.broker, "operator", ["ltm/#"])
        self.addCleanup(self.watch.close)

    def start(self, env):
        full = {"LTM_RETRY_BASE_ENGAGEMENT": "1s"}
        full.update(env)
        return start_scheduler(self, self.broker, ACME, env=full)

    def published_post(self, channel):
        """A post from ltmctl answered published; returns (job id, when)."""
        out = ltmctl_json(self, self.broker, "post", "--account", "acme", "--text", "hello")
        self.assertTrue(out["ok"], out)
        job = self.watch.wait_for(is_job(out["job_id"], 1), topic="ltm/jobs/post",
                                  timeout=10).payload
        at = answer(self.broker, job, "published", remote_id="urn:li:share:7", channel=channel,
                    theme="tips")
        return out["job_id"], at

    def check(self, job_id, attempt=1, timeout=10):
        return self.watch.wait_for(is_job(job_id, attempt), topic="ltm/jobs/engagement",
                                   timeout=timeout).payload

    def answer_check(self, job, status, figures=None, error_class=None, retry_after_ms=None):
        r = {"job_id": job["job_id"], "kind": "engagement", "account": job["account"],
             "attempt": job["attempt"], "status": status,
             "retryable": status == "failed" and error_class != "permission",
             "final": status != "failed", "channel": job["channel"],
             "remote_id": job["remote_id"], "worker": "fake-worker",
             "post_job_id": job["post_job_id"], "age_ms": job["age_ms"],
             "finished_at": now_iso()}
        if figures is not None:
            r["figures"] = figures
        if error_class:
            r["error_class"] = error_class
            r["error"] = "scripted %s answer" % error_class
        if retry_after_ms:
            r["retry_after_ms"] = retry_after_ms
        self.assertEqual(ltmtest.publish(self.broker, "poster", "ltm/results", r), 0)

    def ledger(self, sched):
        db = sqlite3.connect(os.path.join(sched.data_dir, "ledger.db"), timeout=10)
        self.addCleanup(db.close)
        return db

    def test_checks_at_their_ages_and_readings_in_the_ledger(self):
        sched = self.start({"LTM_ENGAGEMENT_AGES": "2s,4s"})
        post_id, published = self.published_post("linkedin")
        c2 = self.check("engagement:%s@2s" % post_id)
        self.assertEqual(c2["kind"], "engagement")
        self.assertEqual(c2["account"], "acme")
        self.assertEqual(c2["post_job_id"], post_id)
        self.assertEqual(c2["post_kind"], "post")
        self.assertEqual(c2["channel"], "linkedin")
        self.assertEqual(c2["remote_id"], "urn:li:share:7")
        self.assertEqual(c2["age_ms"], 2000)
        # Due 2 s after the publication the worker reported (its finished_at).
        pub = parse_iso(c2["published_at"])
        self.assertAlmostEqual(pub, published, delta=0.5)
        self.assertAlmostEqual(parse_iso(c2["slot"]), pub + 2, delta=0.01)
        waited = parse_iso(c2["dispatched_at"]) - pub
        self.assertGreaterEqual(waited, 2.0 - 0.01)
        self.assertLess(waited, 3.0)
        self.answer_check(c2, "read", FIGURES_2S)
        c4 = self.check("engagement:%s@4s" % post_id)
        self.assertEqual(c4["age_ms"], 4000)
        waited = parse_iso(c4["dispatched_at"]) - pub
        self.assertGreaterEqual(waited, 4.0 - 0.01)
        self.assertLess(waited, 5.0)
        self.answer_check(c4, "read", FIGURES_4S)

        detail = scheduler_detail(
            self.watch, predicate=lambda d: d.get("engagement", {}).get("read") == 2, timeout=15)
        self.assertEqual(detail["engagement"]["dispatched"], 2)
        self.assertEqual(detail["engagement"]["due"], 0)
        posts = detail["recent_posts"]
        self.assertEqual(len(posts), 1)
        self.assertEqual(posts[0]["job_id"], post_id)
        self.assertEqual(posts[0]["theme"], "tips")
        self.assertEqual(posts[0]["state"], "live")
        self.assertEqual(posts[0]["readings"], 2)
        self.assertEqual(posts[0]["latest"]["age_ms"], 4000)
        self.assertEqual(posts[0]["latest"]["figures"], FIGURES_4S)

        db = self.ledger(sched)
        rows = db.execute("SELECT age_ms, impressions, reach, reactions, comments, shares, saves"
                          " FROM readings WHERE post_job_id = ? ORDER BY age_ms",
                          (post_id,)).fetchall()
        self.assertEqual(rows, [
            (2000, 120, 80, 7, 1, 0, None),
            (4000, 410, 230, 19, 3, 2, None)])
        post = db.execute("SELECT channel, remote_id, theme, state FROM posts WHERE job_id = ?",
                          (post_id,)).fetchone()
        self.assertEqual(post, ("linkedin", "urn:li:share:7", "tips", "live"))
        jobs = ltmctl_json(self, self.broker, "jobs", "--account", "acme")["jobs"]
        states = {j["job_id"]: j["state"] for j in jobs}
        self.assertEqual(states, {post_id: "published", c2["job_id"]: "read",
                                  c4["job_id"]: "read"})
        ltmtest.sync(self.broker, self.watch, "scheduler", "ltm/results")
        self.assertEqual(len(self.watch.messages("ltm/jobs/engagement")), 2)

    def test_quota_pauses_the_source_with_one_alert(self):
        self.start({"LTM_ENGAGEMENT_AGES": "1s,2s", "LTM_ENGAGEMENT_QUOTA_PAUSE": "2s"})
        post_id, _ = self.published_post("rapidapi")
        c1 = self.check("engagement:%s@1s" % post_id)
        c2 = self.check("engagement:%s@2s" % post_id)
        # Both in flight when the quota runs out.
        self.answer_check(c1, "failed", error_class="quota")
        self.answer_check(c2, "failed", error_class="quota")
        alert = self.watch.wait_for(topic="ltm/alerts", timeout=10).payload
        self.assertEqual(alert["key"], "engagement.quota.rapidapi.acme")
        self.assertEqual(alert["state"], "firing")
        self.assertEqual(alert["severity"], "warning")
        self.assertEqual(alert["source"], "scheduler")
        self.assertIn("rapidapi", alert["summary"])
        self.assertIn("acme", alert["summary"])
        detail = scheduler_detail(
            self.watch, predicate=lambda d: d.get("engagement", {}).get("paused"))
        self.assertEqual(detail["engagement"]["paused"][0]["source"], "rapidapi:acme")
        # After the pause both go out again, as attempt 2 (no attempt burned).
        again1 = self.check(c1["job_id"], 2)
        again2 = self.check(c2["job_id"], 2)
        self.assertEqual(again1["max_attempts"], 4)
        self.assertGreaterEqual(parse_iso(again1["dispatched_at"]) - parse_iso(c1["dispatched_at"]),
                                2.0)
        self.answer_check(again1, "read", FIGURES_2S)
        self.answer_check(again2, "read", FIGURES_4S)
        resolved = self.watch.wait_for(
            lambda m: m.payload.get("state") == "resolved", topic="ltm/alerts", timeout=10).payload
        self.assertEqual(resolved["key"], "engagement.quota.rapidapi.acme")
        scheduler_detail(self.watch, predicate=lambda d: d.get("engagement", {}).get("read") == 2,
                         timeout=10)
        ltmtest.sync(self.broker, self.watch, "scheduler", "ltm/results")
        alerts = [m.payload["state"] for m in self.watch.messages("ltm/alerts")]
        self.assertEqual(alerts, ["firing", "resolved"])

    def test_bad_engagement_settings_stop_at_start(self):
        tmp = tempfile.mkdtemp(prefix="ltm-sched-test-")
        self.addCleanup(shutil.rmtree, tmp, True)
        base = dict(self.broker.env_for("scheduler"), LTM_DATA_DIR=tmp,
                    LTM_ACCOUNTS_FILE=write_accounts(tmp, ACME))
        for name, value, words in (
                ("LTM_ENGAGEMENT_AGES", "1h,soon", "1h,24h,7d"),
                ("LTM_ENGAGEMENT_STORY_AGES", "1h,24h", "24 h"),
                ("LTM_ENGAGEMENT_BUDGET", "linkedin=4/1d", "5 calls"),
                ("LTM_ENGAGEMENT_BUDGET", "facebook=10/1h", "channels"),
                ("LTM_LEDGER_RETENTION", "7d", "oldest of LTM_ENGAGEMENT_AGES")):
            code, out = run_once("scheduler", dict(base, **{name: value}))
            self.assertEqual(code, 78, out)
            self.assertIn(name, out)
            self.assertIn(words, out)


if __name__ == "__main__":
    unittest.main()
