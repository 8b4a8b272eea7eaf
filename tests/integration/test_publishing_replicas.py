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
from publishing import PublishingCase, accounts, job, wait_consuming  # noqa: E402


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
    def start(self, data_dir):
        path = self.write_accounts(self.default_accounts())
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


if __name__ == "__main__":
    unittest.main()
