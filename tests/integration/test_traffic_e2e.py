"""Issue 15's "done when" on the whole stack: the real scheduler, poster,
notifier and health gateway with ltmctl, in live mode against the fake
LinkedIn, Instagram and Telegram, with a sandbox account beside them. Posts
and a story are published, their figures read at compressed ages (3 s and 8 s), and the
daily report, /status, /metrics and `ltmctl traffic` show exactly the
figures the fakes served; an account whose analytics quota is used up has
its checks paused with exactly one alert."""

import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fakes"))

import ltmtest  # noqa: E402
from publishing import AUTHOR, IG_USER, PublishingCase, accounts  # noqa: E402
from telegram import FakeTelegram  # noqa: E402
from test_gateway import Gateway  # noqa: E402
from test_notifier import Notifier, plain  # noqa: E402
from test_gateway import request  # noqa: E402
from test_scheduler import (ltmctl, ltmctl_json, parse_iso, scheduler_detail,
                            start_scheduler)  # noqa: E402

AGES = ("3s", "8s")
AGE_MS = (3000, 8000)
MEMBER = "urn:li:person:quota-member"
# What the fake LinkedIn serves for acme's post, at the first age, then the second.
ACME_FIGURES = ({"impressions": 120, "reach": 90, "reactions": 7, "comments": 2, "shares": 1},
                {"impressions": 480, "reach": 300, "reactions": 25, "comments": 6, "shares": 3})
# Instagram story insights (views, reach, replies, shares) at each age, and
# what they are in LTM's terms.
STORY_INSIGHTS = ({"views": 40, "reach": 31, "replies": 2, "shares": 1},
                  {"views": 95, "reach": 70, "replies": 5, "shares": 4})
STORY_FIGURES = tuple({"impressions": i["views"], "reach": i["reach"], "comments": i["replies"],
                       "shares": i["shares"]} for i in STORY_INSIGHTS)


def engagement(figures):
    return sum(figures.get(k, 0) for k in ("reactions", "comments", "shares", "saves"))


def read_result(job_id, age_ms):
    return lambda m: (isinstance(m.payload, dict) and m.payload.get("kind") == "engagement"
                      and m.payload.get("post_job_id") == job_id
                      and m.payload.get("age_ms") == age_ms and m.payload.get("final") is True)


