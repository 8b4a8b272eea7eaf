"""The health gateway against a real broker and real services: /health, /status and
/metrics as services come and go, promtool on /metrics, the token, bad requests
and slow clients, malformed messages to ltm/dlq, settings checked at start.

The helpers at the top are shared with test_gateway_page.py."""

import datetime
import http.client
import json
import os
import shutil
import socket
import subprocess
import time
import unittest

import ltmservice
import ltmtest


def iso(ms=None):
    """RFC 3339 UTC with milliseconds, as LTM writes times."""
    if ms is None:
        ms = int(time.time() * 1000)
    t = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def status(service, instance, state="online", interval_ms=60000, detail=None, heartbeat_ms=None):
    """A status payload as common/service.c publishes it."""
    now = int(time.time() * 1000)
    s = {"service": service, "instance": instance, "state": state, "version": "0.1.0",
         "host": "test", "pid": 4242, "started_at": iso(now - 5000),
         "heartbeat_at": iso(heartbeat_ms if heartbeat_ms is not None else now),
         "heartbeat_interval_ms": interval_ms}
    if detail is not None:
        s["detail"] = detail
    return s


def publish_status(broker, service, instance, retain=True, **kwargs):
    rc = ltmtest.publish(broker, service, "ltm/status/%s/%s" % (service, instance),
                         status(service, instance, **kwargs), retain=retain)
    assert rc == 0, ltmtest.publish.last_stderr


