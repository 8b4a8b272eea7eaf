"""Issue 14, long faults (3): the health gateway holding 500 slow clients.

500 connections from five loopback addresses (127.0.0.2-6, 100 each), held
for HOLD_S seconds, twice the idle
timeout (LTM_HTTP_TIMEOUT=2s, so the timeout alone cannot free them):
- 250 send a request one byte every 0.5 s and never finish it (slowloris);
- 250 send a complete request every 0.5 s on one keep-alive connection and
  never read the answers, with a small receive buffer (slow readers).
Meanwhile /health is asked on fresh connections: every answer must be 200,
each within BOUND_S, and the slow clients must still be connected at the
end (held, not refused). With the default LTM_HTTP_MAX_CONNECTIONS (512)
that leaves 12 connections for everyone else.

Starving it: one address opening STARVE connections, more than the whole
limit. LTM_HTTP_MAX_PER_CLIENT (128) keeps that client to its share and
/health answers; without it the client held all 512 and /health got none.
The client loops are bounded in count and time (HOLD_S).
"""

import selectors
import socket
import statistics
import threading
import time
import unittest

import ltmtest
from faultkit import figures
from test_gateway import Gateway, request

CLIENTS = 500
SOURCES = ["127.0.0.%d" % i for i in range(2, 7)]
STARVE = 600
HOLD_S = 4.0
STEP_S = 0.5
BOUND_S = 2.0
PARTIAL = b"GET /health HTTP/1.1\r\nHost: slow\r\nX-Slow: " + b"x" * 200


class SlowClients:
    """CLIENTS sockets driven by one selector thread until stop()."""

    def __init__(self, port, count, sources):
        self.port = port
        self.socks = []
        self.closed_by_server = 0
        self.refused = 0
        self._stop = threading.Event()
        for i in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            reader = i % 2 == 1
            if reader:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            try:
                s.bind((sources[i % len(sources)], 0))
                s.connect(("127.0.0.1", port))
            except OSError:
                self.refused += 1
                s.close()
                continue
            s.setblocking(False)
            self.socks.append([s, reader, 0])
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _step(self, entry):
        s, reader, sent = entry
        try:
            if reader:
                s.send(b"GET / HTTP/1.1\r\nHost: slow\r\n\r\n")
            elif sent < len(PARTIAL):
                s.send(PARTIAL[sent:sent + 1])
                entry[2] += 1
        except BlockingIOError:
            pass                      # the gateway stopped reading: it is held all the same
        except OSError:
            s.close()
            entry[0] = None
            self.closed_by_server += 1

    def _run(self):
        while not self._stop.wait(STEP_S):
            for entry in self.socks:
                if entry[0] is not None:
                    self._step(entry)

    def still_open(self):
        """Connections the gateway has not closed (a closed one reads b"" or fails)."""
        n = 0
        for s, reader, _ in self.socks:
            if s is None:
                continue
            try:
                if reader:
                    # The answers it never read are waiting: peek, do not drain.
                    data = s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
                    n += 1 if data else 0
                else:
                    data = s.recv(1, socket.MSG_DONTWAIT)
                    n += 0 if data == b"" else 1
            except BlockingIOError:
                n += 1
            except OSError:
                pass
        return n

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)
        for s, _, _ in self.socks:
            if s is not None:
                s.close()


class TestGatewaySlowClients(unittest.TestCase):
    def setUp(self):
        broker = ltmtest.Broker()
        self.addCleanup(broker.close)
        self.gw = Gateway(broker, env={"LTM_HTTP_TIMEOUT": "2s"})
        self.addCleanup(self.gw.close)

    def poll_health(self, what):
        """Asks /health on fresh connections for HOLD_S; returns the latencies."""
        gw = self.gw
        latencies = []
        deadline = time.monotonic() + HOLD_S
        while time.monotonic() < deadline:
            start = time.monotonic()
            try:
                code, _, _ = request(gw.port, "/health", timeout=BOUND_S + 3)
            except OSError as e:
                self.fail("/health failed with %s (%d answered before): %s"
                          % (what, len(latencies), e))
            latencies.append(time.monotonic() - start)
            self.assertEqual(code, 200)
            time.sleep(0.02)  # pacing only: a few hundred probes, not a flood
        self.assertTrue(gw.svc.running(), gw.svc.log()[-3000:])
        self.assertLess(max(latencies), BOUND_S, "slowest /health with %s" % what)
        return latencies

    def test_health_answers_while_500_slow_clients_are_held(self):
        slow = SlowClients(self.gw.port, CLIENTS, SOURCES)
        self.addCleanup(slow.stop)
        self.assertEqual(slow.refused, 0)
        latencies = self.poll_health("%d slow clients held" % CLIENTS)
        held = slow.still_open()
        self.assertGreaterEqual(held, CLIENTS - 5, "slow clients closed by the server: %d"
                                % slow.closed_by_server)
        worst = max(latencies)
        q = statistics.quantiles(latencies, n=100)
        figures("gateway_slow_clients", clients=CLIENTS, held=held, health_requests=len(latencies),
                p50_ms="%.1f" % (q[49] * 1000), p99_ms="%.1f" % (q[98] * 1000),
                max_ms="%.1f" % (worst * 1000))

    def test_one_client_cannot_take_every_connection(self):
        slow = SlowClients(self.gw.port, STARVE, SOURCES[:1])
        self.addCleanup(slow.stop)
        latencies = self.poll_health("one address holding %d slow connections" % STARVE)
        held = slow.still_open()
        self.assertLessEqual(held, 128, "connections one address holds (LTM_HTTP_MAX_PER_CLIENT)")
        figures("gateway_one_client", connections=STARVE, held=held,
                health_requests=len(latencies), max_ms="%.1f" % (max(latencies) * 1000))


if __name__ == "__main__":
    unittest.main()