class TrafficLoopTest(PublishingCase):
    def setUp(self):
        super().setUp()
        self.tg = FakeTelegram()
        self.addCleanup(self.tg.close)
        linkedin = {"type": "linkedin", "author": AUTHOR, "token_env": "ACME_LINKEDIN_TOKEN"}
        member = dict(linkedin, author=MEMBER)
        ig = {"type": "instagram", "user_id": IG_USER, "token_env": "ACME_IG_TOKEN"}
        self.data = accounts(acme={"channel": linkedin}, quo={"channel": member},
                             sandy={"channel": {"type": "sandbox"}},
                             insta={"channel": ig, "stories": {
                                 "channel": dict(ig),
                                 "image_urls": ["https://cdn.example.com/story-1.jpg"]}})
        ages = ",".join(AGES)
        self.sched = start_scheduler(self, self.broker, self.data["accounts"], env={
            "LTM_ENGAGEMENT_AGES": ages, "LTM_ENGAGEMENT_STORY_AGES": ages,
            "LTM_RETRY_BASE_ENGAGEMENT": "1s", "LTM_ENGAGEMENT_QUOTA_PAUSE": "1h",
            "LTM_HEARTBEAT_INTERVAL": "300ms"})
        self.poster = self.worker("poster", data=self.data)
        self.stories = self.worker("story-publisher", data=self.data)
        self.notifier = Notifier(self.broker, self.tmp, self.tg)
        self.addCleanup(self.notifier.stop)
        self.gw = Gateway(self.broker)
        self.addCleanup(self.gw.close)

    def publish(self, account, text=None, kind="post"):
        what = ["--text", text] if text else []
        code, out, err = ltmctl(self.broker, "--json", "--timeout", "30s", kind, "--account",
                                account, *what, "--wait", timeout=40)
        self.assertEqual(code, 0, out + err)
        reply, outcome = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(outcome["status"], "published", outcome)
        return reply["job_id"], outcome["remote_id"]

    def reading(self, job_id, n, timeout=20):
        r = self.watch.wait_for(read_result(job_id, AGE_MS[n]), topic="ltm/results",
                                timeout=timeout).payload
        self.assertEqual(r["status"], "read", r)
        return r["figures"]

    def test_figures_read_back_everywhere_and_quota_pauses_with_one_alert(self):
        acme_job, urn = self.publish("acme", "What small teams learn from outages")
        self.li.set_figures(urn, **ACME_FIGURES[0])
        sandy_job, _ = self.publish("sandy", "A sandbox post")
        self.li.script("member_stats", self.li.daily_limit())
        story_job, media_id = self.publish("insta", kind="story")
        self.ig.figures(media_id, *STORY_INSIGHTS)
        quo_job, _ = self.publish("quo", "A member post whose figures hit the daily limit")

        self.assertEqual(self.reading(acme_job, 0), ACME_FIGURES[0])
        self.li.set_figures(urn, **ACME_FIGURES[1])
        self.assertEqual(self.reading(acme_job, 1), ACME_FIGURES[1])
        sandy = [self.reading(sandy_job, 0), self.reading(sandy_job, 1)]
        self.assertTrue(all(sandy[1][k] >= sandy[0][k] for k in sandy[0]), sandy)
        self.assertEqual([self.reading(story_job, 0), self.reading(story_job, 1)],
                         list(STORY_FIGURES))
        latest = {acme_job: ACME_FIGURES[1], sandy_job: sandy[1], story_job: STORY_FIGURES[1]}

        # The quota: one call, one alert, and the second check held back
        # although its age (8 s after quo's post, published after sandy's
        # second reading was due) has passed.
        def quota_alerts():
            return [m.payload for m in self.watch.messages("ltm/alerts")
                    if m.payload.get("key") == "engagement.quota.linkedin.quo"]
        ltmtest.wait_until(quota_alerts, 10, "the quota alert")
        first_check = self.watch.wait_for(
            lambda m: m.payload.get("post_job_id") == quo_job, topic="ltm/jobs/engagement",
            timeout=5).payload
        ltmtest.wait_until(lambda: self.tg.delivered() and [
            t for t in self.tg.delivered() if "quo" in t and "quota" in t.lower()],
            15, "the quota alert on Telegram")
        ltmtest.wait_until(lambda: time.time() * 1000 > parse_iso(first_check["published_at"])
                           * 1000 + AGE_MS[1] + 1500, 15, "quo's second age passed")
        ltmtest.sync(self.broker, self.watch, "scheduler", "ltm/alerts")
        self.assertEqual([a["state"] for a in quota_alerts()], ["firing"])
        self.assertEqual(len(self.li.calls("member_stats")), 1)
        quo_checks = [m.payload for m in self.watch.messages("ltm/jobs/engagement")
                      if m.payload.get("post_job_id") == quo_job]
        self.assertEqual([(c["age_ms"], c["attempt"]) for c in quo_checks], [(AGE_MS[0], 1)])
        sent = [t for t in self.tg.delivered() if "quo" in t and "quota" in t.lower()]
        self.assertEqual(len(sent), 1, sent)
        scheduler_detail(self.watch, since=self.watch.mark(), predicate=lambda d: any(
            "quo" in p["source"] for p in d["engagement"]["paused"]))

        # ltmctl traffic: one post per account read, medians are its engagement
        # at the reference age: of the ages 3s,8s the one closest to 24 h, 8 s.
        traffic = ltmctl_json(self, self.broker, "traffic", "--days", "1")
        self.assertEqual(traffic["ages"], {"post": AGE_MS[1], "story": AGE_MS[1]})
        by_account = {r["key"]: r for r in traffic["rankings"]["accounts"]}
        for job, figs in latest.items():
            account = job.split(":")[1]
            self.assertEqual(by_account[account]["median_engagement"], engagement(figs))
            self.assertEqual(by_account[account]["median_impressions"], figs["impressions"])
        # quo's checks are held by the quota: not read at 8 s, unread, not a zero.
        self.assertEqual((by_account["quo"]["posts"], by_account["quo"]["unread"]), (0, 1))
        code, table, err = ltmctl(self.broker, "traffic", "--days", "1")
        self.assertEqual(code, 0, err)
        self.assertIn("\nAccounts, figures at 8s\n", table)
        self.assertRegex(table, r"acme\s+1\s.*\b%d\b" % engagement(ACME_FIGURES[1]))
        early = ltmctl_json(self, self.broker, "traffic", "--days", "1", "--age", "3s")
        acme = [r for r in early["rankings"]["accounts"] if r["key"] == "acme"][0]
        self.assertEqual(acme["median_engagement"], engagement(ACME_FIGURES[0]))

        # /status: the recent posts with their latest figures, from the scheduler.
        def shown(code, body):
            posts = {p["job_id"]: p for p in body.get("engagement", {}).get("recent_posts", [])}
            return all(posts.get(j, {}).get("latest") and
                       posts[j]["latest"]["figures"] == f for j, f in latest.items())
        status = self.gw.wait_for("/status", shown, "recent posts with their latest figures")
        accounts_seen = {a["account"]: a for a in status["engagement"]["accounts"]}
        self.assertEqual(accounts_seen["acme"]["figures"], ACME_FIGURES[1])

        # /metrics: the per-account sums of the latest readings.
        code, _, body = request(self.gw.port, "/metrics")
        self.assertEqual(code, 200)
        metrics = body.decode()
        for job, figs in latest.items():
            account = job.split(":")[1]
            for name, value in figs.items():
                line = 'ltm_engagement_figure{account="%s",figure="%s"} %d' % (account, name, value)
                self.assertIn(line, metrics)

        # The daily report: the same figures, and acme's best post.
        date = time.strftime("%Y-%m-%d", time.gmtime())
        ltmtest.publish(self.broker, "scheduler", "ltm/jobs/report", {
            "job_id": "report:" + date, "kind": "report", "attempt": 1, "max_attempts": 3,
            "slot": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "dispatched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "lease_ms": 60000})
        report = self.watch.wait_for(topic="ltm/reports/daily", timeout=15).payload
        per_account = {a["account"]: a for a in report["accounts"]}
        for job, figs in latest.items():
            e = per_account[job.split(":")[1]]["engagement"]
            self.assertEqual(e["posts_read"], 1)
            self.assertEqual(e["totals"], figs)
            self.assertEqual(e["best_post"]["post_job_id"], job)
            self.assertEqual(e["best_post"]["figures"], figs)
        text = plain(ltmtest.wait_until(
            lambda: [t for t in self.tg.delivered() if "LTM daily report" in t], 15,
            "the daily report on Telegram")[0])
        self.assertIn("impressions %d" % ACME_FIGURES[1]["impressions"], text)
        self.assertTrue(re.search(r"acme", text), text)


if __name__ == "__main__":
    import unittest
    unittest.main()
