"""The poster in live mode against fake OpenAI, Replicate and LinkedIn: every
outcome class of docs/publishing.md for the text, image and LinkedIn stages."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fakes"))

from apibase import answer, drop, hang  # noqa: E402
from publishing import AUTHOR, PublishingCase, job  # noqa: E402


class LinkedInTest(PublishingCase):
    def setUp(self):
        super().setUp()
        self.poster = self.worker()

    def test_generated_post_is_published_with_escaped_commentary(self):
        self.ai.script("chat", self.ai.text("Small teams (3-5 people) ship #fast, ask @me [now]!"))
        r = self.run_job(job("p-ok"))
        self.assertEqual(r["status"], "published", r)
        self.assertTrue(r["final"])
        self.assertEqual(r["channel"], "linkedin")
        urn, author, commentary, image = self.li.posts[0]
        self.assertEqual(r["remote_id"], urn)
        self.assertEqual(author, AUTHOR)
        self.assertIsNone(image)
        # Escaped, so LinkedIn did not cut it; the hashtag stays a hashtag.
        self.assertEqual(commentary, "Small teams \\(3-5 people\\) ship {hashtag|\\#|fast}, ask "
                         "\\@me \\[now\\]!")
        prompt = self.ai.calls("chat")[0].json()
        self.assertEqual(prompt["model"], "gpt-4o-mini")
        user = prompt["messages"][1]["content"]
        self.assertIn("Write about small teams.", user)
        # 2026-11-27 12:00 UTC is a Friday in Sao Paulo: the theme applies.
        self.assertIn("team culture", user)
        self.assertIn("publish", r["durations_ms"])

    def test_job_text_skips_generation(self):
        r = self.run_job(job("p-text", text="  Final text from the job.  "))
        self.assertEqual(r["status"], "published", r)
        self.assertEqual(self.ai.calls(), [])
        self.assertEqual(self.li.posts[0][2], "Final text from the job.")

    def test_republished_job_is_reported_not_posted_twice(self):
        first = self.run_job(job("p-dup", text="Once only."))
        again = self.run_job(job("p-dup", text="Once only.", attempt=2))
        self.assertEqual(again["status"], "published", again)
        self.assertEqual(again["remote_id"], first["remote_id"])
        self.assertEqual(len(self.li.calls("post")), 1)

    def test_expired_token_needs_a_person(self):
        self.li.script("post", self.li.expired())
        r = self.run_job(job("p-401", text="x"))
        self.assertFailed(r, "auth", False, final=True)
        self.assertIn("acme", r["error"])

    def test_retired_version(self):
        self.li.script("post", answer(426, {"status": 426, "code": "NONEXISTENT_VERSION",
                                            "message": "Requested version 202410 is not active"}))
        r = self.run_job(job("p-426", text="x"))
        self.assertFailed(r, "version", False, final=True)

    def test_duplicate_post_is_reported_as_such(self):
        self.li.script("post", self.li.duplicate())
        r = self.run_job(job("p-422dup", text="x"))
        self.assertEqual(r["status"], "duplicate", r)
        self.assertFalse(r["retryable"])
        self.assertTrue(r["final"])

    def test_validation_error_keeps_the_apis_message(self):
        self.li.script("post", self.li.validation("/visibility :: invalid enum value"))
        r = self.run_job(job("p-422", text="x"))
        self.assertFailed(r, "validation", False)
        self.assertIn("invalid enum value", r["error"])

    def test_throttled_and_server_errors_are_retryable(self):
        self.li.script("post", answer(429, {"status": 429, "message": "throttled"},
                                      {"Retry-After": "7"}), answer(503, "upstream down"))
        r = self.run_job(job("p-429", text="x"))
        self.assertFailed(r, "rate_limited", True, final=False)
        self.assertEqual(r["retry_after_ms"], 7000)
        r = self.run_job(job("p-503", text="y", attempt=3, max_attempts=3))
        self.assertFailed(r, "server", True, final=True)  # last attempt: no retry follows

    def test_too_long_text_is_refused_before_sending(self):
        r = self.run_job(job("p-long", text="word " * 700))
        self.assertFailed(r, "validation", False)
        self.assertIn("3,000", r["error"])
        self.assertEqual(self.li.calls(), [])

    def test_lost_answer_of_a_created_post_is_found_not_reposted(self):
        self.li.lose_answers = 1
        r = self.run_job(job("p-lost", text="Answer lost on the way back."))
        self.assertEqual(r["status"], "published", r)
        self.assertEqual(r["remote_id"], self.li.posts[0][0])
        self.assertEqual(len(self.li.calls("post")), 1)
        self.assertEqual(len(self.li.calls("recent")), 1)

    def test_timeout_without_a_post_is_proved_absent_and_retryable(self):
        self.li.script("post", hang())
        r = self.run_job(job("p-hang", text="Never arrived."))
        self.assertFailed(r, "network", True, final=False)
        self.assertEqual(self.li.posts, [])
        # The retry publishes, once.
        r = self.run_job(job("p-hang", text="Never arrived.", attempt=2))
        self.assertEqual(r["status"], "published", r)
        self.assertEqual(len(self.li.posts), 1)

    def test_unreadable_check_is_unconfirmed_and_final(self):
        self.li.script("post", drop())
        self.li.script("recent", answer(500, "oops"))
        r = self.run_job(job("p-unconf", text="Who knows."))
        self.assertEqual(r["status"], "unconfirmed", r)
        self.assertEqual(r["error_class"], "unconfirmed")
        self.assertFalse(r["retryable"])
        self.assertTrue(r["final"])
        # A later dispatch of the same job checks first instead of sending blindly.
        r = self.run_job(job("p-unconf", text="Who knows.", attempt=2))
        self.assertEqual(r["status"], "published", r)
        self.assertEqual(len(self.li.calls("post")), 2)
        self.assertEqual(len(self.li.calls("recent")), 2)


if __name__ == "__main__":
    unittest.main()
