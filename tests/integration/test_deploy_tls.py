"""The broker's TLS listener from scripts/gen-tls.sh, and the containers'
health check script, against the real broker and a real service.

The TLS broker is the project's rendered config plus the listener lines
gen-tls.sh writes (what compose.tls.yaml and systemd-setup.sh run).
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

import ltmtest
from ltmservice import Service

SOURCE = ltmtest.SOURCE_DIR
GEN_TLS = os.path.join(SOURCE, "scripts", "gen-tls.sh")
HEALTHCHECK = os.path.join(SOURCE, "deploy", "docker", "ltm-healthcheck")


def gen_tls(outdir, port):
    subprocess.run([GEN_TLS, "--port", str(port), outdir], check=True, timeout=60,
                   stdout=subprocess.DEVNULL)


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ltm-tls-")
        cls.tls_port = ltmtest.free_port()
        gen_tls(os.path.join(cls.tmp, "tls"), cls.tls_port)
        # A second CA that did not sign the broker's certificate.
        gen_tls(os.path.join(cls.tmp, "other"), cls.tls_port)
        cls.broker = ltmtest.Broker()
        try:
            cls.broker.stop()
            with open(os.path.join(cls.tmp, "tls", "broker", "listener.conf")) as f:
                listener = f.read()
            with open(cls.broker.conf_path, "a") as f:
                f.write(listener)
            cls.broker.restart()
            ltmtest.wait_until(lambda: cls._port_open(cls.tls_port), 10,
                               "the TLS listener on port %d:\n%s"
                               % (cls.tls_port, cls.broker.log()))
        except BaseException:
            cls.broker.close()
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.broker.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @staticmethod
    def _port_open(port):
        import socket
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    def tls_env(self, host="localhost", ca="tls"):
        return {"LTM_MQTT_URL": "mqtts://%s:%d" % (host, self.tls_port),
                "LTM_MQTT_CA_FILE": os.path.join(self.tmp, ca, "client", "ca.crt")}

    def test_service_connects_over_tls_and_reports_online(self):
        with ltmtest.Subscriber(self.broker, "operator", ["ltm/status/poster/+"]) as sub:
            svc = Service(self.broker, "poster", instance="tls1", env=self.tls_env())
            try:
                sub.wait_for(lambda m: m.topic == "ltm/status/poster/tls1"
                             and m.payload.get("state") == "online", timeout=15)
                self.assertTrue(self.connected_over_tls("ltm-poster-tls1"), self.broker.log())
            finally:
                self.assertEqual(svc.stop(), 0, svc.log())
                svc.close()

    def test_client_certificate_is_accepted_by_the_same_listener(self):
        env = self.tls_env()
        env["LTM_MQTT_CERT_FILE"] = os.path.join(self.tmp, "tls", "client", "client.crt")
        env["LTM_MQTT_KEY_FILE"] = os.path.join(self.tmp, "tls", "client", "client.key")
        with ltmtest.Subscriber(self.broker, "operator", ["ltm/status/sysmonitor/+"]) as sub:
            svc = Service(self.broker, "sysmonitor", instance="tls2", env=env)
            try:
                sub.wait_for(lambda m: m.topic == "ltm/status/sysmonitor/tls2"
                             and m.payload.get("state") == "online", timeout=15)
            finally:
                svc.stop()
                svc.close()

    def connected_over_tls(self, client_id):
        """Whether the broker accepted `client_id` on the TLS listener."""
        log = self.broker.log()
        for m in re.finditer(r"New client connected from (\S+) as %s " % re.escape(client_id),
                             log):
            if "New connection from %s on port %d." % (m.group(1), self.tls_port) in log:
                return True
        return False

    def assert_refused(self, instance, env):
        mark = len(self.broker.log())
        svc = Service(self.broker, "poster", instance=instance, env=env)
        try:
            # The client aborts the handshake; the broker logs why, and the
            # service logs a failed connection attempt and keeps retrying.
            ltmtest.wait_until(
                lambda: re.search(r"OpenSSL Error|failed: |Client <unknown> closed its connection",
                                  self.broker.log()[mark:]), 15,
                "a refused handshake in the broker log")
            svc.wait_log(r"mqtt connect failed")
            self.assertTrue(svc.running(), svc.log())
            self.assertFalse(self.connected_over_tls("ltm-poster-" + instance),
                             self.broker.log())
        finally:
            svc.stop()
            svc.close()

    def test_broker_certificate_from_another_ca_is_refused(self):
        self.assert_refused("tls3", self.tls_env(ca="other"))

    def test_name_missing_from_the_certificate_is_refused(self):
        # 127.0.0.2 is loopback too, but not among the certificate's names.
        self.assert_refused("tls4", self.tls_env(host="127.0.0.2"))


class HealthcheckTest(unittest.TestCase):
    """deploy/docker/ltm-healthcheck, the check compose runs in every
    service container, against a real service and broker (outside a
    container the script sees the host's sockets; the test's broker port
    is private to it, so the answer is still about this service)."""

    def check(self, pid, url):
        env = dict(os.environ, LTM_MQTT_URL=url)
        return subprocess.run([HEALTHCHECK, str(pid)], env=env, timeout=10,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def test_healthy_while_connected_unhealthy_once_the_broker_is_gone(self):
        with ltmtest.Broker() as broker, \
                ltmtest.Subscriber(broker, "operator", ["ltm/status/poster/+"]) as sub:
            svc = Service(broker, "poster", instance="hc1")
            try:
                sub.wait_for(lambda m: m.payload.get("state") == "online", timeout=15)
                pid = svc.proc.pid
                result = self.check(pid, broker.url)
                self.assertEqual(result.returncode, 0, result.stdout)
                sub.close()
                broker.stop()
                ltmtest.wait_until(lambda: self.check(pid, broker.url).returncode == 1, 10,
                                   "the health check to fail without the broker")
                self.assertIn("no connection to the broker port %d" % broker.port,
                              self.check(pid, broker.url).stdout)
            finally:
                svc.stop()
                svc.close()

    def test_dead_process_and_bad_url_are_unhealthy(self):
        proc = subprocess.Popen(["true"])
        proc.wait()
        result = self.check(proc.pid, "mqtt://broker:1883")
        self.assertEqual(result.returncode, 1)
        self.assertIn("is not running", result.stdout)
        result = self.check(os.getpid(), "http://broker:1883")
        self.assertEqual(result.returncode, 1)
        self.assertIn("scheme", result.stdout)
        # mqtts:// without a port means 8883, which nothing here talks to.
        result = self.check(os.getpid(), "mqtts://broker")
        self.assertEqual(result.returncode, 1)
        self.assertIn("port 8883", result.stdout)


if __name__ == "__main__":
    unittest.main()
