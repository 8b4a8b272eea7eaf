"""The poster's engagement role (docs/publishing.md, "Reading figures back"): a real
broker and a real ltm-poster in live mode against the fake LinkedIn; the test plays
the scheduler, publishing engagement checks on ltm/jobs/engagement, and checks that
every result carries exactly the figures the fake served, or the class of the failure,
and never a token. Also the sandbox channel's documented figures and the theme of a
published post."""

import json
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fakes"))

import ltmtest  # noqa: E402
from apibase import answer  # noqa: E402
from publishing import AUTHOR, SECRETS, PublishingCase, accounts, job  # noqa: E402

MEMBER = "urn:li:person:AbC123xyz"
DAY_MS = 86400000


def sandbox_figures(remote_id, age_ms, story=False):
    """The formula of docs/publishing.md, "Sandbox figures"."""
    h = 14695981039346656037
    for c in remote_id.encode():
        h = ((h ^ c) * 1099511628211) % 2 ** 64
    m = max(age_ms, 0) // 60000
    base = 100 + h % 900
    impressions = base + 9 * base * m // (m + 1440)
    reach = impressions * (60 + (h >> 10) % 31) // 100
    reactions = reach * (2 + (h >> 15) % 7) // 100
    f = {"impressions": impressions, "reach": reach,
         "comments": reactions * (10 + (h >> 20) % 21) // 100,
         "shares": reactions * (5 + (h >> 25) % 11) // 100}
    if not story:
        f["reactions"] = reactions
        f["saves"] = reactions * (5 + (h >> 30) % 16) // 100
    return f


def check(post_job_id, remote_id, age_ms, account="acme", channel="linkedin", post_kind="post",
          attempt=1, max_attempts=3):
    j = job("engagement:%s@%d" % (post_job_id, age_ms), kind="engagement", account=account,
            attempt=attempt, max_attempts=max_attempts)
    j.update({"post_job_id": post_job_id, "post_kind": post_kind, "channel": channel,
              "remote_id": remote_id, "published_at": "2026-11-27T12:00:01.000Z",
              "age_ms": age_ms})
    return j


class EngagementCase(PublishingCase):
    # One poster per test: a second member of $share/posters with a persistent
    # session would get every other job even while it is stopped.
    poster_env = {}

    def setUp(self):
        super().setUp()
        self.poster = self.worker(data=self.accounts(), **self.poster_env)
        self.wait_reading(self.poster, "t1")

    def accounts(self):
        return accounts(
            acme={"channel": {"type": "linkedin", "author": AUTHOR,
                              "token_env": "ACME_LINKEDIN_TOKEN"}},
            ann={"channel": {"type": "linkedin", "author": MEMBER,
                             "token_env": "ACME_LINKEDIN_TOKEN"}},
            hook={"channel": {"type": "webhook", "url": self.hook.hook_url,
                              "token_env": "HOOK_TOKEN"}},
            sand={"channel": {"type": "sandbox"}})

    def wait_reading(self, svc, instance, timeout=10.0):
        """Like wait_consuming, for the engagement subscription: probes on
        ltm/jobs/engagement until one comes back from this poster on ltm/dlq."""
        deadline = time.monotonic() + timeout
        probe = "warmup-" + uuid.uuid4().hex
        since = self.watch.mark()

        def mine(m):
            p = m.payload
            return isinstance(p, dict) and p.get("instance") == instance and \
                probe in str(p.get("payload", "")) and p.get("topic") == "ltm/jobs/engagement"
        while True:
            ltmtest.publish(self.broker, "scheduler", "ltm/jobs/engagement", {"warmup": probe})
            try:
                return self.watch.wait_for(mine, topic="ltm/dlq", since=since, timeout=0.3)
            except AssertionError:
                if time.monotonic() > deadline:
                    raise

    def read(self, j, **kw):
        r = self.run_job(j, **kw)
        self.assertEqual(r["kind"], "engagement", r)
        self.assertEqual(r["post_job_id"], j["post_job_id"], r)
        self.assertEqual(r["age_ms"], j["age_ms"], r)
        self.assertEqual(r["remote_id"], j["remote_id"], r)
        self.assertEqual(r["channel"], j["channel"], r)
        self.assertEqual(r["worker"], "ltm-poster-t1", r)
        return r

    def publish_post(self, job_id, account="acme", text="A post to read back."):
        r = self.run_job(job(job_id, account=account, text=text))
        self.assertEqual(r["status"], "published", r)
        return r["remote_id"]


class LinkedInReadTest(EngagementCase):
    def test_member_post_figures_one_call_per_metric(self):
        urn = self.publish_post("post:ann:1", account="ann")
        self.li.set_figures(urn, impressions=1204, reach=830, reactions=37, comments=5, shares=2)
        r = self.read(check("post:ann:1", urn, 3600000, account="ann"))
        self.assertEqual(r["status"], "read", r)
        self.assertTrue(r["final"])
        self.assertEqual(r["figures"], {"impressions": 1204, "reach": 830, "reactions": 37,
                                        "comments": 5, "shares": 2})
        self.assertNotIn("theme", r)
        calls = self.li.calls("member_stats")
        self.assertEqual([c.query.split("queryType=")[1].split("&")[0] for c in calls],
                         ["IMPRESSION", "MEMBERS_REACHED", "REACTION", "COMMENT", "RESHARE"])
        self.assertIn("entity=(share:%s)" % urn.replace(":", "%3A"), calls[0].query)
        self.assertEqual(calls[0].header("linkedin-version"), "202610")
        self.assertEqual(calls[0].header("x-restli-protocol-version"), "2.0.0")
        self.assertEqual(self.li.calls("share_stats"), [])
        # The metrics came one after the other, not at once.
        self.assertEqual(self.li.max_concurrent, 1)

    def test_figures_grow_with_age_and_a_metric_without_data_is_absent(self):
        urn = self.publish_post("post:ann:2", account="ann")
        self.li.set_figures(urn, impressions=10, reach=8, reactions=1, shares=0)
        r = self.read(check("post:ann:2", urn, 3600000, account="ann"))
        # No COMMENT element yet: no figure, not 0.
        self.assertEqual(r["figures"], {"impressions": 10, "reach": 8, "reactions": 1,
                                        "shares": 0})
        self.li.set_figures(urn, impressions=900, reach=700, reactions=40, comments=6, shares=3)
        r = self.read(check("post:ann:2", urn, DAY_MS, account="ann"))
        self.assertEqual(r["figures"], {"impressions": 900, "reach": 700, "reactions": 40,
                                        "comments": 6, "shares": 3})


    def test_organization_post_one_call(self):
        urn = self.publish_post("post:acme:1")
        self.li.set_figures(urn, impressions=500, reach=410, reactions=30, comments=4, shares=2)
        r = self.read(check("post:acme:1", urn, DAY_MS))
        self.assertEqual(r["status"], "read", r)
        self.assertEqual(r["figures"], {"impressions": 500, "reach": 410, "reactions": 30,
                                        "comments": 4, "shares": 2})
        calls = self.li.calls("share_stats")
        self.assertEqual(len(calls), 1)
        self.assertIn("organizationalEntity=urn%3Ali%3Aorganization%3A12345", calls[0].query)
        self.assertIn("shares=List(%s)" % urn.replace(":", "%3A"), calls[0].query)
        self.assertEqual(self.li.calls("member_stats"), [])

    def test_organization_post_without_activity_reads_zeros(self):
        urn = self.publish_post("post:acme:quiet")
        r = self.read(check("post:acme:quiet", urn, 3600000))
        self.assertEqual(r["figures"], {"impressions": 0, "reach": 0, "reactions": 0,
                                        "comments": 0, "shares": 0})

    def test_missing_scope_is_permission_and_names_it(self):
        urn = self.publish_post("post:ann:403", account="ann")
        self.li.scopes.discard("r_member_postAnalytics")
        r = self.read(check("post:ann:403", urn, 3600000, account="ann"))
        self.assertFailed(r, "permission", False, final=True)
        self.assertIn("r_member_postAnalytics", r["error"])
        self.assertIn("ann", r["error"])
        self.assertNotIn("figures", r)
        self.assertEqual(len(self.li.calls("member_stats")), 1)  # the rest never asked
        urn = self.publish_post("post:acme:403")
        self.li.scopes.discard("rw_organization_admin")
        r = self.read(check("post:acme:403", urn, 3600000))
        self.assertFailed(r, "permission", False, final=True)
        self.assertIn("rw_organization_admin", r["error"])

    def test_deleted_post_is_gone(self):
        urn = self.publish_post("post:ann:404", account="ann")
        self.li.delete(urn)
        r = self.read(check("post:ann:404", urn, DAY_MS, account="ann"))
        self.assertEqual(r["status"], "gone", r)
        self.assertTrue(r["final"])
        self.assertFalse(r["retryable"])
        self.assertNotIn("error_class", r)
        self.assertIn("404", r["error"])
        urn = self.publish_post("post:acme:404")
        self.li.delete(urn)
        r = self.read(check("post:acme:404", urn, DAY_MS))
        self.assertEqual(r["status"], "gone", r)

    def test_per_second_throttle_is_retried_after_retry_after(self):
        urn = self.publish_post("post:ann:429", account="ann")
        self.li.set_figures(urn, impressions=3, reach=2, reactions=0, comments=0, shares=0)
        self.li.script("member_stats", answer(200, {"elements": []}), self.li.rate_limited(2))
        r = self.read(check("post:ann:429", urn, 3600000, account="ann"))
        self.assertFailed(r, "rate_limited", True, final=False)
        self.assertEqual(r["retry_after_ms"], 2000)
        # The scheduler's next attempt reads them all.
        r = self.read(check("post:ann:429", urn, 3600000, account="ann", attempt=2))
        self.assertEqual(r["status"], "read", r)
        self.assertEqual(r["figures"]["impressions"], 3)

    def test_daily_quota_waits_for_midnight_utc(self):
        urn = self.publish_post("post:acme:quota")
        self.li.script("share_stats", self.li.daily_limit())
        before = int(time.time() * 1000)
        r = self.read(check("post:acme:quota", urn, 3600000))
        after = int(time.time() * 1000)
        self.assertFailed(r, "quota", True, final=False)
        self.assertIn("daily", r["error"])
        # Until the next 00:00 UTC, as seen from when the answer came.
        self.assertLessEqual(DAY_MS - after % DAY_MS, r["retry_after_ms"])
        self.assertLessEqual(r["retry_after_ms"], DAY_MS - before % DAY_MS)

    def test_malformed_answer_is_a_retryable_server_failure(self):
        urn = self.publish_post("post:ann:bad", account="ann")
        self.li.set_figures(urn, impressions=1, reach=1, reactions=0, comments=0, shares=0)
        self.li.script("member_stats", self.li.malformed())
        r = self.read(check("post:ann:bad", urn, 3600000, account="ann"))
        self.assertFailed(r, "server", True, final=False)
        self.assertIn("IMPRESSION", r["error"])
        self.assertIn("malformed", r["error"])
        urn = self.publish_post("post:acme:bad")
        self.li.script("share_stats", answer(200, {"elements": [{
            "share": urn, "totalShareStatistics": {"impressionCount": "many"}}]}))
        r = self.read(check("post:acme:bad", urn, 3600000, max_attempts=1))
        self.assertFailed(r, "server", True, final=True)
        self.assertIn("impressionCount", r["error"])

    def test_expired_token_is_auth(self):
        urn = self.publish_post("post:acme:401")
        self.li.script("share_stats", self.li.expired())
        r = self.read(check("post:acme:401", urn, 3600000))
        self.assertFailed(r, "auth", False, final=True)

    def test_redelivery_while_reading_joins_the_running_read(self):
        urn = self.publish_post("post:ann:join", account="ann")
        self.li.set_figures(urn, impressions=9, reach=9, reactions=1, comments=0, shares=0)
        self.li.script("member_stats", answer(200, {"elements": [{"count": 9,
                                                                  "metricType": "IMPRESSION"}]},
                                              delay=1.0))
        first = check("post:ann:join", urn, 3600000, account="ann")
        since = self.watch.mark()
        self.send(first)
        # The redelivery goes out while the first read's (delayed) call is out.
        ltmtest.wait_until(lambda: self.li.calls("member_stats"), 5, "the first read's call")
        self.send(check("post:ann:join", urn, 3600000, account="ann", attempt=2))
        r1 = self.result(first["job_id"], 1, since=since)
        r2 = self.result(first["job_id"], 2, since=since)
        self.assertEqual(r1["figures"], r2["figures"])
        self.assertEqual(len(self.li.calls("member_stats")), 5)  # read once
        self.poster.wait_log("job already in progress here")


class NewerVersionTest(EngagementCase):
    poster_env = {"LTM_LINKEDIN_VERSION": "202606"}

    def test_newer_version_string_metric_type(self):
        urn = "urn:li:ugcPost:7000000000000000777"
        self.li.set_figures(urn, impressions=55, reach=44, reactions=3, comments=1, shares=0)
        j = check("post:ann:ugc", urn, 3600000, account="ann")
        self.send(j)
        r = self.result(j["job_id"])
        self.assertEqual(r["figures"], {"impressions": 55, "reach": 44, "reactions": 3,
                                        "comments": 1, "shares": 0}, r)
        self.assertIn("entity=(ugc:urn%3Ali%3AugcPost%3A7000000000000000777)",
                      self.li.calls("member_stats")[0].query)


class ReadConfigTest(EngagementCase):
    def test_webhook_channel_cannot_be_read(self):
        r = self.read(check("post:hook:1", "webhook:post:hook:1", DAY_MS, account="hook",
                            channel="webhook"))
        self.assertFailed(r, "config", False, final=True)
        self.assertEqual(r["error"], "figures cannot be read from a webhook channel")

    def test_post_from_a_channel_the_account_no_longer_uses(self):
        r = self.read(check("post:hook:old", "urn:li:share:7", DAY_MS, account="hook",
                            channel="linkedin"))
        self.assertFailed(r, "config", False, final=True)
        self.assertIn("published on linkedin", r["error"])
        self.assertIn("now webhook", r["error"])
        self.assertEqual(self.li.calls(), [])

    def test_unknown_account(self):
        r = self.read(check("post:nobody:1", "urn:li:share:7", DAY_MS, account="nobody"))
        self.assertFailed(r, "config", False, final=True)

    def test_job_of_another_kind_on_the_engagement_topic_is_dead_lettered(self):
        since = self.watch.mark()
        self.assertEqual(ltmtest.publish(self.broker, "scheduler", "ltm/jobs/engagement",
                                         job("post:acme:wrong", text="x")), 0)
        m = self.watch.wait_for(lambda m: "post:acme:wrong" in json.dumps(m.payload),
                                topic="ltm/dlq", since=since)
        self.assertIn("does not belong on ltm/jobs/engagement", m.payload["reason"])
        self.assertEqual(self.li.calls("post"), [])


class SandboxReadTest(EngagementCase):
    def test_sandbox_channel_figures_follow_the_documented_formula(self):
        r = self.run_job(job("post:sand:2026-11-27T12:00:00Z", account="sand"))
        self.assertEqual(r["status"], "published", r)
        self.assertEqual(r["theme"], "team culture")  # Friday in Sao Paulo
        remote = r["remote_id"]
        seen = []
        for age in (3600000, DAY_MS, 7 * DAY_MS):
            c = self.read(check("post:sand:2026-11-27T12:00:00Z", remote, age, account="sand",
                                channel="sandbox"))
            self.assertEqual(c["status"], "read", c)
            self.assertEqual(c["figures"], sandbox_figures(remote, age))
            seen.append(c["figures"])
        for name in seen[0]:
            self.assertLessEqual(seen[0][name], seen[1][name])
            self.assertLessEqual(seen[1][name], seen[2][name])
        self.assertGreater(seen[2]["impressions"], seen[0]["impressions"])
        story = "sandbox:story:sand:2026-11-27T18:00:00Z"
        c = self.read(check("story:sand:2026-11-27T18:00:00Z", story, 3600000, account="sand",
                            channel="sandbox", post_kind="story"))
        self.assertEqual(c["figures"], sandbox_figures(story, 3600000, story=True))
        self.assertNotIn("reactions", c["figures"])
        self.assertNotIn("saves", c["figures"])

    def test_theme_only_when_the_text_was_written_on_it(self):
        self.ai.script("chat", self.ai.text("Small teams ship."))
        r = self.run_job(job("post:acme:themed"))
        self.assertEqual(r["status"], "published", r)
        self.assertEqual(r["theme"], "team culture")
        r = self.run_job(job("post:acme:own", text="The job's own text."))
        self.assertNotIn("theme", r)
        # Saturday in Sao Paulo has no theme.
        self.ai.script("chat", self.ai.text("Weekend post."))
        r = self.run_job(job("post:acme:sat", slot="2026-11-28T15:00:00Z"))
        self.assertEqual(r["status"], "published", r)
        self.assertNotIn("theme", r)


class SandboxModeTest(EngagementCase):
    poster_env = dict({k: "" for k in SECRETS}, LTM_MODE="sandbox")

    def test_sandbox_mode_reads_without_keys(self):
        j = check("post:acme:sb", "sandbox:post:acme:sb", 2 * DAY_MS, channel="sandbox")
        self.send(j)
        r = self.result(j["job_id"])
        self.assertEqual(r["status"], "read", r)
        self.assertEqual(r["worker"], "ltm-poster-t1")
        self.assertEqual(r["figures"], sandbox_figures("sandbox:post:acme:sb", 2 * DAY_MS))
        self.assertEqual(self.li.calls(), [])
        status = self.watch.wait_for(
            lambda m: isinstance(m.payload, dict) and
            (m.payload.get("detail") or {}).get("read") == 1,
            topic="ltm/status/poster/t1", timeout=10)
        self.assertEqual(status.payload["detail"]["gone"], 0)
        metrics = self.watch.wait_for(
            lambda m: isinstance(m.payload, dict) and "read" in m.payload.get("operations", {}),
            topic="ltm/metrics/poster", timeout=10)
        self.assertEqual(metrics.payload["operations"]["read"]["count"], 1)
        self.assertEqual(metrics.payload["operations"]["read"]["errors"], 0)


if __name__ == "__main__":
    unittest.main()
