"""Notifier delivery limits and replicas: long texts split, never rejected; a
blocked bot keeps its queue; a full queue summarises instead of dropping;
corrupt files are set aside; of two replicas only the active one sends."""

import os
import shutil
import tempfile
import unittest

import ltmtest
from test_notifier import Notifier, NotifierCase, alert, plain


class TestLongMessages(NotifierCase):
    def test_message_over_4096_characters_is_split_and_all_of_it_arrives(self):
        keys = ["host.long%02d" % i for i in range(60)]
        self.send_alerts([alert(k, summary="é<&> " * 60) for k in keys])
        parts = self.wait_delivered(lambda t: t.startswith("(") and "LTM alerts" in t,
                                    what="the first part")
        self.assertTrue(parts[0].startswith("(1/"), parts[0][:20])
        total = int(parts[0][3:parts[0].index(")")])
        self.assertGreaterEqual(total, 2)
        got = ltmtest.wait_until(
            lambda: [t for t in self.tg.delivered() if t.startswith("(")]
            if len([t for t in self.tg.delivered() if t.startswith("(")]) >= total else None,
            15, "%d parts" % total)
        text = "".join(plain(t) for t in got)
        for k in keys:
            self.assertIn(k, text)
        self.assertEqual([r for r in self.tg.requests() if r["answer"] != "ok"], [])


class TestBlockedBot(NotifierCase):
    env = {"LTM_NOTIFY_PERSON_RETRY": "1500ms"}

    def test_403_keeps_the_queue_and_retries_later(self):
        self.tg.script(["403", "403"])
        self.send_alerts([alert("host.cpu")])
        self.wait_delivered(lambda t: "host.cpu" in t, timeout=15)
        reqs = self.tg.requests()
        self.assertEqual([r["answer"] for r in reqs[:2]], ["403", "403"])
        self.assertGreaterEqual(reqs[1]["at"] - reqs[0]["at"], 1.4)
        log = self.notifier.log()
        self.assertEqual(log.count("a person must act"), 1, log[-3000:])


class TestFullQueue(NotifierCase):
    env = {"LTM_NOTIFY_QUEUE_MAX": "3", "LTM_NOTIFY_GROUP_WAIT": "100ms"}

    def test_outage_with_a_full_queue_summarises_and_loses_nothing(self):
        self.tg.default = "502"
        keys = ["host.q%d" % i for i in range(6)]
        for k in keys:  # one message each: wait until it is queued before the next
            since = self.watch.mark()
            self.send_alerts([alert(k, severity="critical" if k == "host.q0" else "warning")])
            self.watch.wait_for(lambda m: isinstance(m.payload, dict)
                                and "alerts_firing" in m.payload.get("detail", {})
                                and m.payload["detail"]["alerts_firing"] == keys.index(k) + 1,
                                topic="ltm/status/notifier/+", since=since, timeout=10)
        status = self.watch.wait_for(
            lambda m: isinstance(m.payload, dict) and m.payload.get("detail", {}).get(
                "summarised", 0) > 0, topic="ltm/status/notifier/+", timeout=10).payload
        self.assertLessEqual(status["detail"]["queue"], 3)
        self.tg.default = "ok"
        try:
            ltmtest.wait_until(lambda: all(any(k in t for t in self.tg.delivered())
                                           for k in keys), 15, "every alert, alone or in a summary")
        except AssertionError:
            raise AssertionError("delivered: %r\nlog: %s" % (self.tg.delivered(),
                                                            self.notifier.log()[-5000:]))
        self.assertTrue(any("notifications summarised" in t for t in self.tg.delivered()))
        # The critical one kept its own message.
        self.assertTrue(any("host.q0" in t and "summarised" not in t
                            for t in self.tg.delivered()))


class TestCorruptFiles(NotifierCase):
    def before_start(self):
        d = os.path.join(self.data_dir, "notifier")
        os.makedirs(d)
        for name in ("state.json", "queue.json"):
            with open(os.path.join(d, name), "w") as f:
                f.write('{"alerts": [truncated')

    def test_unreadable_state_is_set_aside_and_alerts_still_flow(self):
        self.send_alerts([alert("host.cpu")])
        self.wait_delivered(lambda t: "host.cpu" in t)
        d = os.path.join(self.data_dir, "notifier")
        for name in ("state.json", "queue.json"):
            with open(os.path.join(d, name + ".corrupt")) as f:
                self.assertEqual(f.read(), '{"alerts": [truncated')
        self.assertEqual(self.notifier.log().count("state file unreadable: moved aside"), 2)


class TestReplicas(NotifierCase):
    def detail_of(self, instance, predicate, since=0):
        return self.watch.wait_for(
            lambda m: isinstance(m.payload, dict) and predicate(m.payload.get("detail", {})),
            topic="ltm/status/notifier/" + instance, since=since, timeout=10).payload["detail"]

    def test_only_the_active_replica_sends_and_the_standby_takes_over(self):
        d2 = tempfile.mkdtemp(prefix="ltm-notifier-")
        self.addCleanup(shutil.rmtree, d2, True)
        n2 = Notifier(self.broker, d2, self.tg, dict(self.env), instance="n2")
        self.addCleanup(self.check_clean_exit, n2)
        self.addCleanup(self.dump_log_on_failure, n2)
        self.detail_of("n2", lambda d: d.get("role") == "standby")
        self.detail_of("n1", lambda d: d.get("role") == "active")

        self.send_alerts([alert("host.cpu")] * 50)
        self.wait_delivered(lambda t: "host.cpu" in t)
        self.detail_of("n2", lambda d: d.get("standby_skipped", 0) >= 1)
        self.assertEqual(len([t for t in self.tg.delivered() if "host.cpu" in t]), 1)
        self.assertEqual(len([t for t in self.tg.delivered() if "LTM started" in t]), 1)

        # The active one stops: the standby takes over and continues the
        # episode it followed (it sends the resolution, not a new firing).
        since = self.watch.mark()
        self.assertEqual(self.notifier.stop(), 0)
        self.detail_of("n2", lambda d: d.get("role") == "active", since=since)
        self.send_alerts([alert("host.cpu", state="resolved", summary="CPU back to 20%")])
        self.wait_delivered(lambda t: "RESOLVED" in t and "host.cpu" in t)
        self.assertEqual(len([t for t in self.tg.delivered() if "host.cpu" in t]), 2)


if __name__ == "__main__":
    unittest.main()
