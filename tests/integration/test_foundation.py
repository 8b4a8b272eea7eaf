"""The walking skeleton against a real broker and the real binaries: a job
reaches the poster and its result comes back; bad input goes to ltm/dlq
while the service keeps serving; statuses, Last Will, heartbeats and metrics;
settings checked at start; reconnection after a broker restart."""

import json
import os
import shutil
import tempfile
import unittest

import ltmtest
from ltmservice import Service, run_once, wait_status

ACCOUNTS = os.path.join(ltmtest.SOURCE_DIR, "config", "accounts.example.json")


def job(job_id, **extra):
    j = {"job_id": job_id, "kind": "post", "account": "demo", "attempt": 1, "max_attempts": 3,
         "slot": "2026-11-25T12:00:00Z", "dispatched_at": "2026-11-25T12:00:00.010Z"}
    j.update(extra)
    return j


def is_result_of(job_id):
    return lambda m: isinstance(m.payload, dict) and m.payload.get("job_id") == job_id


class FoundationTest(unittest.TestCase):
    def setUp(self):
        self.broker = ltmtest.Broker()
        self.addCleanup(self.broker.close)
        self.watch = ltmtest.Subscriber(self.broker, "operator", ["ltm/#"])
        self.addCleanup(self.watch.close)

    def service(self, name, **kwargs):
        svc = Service(self.broker, name, **kwargs)
        self.addCleanup(svc.close)
        return svc

    def online_poster(self, instance="t1"):
        poster = self.service("poster", instance=instance)
        wait_status(self.watch, "poster", instance, "online")
        # Its shared subscription is active once a job is routed to it; a
        # status only proves the connection.
        poster.wait_log("mqtt connected")
        ltmtest.sync(self.broker, self.watch, "poster", "ltm/results")
        return poster

    def test_replicas_sharing_a_data_dir_take_numbered_slots(self):
        # LTM_INSTANCE_FROM_SLOT (compose's workers): ids 1, 2... from locks in
        # the shared data dir; a replica that dies frees its id for the next.
        shared = tempfile.mkdtemp(prefix="ltm-slots-")
        self.addCleanup(shutil.rmtree, shared, True)

        def replica(tag):
            svc = Service(self.broker, "poster", instance=tag, data_dir=shared, start=False)
            del svc.env["LTM_INSTANCE"]
            svc.env["LTM_INSTANCE_FROM_SLOT"] = "true"
            self.addCleanup(svc.close)
            return svc.start()
        first = replica("a")
        wait_status(self.watch, "poster", "1", "online")
        replica("b")
        wait_status(self.watch, "poster", "2", "online")
        since = self.watch.mark()
        first.kill()  # SIGKILL: the kernel frees the lock
        wait_status(self.watch, "poster", "1", "offline", since=since)
        third = replica("c")
        wait_status(self.watch, "poster", "1", "online", since=since)
        self.assertIn("instance=1", third.log())
        self.assertEqual(sorted(os.listdir(os.path.join(shared, "instances"))),
                         ["poster-1.lock", "poster-2.lock"])

    def test_job_reaches_poster_and_result_comes_back(self):
        poster = self.online_poster()
        self.assertEqual(ltmtest.publish(self.broker, "scheduler", "ltm/jobs/post",
                                         job("post:demo:flow", text="Hello, world")), 0)
        result = self.watch.wait_for(is_result_of("post:demo:flow"), topic="ltm/results",
                                     timeout=10).payload
        self.assertEqual(result["status"], "published")
        self.assertEqual(result["channel"], "sandbox")
        self.assertEqual(result["attempt"], 1)
        self.assertTrue(result["final"])
        self.assertFalse(result["retryable"])
        self.assertEqual(result["worker"], "ltm-poster-t1")
        with open(os.path.join(poster.data_dir, "outbox", "posts.jsonl")) as f:
            lines = [json.loads(l) for l in f]
        self.assertEqual([l["job_id"] for l in lines], ["post:demo:flow"])
        self.assertEqual(lines[0]["text"], "[SANDBOX] Hello, world")
        self.assertEqual(result["remote_id"], lines[0]["remote_id"])

    def test_malformed_jobs_go_to_dlq_and_poster_keeps_serving(self):
        self.online_poster()
        bad = [
            (b"not json at all", "not valid JSON"),
            (json.dumps(job("post:demo:bad-attempt", attempt=0)).encode(), "attempt"),
            (json.dumps({"job_id": "x", "kind": "story", "account": "demo", "attempt": 1,
                         "slot": "2026-11-25T12:00:00Z",
                         "dispatched_at": "2026-11-25T12:00:00Z"}).encode(), "kind"),
            (b"\xff\xfe\x00binary", "NUL byte"),
        ]
        for payload, _ in bad:
            self.assertEqual(ltmtest.publish(self.broker, "scheduler", "ltm/jobs/post",
                                             payload), 0)
        ltmtest.publish(self.broker, "scheduler", "ltm/jobs/post", job("post:demo:after-bad"))
        self.watch.wait_for(is_result_of("post:demo:after-bad"), topic="ltm/results", timeout=10)
        letters = self.watch.wait_count(len(bad), topic="ltm/dlq", timeout=10)
        for letter, (payload, reason_part) in zip(letters, bad):
            self.assertEqual(letter.payload["service"], "poster")
            self.assertEqual(letter.payload["topic"], "ltm/jobs/post")
            self.assertIn(reason_part, letter.payload["reason"])
        self.assertEqual(letters[0].payload["payload"], "not json at all")
        self.assertIn("payload_base64", letters[3].payload)
        # Counted and visible in the service's own metrics.
        metrics = self.watch.wait_for(
            lambda m: m.payload.get("dead_letters", 0) >= len(bad),
            topic="ltm/metrics/poster", timeout=5)
        self.assertEqual(metrics.payload["instance"], "t1")

    def test_killed_service_status_turns_offline(self):
        poster = self.online_poster("k1")
        since = self.watch.mark()
        poster.kill()
        offline = wait_status(self.watch, "poster", "k1", "offline", since=since)
        self.assertTrue(offline.retained is False or offline.retained is True)
        # A subscriber arriving later sees the retained offline status.
        with ltmtest.Subscriber(self.broker, "health-gateway", ["ltm/status/poster/k1"]) as late:
            m = late.wait_for(topic="ltm/status/poster/k1")
            self.assertTrue(m.retained)
            self.assertEqual(m.payload["state"], "offline")
            self.assertEqual(m.payload["service"], "poster")

    def test_stopped_service_publishes_offline_and_exits_zero(self):
        poster = self.online_poster()
        since = self.watch.mark()
        self.assertEqual(poster.stop(), 0)
        wait_status(self.watch, "poster", "t1", "offline", since=since)
        self.assertIn("stopped", poster.log())

    def test_every_service_reports_online_then_stops_cleanly(self):
        names = ["scheduler", "poster", "story-publisher", "sysmonitor", "notifier",
                 "health-gateway"]
        env = {"LTM_ACCOUNTS_FILE": ACCOUNTS, "PORT": str(ltmtest.free_port()),
               "LTM_HTTP_BIND": "127.0.0.1"}
        services = [self.service(n, env=env) for n in names]
        for n in names:
            status = wait_status(self.watch, n, "t1", "online", timeout=15).payload
            self.assertEqual(status["instance"], "t1")
            self.assertGreater(status["pid"], 0)
            self.assertIn("version", status)
        since = self.watch.mark()
        for svc in services:
            self.assertEqual(svc.stop(), 0, svc.log())
        for n in names:
            wait_status(self.watch, n, "t1", "offline", since=since)

    def test_heartbeat_and_process_metrics(self):
        self.service("story-publisher", env={"LTM_HEARTBEAT_INTERVAL": "200ms"})
        first = wait_status(self.watch, "story-publisher", "t1", "online").payload
        later = self.watch.wait_for(
            lambda m: m.payload.get("heartbeat_at", "") > first["heartbeat_at"],
            topic="ltm/status/story-publisher/t1", timeout=5).payload
        self.assertEqual(later["started_at"], first["started_at"])
        self.assertEqual(later["heartbeat_interval_ms"], 200)
        metrics = self.watch.wait_for(topic="ltm/metrics/story-publisher", timeout=5).payload
        for field in ("rss_bytes", "cpu_ms", "uptime_s", "messages_in", "messages_out",
                      "errors", "dead_letters", "dropped", "operations"):
            self.assertIn(field, metrics)
        self.assertGreater(metrics["rss_bytes"], 0)

    def test_service_reconnects_after_broker_restart(self):
        poster = self.online_poster()
        self.watch.close()
        self.broker.kill()
        self.broker.restart()
        poster.wait_log("mqtt (reconnected|connected)", count=2, timeout=20)
        self.watch = ltmtest.Subscriber(self.broker, "operator", ["ltm/#"])
        self.addCleanup(self.watch.close)
        wait_status(self.watch, "poster", "t1", "online", timeout=10)
        ltmtest.publish(self.broker, "scheduler", "ltm/jobs/post", job("post:demo:after-restart"))
        self.watch.wait_for(is_result_of("post:demo:after-restart"), topic="ltm/results",
                            timeout=15)

    def test_lasting_disconnection_is_repeated_in_the_log(self):
        # Paho reconnects in silence: a rotated password or a broker gone for
        # good must not leave one "connection lost" line and then nothing.
        poster = self.service("poster", env={"LTM_HEARTBEAT_INTERVAL": "300ms"})
        poster.wait_log("mqtt connected")
        self.watch.close()
        self.broker.kill()
        poster.wait_log("mqtt still disconnected, reconnecting", count=2, timeout=10)
        self.assertNotIn(self.broker.password("poster"), poster.log())
        self.broker.restart()
        poster.wait_log("mqtt reconnected", timeout=20)


