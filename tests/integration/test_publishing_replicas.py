"""Several posters share the work and never publish a job twice: two replicas
split a batch with none done twice, and a poster killed while its publish
request was out checks the channel after its restart instead of sending again."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fakes"))

import ltmtest  # noqa: E402
from apibase import answer, hang  # noqa: E402
from ltmservice import Service  # noqa: E402
from publishing import IG_USER, PublishingCase, accounts, job, wait_consuming  # noqa: E402

IG_IMAGE = "https://cdn.example.com/acme/feed-1.jpg"


class ReplicasTest(PublishingCase):
    def test_two_replicas_split_the_jobs_and_none_is_done_twice(self):
        data = accounts(acme={"channel": {"type": "webhook", "url": self.hook.hook_url,
                                          "token_env": "HOOK_TOKEN"}})
        self.worker(data=data, instance="r1")
        self.worker(data=data, instance="r2")
        jobs = [job("rep-%02d" % i, text="Post number %d" % i) for i in range(40)]
        self.assertEqual(ltmtest.publish_lines(self.broker, "scheduler", "ltm/jobs/post", jobs), 0)
        results = self.watch.wait_count(
            40, topic="ltm/results",
            predicate=lambda m: str(m.payload.get("job_id", "")).startswith("rep-"), timeout=20)
        ltmtest.sync(self.broker, self.watch, "poster", "ltm/results")
        results = [m.payload for m in self.watch.messages("ltm/results")
                   if str(m.payload.get("job_id", "")).startswith("rep-")]
        self.assertEqual(sorted(r["job_id"] for r in results), sorted(j["job_id"] for j in jobs))
        self.assertTrue(all(r["status"] == "published" for r in results), results)
        self.assertEqual(sorted(b["job_id"] for b in self.hook.received),
                         sorted(j["job_id"] for j in jobs))
        by_worker = {r["worker"] for r in results}
        self.assertEqual(by_worker, {"ltm-poster-r1", "ltm-poster-r2"})


class RestartTest(PublishingCase):
    def start(self, data_dir, data=None):
        path = self.write_accounts(data or self.default_accounts())
        svc = Service(self.broker, "poster", env=self.env(path), data_dir=data_dir)
        self.addCleanup(self.check_worker, svc)
        svc.wait_log("mqtt connected")
        wait_consuming(self.broker, self.watch, "poster", "t1")
        return svc

    def killed_while_sending(self, job_id):
        data_dir = os.path.join(self.tmp, "poster-data")
        os.makedirs(data_dir)
        poster = self.start(data_dir)
        self.send(job(job_id, text="Sent just before the crash."))
        ltmtest.wait_until(lambda: self.li.calls("post"), 10, "the publish request")
        poster.kill()
        return self.start(data_dir)

    def test_post_created_before_the_crash_is_found_not_sent_again(self):
        self.li.lose_answers, self.li.lose_with = 1, hang
        self.killed_while_sending("crash-created")
        r = self.run_job(job("crash-created", text="Sent just before the crash.", attempt=2))
        self.assertEqual(r["status"], "published", r)
        self.assertEqual(r["remote_id"], self.li.posts[0][0])
        self.assertEqual(len(self.li.calls("post")), 1)
        self.assertEqual(len(self.li.calls("recent")), 1)

    def test_post_not_created_before_the_crash_is_sent_after_the_check(self):
        self.li.script("post", hang())
        self.killed_while_sending("crash-absent")
        r = self.run_job(job("crash-absent", text="Sent just before the crash.", attempt=2))
        self.assertEqual(r["status"], "published", r)
        self.assertEqual(len(self.li.posts), 1)
        self.assertEqual(len(self.li.calls("recent")), 1)

    def instagram_killed_while_publishing(self, job_id):
        """The container is created and FINISHED, media_publish is out, the
        poster is SIGKILLed before its answer; returns the restarted poster."""
        data = accounts(ig={"channel": {"type": "instagram", "user_id": IG_USER,
                                        "token_env": "ACME_IG_TOKEN"},
                            "content": {"prompt": "Write.", "image_urls": [IG_IMAGE]}})
        data_dir = os.path.join(self.tmp, "poster-data")
        os.makedirs(data_dir)
        poster = self.start(data_dir, data)
        self.send(job(job_id, account="ig", text="Sent just before the crash."))
        ltmtest.wait_until(lambda: self.ig.calls("publish"), 10, "the media_publish request")
        poster.kill()
        self.start(data_dir, data)
        return self.ig.calls("publish")[0].json()["creation_id"]

    def test_instagram_container_finished_before_the_crash_is_published_once(self):
        self.ig.script("publish", hang())
        cid = self.instagram_killed_while_publishing("ig-crash-finished")
        r = self.run_job(job("ig-crash-finished", account="ig", text="Sent just before the crash.",
                             attempt=2))
        self.assertEqual(r["status"], "published", r)
        self.assertEqual(self.ig.created, 1)  # the same container, no second one
        self.assertEqual(self.ig.media, [(r["remote_id"], cid)])  # one media_publish accepted
        self.assertEqual([c.json()["creation_id"] for c in self.ig.calls("publish")], [cid, cid])
        ltmtest.sync(self.broker, self.watch, "poster", "ltm/results")
        results = [m.payload for m in self.watch.messages("ltm/results")
                   if isinstance(m.payload, dict)
                   and m.payload.get("job_id") == "ig-crash-finished"]
        self.assertEqual([x["status"] for x in results], ["published"], results)

    def test_instagram_container_published_before_the_crash_is_not_published_again(self):
        self.ig.lose_answers, self.ig.lose_with = 1, hang
        cid = self.instagram_killed_while_publishing("ig-crash-published")
        r = self.run_job(job("ig-crash-published", account="ig",
                             text="Sent just before the crash.", attempt=2))
        self.assertEqual((r["status"], r["remote_id"]), ("published", cid), r)
        self.assertEqual(self.ig.created, 1)
        self.assertEqual(len(self.ig.media), 1)
        self.assertEqual(len(self.ig.calls("publish")), 1)  # reported, not sent again
        self.assertEqual(len(self.ig.calls("status")), 2)  # the poll, then the check
        ltmtest.sync(self.broker, self.watch, "poster", "ltm/results")
        results = [m.payload for m in self.watch.messages("ltm/results")
                   if isinstance(m.payload, dict)
                   and m.payload.get("job_id") == "ig-crash-published"]
        self.assertEqual([x["status"] for x in results], ["published"], results)

    def test_sigterm_lets_the_jobs_in_flight_finish(self):
        data_dir = os.path.join(self.tmp, "poster-data")
        os.makedirs(data_dir)
        poster = self.start(data_dir)
        self.li.script("post", answer(201, b"", {"x-restli-id": "urn:li:share:42"}, delay=1.0))
        self.send(job("drain-1", text="In flight at SIGTERM."))
        ltmtest.wait_until(lambda: self.li.calls("post"), 10, "the publish request")
        self.assertEqual(poster.stop(), 0)  # in a sanitizer build, also no leak report
        r = self.result("drain-1")
        self.assertEqual((r["status"], r["remote_id"]), ("published", "urn:li:share:42"), r)

    def test_sigterm_also_finishes_the_jobs_waiting_in_the_inbox(self):
        # Paho acknowledged the waiting jobs when they arrived: the broker does
        # not deliver them again, so the drain must carry them out too.
        data_dir = os.path.join(self.tmp, "poster-data")
        os.makedirs(data_dir)
        path = self.write_accounts(self.default_accounts())
        poster = Service(self.broker, "poster", env=self.env(path, LTM_WORKER_INFLIGHT="1"),
                         data_dir=data_dir)
        self.addCleanup(self.check_worker, poster)
        poster.wait_log("mqtt connected")
        wait_consuming(self.broker, self.watch, "poster", "t1")
        self.li.script("post", answer(201, b"", {"x-restli-id": "urn:li:share:42"}, delay=1.0))
        for i in range(3):
            self.send(job("wait-%d" % i, text="Waiting number %d." % i))
        ltmtest.wait_until(lambda: self.li.calls("post"), 10, "the first publish request")
        self.assertEqual(poster.stop(), 0)
        for i in range(3):
            r = self.result("wait-%d" % i, timeout=5)
            self.assertEqual(r["status"], "published", r)
        self.assertEqual(len(self.li.calls("post")), 3)  # each once


if __name__ == "__main__":
    unittest.main()
