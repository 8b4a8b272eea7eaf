"""The notifier's own rules (failures, services offline, inactivity), its
startup notice, log-only mode and setting checks, against a real broker."""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

import ltmtest
from fakes.telegram import FakeTelegram
from test_notifier import Notifier, NotifierCase, alert, iso, plain


def result(account, status="failed", final=True, attempt=1, job=None, publish_ms=100,
           kind="post", error=None):
    r = {"job_id": job or "%s:%s:%s" % (kind, account, time.monotonic_ns()), "kind": kind,
         "account": account, "attempt": attempt, "status": status,
         "retryable": status != "published" and not final, "final": final,
         "durations_ms": {"generate": 1, "image": 0, "publish": publish_ms},
         "finished_at": iso()}
    if status != "published":
        r["error_class"] = "server"
        r["error"] = error or "HTTP 503 from the channel"
    return r


def status(service, instance, state="online", started_ago=0.0, heartbeat_ago=0.0,
           interval_ms=500):
    now = time.time()
    return {"service": service, "instance": instance, "state": state, "version": "0.1.0",
            "host": "vm", "pid": 1, "started_at": iso(now - started_ago),
            "heartbeat_at": iso(now - heartbeat_ago), "heartbeat_interval_ms": interval_ms}


class TestFailures(NotifierCase):
    def test_consecutive_final_failures_per_account_and_overall_then_resolved(self):
        results = [result("acme", final=False) for _ in range(5)]  # retries do not count
        results += [result("acme", error="<quota> & co") for _ in range(4)]
        rc = ltmtest.publish_lines(self.broker, "poster", "ltm/results", results)
        self.assertEqual(rc, 0)
        text = plain(self.wait_delivered(lambda t: "results.failures.acme" in t)[0])
        self.assertIn("4 consecutive final failures for account acme", text)
        self.assertIn("<quota> & co", text)
        self.assertIn("4 consecutive final failures across all accounts", text)
        ltmtest.publish(self.broker, "poster", "ltm/results", result("acme", status="published"))
        resolved = plain(self.wait_delivered(lambda t: "RESOLVED" in t)[0])
        self.assertIn("results.failures.acme", resolved)
        self.assertIn("[RESOLVED] results.failures:", resolved)

    def test_three_failures_do_not_alert(self):
        rc = ltmtest.publish_lines(self.broker, "poster", "ltm/results",
                                   [result("acme") for _ in range(3)])
        self.assertEqual(rc, 0)
        self.send_alerts([alert("host.cpu")])  # a marker that arrives after them
        self.wait_delivered(lambda t: "host.cpu" in t)
        self.assertFalse(any("results.failures" in t for t in self.tg.delivered()))


    def test_failed_engagement_checks_alert_on_their_own(self):
        from test_notifier_report import check
        # Blocks first: the scheduler alerts on its own (permission) or waits
        # (quota, rate limit); they must not count towards this rule.
        checks = [check("acme", "post:acme:b%d" % i, 24, status="failed", error_class=cls)
                  for i, cls in enumerate(["permission", "quota", "rate_limited"] * 2)]
        checks += [check("acme", "post:acme:%d" % i, 24, status="failed",
                         error_class="auth") for i in range(4)]
        self.assertEqual(ltmtest.publish_lines(self.broker, "poster", "ltm/results", checks), 0)
        text = plain(self.wait_delivered(lambda t: "engagement.failures.acme" in t)[0])
        self.assertIn("[WARNING] engagement.failures.acme: 4 consecutive engagement checks "
                      "failed for account acme", text)
        self.assertIn("(auth)", text)
        ltmtest.publish(self.broker, "poster", "ltm/results",
                        check("acme", "post:acme:9", 1, figures={"impressions": 1}))
        resolved = plain(self.wait_delivered(lambda t: "RESOLVED" in t)[0])
        self.assertIn("engagement.failures.acme", resolved)
        self.assertFalse(any("results.failures" in t or "results.inactive" in t
                             for t in self.tg.delivered()))


