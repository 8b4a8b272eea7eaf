"""Instagram (feed and stories), RapidAPI, webhook and sandbox channels in live
mode against their fakes: success and every outcome class of docs/publishing.md."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fakes"))

from apibase import answer, drop, hang  # noqa: E402
from publishing import IG_USER, PublishingCase, accounts, job  # noqa: E402

IMAGE = "https://cdn.example.com/acme/feed-1.jpg"
STORY = "https://cdn.example.com/acme/story-1.jpg"


def channels():
    return accounts(
        ig={"channel": {"type": "instagram", "user_id": IG_USER, "token_env": "ACME_IG_TOKEN"},
            "content": {"prompt": "Write a caption.", "image_urls": [IMAGE]},
            "stories": {"channel": {"type": "instagram", "user_id": IG_USER,
                                    "token_env": "ACME_IG_TOKEN"}, "image_urls": [STORY]}},
        ra={"channel": {"type": "rapidapi", "host": "social-poster.p.rapidapi.com",
                        "path": "/v1/post", "body": {"network": "linkedin", "text": "ignored"}},
            "content": {"prompt": "Write a post.", "image_urls": [IMAGE]}},
        hook={"channel": {"type": "webhook", "url": "@HOOK_URL@", "token_env": "HOOK_TOKEN"},
              "stories": {"channel": {"type": "webhook", "url": "@HOOK_URL@",
                                      "token_env": "HOOK_TOKEN"}, "image_urls": [STORY]}},
        local={"channel": {"type": "sandbox"}})


class ChannelsCase(PublishingCase):
    kind = "poster"

    def setUp(self):
        super().setUp()
        data = json.loads(json.dumps(channels()).replace("@HOOK_URL@", self.hook.hook_url))
        self.svc = self.worker(self.kind, data=data)


class InstagramTest(ChannelsCase):
    def test_feed_image_is_created_waited_for_and_published(self):
        self.ig.polls_before_ready = 2
        r = self.run_job(job("ig-ok", account="ig", text="Caption #one #two"))
        self.assertEqual(r["status"], "published", r)
        mid, cid = self.ig.media[0]
        self.assertEqual(r["remote_id"], mid)
        c = self.ig.containers[cid]
        self.assertEqual((c["image"], c["caption"], c["story"]), (IMAGE, "Caption #one #two", False))
        self.assertEqual(len(self.ig.calls("status")), 3)

    def test_caption_rules_are_applied_before_sending(self):
        r = self.run_job(job("ig-long", account="ig", text="x" * 2201))
        self.assertFailed(r, "validation", False)
        self.assertIn("2,200", r["error"])
        tags = " ".join("#t%d" % i for i in range(31))
        self.assertFailed(self.run_job(job("ig-tags", account="ig", text=tags)), "validation", False)
        self.assertFailed(self.run_job(job("ig-png", account="ig", text="x",
                                           image_url="https://cdn.example.com/a.png")),
                          "validation", False)
        self.assertEqual(self.ig.calls(), [])

    def test_expired_token_throttling_and_temporary_errors(self):
        self.ig.script("create", self.ig.expired(), self.ig.throttled(),
                       self.ig.error(2, "Service temporarily unavailable", 503),
                       self.ig.error(100, "Invalid parameter"))
        r = self.run_job(job("ig-190", account="ig", text="x"))
        self.assertFailed(r, "auth", False)
        self.assertIn("ig", r["error"])
        self.assertFailed(self.run_job(job("ig-4", account="ig", text="x")), "rate_limited", True)
        self.assertFailed(self.run_job(job("ig-2", account="ig", text="x")), "server", True)
        self.assertFailed(self.run_job(job("ig-100", account="ig", text="x")), "validation", False)

    def test_container_error_and_timeout(self):
        self.ig.container_error = "ERROR"
        self.assertFailed(self.run_job(job("ig-err", account="ig", text="x")), "validation", False)
        self.ig.container_error = None
        self.ig.polls_before_ready = 10000
        r = self.run_job(job("ig-slow", account="ig", text="x"))
        self.assertFailed(r, "server", True)
        self.assertIn("not ready", r["error"])
        self.assertEqual(self.ig.media, [])

    def test_lost_publish_answer_is_checked_on_the_container(self):
        self.ig.lose_answers = 1
        r = self.run_job(job("ig-lost", account="ig", text="x"))
        self.assertEqual(r["status"], "published", r)
        self.assertEqual(len(self.ig.media), 1)
        self.assertEqual(len(self.ig.calls("publish")), 1)

    def test_publish_timeout_with_a_ready_container_is_retryable(self):
        self.ig.script("publish", hang())
        r = self.run_job(job("ig-hang", account="ig", text="x"))
        self.assertFailed(r, "network", True)
        self.assertEqual(self.ig.media, [])


class StoryTest(ChannelsCase):
    kind = "story-publisher"

    def test_instagram_story(self):
        r = self.run_job(job("st-ig", kind="story", account="ig"))
        self.assertEqual(r["status"], "published", r)
        self.assertEqual(r["kind"], "story")
        c = self.ig.containers[self.ig.media[0][1]]
        self.assertEqual((c["story"], c["image"]), (True, STORY))
        self.assertEqual(self.ai.calls(), [])

    def test_webhook_story_and_sandbox_default(self):
        r = self.run_job(job("st-hook", kind="story", account="hook"))
        self.assertEqual(r["status"], "published", r)
        self.assertEqual(self.hook.received[0]["image_url"], STORY)
        self.assertEqual(self.hook.received[0]["kind"], "story")
        r = self.run_job(job("st-local", kind="story", account="local", image_url=STORY))
        self.assertEqual((r["status"], r["channel"]), ("published", "sandbox"), r)
        with open(os.path.join(self.svc.data_dir, "outbox", "stories.jsonl")) as f:
            record = json.loads(f.readlines()[-1])
        self.assertEqual((record["job_id"], record["image_url"]), ("st-local", STORY), record)


class RapidAPITest(ChannelsCase):
    def test_post_with_fixed_fields(self):
        r = self.run_job(job("ra-ok", account="ra", text="Via RapidAPI"))
        self.assertEqual(r["status"], "published", r)
        pid, body = self.ra.posts[0]
        self.assertEqual(r["remote_id"], pid)
        self.assertEqual(body, {"network": "linkedin", "text": "Via RapidAPI", })

    def test_rate_limit_and_monthly_quota_are_told_apart(self):
        self.ra.script("post", self.ra.rate_limit(), self.ra.not_subscribed(),
                       self.ra.monthly_quota())
        self.assertFailed(self.run_job(job("ra-rate", account="ra", text="a")), "rate_limited", True)
        self.assertFailed(self.run_job(job("ra-403", account="ra", text="c")), "auth", False)
        r = self.run_job(job("ra-quota", account="ra", text="b"))
        self.assertFailed(r, "quota", False, final=True)
        self.assertIn("MONTHLY", r["error"])
        # The quota stays exhausted: the next job of the account is not sent.
        r = self.run_job(job("ra-quota-2", account="ra", text="d"))
        self.assertFailed(r, "quota", False, final=True)
        self.assertIn("not sent", r["error"])
        self.assertEqual(len(self.ra.calls("post")), 3)

    def test_no_answer_is_unconfirmed_and_never_resent(self):
        self.ra.script("post", hang())
        r = self.run_job(job("ra-hang", account="ra", text="x"))
        self.assertEqual((r["status"], r["error_class"], r["retryable"], r["final"]),
                         ("unconfirmed", "unconfirmed", False, True), r)
        r = self.run_job(job("ra-hang", account="ra", text="x", attempt=2))
        self.assertEqual(r["status"], "unconfirmed", r)
        self.assertEqual(len(self.ra.calls("post")), 1)


class WebhookTest(ChannelsCase):
    def test_documented_body_and_headers(self):
        r = self.run_job(job("wh-ok", account="hook", text="Hello hook", prompt="ignored"))
        self.assertEqual((r["status"], r["remote_id"]), ("published", "wh-1"), r)
        body = self.hook.received[0]
        self.assertEqual(body["text"], "Hello hook")
        self.assertEqual(body["worker"], "ltm-poster-t1")
        self.assertEqual(body["slot"], "2026-11-27T12:00:00.000Z")

    def test_server_error_retryable_and_dropped_connection_unconfirmed(self):
        self.hook.script("hook", answer(500, "boom"), drop(), answer(401, "no"))
        self.assertFailed(self.run_job(job("wh-500", account="hook", text="a")), "server", True)
        r = self.run_job(job("wh-drop", account="hook", text="b"))
        self.assertEqual(r["status"], "unconfirmed", r)
        self.assertFailed(self.run_job(job("wh-401", account="hook", text="c")), "auth", False)

    def test_unknown_account_and_sandbox_channel_in_live_mode(self):
        self.assertFailed(self.run_job(job("wh-none", account="nobody", text="a")), "config", False)
        r = self.run_job(job("wh-local", account="local", text="stays here"))
        self.assertEqual((r["status"], r["channel"]), ("published", "sandbox"), r)
        with open(os.path.join(self.svc.data_dir, "outbox", "posts.jsonl")) as f:
            self.assertEqual(json.loads(f.readline())["text"], "[SANDBOX] stays here")


if __name__ == "__main__":
    unittest.main()
