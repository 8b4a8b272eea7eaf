"""Instagram against its fake: the 24 h publishing limit is read before a
container is created, and a container an attempt left FINISHED and unpublished
is published by the next attempt of the same job instead of a new one."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fakes"))

from apibase import answer, drop, hang  # noqa: E402
from publishing import IG_USER, PublishingCase, accounts, job  # noqa: E402

IMAGE = "https://cdn.example.com/acme/feed-1.jpg"
STORY = "https://cdn.example.com/acme/story-1.jpg"
HOUR_MS = 3600 * 1000
LIMIT_LOG = "cannot read the Instagram publishing limit"


def instagram_account():
    ch = {"type": "instagram", "user_id": IG_USER, "token_env": "ACME_IG_TOKEN"}
    return accounts(ig={"channel": ch, "content": {"prompt": "Write.", "image_urls": [IMAGE]},
                        "stories": {"channel": dict(ch), "image_urls": [STORY]}})


class InstagramCase(PublishingCase):
    kind = "poster"

    def setUp(self):
        super().setUp()
        self.svc = self.worker(self.kind, data=instagram_account())

    def routes(self):
        return [r.route for r in self.ig.calls()]


class PublishingLimitTest(InstagramCase):
    def test_limit_is_read_before_the_container_is_created(self):
        r = self.run_job(job("lim-ok", account="ig", text="x"))
        self.assertEqual(r["status"], "published", r)
        routes = self.routes()
        self.assertEqual((routes[0], routes[1], routes[-1]), ("limit", "create", "publish"), routes)
        self.assertEqual(routes.count("limit"), 1)

    def test_used_up_quota_fails_rate_limited_without_a_container(self):
        self.ig.published_before = 50
        r = self.run_job(job("lim-full", account="ig", text="x"))
        self.assertFailed(r, "rate_limited", True, final=False)
        self.assertEqual(r["retry_after_ms"], HOUR_MS, r)
        self.assertIn("account ig", r["error"])
        self.assertIn("50 of 50", r["error"])
        self.assertIn("24 h", r["error"])
        self.assertEqual((self.ig.created, self.routes()), (0, ["limit"]))

    def test_a_failed_check_does_not_block_publishing(self):
        # drop() first: on a fresh connection (curl repeats a request whose
        # reused keep-alive connection turns out to be closed).
        self.ig.script("limit", drop(),
                       self.ig.error(2, "Service temporarily unavailable", 503),
                       answer(200, "{\"data\": [{\"quota_usage\": 3"),
                       answer(200, {"data": []}))
        for n in range(4):
            r = self.run_job(job("lim-broken-%d" % n, account="ig", text="x"))
            self.assertEqual(r["status"], "published", r)
        self.assertEqual(self.ig.created, 4)
        self.assertEqual(self.svc.log().count(LIMIT_LOG), 4, self.svc.log())

    def test_limit_met_after_a_failed_check_keeps_the_container_for_later(self):
        # The check fails, the publish meets the limit (code 9): the FINISHED
        # container is kept; the next attempt sees the full quota and sends
        # nothing; once a slot frees, the same container is published.
        self.ig.published_before = 50
        self.ig.script("limit", answer(500, "oops"))
        r = self.run_job(job("lim-later", account="ig", text="x"))
        self.assertFailed(r, "rate_limited", True)
        self.assertEqual(r["retry_after_ms"], HOUR_MS, r)
        self.assertEqual(self.ig.created, 1)
        r = self.run_job(job("lim-later", account="ig", text="x", attempt=2))
        self.assertFailed(r, "rate_limited", True)
        self.assertIn("50 of 50", r["error"])
        self.assertEqual((self.ig.created, len(self.ig.calls("publish"))), (1, 1))
        self.ig.published_before = 10
        r = self.run_job(job("lim-later", account="ig", text="x", attempt=3))
        self.assertEqual(r["status"], "published", r)
        self.assertEqual(self.ig.created, 1)
        self.assertEqual(self.ig.media[0][1], self.ig.calls("publish")[0].json()["creation_id"])


class StoryLimitTest(InstagramCase):
    kind = "story-publisher"

    def test_stories_count_toward_the_same_limit(self):
        self.ig.published_before = 49
        r = self.run_job(job("lim-story-1", kind="story", account="ig"))
        self.assertEqual(r["status"], "published", r)
        r = self.run_job(job("lim-story-2", kind="story", account="ig"))
        self.assertFailed(r, "rate_limited", True)
        self.assertIn("50 of 50", r["error"])
        self.assertEqual(self.ig.created, 1)


class ContainerReuseTest(InstagramCase):
    def lose_publish_answer(self, job_id):
        """Attempt 1: the publish request times out, the check finds the
        container FINISHED: failed and retryable. Returns the container id."""
        self.ig.script("publish", hang())
        media = len(self.ig.media)
        r = self.run_job(job(job_id, account="ig", text="Caption"))
        self.assertFailed(r, "network", True)
        self.assertIn("next attempt publishes it", r["error"])
        self.assertEqual(len(self.ig.media), media)
        return self.ig.calls("publish")[-1].json()["creation_id"]

    def test_next_attempt_publishes_the_finished_container(self):
        cid = self.lose_publish_answer("reuse-finished")
        r = self.run_job(job("reuse-finished", account="ig", text="Caption", attempt=2))
        self.assertEqual(r["status"], "published", r)
        self.assertEqual(self.ig.created, 1)
        self.assertEqual(self.ig.media, [(r["remote_id"], cid)])
        self.assertEqual([c.json()["creation_id"] for c in self.ig.calls("publish")], [cid, cid])
        self.assertEqual(self.ig.containers[cid]["caption"], "Caption")
        # Published is remembered: a third delivery sends nothing.
        calls = len(self.ig.calls())
        r = self.run_job(job("reuse-finished", account="ig", text="Caption", attempt=3))
        self.assertEqual(r["status"], "published", r)
        self.assertEqual(len(self.ig.calls()), calls)

    def test_a_container_published_meanwhile_is_reported_not_published_twice(self):
        cid = self.lose_publish_answer("reuse-published")
        with self.ig.lock:  # Instagram finished the lost request after all
            self.ig.containers[cid]["status"] = "PUBLISHED"
        r = self.run_job(job("reuse-published", account="ig", text="Caption", attempt=2))
        self.assertEqual((r["status"], r["remote_id"]), ("published", cid), r)
        self.assertEqual((self.ig.created, len(self.ig.calls("publish"))), (1, 1))

    def test_expired_errored_or_unknown_container_is_replaced(self):
        for n, spoil in enumerate(("EXPIRED", "ERROR", "gone")):
            job_id = "reuse-%s" % spoil.lower()
            cid = self.lose_publish_answer(job_id)
            with self.ig.lock:
                if spoil == "gone":  # Instagram answers code 100
                    del self.ig.containers[cid]
                else:
                    self.ig.containers[cid]["status"] = spoil
            r = self.run_job(job(job_id, account="ig", text="Caption", attempt=2))
            self.assertEqual(r["status"], "published", r)
            self.assertEqual(self.ig.created, 2 * (n + 1), spoil)
            self.assertNotEqual(self.ig.media[-1][1], cid)

    def test_unreadable_container_is_not_replaced(self):
        # The lost publish request is carried out after the check found the
        # container FINISHED; the next check cannot read the status. Only a
        # status read from Instagram proves it unpublished: a new container
        # here would be a second post.
        for n, unreadable in enumerate((answer(500, "internal error"), self.ig.throttled())):
            job_id = "reuse-unreadable-%d" % n
            cid = self.lose_publish_answer(job_id)
            with self.ig.lock:
                self.ig.containers[cid]["status"] = "PUBLISHED"
            self.ig.script("status", unreadable)
            r = self.run_job(job(job_id, account="ig", text="Caption", attempt=2))
            self.assertEqual(r["status"], "unconfirmed", r)
            self.assertEqual((self.ig.created, len(self.ig.calls("publish"))), (n + 1, n + 1))
            # The row is kept: a later delivery that reads the status reports it.
            r = self.run_job(job(job_id, account="ig", text="Caption", attempt=3))
            self.assertEqual((r["status"], r["remote_id"]), ("published", cid), r)
            self.assertEqual((self.ig.created, len(self.ig.calls("publish"))), (n + 1, n + 1))


if __name__ == "__main__":
    unittest.main()