class TestServices(NotifierCase):
    env = {"LTM_NOTIFY_FORGET_AFTER": "1h"}

    def test_service_offline_past_grace_then_back(self):
        ltmtest.publish(self.broker, "poster", "ltm/status/poster/p1",
                        status("poster", "p1", "offline"), retain=True)
        # A replica scaled away while another of its service serves: no alert.
        ltmtest.publish(self.broker, "story-publisher", "ltm/status/story-publisher/s1",
                        status("story-publisher", "s1", "offline"), retain=True)
        ltmtest.publish(self.broker, "story-publisher", "ltm/status/story-publisher/s2",
                        status("story-publisher", "s2", interval_ms=60000), retain=True)
        # An online status whose heartbeat stopped long ago counts as offline.
        ltmtest.publish(self.broker, "scheduler", "ltm/status/scheduler/x",
                        status("scheduler", "x", heartbeat_ago=600), retain=True)
        text = self.wait_delivered(lambda t: "service.down.poster" in t)[0]
        self.assertIn("service.down.scheduler", text)
        self.assertNotIn("story-publisher", text)
        ltmtest.publish(self.broker, "poster", "ltm/status/poster/p1", status("poster", "p1"),
                        retain=True)
        resolved = plain(self.wait_delivered(lambda t: "RESOLVED" in t)[0])
        self.assertIn("service.down.poster", resolved)
        self.assertNotIn("service.down.scheduler", resolved)
        self.assertFalse(any("service.down.story-publisher" in t for t in self.tg.delivered()))

    def test_instance_offline_longer_than_forget_after_is_ignored(self):
        # Offline for two hours with LTM_NOTIFY_FORGET_AFTER=1h: a replica
        # scaled away long ago, whose retained status nobody cleared.
        ltmtest.publish(self.broker, "poster", "ltm/status/poster/gone",
                        status("poster", "gone", "offline", heartbeat_ago=7200), retain=True)
        self.send_alerts([alert("host.cpu")])
        text = self.wait_delivered(lambda t: "host.cpu" in t)[0]
        self.assertNotIn("service.down.poster", text)
        self.assertFalse(any("service.down.poster" in t for t in self.tg.delivered()))


class TestWholeSystemRestart(NotifierCase):
    env = {"LTM_NOTIFY_OFFLINE_GRACE": "3s"}

    def before_start(self):
        # Retained from before the restart: the poster went offline an hour ago.
        ltmtest.publish(self.broker, "poster", "ltm/status/poster/p1",
                        status("poster", "p1", "offline", heartbeat_ago=3600), retain=True)

    def test_services_starting_after_the_notifier_are_not_reported_down(self):
        ltmtest.publish(self.broker, "poster", "ltm/status/poster/p1", status("poster", "p1"),
                        retain=True)
        self.send_alerts([alert("host.cpu")])
        self.wait_delivered(lambda t: "host.cpu" in t)
        self.assertFalse(any("service.down" in r["body"].get("text", "")
                             for r in self.tg.requests()), self.tg.delivered())


class TestInactivity(NotifierCase):
    env = {"LTM_NOTIFY_INACTIVITY": "2s", "LTM_NOTIFY_FAILURE_THRESHOLD": "100"}

    def test_no_publish_while_jobs_are_due(self):
        ltmtest.publish(self.broker, "scheduler", "ltm/results",
                        result("acme", status="missed", final=True))
        text = plain(self.wait_delivered(lambda t: "results.inactive" in t, timeout=10)[0])
        self.assertIn("no post or story published", text)
        ltmtest.publish(self.broker, "poster", "ltm/results", result("acme", status="published"))
        self.wait_delivered(lambda t: "RESOLVED" in t and "results.inactive" in t)