class SettingsTest(unittest.TestCase):
    """A bad setting stops the service at start with a message naming it."""

    BASE = {"LTM_MQTT_PASSWORD": "pw-123456", "LTM_DATA_DIR": "/tmp/ltm-settings-test",
            "LTM_INSTANCE": "s1"}

    def run_poster(self, **overrides):
        env = dict(self.BASE)
        env.update(overrides)
        env = {k: v for k, v in env.items() if v is not None}
        return run_once("poster", env)

    def test_instance_and_instance_from_slot_exclude_each_other(self):
        code, out = self.run_poster(LTM_INSTANCE="p1", LTM_INSTANCE_FROM_SLOT="true")
        self.assertEqual(code, 78, out)
        self.assertIn("LTM_INSTANCE_FROM_SLOT", out)

    def test_missing_password_is_named(self):
        code, out = self.run_poster(LTM_MQTT_PASSWORD=None)
        self.assertEqual(code, 78, out)
        self.assertIn("LTM_MQTT_PASSWORD", out)
        self.assertIn("required", out)

    def test_malformed_values_are_named(self):
        cases = {"LTM_HEARTBEAT_INTERVAL": "soon", "LTM_LOG_LEVEL": "chatty",
                 "LTM_LOG_FORMAT": "xml", "LTM_MODE": "production",
                 "LTM_MQTT_URL": "http://broker", "LTM_INSTANCE": "a/b"}
        for name, value in cases.items():
            code, out = self.run_poster(**{name: value})
            self.assertEqual(code, 78, "%s=%s: %s" % (name, value, out))
            self.assertIn(name, out)

    def test_secrets_never_reach_the_output(self):
        code, out = self.run_poster(LTM_MQTT_URL="mqtt://admin:hunter2-secret@broker:1883")
        self.assertEqual(code, 78, out)
        self.assertNotIn("hunter2-secret", out)
        self.assertIn("LTM_MQTT_USERNAME", out)

    def test_help_lists_every_setting(self):
        code, out = run_once("poster", {})  # no password: --help must not need one
        self.assertEqual(code, 78)
        import subprocess
        from ltmservice import binary
        out = subprocess.run([binary("poster"), "--help"], stdout=subprocess.PIPE,
                             timeout=10).stdout.decode()
        for name in ("LTM_MQTT_URL", "LTM_MQTT_PASSWORD", "LTM_DATA_DIR", "LTM_LOG_FORMAT",
                     "LTM_MODE"):
            self.assertIn(name, out)


if __name__ == "__main__":
    unittest.main()
