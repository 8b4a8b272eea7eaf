"""The poster in live mode against fake OpenAI and Replicate (publishing on a
fake LinkedIn): every outcome class of docs/publishing.md for the text and image
stages."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fakes"))

from apibase import answer, hang, truncated  # noqa: E402
from publishing import AUTHOR, PublishingCase, accounts, job  # noqa: E402


class GenerationTest(PublishingCase):
    def setUp(self):
        super().setUp()
        self.poster = self.worker()

    def test_rate_limit_carries_the_delay_and_nothing_is_published(self):
        self.ai.script("chat", self.ai.rate_limited(retry_after=2))
        r = self.run_job(job("g-429"))
        self.assertFailed(r, "rate_limited", True, final=False)
        self.assertEqual(r["retry_after_ms"], 2000)
        self.assertEqual(self.li.calls(), [])

    def test_reset_header_when_no_retry_after(self):
        self.ai.script("chat", self.ai.rate_limited(reset="6m0s"))
        r = self.run_job(job("g-reset"))
        self.assertEqual(r["retry_after_ms"], 360000, r)

    def test_exhausted_quota_needs_a_person(self):
        self.ai.script("chat", self.ai.quota())
        self.assertFailed(self.run_job(job("g-quota")), "quota", False, final=True)

    def test_refusal_and_cut_text(self):
        self.ai.script("chat", self.ai.refusal(), self.ai.cut())
        r = self.run_job(job("g-refused"))
        self.assertFailed(r, "refused", False)
        self.assertIn("can't help", r["error"])
        self.assertFailed(self.run_job(job("g-cut")), "validation", False)
        self.assertEqual(self.li.calls(), [])

    def test_server_error_malformed_and_truncated_answers_are_retryable(self):
        self.ai.script("chat", self.ai.server_error(500), answer(200, "{not json"), truncated())
        self.assertFailed(self.run_job(job("g-500")), "server", True)
        self.assertFailed(self.run_job(job("g-bad")), "server", True)
        self.assertFailed(self.run_job(job("g-cut-json")), "network", True)

    def test_timeout_before_publishing_is_retryable(self):
        self.ai.script("chat", hang())
        self.assertFailed(self.run_job(job("g-hang")), "network", True)
        self.assertEqual(self.li.calls(), [])

    def test_slow_answers_do_not_hold_up_other_jobs(self):
        for i in range(6):
            self.ai.script("chat", answer(200, self.ai.text("Slow but fine, %d." % i).body,
                                          delay=0.8))
        for i in range(6):
            self.send(job("g-slow-%d" % i, text=None))
        for i in range(6):
            self.assertEqual(self.result("g-slow-%d" % i)["status"], "published")
        self.assertGreaterEqual(self.ai.max_concurrent, 4, "the calls ran one after another")

    def test_bad_key_is_an_auth_error_without_the_key(self):
        self.ai.key = "sk-another-key"  # the poster's key is now wrong
        r = self.run_job(job("g-401"))
        self.assertFailed(r, "auth", False)
        self.ai.problems.clear()


class ImageTest(PublishingCase):
    def setUp(self):
        super().setUp()
        data = accounts(acme={"channel": {"type": "linkedin", "author": AUTHOR,
                                          "token_env": "ACME_LINKEDIN_TOKEN"}})
        data["accounts"][0]["content"]["image_prompt"] = "a calm office, watercolor"
        self.poster = self.worker(data=data)

    def test_replicate_image_is_copied_to_linkedin(self):
        self.rep.polls_before_done = 2
        r = self.run_job(job("i-ok", text="With a picture."))
        self.assertEqual(r["status"], "published", r)
        urn, _, _, image = self.li.posts[0]
        self.assertTrue(image.startswith("urn:li:image:"))
        self.assertTrue(self.li.images[image].startswith(b"\xff\xd8"))
        create = self.rep.calls("create")[0].json()
        self.assertEqual(create["input"]["aspect_ratio"], "1:1")
        self.assertEqual(create["input"]["output_format"], "jpg")
        self.assertEqual(len(self.rep.calls("poll")), 2)

    def test_replicate_throttle_and_billing(self):
        self.rep.script("create", self.rep.throttled(3), self.rep.billing())
        r = self.run_job(job("i-429", text="x"))
        self.assertFailed(r, "rate_limited", True)
        self.assertEqual(r["retry_after_ms"], 3000)
        self.assertFailed(self.run_job(job("i-402", text="x")), "quota", False)
        self.assertEqual(self.li.calls(), [])

    def test_failed_prediction_is_retryable(self):
        self.rep.fail_with = "failed"
        r = self.run_job(job("i-failed", text="x"))
        self.assertFailed(r, "server", True)
        self.assertIn("NSFW", r["error"])


if __name__ == "__main__":
    unittest.main()
