"""ltmctl against the real broker and the real scheduler: help and exit
codes, pause/resume, and one end-to-end run with the real ltm-poster in
sandbox mode (job from ltmctl, publication in the outbox, history back)."""

import json
import os
import unittest

import ltmtest
from ltmservice import Service
from test_scheduler import is_job, ltmctl, ltmctl_json, start_scheduler

ACME = [{"name": "acme", "timezone": "America/Sao_Paulo", "schedule": {"posts": ["09:00"]}}]


class LtmctlOfflineTest(unittest.TestCase):
    """What needs no scheduler."""

    def test_help_on_every_command(self):
        for cmd in ([], ["post"], ["story"], ["jobs"], ["pause"], ["resume"]):
            code, out, err = ltmctl(None, *(cmd + ["--help"]))
            self.assertEqual(code, 0, err)
            self.assertIn("Usage: ltmctl", out)
        code, out, _ = ltmctl(None, "--help")
        self.assertIn("Exit codes", out)

    def test_usage_errors_exit_2(self):
        for args in (["publish"], [], ["post", "--text", "x"], ["pause"],
                     ["jobs", "--since", "yesterday"], ["post", "--account", "a", "--at", "soon"]):
            code, _, err = ltmctl(None, *args)
            self.assertEqual(code, 2, (args, err))
            self.assertTrue(err.startswith("ltmctl: "), err)

    def test_missing_password_exits_78(self):
        code, _, err = ltmctl(None, "jobs")
        self.assertEqual(code, 78)
        self.assertIn("LTM_MQTT_PASSWORD", err)


class LtmctlTest(unittest.TestCase):
    def setUp(self):
        self.broker = ltmtest.Broker()
        self.addCleanup(self.broker.close)
        self.watch = ltmtest.Subscriber(self.broker, "operator", ["ltm/#"])
        self.addCleanup(self.watch.close)

    def test_no_scheduler_exits_3_and_bad_password_exits_4(self):
        code, _, err = ltmctl(self.broker, "--timeout", "1s", "jobs")
        self.assertEqual(code, 3, err)
        self.assertIn("no reply", err)
        code, _, err = ltmctl(self.broker, "--timeout", "1500ms", "jobs",
                              env={"LTM_MQTT_PASSWORD": "wrong-password"})
        self.assertEqual(code, 4, err)
        self.assertNotIn("wrong-password", err)

    def test_pause_holds_and_resume_releases(self):
        start_scheduler(self, self.broker, ACME)
        out = ltmctl_json(self, self.broker, "pause", "acme")
        self.assertEqual(out["account"], "acme")
        code, _, err = ltmctl(self.broker, "pause", "ghost")
        self.assertEqual(code, 1)
        self.assertIn("not_found", err)
        job_id = ltmctl_json(self, self.broker, "post", "--account", "acme", "--text", "x")["job_id"]
        ltmtest.wait_until(
            lambda: ltmctl_json(self, self.broker, "jobs")["jobs"][0]["state"] == "held",
            10, "job held while paused")
        code, out, _ = ltmctl(self.broker, "resume", "acme")
        self.assertEqual((code, out.strip()), (0, "account acme resumed"))
        self.watch.wait_for(is_job(job_id, 1), topic="ltm/jobs/post")

    def test_end_to_end_with_the_real_poster_in_sandbox_mode(self):
        start_scheduler(self, self.broker, ACME)
        poster = Service(self.broker, "poster")
        self.addCleanup(poster.close)
        poster.wait_log("mqtt connected")
        ltmtest.sync(self.broker, self.watch, "poster", "ltm/results")
        code, out, err = ltmctl(self.broker, "post", "--account", "acme", "--text",
                                "Hello from ltmctl", "--wait")
        self.assertEqual(code, 0, err)
        self.assertRegex(out.splitlines()[1], r"^post:acme:ondemand:\S+ published by attempt 1: "
                                              r"sandbox:post:acme:ondemand:")
        job_id = out.split()[0]
        self.assertTrue(job_id.startswith("post:acme:ondemand:"), out)
        result = self.watch.wait_for(is_job(job_id), topic="ltm/results", timeout=10).payload
        self.assertEqual(result["status"], "published")
        with open(os.path.join(poster.data_dir, "outbox", "posts.jsonl")) as f:
            lines = [json.loads(line) for line in f]
        self.assertEqual([l["job_id"] for l in lines], [job_id])
        self.assertIn("Hello from ltmctl", lines[0]["text"])

        # By id: the post's engagement checks (sandbox has figures) are jobs too.
        def published():
            jobs = ltmctl_json(self, self.broker, "jobs", "--account", "acme", "--since", "1h")
            mine = [j for j in jobs["jobs"] if j["job_id"] == job_id]
            return mine and mine[0]["state"] == "published" and mine
        jobs = ltmtest.wait_until(published, 10, "published in the ledger")
        self.assertEqual(jobs[0]["attempts"][0]["outcome"], "published")
        self.assertEqual(jobs[0]["attempts"][0]["remote_id"], "sandbox:" + job_id)

    def test_story_with_the_real_story_publisher(self):
        start_scheduler(self, self.broker, ACME)
        publisher = Service(self.broker, "story-publisher")
        self.addCleanup(publisher.close)
        publisher.wait_log("mqtt connected")
        ltmtest.sync(self.broker, self.watch, "story-publisher", "ltm/results")
        out = ltmctl_json(self, self.broker, "story", "--account", "acme", "--image-url",
                          "https://example.com/story.jpg")
        self.assertTrue(out["job_id"].startswith("story:acme:ondemand:"), out)
        job = self.watch.wait_for(is_job(out["job_id"], 1), topic="ltm/jobs/story").payload
        self.assertEqual(job["image_url"], "https://example.com/story.jpg")
        result = self.watch.wait_for(is_job(out["job_id"]), topic="ltm/results",
                                     timeout=10).payload
        self.assertEqual(result["status"], "published", result)

    def test_killed_poster_loses_no_job(self):
        start_scheduler(self, self.broker, ACME)
        poster = Service(self.broker, "poster")
        self.addCleanup(poster.close)
        poster.wait_log("mqtt connected")
        ltmtest.sync(self.broker, self.watch, "poster", "ltm/results")
        poster.kill()  # SIGKILL: its persistent session keeps its share of the jobs
        job_id = ltmctl_json(self, self.broker, "post", "--account", "acme", "--text",
                             "survives a dead worker")["job_id"]
        self.watch.wait_for(is_job(job_id, 1), topic="ltm/jobs/post")
        poster.start()
        result = self.watch.wait_for(is_job(job_id), topic="ltm/results", timeout=15).payload
        self.assertEqual(result["status"], "published")
        self.assertEqual(result["attempt"], 1)
        ltmtest.wait_until(
            lambda: [j["state"] for j in ltmctl_json(self, self.broker, "jobs")["jobs"]
                     if j["job_id"] == job_id] == ["published"],
            10, "published in the ledger")


if __name__ == "__main__":
    unittest.main()
