"""scripts/replay-dlq.sh (docs/operations.md) on dead letters produced by a
real service, against the real broker."""

import base64
import json
import os
import subprocess
import tempfile
import unittest

import ltmtest
from ltmservice import Service

REPLAY = os.path.join(ltmtest.SOURCE_DIR, "scripts", "replay-dlq.sh")


def job(job_id):
    return {"job_id": job_id, "kind": "post", "account": "demo", "attempt": 1,
            "max_attempts": 3, "slot": "2026-11-25T12:00:00Z",
            "dispatched_at": "2026-11-25T12:00:00.010Z", "text": "hello " + job_id}


class ReplayDlqTest(unittest.TestCase):
    def setUp(self):
        self.broker = ltmtest.Broker()
        self.addCleanup(self.broker.close)
        self.sub = ltmtest.Subscriber(self.broker, "operator",
                                      ["ltm/results", "ltm/dlq", "ltm/status/+/+"])
        self.addCleanup(self.sub.close)
        self.poster = Service(self.broker, "poster", instance="r1")
        self.addCleanup(self.poster.close)
        self.sub.wait_for(lambda m: m.topic == "ltm/status/poster/r1"
                          and m.payload.get("state") == "online", timeout=15)

    def replay(self, lines, *args):
        with tempfile.NamedTemporaryFile("w", prefix="ltm-dlq-", suffix=".jsonl",
                                         delete=False) as f:
            f.write("".join(l + "\n" for l in lines))
        self.addCleanup(os.unlink, f.name)
        creds = os.path.join(self.broker.state_dir, "credentials.env")
        return subprocess.run([REPLAY, "--credentials", creds, "--url", self.broker.url,
                               *args, f.name], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=30)

    def result_of(self, job_id, since=0):
        return self.sub.wait_for(lambda m: m.topic == "ltm/results"
                                 and m.payload.get("job_id") == job_id, since=since, timeout=15)

    def test_dead_letter_from_a_service_is_replayed_as_the_topic_writer(self):
        # A job the poster cannot decode goes to ltm/dlq with the original payload.
        bad = {"job_id": "replayed", "attempt": 1}
        ltmtest.publish(self.broker, "scheduler", "ltm/jobs/post", bad)
        dead = self.sub.wait_for(lambda m: m.topic == "ltm/dlq", timeout=15).payload
        self.assertEqual(dead["topic"], "ltm/jobs/post")
        # Its cause fixed (here: the payload completed by hand), it is replayed.
        dead["payload"] = json.dumps(job("replayed"))
        b64 = {"service": "poster", "topic": "ltm/jobs/post", "reason": "test",
               "payload_base64": base64.b64encode(json.dumps(job("binary")).encode()).decode()}
        lines = [json.dumps(dead), json.dumps(b64)]

        dry = self.replay(lines, "--dry-run")
        self.assertEqual(dry.returncode, 0, dry.stdout)
        self.assertEqual(dry.stdout.count("on ltm/jobs/post as scheduler"), 2, dry.stdout)
        mark = self.sub.mark()
        done = self.replay(lines)
        self.assertEqual(done.returncode, 0, done.stdout)
        self.assertIn("2 message(s) published", done.stdout)
        self.assertEqual(self.result_of("replayed", mark).payload["status"], "published")
        self.assertEqual(self.result_of("binary", mark).payload["status"], "published")

    def test_stdin_and_one_message_turned_away_by_several_services_is_published_once(self):
        # One bad result is refused by every consumer: one dead letter each.
        payload = json.dumps(job("once"))
        lines = [json.dumps({"service": s, "topic": "ltm/jobs/post", "reason": "test",
                             "payload": payload})
                 for s in ("scheduler", "sysmonitor", "notifier")]
        creds = os.path.join(self.broker.state_dir, "credentials.env")
        mark = self.sub.mark()
        done = subprocess.run([REPLAY, "--credentials", creds, "--url", self.broker.url],
                              input="".join(l + "\n" for l in lines), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stdout)
        self.assertIn("2 duplicate(s)", done.stdout)
        self.assertIn("1 message(s) published", done.stdout)
        self.result_of("once", mark)
        empty = subprocess.run([REPLAY, "--credentials", creds, "--url", self.broker.url],
                               input="\n", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=30)
        self.assertNotEqual(empty.returncode, 0)
        self.assertIn("no dead letter in the input", empty.stdout)

    def test_a_bad_line_stops_the_replay_before_anything_is_published(self):
        good = json.dumps({"topic": "ltm/jobs/post", "payload": json.dumps(job("never"))})
        for bad, why in (("not json", "line 2 is not a dead letter"),
                         (json.dumps({"topic": "ltm/status/poster/x", "payload": "{}"}),
                          "no LTM user may publish on 'ltm/status/poster/x'"),
                         (json.dumps({"topic": "ltm/jobs/post", "payload": "{",
                                      "payload_bytes": 262144, "payload_truncated": True}),
                          "line 2: only the first bytes of its 262144-byte payload")):
            out = self.replay([good, bad])
            self.assertNotEqual(out.returncode, 0)
            self.assertIn(why, out.stdout)
        # The good first line was not published either.
        mark = self.sub.mark()
        ltmtest.publish(self.broker, "scheduler", "ltm/jobs/post", job("marker"))
        self.result_of("marker", mark)
        self.assertFalse([m for m in self.sub.messages("ltm/results")
                          if m.payload.get("job_id") == "never"])


if __name__ == "__main__":
    unittest.main()
