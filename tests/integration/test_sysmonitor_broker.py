"""ltm-sysmonitor watches the broker's own drop counter.

Mosquitto drops QoS 1 messages beyond max_queued_messages for an offline
persistent session and counts them on $SYS/broker/publish/messages/dropped
(published every sys_interval, 10 s in mosquitto/mosquitto.conf). The
sysmonitor must show the counter in ltm/metrics/system and raise
broker.dropped when it grows, then resolve it once it stops growing.
"""

import re
import unittest

import ltmservice
import ltmtest


def max_queued():
    with open(ltmtest.SOURCE_DIR + "/mosquitto/mosquitto.conf") as f:
        return int(re.search(r"^max_queued_messages (\d+)", f.read(), re.M).group(1))


class BrokerDropsTest(unittest.TestCase):
    def test_growing_drop_counter_fires_and_resolves(self):
        broker = ltmtest.Broker()
        self.addCleanup(broker.close)
        watch = ltmtest.Subscriber(broker, "operator", ["ltm/alerts", "ltm/metrics/system"])
        self.addCleanup(watch.close)
        svc = ltmservice.Service(broker, "sysmonitor", env={
            "LTM_SYSMON_INTERVAL": "200ms", "LTM_SYSMON_CLEAR_SAMPLES": "2"})
        self.addCleanup(svc.close)
        watch.wait_for(lambda m: isinstance(m.payload, dict), topic="ltm/metrics/system",
                       timeout=10)
        # An offline persistent session whose queue overflows.
        gone = ltmtest.Subscriber(broker, "operator", ["ltm/jobs/post"], qos=1,
                                  client_id="ltm-test-gone", clean=False)
        gone.close()
        extra = 300
        n = max_queued() + extra
        # In runs of 20,000: one mosquitto_pub -l run of 100,000 lines exited
        # before sending them all (measured: 34,824 arrived).
        for start in range(0, n, 20000):
            lines = ["x%d" % i for i in range(start, min(n, start + 20000))]
            self.assertEqual(ltmtest.publish_lines(broker, "scheduler", "ltm/jobs/post", lines,
                                                   timeout=60), 0)
        fired = watch.wait_for(
            lambda m: isinstance(m.payload, dict) and m.payload.get("key") == "broker.dropped"
            and m.payload.get("state") == "firing", topic="ltm/alerts", timeout=25).payload
        # The drops may straddle two $SYS updates: the first growth fires.
        self.assertGreater(fired["value"], 0)
        self.assertEqual(fired["threshold"], 0)
        self.assertIn("the broker dropped", fired["summary"])
        sample = watch.wait_for(
            lambda m: isinstance(m.payload, dict)
            and m.payload.get("broker", {}).get("dropped", 0) >= extra,
            topic="ltm/metrics/system", timeout=5).payload
        self.assertIn("broker", sample)
        watch.wait_for(
            lambda m: isinstance(m.payload, dict) and m.payload.get("key") == "broker.dropped"
            and m.payload.get("state") == "resolved", topic="ltm/alerts", timeout=10)
        svc.wait_log("alert firing key=broker.dropped")


if __name__ == "__main__":
    unittest.main()
