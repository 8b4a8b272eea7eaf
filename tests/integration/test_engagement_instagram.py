"""Engagement checks of Instagram posts and stories, and of RapidAPI posts
(docs/publishing.md, "Reading figures back"): a real broker and a real ltm-poster
in live mode against the fake Instagram (media insights) and the fake RapidAPI
(stats request); the test plays the scheduler on ltm/jobs/engagement and checks
that every result carries exactly the figures the fakes served, or the class of
the failure, and never a token (PublishingCase checks every result and log)."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fakes"))

import test_engagement_linkedin as base  # noqa: E402
from apibase import answer  # noqa: E402
from publishing import IG_USER, job  # noqa: E402

HOUR_MS, DAY_MS = 3600000, 86400000
IMAGE = "https://cdn.example.com/acme/feed-1.jpg"
STORY_ID = "17900000000000042"
POST_METRICS = "views,reach,likes,comments,shares,saved"
STORY_METRICS = "views,reach,replies,shares"


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def check(post_job_id, remote_id, age_ms, account="ig", channel="instagram", post_kind="post",
          published_ms=None, **kw):
    """An engagement check of a post published published_ms (default: age_ms ago)."""
    j = base.check(post_job_id, remote_id, age_ms, account=account, channel=channel,
                   post_kind=post_kind, **kw)
    now = int(time.time() * 1000)
    j["published_at"] = iso(published_ms if published_ms is not None else now - age_ms)
    return j


class InstagramReadCase(base.EngagementCase):
    def accounts(self):
        ig = {"type": "instagram", "user_id": IG_USER, "token_env": "ACME_IG_TOKEN"}
        return base.accounts(
            ig={"channel": ig, "content": {"image_urls": [IMAGE]},
                "stories": {"channel": dict(ig)}},
            ra={"channel": {"type": "rapidapi", "host": self.ra.host, "path": self.ra.path,
                            "stats_path": "/get-post?urn={id}",
                            "stats_fields": {"reactions": "data.totalReactionCount",
                                             "comments": "data.commentsCount",
                                             "shares": "data.repostsCount"}}},
            ra_plain={"channel": {"type": "rapidapi", "host": self.ra.host,
                                  "path": self.ra.path}})

    def setUp(self):
        super().setUp()
        self.ig.media_kind[STORY_ID] = "STORY"

    def insights_calls(self):
        return [c for c in self.ig.calls("insights")]

    def metrics_asked(self):
        return [self.ig.query(c)["metric"] for c in self.insights_calls()]


class InstagramFiguresTest(InstagramReadCase):
    def test_published_post_read_at_two_ages(self):
        r = self.run_job(job("post:ig:1", account="ig", text="A post to read back."))
        self.assertEqual(r["status"], "published", r)
        media = r["remote_id"]
        self.ig.figures(media, {"views": 120, "reach": 95, "likes": 7, "comments": 1,
                                "shares": 0, "saved": 2},
                        {"views": 1520, "reach": 1204, "likes": 87, "comments": 9,
                         "shares": 4, "saved": 12})
        r = self.read(check("post:ig:1", media, HOUR_MS))
        self.assertEqual(r["status"], "read", r)
        self.assertTrue(r["final"])
        self.assertEqual(r["figures"], {"impressions": 120, "reach": 95, "reactions": 7,
                                        "comments": 1, "shares": 0, "saves": 2})
        r = self.read(check("post:ig:1", media, DAY_MS))
        self.assertEqual(r["figures"], {"impressions": 1520, "reach": 1204, "reactions": 87,
                                        "comments": 9, "shares": 4, "saves": 12})
        self.assertEqual(self.metrics_asked(), [POST_METRICS, POST_METRICS])
        call = self.insights_calls()[0]
        self.assertEqual(call.path, "/v22.0/%s/insights" % media)
        self.assertEqual(call.header("authorization"), "Bearer " + base.SECRETS["ACME_IG_TOKEN"])

    def test_story_metrics_and_a_story_under_five_viewers(self):
        self.ig.figures(STORY_ID, {"views": 340, "reach": 301, "replies": 3, "shares": 1})
        r = self.read(check("story:ig:1", STORY_ID, HOUR_MS, post_kind="story"))
        self.assertEqual(r["status"], "read", r)
        # Replies are the story's comments; no reactions or saves on a story.
        self.assertEqual(r["figures"], {"impressions": 340, "reach": 301, "comments": 3,
                                        "shares": 1})
        self.assertEqual(self.metrics_asked(), [STORY_METRICS])
        self.ig.script("insights", self.ig.not_enough_viewers())
        r = self.read(check("story:ig:1", STORY_ID, 6 * HOUR_MS, post_kind="story"))
        self.assertEqual((r["status"], r["figures"]), ("read", {}), r)

    def test_total_value_shape_is_read_too(self):
        self.ig.total_value_shape = True
        self.ig.figures("18000000000000077", {"views": 10, "reach": 9, "likes": 1, "comments": 0,
                                              "shares": 0, "saved": 0})
        r = self.read(check("post:ig:tv", "18000000000000077", HOUR_MS))
        self.assertEqual(r["figures"], {"impressions": 10, "reach": 9, "reactions": 1,
                                        "comments": 0, "shares": 0, "saves": 0})

    def test_a_refused_metric_is_left_out_and_the_call_made_again(self):
        self.ig.refused_metrics = {"shares"}
        self.ig.figures("18000000000000078", {"views": 50, "reach": 40, "likes": 3,
                                              "comments": 1, "shares": 2, "saved": 1})
        r = self.read(check("post:ig:refused", "18000000000000078", HOUR_MS))
        self.assertEqual(r["figures"], {"impressions": 50, "reach": 40, "reactions": 3,
                                        "comments": 1, "saves": 1})
        self.assertEqual(self.metrics_asked(), [POST_METRICS, "views,reach,likes,comments,saved"])

    def test_metrics_are_dropped_in_one_retry_at_most(self):
        # Two refused metrics, named one per answer: one retry, then the
        # check ends (the budget charges at most 3 calls per check).
        self.ig.refused_metrics = {"shares", "saved"}
        self.ig.figures("18000000000000083", {"views": 5, "reach": 4, "likes": 1,
                                              "comments": 0, "shares": 0, "saved": 0})
        r = self.read(check("post:ig:refused2", "18000000000000083", HOUR_MS))
        self.assertEqual(r["status"], "failed", r)
        self.assertEqual(self.metrics_asked(), [POST_METRICS, "views,reach,likes,comments,saved"])
        self.assertLessEqual(len(self.ig.calls()), 3)


class InstagramFailureTest(InstagramReadCase):
    def test_deleted_media_is_gone_after_the_media_check(self):
        self.ig.delete_media("18000000000000079")
        r = self.read(check("post:ig:del", "18000000000000079", DAY_MS))
        self.assertEqual(r["status"], "gone", r)
        self.assertIn("subcode 33", r["error"])
        self.assertEqual([c.route for c in self.ig.calls()], ["insights", "media"])

    def test_story_past_24_hours_is_expired_without_a_call(self):
        r = self.read(check("story:ig:old", STORY_ID, DAY_MS, post_kind="story",
                            published_ms=int(time.time() * 1000) - DAY_MS - 60000))
        self.assertFailed(r, "expired", False, final=True)
        self.assertEqual(self.ig.calls(), [])

    def test_empty_data_and_malformed_answers_are_retried(self):
        self.ig.figures(STORY_ID, {"views": 9})
        self.ig.expire_story(STORY_ID)
        r = self.read(check("story:ig:empty", STORY_ID, 20 * HOUR_MS, post_kind="story"))
        self.assertFailed(r, "server", True, final=False)
        self.assertIn("no insights", r["error"])
        self.ig.script("insights", self.ig.malformed())
        r = self.read(check("post:ig:bad", "18000000000000080", HOUR_MS, attempt=3))
        self.assertFailed(r, "server", True, final=True)
        self.assertIn("unreadable", r["error"])

    def test_missing_permission_is_final_and_names_it(self):
        self.ig.script("insights", self.ig.permission_missing())
        r = self.read(check("post:ig:perm", "18000000000000081", HOUR_MS))
        self.assertFailed(r, "permission", False, final=True)
        self.assertIn("instagram_manage_insights", r["error"])
        self.assertIn("account ig", r["error"])

    def test_throttling_quota_and_rate_limit(self):
        self.ig.script("insights", self.ig.buc_throttled(minutes=15), self.ig.app_usage_full(),
                       self.ig.burst_throttled(retry_after=30), self.ig.burst_throttled())
        r = self.read(check("post:ig:t1", "18000000000000082", HOUR_MS))
        self.assertFailed(r, "quota", True, final=False)
        self.assertEqual(r["retry_after_ms"], 15 * 60000, r)
        r = self.read(check("post:ig:t2", "18000000000000082", HOUR_MS))
        self.assertFailed(r, "quota", True, final=False)
        self.assertEqual(r["retry_after_ms"], HOUR_MS, r)
        r = self.read(check("post:ig:t3", "18000000000000082", HOUR_MS))
        self.assertFailed(r, "rate_limited", True, final=False)
        self.assertEqual(r["retry_after_ms"], 30000, r)
        r = self.read(check("post:ig:t4", "18000000000000082", HOUR_MS))
        self.assertFailed(r, "rate_limited", True, final=False)
        self.assertNotIn("retry_after_ms", r)


class RapidAPIReadTest(InstagramReadCase):
    def test_counts_at_the_named_paths(self):
        r = self.run_job(job("post:ra:1", account="ra", text="A post."))
        self.assertEqual(r["status"], "published", r)
        post = r["remote_id"]
        self.ra.stats(post, {"totalReactionCount": 12, "commentsCount": 3, "repostsCount": 1,
                             "likeCount": 10})
        r = self.read(check("post:ra:1", post, HOUR_MS, account="ra", channel="rapidapi"))
        self.assertEqual(r["status"], "read", r)
        self.assertEqual(r["figures"], {"reactions": 12, "comments": 3, "shares": 1})
        call = self.ra.calls("stats")[0]
        self.assertEqual(call.query, "urn=%s" % post)
        self.assertEqual(call.header("x-rapidapi-key"), base.SECRETS["RAPIDAPI_KEY"])
        # A quota only waits: the scheduler pauses the source and dispatches
        # the check again (docs/scheduler.md), keeping the delay asked for.
        self.ra.script("stats", self.ra.monthly_quota(), self.ra.monthly_quota(),
                       answer(402, {"message": "Payment required"}, {"Retry-After": "120"}),
                       self.ra.rate_limit())
        r = self.read(check("post:ra:1", post, DAY_MS, account="ra", channel="rapidapi"))
        self.assertFailed(r, "quota", True, final=False)
        self.assertNotIn("retry_after_ms", r)
        r = self.read(check("post:ra:1", post, DAY_MS, account="ra", channel="rapidapi",
                            attempt=3))
        self.assertFailed(r, "quota", True, final=False)
        r = self.read(check("post:ra:1", post, 7 * DAY_MS, account="ra", channel="rapidapi"))
        self.assertFailed(r, "quota", True, final=False)
        self.assertEqual(r["retry_after_ms"], 120000, r)
        r = self.read(check("post:ra:1", post, 7 * DAY_MS, account="ra", channel="rapidapi",
                            attempt=3))
        self.assertFailed(r, "rate_limited", True, final=False)

    def test_without_a_stats_request_nothing_is_read(self):
        r = self.read(check("post:ra_plain:1", "rp-7", HOUR_MS, account="ra_plain",
                            channel="rapidapi"))
        self.assertFailed(r, "config", False, final=True)
        self.assertEqual(r["error"], "account ra_plain's rapidapi channel names no stats_path: "
                                     "figures are not read")
        self.assertEqual(self.ra.calls("stats"), [])


if __name__ == "__main__":
    unittest.main()