class TestStartupNotice(NotifierCase):
    def before_start(self):
        # The rest of the system has been running for an hour before the
        # notifier starts: a notifier restart, not a system start.
        ltmtest.publish(self.broker, "scheduler", "ltm/status/scheduler/1",
                        status("scheduler", "1", started_ago=3600), retain=True)

    def test_no_notice_when_the_system_was_already_running(self):
        ltmtest.wait_until(lambda: "startup notice not sent" in self.notifier.log(), 10,
                           "the startup decision")
        self.send_alerts([alert("host.cpu")])
        self.wait_delivered(lambda t: "host.cpu" in t)
        self.assertFalse(any("LTM started" in t for t in self.tg.delivered()))


class TestStartupNoticeOnSystemStart(NotifierCase):
    def test_notice_names_the_services_online_and_sets_the_marker(self):
        text = plain(self.wait_delivered(lambda t: "LTM started" in t)[0])
        self.assertIn("notifier/n1", text)
        marker = self.watch.wait_for(topic="ltm/reports/startup")
        self.assertEqual(marker.payload["instance"], "n1")


class TestModes(unittest.TestCase):
    def setUp(self):
        self.broker = ltmtest.Broker()
        self.addCleanup(self.broker.close)
        self.data_dir = tempfile.mkdtemp(prefix="ltm-notifier-")
        self.addCleanup(shutil.rmtree, self.data_dir, True)

    def test_log_only_mode_without_telegram_settings(self):
        n = Notifier(self.broker, self.data_dir, None)
        self.addCleanup(n.stop)
        ltmtest.wait_until(lambda: "log-only mode" in n.log(), 10, "the log-only warning")
        ltmtest.wait_until(lambda: "mqtt connected" in n.log(), 10, "the connection")
        ltmtest.publish(self.broker, "sysmonitor", "ltm/alerts", alert("host.cpu"))
        ltmtest.wait_until(lambda: "notification (log-only mode)" in n.log()
                           and "host.cpu" in n.log(), 10, "the alert in the log")
        self.assertEqual(n.stop(), 0)

    def test_bad_setting_stops_at_start_naming_it(self):
        cases = [({"LTM_NOTIFY_QUEUE_MAX": "1"}, "LTM_NOTIFY_QUEUE_MAX"),
                 ({"LTM_NOTIFY_GROUP_WAIT": "soon"}, "LTM_NOTIFY_GROUP_WAIT"),
                 ({"TELEGRAM_BOT_TOKEN": "1:x"}, "TELEGRAM_CHAT_ID"),
                 ({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_CHAT_ID": "my chat"},
                  "TELEGRAM_CHAT_ID"),
                 ({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_CHAT_ID": "-100",
                   "TELEGRAM_API_URL": "file:///etc/passwd"}, "TELEGRAM_API_URL")]
        for extra, name in cases:
            with self.subTest(name=name, extra=extra):
                env = {k: v for k, v in os.environ.items()
                       if not k.startswith(("LTM_", "TELEGRAM_"))}
                env.update(LTM_MQTT_URL=self.broker.url, LTM_MQTT_PASSWORD="x",
                           LTM_DATA_DIR=self.data_dir, LTM_INSTANCE="n1", **extra)
                p = subprocess.run([os.path.join(ltmtest.BIN_DIR, "ltm-notifier")], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
                self.assertEqual(p.returncode, 78, p.stderr)
                self.assertIn(name, p.stderr.decode())
                self.assertNotIn("1:x", p.stderr.decode() + p.stdout.decode())

    def test_token_never_logged(self):
        tg = FakeTelegram(token="987654:SECRET-token-value")
        self.addCleanup(tg.close)
        tg.default = "500"
        n = Notifier(self.broker, self.data_dir, tg)
        self.addCleanup(n.stop)
        ltmtest.wait_until(lambda: len(tg.requests()) >= 2, 10, "failed attempts")
        self.assertEqual(n.stop(), 0)
        self.assertNotIn("SECRET-token-value", n.log())
        self.assertIn("TELEGRAM_BOT_TOKEN=set", n.log())


if __name__ == "__main__":
    unittest.main()