def request(port, path, method="GET", headers=None, timeout=5.0):
    """(status, headers dict with lower-case names, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        headers = {}
        for k, v in r.getheaders():  # repeated headers joined, as RFC 9110 allows
            headers[k.lower()] = headers[k.lower()] + ", " + v if k.lower() in headers else v
        return r.status, headers, r.read()
    finally:
        conn.close()


def get_json(port, path, headers=None):
    code, _, body = request(port, path, headers=headers)
    return code, json.loads(body)


class Gateway:
    """ltm-health-gateway on a free loopback port, answers refreshed every 50 ms."""

    def __init__(self, broker, env=None, required="none"):
        self.port = ltmtest.free_port()
        full = {"PORT": str(self.port), "LTM_HTTP_BIND": "127.0.0.1",
                "LTM_HTTP_REFRESH": "50ms", "LTM_HEALTH_REQUIRED": required}
        full.update(env or {})
        self.svc = ltmservice.Service(broker, "health-gateway", env=full)
        try:
            self.svc.wait_log("listening")
            self.svc.wait_log("mqtt connected")
            # The answers are rebuilt every LTM_HTTP_REFRESH: wait until they
            # know about the connection, or a test sees a "broker" failure.
            self.wait_for("/health", lambda c, b: b.get("broker") == "connected",
                          "the answers know the broker connection")
        except BaseException:
            self.svc.close()
            raise

    def wait_for(self, path, check, what, timeout=10.0, headers=None):
        """Polls path until check(status, parsed body) is true; returns the body."""
        last = []

        def probe():
            code, _, body = request(self.port, path, headers=headers)
            parsed = json.loads(body) if body[:1] in (b"{", b"[") else body.decode()
            last[:] = [code, parsed]
            return parsed if check(code, parsed) else None
        try:
            return ltmtest.wait_until(probe, timeout, what)
        except AssertionError:
            raise AssertionError("%s: last answer of %s was %r\ngateway log:\n%s"
                                 % (what, path, last, self.svc.log()[-4000:])) from None

    def close(self):
        self.svc.close()


def failing_checks(health):
    return {f["check"]: f["reason"] for f in health.get("failing", [])}


class GatewayTest(unittest.TestCase):
    def setUp(self):
        self.broker = ltmtest.Broker()
        self.addCleanup(self.broker.close)

    def gateway(self, **kwargs):
        gw = Gateway(self.broker, **kwargs)
        self.addCleanup(gw.close)
        return gw

    def service(self, name, instance="t1", **env):
        env.setdefault("LTM_HEARTBEAT_INTERVAL", "300ms")
        svc = ltmservice.Service(self.broker, name, instance=instance, env=env)
        self.addCleanup(svc.close)
        return svc

    def test_health_follows_services_as_they_come_and_go(self):
        gw = self.gateway(required="poster,scheduler")
        health = gw.wait_for("/health", lambda c, b: c == 503, "503 before any service")
        self.assertEqual(failing_checks(health),
                         {"poster": "no status received", "scheduler": "no status received"})
        self.assertEqual(health["broker"], "connected")

        p1 = self.service("poster", "t1")
        p2 = self.service("poster", "t2")
        publish_status(self.broker, "scheduler", "s1")
        health = gw.wait_for("/health", lambda c, b: c == 200, "200 once both are online")
        self.assertEqual(health, dict(health, status="ok", failing=[],
                                      services={"poster": "online", "scheduler": "online"}))
        st = gw.wait_for("/status", lambda c, b: next(
            s for s in b["services"] if s["name"] == "poster")["replicas_online"] == 2,
            "two poster replicas")
        poster = next(s for s in st["services"] if s["name"] == "poster")
        self.assertEqual(poster["replicas_seen"], 2)
        self.assertEqual(sorted(r["instance"] for r in poster["replicas"]), ["t1", "t2"])

        # One replica killed: its Last Will turns it offline, the other keeps the service up.
        p1.kill()
        gw.wait_for("/status", lambda c, b: next(
            s for s in b["services"] if s["name"] == "poster")["replicas_online"] == 1,
            "one poster replica left")
        self.assertEqual(request(gw.port, "/health")[0], 200)

        # The last one killed: 503, and the body names the poster.
        p2.kill()
        health = gw.wait_for("/health", lambda c, b: c == 503, "503 after the last poster died")
        self.assertEqual(list(failing_checks(health)), ["poster"])
        self.assertTrue(failing_checks(health)["poster"].startswith("offline"), health)
        self.assertEqual(health["services"]["poster"], "offline")
        gw.wait_for("/metrics", lambda c, b: 'ltm_service_up{service="poster"} 0' in b and
                    'ltm_service_replicas{service="poster",state="offline"} 2' in b and
                    "ltm_health_ok 0" in b, "the poster down in /metrics")

        # Back again.
        self.service("poster", "t1")
        gw.wait_for("/health", lambda c, b: c == 200, "200 after the poster restarted")

        # A scheduler that stops sending heartbeats (hung, partitioned) goes stale.
        publish_status(self.broker, "scheduler", "s1", interval_ms=200, retain=True)
        health = gw.wait_for("/health", lambda c, b: c == 503, "503 for a stale scheduler")
        self.assertRegex(failing_checks(health)["scheduler"],
                         r"^no heartbeat for [0-9.]+ s \(expected every 0\.2 s\)$")
        self.assertEqual(health["services"]["scheduler"], "stale")

    def test_health_fails_while_the_broker_is_down(self):
        gw = self.gateway(required="scheduler")
        publish_status(self.broker, "scheduler", "s1")
        gw.wait_for("/health", lambda c, b: c == 200, "200 with the broker up")
        self.broker.stop()
        health = gw.wait_for("/health", lambda c, b: c == 503, "503 once the broker is gone")
        self.assertEqual(health["broker"], "disconnected")
        self.assertEqual(failing_checks(health).get("broker"), "not connected to the broker")
        code, st = get_json(gw.port, "/status")
        self.assertEqual((code, st["gateway"]["broker"]), (200, "disconnected"))
        self.broker.restart()
        # Reconnected and resubscribed: the retained status comes back with it.
        gw.wait_for("/health", lambda c, b: c == 200, "200 after the broker restarted",
                    timeout=20)

    def test_status_shows_detail_results_alerts_and_system(self):
        gw = self.gateway()
        detail = {"next_due": [{"account": "demo", "kind": "post",
                                "slot": "2026-11-26T08:00:00.000Z"}],
                  "pending_retries": 2, "in_flight": 1}
        publish_status(self.broker, "scheduler", "s1", detail=detail)
        result = {"job_id": "post:demo:1", "kind": "post", "account": "demo", "attempt": 2,
                  "status": "published", "retryable": False, "final": True,
                  "remote_id": "sandbox:post:demo:1", "channel": "sandbox",
                  "worker": "ltm-poster-t1", "durations_ms": {"generate": 3, "image": 0,
                                                              "publish": 120},
                  "finished_at": iso()}
        alert = {"key": "host.cpu", "state": "firing", "severity": "warning",
                 "summary": "CPU 93% above 80% for 3 samples", "source": "sysmonitor",
                 "value": 93.0, "threshold": 80, "since": iso(), "at": iso()}
        system = {"host": "test", "at": iso(), "cpu": {"percent": 42.5},
                  "memory": {"percent": 61.0}, "disks": [{"path": "/", "percent": 71.0}]}
        for user, topic, payload in [("poster", "ltm/results", result),
                                     ("sysmonitor", "ltm/alerts", alert),
                                     ("sysmonitor", "ltm/metrics/system", system),
                                     ("poster", "ltm/dlq", {"service": "poster", "reason": "x"})]:
            self.assertEqual(ltmtest.publish(self.broker, user, topic, payload), 0)
        st = gw.wait_for("/status", lambda c, b: b["counters"]["dlq_messages"] == 1 and
                         b["results"] and b["alerts"] and b["system"], "everything in /status")
        sched = next(s for s in st["services"] if s["name"] == "scheduler")
        self.assertEqual(sched["detail"], detail)
        self.assertEqual(sched["state"], "online")
        self.assertEqual(sched["version"], "0.1.0")
        self.assertIn("uptime_s", sched)
        self.assertIn("last_heartbeat", sched)
        self.assertEqual(st["results"][0]["job_id"], "post:demo:1")
        self.assertEqual(st["alerts"][0]["key"], "host.cpu")
        self.assertEqual(st["system"], system)
        self.assertEqual(st["counters"]["retries"]["post"], 1)
        self.assertGreater(st["gateway"]["uptime_s"], 0)

        alert.update(state="resolved", at=iso())
        self.assertEqual(ltmtest.publish(self.broker, "sysmonitor", "ltm/alerts", alert), 0)
        gw.wait_for("/status", lambda c, b: b["alerts"] == [], "the alert resolved")

    def test_engagement_in_status_and_metrics(self):
        """The scheduler's recent posts as its retained status carries them, and
        the figures of the results heard: exactly what was sent."""
        from test_notifier_report import check
        gw = self.gateway()
        hostile = 'q"uo\\te\nx'  # an account name is any text
        recent = [{"job_id": "post:acme:A", "account": "acme", "kind": "post",
                   "channel": "linkedin", "remote_id": "urn:li:share:A",
                   "published_at": iso(), "slot_local": "Mon 09:00", "theme": "product tips",
                   "state": "live", "readings": 2,
                   "latest": {"age_ms": 86400000, "read_at": iso(),
                              "figures": {"impressions": 1200, "reach": 800, "reactions": 35,
                                          "comments": 4, "shares": 2}}},
                  {"job_id": "story:acme:S", "account": "acme", "kind": "story",
                   "channel": "instagram", "remote_id": "1790", "published_at": iso(),
                   "slot_local": "Mon 10:00", "state": "gone", "readings": 0}]
        engagement = {"due": 4, "paused": [{"source": "rapidapi", "until": iso(),
                                            "reason": "monthly quota exhausted"}],
                      "blocked": [{"source": "linkedin:beta", "reason": "permission"}]}
        publish_status(self.broker, "scheduler", "s1",
                       detail={"in_flight": 0, "recent_posts": recent, "engagement": engagement})
        published = {"job_id": "post:acme:A", "kind": "post", "account": "acme", "attempt": 1,
                     "status": "published", "retryable": False, "final": True,
                     "remote_id": "urn:li:share:A", "channel": "linkedin", "theme": "product tips",
                     "durations_ms": {"publish": 100}, "finished_at": iso()}
        checks = [
            check("acme", "post:acme:A", 1, figures={"impressions": 150, "reach": 120,
                                                     "reactions": 6, "comments": 1, "shares": 0}),
            check("acme", "post:acme:A", 24, figures={"impressions": 1200, "reach": 800,
                                                      "reactions": 35, "comments": 4, "shares": 2}),
            check("acme", "post:acme:B", 1, figures={"impressions": 2000, "reactions": 30}),
            check("acme", "story:acme:S", 24, status="gone"),
            check("acme", "post:acme:D", 1, status="failed", error_class="permission"),
            check("acme", "post:acme:E", 1, status="failed", error_class="server"),
            check(hostile, "post:h:1", 1, figures={"saves": 7}),
        ]
        # The 1 h reading arrives again after the 24 h one: the 24 h one stays.
        sent = [published] + checks + [dict(checks[0])]
        self.assertEqual(ltmtest.publish_lines(self.broker, "poster", "ltm/results", sent), 0)
        st = gw.wait_for("/status", lambda c, b: len(b["engagement"]["last_checks"]) == 8 and
                         b["engagement"]["recent_posts"], "the checks and recent posts in /status")
        e = st["engagement"]
        self.assertEqual(e["recent_posts"], recent)
        self.assertEqual((e["due"], e["paused"], e["blocked"]),
                         (4, engagement["paused"], engagement["blocked"]))
        accounts = {a["account"]: a for a in e["accounts"]}
        self.assertEqual(accounts["acme"], {
            "account": "acme", "checks": {"read": 4, "gone": 1, "failed": 1, "blocked": 1}, "posts": 2,
            "figures": {"impressions": 3200, "reach": 800, "reactions": 65, "comments": 4,
                        "shares": 2}})
        self.assertEqual(accounts[hostile]["figures"], {"saves": 7})
        self.assertEqual((e["posts_tracked"], e["posts_max"], e["posts_evicted"]), (3, 10000, 0))
        # Checks are not publications: the results list and counters have the post only.
        self.assertEqual([r["job_id"] for r in st["results"]], ["post:acme:A"])
        self.assertNotIn("engagement", st["counters"]["results"])
        self.assertEqual(st["counters"]["results"]["post"]["published"], 1)

        body = gw.wait_for("/metrics", lambda c, b: "ltm_engagement_figure{" in b,
                           "engagement figures in /metrics")
        for line in ['ltm_engagement_checks_total{account="acme",status="read"} 4',
                     'ltm_engagement_checks_total{account="acme",status="gone"} 1',
                     'ltm_engagement_checks_total{account="acme",status="failed"} 1',
                     'ltm_engagement_checks_total{account="acme",status="blocked"} 1',
                     'ltm_engagement_posts{account="acme"} 2',
                     'ltm_engagement_figure{account="acme",figure="impressions"} 3200',
                     'ltm_engagement_figure{account="acme",figure="reach"} 800',
                     'ltm_engagement_figure{account="acme",figure="reactions"} 65',
                     'ltm_engagement_figure{account="acme",figure="comments"} 4',
                     'ltm_engagement_figure{account="acme",figure="shares"} 2',
                     'ltm_engagement_figure{account="q\\"uo\\\\te\\nx",figure="saves"} 7',
                     'ltm_gateway_dropped_total{what="engagement_posts"} 0']:
            self.assertIn("\n" + line + "\n", body)
        self.assertNotIn('account="acme",figure="saves"', body)  # no post offered it
        self.assertNotIn('kind="engagement"', body)
        promtool = shutil.which("promtool")
        if promtool:
            check_run = subprocess.run([promtool, "check", "metrics"], input=body.encode(),
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       timeout=30)
            self.assertEqual(check_run.returncode, 0, check_run.stdout.decode())

    def test_metrics_pass_promtool(self):
        promtool = shutil.which("promtool")
        if not promtool:
            print("\nSKIPPED: promtool is not installed (Debian package 'prometheus'; "
                  "scripts/install-deps.sh installs it)")
            self.skipTest("promtool is not installed")
        gw = self.gateway(required="poster,notifier")
        self.service("poster")
        system = {"cpu": {"percent": 12.5}, "memory": {"percent": 40},
                  "disks": [{"path": "/data \"x\"", "percent": 50}], "load": [0.5, 0.4, 0.3]}
        self.assertEqual(ltmtest.publish(self.broker, "sysmonitor", "ltm/metrics/system",
                                         system), 0)
        body = gw.wait_for("/metrics", lambda c, b: 'ltm_service_up{service="poster"} 1' in b
                           and "ltm_host_cpu_usage_ratio 0.125" in b
                           and 'ltm_service_resident_memory_bytes{service="poster"' in b,
                           "poster and host gauges in /metrics")
        self.assertIn('ltm_service_up{service="notifier"} 0', body)
        self.assertIn("ltm_health_ok 0", body)
        check = subprocess.run([promtool, "check", "metrics"], input=body.encode(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        self.assertEqual(check.returncode, 0, "promtool: %s\n%s" % (check.stdout.decode(), body))

    def test_token_guards_status_metrics_and_page_not_health(self):
        token = "tok-" + os.urandom(12).hex()
        gw = self.gateway(env={"LTM_HTTP_TOKEN": token})
        gw.wait_for("/health", lambda c, b: c == 200, "200 without a token (nothing required)")
        for path in ("/status", "/metrics", "/"):
            code, headers, body = request(gw.port, path)
            self.assertEqual(code, 401, path)
            self.assertIn("Basic", headers.get("www-authenticate", ""))
            self.assertEqual(request(gw.port, path, headers={
                "Authorization": "Bearer " + token[:-1]})[0], 401, path)
            self.assertEqual(request(gw.port, path, headers={
                "Authorization": "Bearer " + token})[0], 200, path)
        # No answer and no log line carries the token.
        for path in ("/status", "/metrics", "/health"):
            body = request(gw.port, path, headers={"Authorization": "Bearer " + token})[2]
            self.assertNotIn(token.encode(), body)
        self.assertNotIn(token, gw.svc.log())
        self.assertIn("LTM_HTTP_TOKEN=set", gw.svc.log())

    def raw(self, port, data, timeout=5.0):
        """Sends raw bytes; returns (status code or 0, everything read until close)."""
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            try:
                s.sendall(data)
            except OSError:
                pass  # refused before we finished sending
            chunks = []
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
            except (ConnectionResetError, socket.timeout):
                pass
        answer = b"".join(chunks)
        code = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.") else 0
        return code, answer

    def test_bad_requests_are_refused_and_health_keeps_answering(self):
        gw = self.gateway(env={"LTM_HTTP_TIMEOUT": "2s", "LTM_HTTP_MAX_CONNECTIONS": "256"})
        gw.wait_for("/health", lambda c, b: c == 200, "200 (nothing required)")
        self.assertEqual(request(gw.port, "/nope")[0], 404)
        self.assertEqual(request(gw.port, "/health/x")[0], 404)
        code, headers, _ = request(gw.port, "/health", method="POST")
        self.assertEqual(code, 405)
        self.assertEqual(headers.get("allow"), "GET, HEAD")
        self.assertEqual(request(gw.port, "/status", method="DELETE")[0], 405)
        self.assertEqual(request(gw.port, "/health", method="HEAD")[0], 200)

        self.assertIn(self.raw(gw.port, b"GARBAGE\r\n\r\n")[0], (0, 400))  # MHD just closes
        self.assertEqual(self.raw(gw.port, b"GET /health HTTP/1.1\r\n\r\n")[0], 400)  # no Host
        self.assertEqual(self.raw(gw.port, b"GET /health HTTP/7.0\r\nHost: x\r\n\r\n")[0], 505)
        self.assertEqual(self.raw(gw.port, b"GET /health HTTP/1.1\r\nno colon here\r\n\r\n")[0],
                         400)
        huge = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n"
        self.assertEqual(self.raw(gw.port, huge)[0], 431)
        self.assertIn(self.raw(gw.port, os.urandom(2048))[0], (0, 400))

        # Slow clients: 100 connections that send half a request and stall.
        slow = []
        try:
            for _ in range(100):
                s = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                slow.append(s)
            worst = 0.0
            for _ in range(50):
                start = time.monotonic()
                code, _, body = request(gw.port, "/health", timeout=2)
                worst = max(worst, time.monotonic() - start)
                self.assertEqual(code, 200)
            # Milliseconds in practice; the bound leaves room for a loaded CI machine.
            self.assertLess(worst, 0.5, "slowest /health while 100 clients stall")
            # The idle timeout (2 s) closes the stalled connections.
            deadline = time.monotonic() + 10
            for s in slow:
                s.settimeout(max(0.1, deadline - time.monotonic()))
                try:
                    data = s.recv(4096)
                except ConnectionResetError:
                    data = b""
                self.assertEqual(data, b"", "a stalled connection got an answer instead of closing")
        finally:
            for s in slow:
                s.close()
        self.assertEqual(request(gw.port, "/health")[0], 200)

    def test_malformed_messages_go_to_dlq_and_the_gateway_keeps_serving(self):
        gw = self.gateway()
        with ltmtest.Subscriber(self.broker, "operator", ["ltm/dlq"]) as dlq:
            self.assertEqual(ltmtest.publish(self.broker, "poster", "ltm/results",
                                             "{not json"), 0)
            self.assertEqual(ltmtest.publish(self.broker, "poster", "ltm/status/poster/p1",
                                             {"service": "poster", "instance": "p1",
                                              "state": "sleepy"}), 0)
            first = dlq.wait_for(lambda m: m.payload.get("service") == "health-gateway"
                                 and m.payload.get("topic") == "ltm/results")
            self.assertIn("JSON", first.payload["reason"])
            second = dlq.wait_for(lambda m: m.payload.get("service") == "health-gateway"
                                  and m.payload.get("topic") == "ltm/status/poster/p1")
            self.assertIn("state", second.payload["reason"])
        st = gw.wait_for("/status", lambda c, b: b["counters"]["gateway_rejected"] == 2,
                         "two rejected messages counted")
        self.assertNotIn("poster", [s["name"] for s in st["services"]])
        body = gw.wait_for("/metrics", lambda c, b: "ltm_gateway_rejected_messages_total 2" in b,
                           "rejections in /metrics")
        self.assertIn('ltm_dlq_messages_total{service="health-gateway"} 2', body)

    def test_bad_settings_stop_it_at_start(self):
        env = dict(self.broker.env_for("health-gateway"), LTM_DATA_DIR="/tmp")
        for name, value in [("LTM_HTTP_BIND", "localhost"), ("PORT", "70000"),
                            ("LTM_HEALTH_REQUIRED", "poster,sched uler"),
                            ("LTM_HEALTH_STALE_FACTOR", "1"), ("LTM_HTTP_TIMEOUT", "soon")]:
            code, out = ltmservice.run_once("health-gateway", dict(env, **{name: value}))
            self.assertEqual(code, 78, "%s=%s: %s" % (name, value, out))
            self.assertIn(name, out)

    def test_port_in_use_is_reported(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            env = dict(self.broker.env_for("health-gateway"), LTM_DATA_DIR="/tmp",
                       PORT=str(port), LTM_HTTP_BIND="127.0.0.1")
            code, out = ltmservice.run_once("health-gateway", env)
        self.assertEqual(code, 1, out)
        self.assertIn("cannot listen on 127.0.0.1 port %d" % port, out)

    def test_sigterm_stops_cleanly(self):
        gw = self.gateway()
        with ltmtest.Subscriber(self.broker, "operator", ["ltm/status/health-gateway/#"]) as sub:
            ltmservice.wait_status(sub, "health-gateway", "t1", "online")
            self.assertEqual(gw.svc.stop(), 0)
            ltmservice.wait_status(sub, "health-gateway", "t1", "offline")
        with self.assertRaises(OSError):
            request(gw.port, "/health", timeout=1)


if __name__ == "__main__":
    unittest.main()
