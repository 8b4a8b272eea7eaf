"""ltm-notifier against a real broker and a fake Telegram (fakes/telegram.py).

Every interval is compressed through the notifier's settings: a 30 s group
window becomes 1 s, a 10-minute outage a few seconds. Waits poll until a
deadline; nothing sleeps for a real-world delay.
"""

import datetime
import html
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import ltmtest
from fakes.telegram import FakeTelegram


def iso(ts=None):
    dt = datetime.datetime.fromtimestamp(time.time() if ts is None else ts, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def alert(key, state="firing", severity="warning", summary=None):
    return {"key": key, "state": state, "severity": severity,
            "summary": summary or ("%s above its threshold" % key), "source": "sysmonitor",
            "value": 93.0, "threshold": 80, "since": iso(), "at": iso()}


def plain(text):
    return html.unescape(re.sub(r"<[^>]*>", "", text))


FAST = {
    "LTM_HEARTBEAT_INTERVAL": "500ms",
    "LTM_NOTIFY_GROUP_WAIT": "1s",
    "LTM_NOTIFY_REPEAT_INTERVAL": "1h",
    "LTM_NOTIFY_SEND_INTERVAL": "50ms",
    "LTM_NOTIFY_BACKOFF_MIN": "100ms",
    "LTM_NOTIFY_BACKOFF_MAX": "400ms",
    "LTM_NOTIFY_STARTUP_SETTLE": "300ms",
    "LTM_NOTIFY_OFFLINE_GRACE": "1s",
    "TELEGRAM_TIMEOUT": "2s",
}


class Notifier:
    """One ltm-notifier process; its log goes to a file in its data dir."""

    def __init__(self, broker, data_dir, telegram=None, env=None, instance="n1"):
        self.data_dir = data_dir
        self.log_path = os.path.join(data_dir, "notifier-%s.log" % instance)
        e = dict(os.environ)
        for k in list(e):
            if k.startswith(("LTM_", "TELEGRAM_")):
                del e[k]
        e.update(broker.env_for("notifier"))
        e.update(FAST)
        e.update({"LTM_INSTANCE": instance, "LTM_DATA_DIR": data_dir})
        if telegram is not None:
            e.update({"TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_CHAT_ID": telegram.chat_id,
                      "TELEGRAM_API_URL": telegram.url})
        e.update(env or {})
        with open(self.log_path, "ab") as log:
            self.proc = ltmtest._track(subprocess.Popen(
                [os.path.join(ltmtest.BIN_DIR, "ltm-notifier")], env=e,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT))

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        ltmtest._end_process(self.proc, grace=10.0)
        return self.proc.returncode

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        ltmtest._untrack(self.proc)


class NotifierCase(unittest.TestCase):
    env = {}

    def setUp(self):
        self.broker = ltmtest.Broker()
        self.addCleanup(self.broker.close)
        self.tg = FakeTelegram()
        self.addCleanup(self.tg.close)
        self.data_dir = tempfile.mkdtemp(prefix="ltm-notifier-")
        self.addCleanup(shutil.rmtree, self.data_dir, True)
        self.watch = ltmtest.Subscriber(self.broker, "operator", ["ltm/#"])
        self.addCleanup(self.watch.close)
        self.before_start()
        self.notifier = self.start()

    def before_start(self):
        """Hook: what must be on the broker before the notifier starts."""

    def start(self, env=None):
        n = Notifier(self.broker, self.data_dir, self.tg, dict(self.env, **(env or {})))
        self.addCleanup(self.check_clean_exit, n)
        self.addCleanup(self.dump_log_on_failure, n)
        self.watch.wait_for(lambda m: m.payload.get("state") == "online"
                            if isinstance(m.payload, dict) else False,
                            topic="ltm/status/notifier/+", timeout=10, since=self.watch.mark())
        return n

    def check_clean_exit(self, n):
        """Stops n; a sanitizer report or an unclean exit fails the test."""
        killed = n.proc.returncode == -signal.SIGKILL
        rc = n.stop()
        log = n.log()
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            self.assertNotIn(bad, log, log[-4000:])
        if not killed:
            self.assertEqual(rc, 0, log[-4000:])

    def dump_log_on_failure(self, n):
        outcome = getattr(self, "_outcome", None)
        errors = getattr(getattr(outcome, "result", None), "failures", []) + \
            getattr(getattr(outcome, "result", None), "errors", [])
        if any(t is self for t, _ in errors):
            print("\n--- notifier log ---\n" + n.log()[-6000:])

    def alerts_delivered(self):
        return [t for t in self.tg.delivered() if "LTM alerts" in t]

    def wait_delivered(self, predicate, timeout=10, what="a Telegram message"):
        def found():
            return [t for t in self.tg.delivered() if predicate(t)]
        try:
            return ltmtest.wait_until(found, timeout, what)
        except AssertionError:
            raise AssertionError("%s not delivered; delivered: %r; requests: %r"
                                 % (what, self.tg.delivered(),
                                    [(r["answer"], r["body"].get("text", "")[:80])
                                     for r in self.tg.requests()]))

    def send_alerts(self, payloads):
        rc = ltmtest.publish_lines(self.broker, "sysmonitor", "ltm/alerts", payloads)
        self.assertEqual(rc, 0)


class TestAlerts(NotifierCase):
    env = {"LTM_NOTIFY_REPEAT_INTERVAL": "6s"}

    def test_storm_gives_one_message_then_one_repeat_with_the_count(self):
        self.send_alerts([alert("host.cpu")] * 500)
        first = self.wait_delivered(lambda t: "host.cpu" in t, what="the first alert")[0]
        self.send_alerts([alert("host.cpu")] * 500)
        repeat = self.wait_delivered(lambda t: "Still firing" in t, timeout=15,
                                     what="the repeat")[0]
        self.assertEqual(len(self.alerts_delivered()), 2, self.alerts_delivered())
        m = re.search(r"; (\d+) occurrences", plain(first))
        in_first = int(m.group(1)) if m else 1
        m = re.search(r"(\d+) repeats suppressed since the last message, (\d+) in total",
                      plain(repeat))
        self.assertIsNotNone(m, repeat)
        self.assertEqual(int(m.group(2)), 1000)
        self.assertEqual(in_first + int(m.group(1)), 1000)

    def test_alerts_arriving_together_go_out_as_one_message(self):
        self.send_alerts([alert("host.cpu"), alert("host.memory", severity="critical"),
                          alert("host.disk./")])
        text = self.wait_delivered(lambda t: "host.memory" in t)[0]
        self.assertIn("host.cpu", text)
        self.assertIn("host.disk./", text)
        self.assertIn("[CRITICAL]", text)
        self.assertEqual(len(self.alerts_delivered()), 1)

    def test_firing_then_resolved(self):
        self.send_alerts([alert("host.disk./")])
        self.wait_delivered(lambda t: "host.disk./" in t and "Firing" in t)
        self.send_alerts([alert("host.disk./", state="resolved", summary="disk back to 40%")])
        text = self.wait_delivered(lambda t: "RESOLVED" in t)[0]
        self.assertIn("disk back to 40%", text)
        self.assertEqual(len(self.alerts_delivered()), 2)

    def test_resolved_without_firing_sends_nothing(self):
        self.send_alerts([alert("host.never", state="resolved")])
        self.send_alerts([alert("host.cpu")])
        self.wait_delivered(lambda t: "host.cpu" in t)
        self.assertFalse(any("host.never" in t for t in self.tg.delivered()))

    def test_hostile_text_is_escaped(self):
        hostile = "<b>bold</b> & <i>unclosed <script>alert(1)</script> a<b c&d; é 🚀 \" '"
        self.send_alerts([alert("host.evil<&>", summary=hostile)])
        text = self.wait_delivered(lambda t: "evil" in t)[0]
        self.assertIn(hostile, plain(text))
        self.assertIn("host.evil<&>", plain(text))
        parse_errors = [r for r in self.tg.requests() if r["answer"] == "400parse"]
        self.assertEqual(parse_errors, [])

    def test_malformed_alert_goes_to_dlq_and_service_continues(self):
        self.send_alerts(["{not json", {"key": "x", "state": "maybe"}])
        dlq = self.watch.wait_count(2, topic="ltm/dlq")
        self.assertTrue(all(m.payload["service"] == "notifier" for m in dlq))
        self.send_alerts([alert("host.cpu")])
        self.wait_delivered(lambda t: "host.cpu" in t)


class TestDelivery(NotifierCase):
    def test_429_retry_after_is_honoured(self):
        self.tg.script(["429:2"])
        self.send_alerts([alert("host.cpu")])
        self.wait_delivered(lambda t: "host.cpu" in t)
        reqs = self.tg.requests()
        self.assertEqual(reqs[0]["answer"], "429")
        self.assertGreaterEqual(reqs[1]["at"] - reqs[0]["at"], 1.9)
        self.assertEqual(reqs[1]["body"]["text"], reqs[0]["body"]["text"])

    def test_outage_then_recovery_loses_nothing(self):
        self.tg.default = "502"
        keys = ["host.k%d" % i for i in range(6)]
        for k in keys:  # separate messages: each after the previous group closed
            self.send_alerts([alert(k)])
            ltmtest.wait_until(lambda: len(self.tg.requests()) >= 1, 10, "a send attempt")
        outage_start = time.monotonic()
        ltmtest.wait_until(lambda: time.monotonic() - outage_start > 3 and
                           len(self.tg.requests()) >= 3, 15, "attempts during the outage")
        attempts = len(self.tg.requests())
        self.assertEqual(self.tg.delivered(), [])
        # 3 s at 50 ms per send would be ~60 attempts without backoff.
        self.assertLess(attempts, 25)
        self.tg.default = "ok"
        for k in keys:
            self.wait_delivered(lambda t, k=k: k in t, timeout=15, what=k)
        status = self.watch.wait_for(
            lambda m: isinstance(m.payload, dict) and m.payload.get("detail", {}).get("queue") == 0
            and m.payload["detail"].get("sent", 0) >= 2,
            topic="ltm/status/notifier/+", since=self.watch.mark(), timeout=10)
        self.assertEqual(status.payload["detail"]["not_queued"], 0)

    def test_restart_with_pending_queue_delivers_and_announces_once(self):
        self.tg.default = "502"
        self.send_alerts([alert("host.pending")])
        # The startup notice is ahead of it in the queue: wait until both are queued.
        self.watch.wait_for(
            lambda m: isinstance(m.payload, dict)
            and m.payload.get("detail", {}).get("queue", 0) >= 2,
            topic="ltm/status/notifier/+", timeout=10)
        self.notifier.kill()  # no clean shutdown: the queue file must already hold it
        self.tg.default = "ok"
        self.start()
        self.wait_delivered(lambda t: "host.pending" in t, timeout=15)
        # The restart is not a system start: one notice over both runs.
        ltmtest.wait_until(lambda: "startup notice not sent" in self.notifier_logs(), 10,
                           "the startup decision of the second run")
        notices = [t for t in self.tg.delivered() if "LTM started" in t]
        self.assertEqual(len(notices), 1, self.tg.delivered())
        # Its own Last Will (offline, retained) must not make it alert about itself.
        self.assertFalse(any("service.down" in r["body"].get("text", "")
                             for r in self.tg.requests()), self.tg.delivered())
        self.assertTrue(os.path.exists(os.path.join(self.data_dir, "notifier", "queue.json")))

    def notifier_logs(self):
        out = ""
        for name in os.listdir(self.data_dir):
            if name.endswith(".log"):
                with open(os.path.join(self.data_dir, name), errors="replace") as f:
                    out += f.read()
        return out

    def test_parse_error_is_resent_as_plain_text(self):
        self.tg.script(["400parse"])
        self.send_alerts([alert("host.cpu")])
        ltmtest.wait_until(lambda: len(self.tg.delivered()) >= 1, 10, "a delivery")
        reqs = self.tg.requests()
        self.assertEqual(reqs[0]["answer"], "400parse")
        self.assertEqual(reqs[1]["answer"], "ok")
        self.assertNotIn("parse_mode", reqs[1]["body"])
        self.assertNotIn("<b>", reqs[1]["body"]["text"])

    def test_slow_telegram_does_not_stop_consuming(self):
        self.tg.script(["slow:2"])  # the startup notice's request hangs 2 s
        ltmtest.wait_until(lambda: len(self.tg.requests()) >= 1, 10, "a request in flight")
        t0 = time.monotonic()
        since = self.watch.mark()
        self.send_alerts([alert("host.cpu"), alert("host.memory")])
        # While the request hangs, the alerts are consumed (they show in the
        # status detail) and heartbeats keep coming.
        self.watch.wait_for(lambda m: isinstance(m.payload, dict)
                            and m.payload.get("detail", {}).get("alerts_firing") == 2,
                            topic="ltm/status/notifier/+", since=since, timeout=5)
        self.assertLess(time.monotonic() - t0, 1.5)
        self.assertEqual(len(self.tg.requests()), 1)
        self.wait_delivered(lambda t: "host.memory" in t)


if __name__ == "__main__":
    unittest.main()
