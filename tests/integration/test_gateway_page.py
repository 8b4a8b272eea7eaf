"""The health gateway's status page (GET /) opened in headless Chromium: what a
person sees once its script has fetched /status (services and their states,
the overall verdict, alerts, last results, host gauges)."""

import html.parser
import shutil
import subprocess
import tempfile
import unittest

import ltmservice
import ltmtest
import test_gateway as gw


class VisibleText(html.parser.HTMLParser):
    """Text per element id, and the cells of each table row, from a dumped DOM."""

    def __init__(self):
        super().__init__()
        self.stack = []  # (tag, id)
        self.by_id = {}
        self.rows = {}   # table id -> list of rows (list of cell texts)
        self._table = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.stack.append((tag, a.get("id")))
        if tag == "table":
            self._table = a.get("id")
            self.rows.setdefault(self._table, [])
        elif tag == "tr" and self._table:
            self.rows[self._table].append([])
        elif tag == "td" and self._table:
            self._cell = []

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break
        if tag == "td" and self._cell is not None and self._table:
            self.rows[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        for _, ident in self.stack:
            if ident:
                self.by_id[ident] = self.by_id.get(ident, "") + data


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class GatewayPageTest(unittest.TestCase):
    def setUp(self):
        self.browser = chromium()
        if not self.browser:
            print("\nSKIPPED: Chromium is not installed (Debian package 'chromium'; "
                  "scripts/install-deps.sh installs it)")
            self.skipTest("chromium is not installed")
        self.broker = ltmtest.Broker()
        self.addCleanup(self.broker.close)

    def dump_dom(self, url):
        profile = tempfile.mkdtemp(prefix="ltm-chromium-")
        self.addCleanup(shutil.rmtree, profile, True)
        # --virtual-time-budget lets the page's script fetch /status and
        # render before the DOM is dumped; the window is a phone's.
        cmd = [self.browser, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
               "--user-data-dir=" + profile, "--window-size=390,844",
               "--virtual-time-budget=3000", "--dump-dom", url]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode(errors="replace")[-2000:])
        return proc.stdout.decode()

    def test_page_shows_services_states_alerts_results_and_gauges(self):
        g = gw.Gateway(self.broker, required="poster,scheduler")
        self.addCleanup(g.close)
        poster = ltmservice.Service(self.broker, "poster",
                                    env={"LTM_HEARTBEAT_INTERVAL": "300ms"})
        self.addCleanup(poster.close)
        detail = {"next_due": [{"kind": "post", "account": "acme",
                                "at": "2026-11-26T08:00:00.000Z"}],
                  "pending": 2, "in_flight": 1, "retries": 3,
                  "recent_posts": [
                      {"job_id": "post:acme:A", "account": "acme", "kind": "post",
                       "channel": "linkedin", "remote_id": "urn:li:share:A",
                       "published_at": gw.iso(), "slot_local": "Mon 09:00",
                       "theme": "<b>tips</b>", "state": "live", "readings": 1,
                       "latest": {"age_ms": 3600000, "read_at": gw.iso(),
                                  "figures": {"impressions": 1200, "reach": 800,
                                              "reactions": 35, "comments": 0}}},
                      {"job_id": "story:acme:S", "account": "acme", "kind": "story",
                       "channel": "instagram", "published_at": gw.iso(),
                       "slot_local": "Mon 10:00", "state": "gone", "readings": 0}],
                  "engagement": {"due": 2, "paused": [{"source": "rapidapi",
                                                       "reason": "monthly quota exhausted"}],
                                 "blocked": []}}
        gw.publish_status(self.broker, "scheduler", "s1", state="offline", detail=detail)
        alert = {"key": "host.disk", "state": "firing", "severity": "critical",
                 "summary": "Disk / at 95% above 90%", "source": "sysmonitor",
                 "value": 95.0, "threshold": 90, "since": gw.iso(), "at": gw.iso()}
        result = {"job_id": "post:acme:1", "kind": "post", "account": "acme", "attempt": 1,
                  "status": "published", "retryable": False, "final": True,
                  "channel": "sandbox", "durations_ms": {"publish": 5},
                  "finished_at": gw.iso()}
        system = {"cpu": {"percent": 42.5}, "memory": {"percent": 61.0},
                  "disks": [{"path": "/", "percent": 95.0}], "load": [1.5, 1.0, 0.5]}
        for user, topic, payload in [("sysmonitor", "ltm/alerts", alert),
                                     ("poster", "ltm/results", result),
                                     ("sysmonitor", "ltm/metrics/system", system)]:
            self.assertEqual(ltmtest.publish(self.broker, user, topic, payload), 0)
        g.wait_for("/status", lambda c, b: b["alerts"] and b["results"] and b["system"] and
                   any(s["name"] == "poster" and s["state"] == "online" for s in b["services"]),
                   "the state the page will show")

        dom = self.dump_dom("http://127.0.0.1:%d/" % g.port)
        page = VisibleText()
        page.feed(dom)
        services = {row[0]: row for row in page.rows.get("services", []) if row}
        self.assertEqual(services.get("poster", [None, None])[1], "online", dom)
        self.assertEqual(services.get("scheduler", [None, None])[1], "offline", dom)
        self.assertEqual(services["poster"][2], "1 / 1")
        self.assertIn("health-gateway (optional)", services)
        self.assertIn("Attention", page.by_id.get("overall", ""))
        self.assertIn("Disk / at 95% above 90%", page.by_id.get("alerts", ""))
        self.assertIn("critical", page.by_id.get("alerts", ""))
        results = [row for row in page.rows.get("results", []) if row]
        self.assertEqual(results[0][1:4], ["post", "acme", "published"])
        self.assertIn("pending 2 · in flight 1 · retries 3", page.by_id.get("scheduler", ""))
        due = [row for row in page.rows.get("next_due", []) if row]
        self.assertEqual(due[0][1:], ["post", "acme"])
        posts = [row for row in page.rows.get("recent_posts", []) if row]
        # Figures as sent; 0 stays 0, a figure not offered is a dash; the
        # theme is text, never markup.
        self.assertEqual(posts[0][1:6], ["acme", "post", "Mon 09:00", "<b>tips</b>", "live"])
        self.assertEqual(posts[0][7:], ["1200", "800", "35", "0", "—", "—"])
        self.assertEqual(posts[1][5:7], ["gone", "not read yet"])
        self.assertIn("checks due 2", page.by_id.get("engagement", ""))
        self.assertIn("paused: rapidapi — monthly quota exhausted", page.by_id.get("engagement", ""))
        gauges = page.by_id.get("gauges", "")
        for text in ("CPU", "42.5 %", "Memory", "61.0 %", "Disk /", "95.0 %", "Load (1 min)", "1.50"):
            self.assertIn(text, gauges)

        # All services up: the verdict turns green.
        gw.publish_status(self.broker, "scheduler", "s1")
        g.wait_for("/health", lambda c, b: c == 200, "health 200")
        page = VisibleText()
        page.feed(self.dump_dom("http://127.0.0.1:%d/" % g.port))
        self.assertEqual(page.by_id.get("overall"), "All required services are up")


if __name__ == "__main__":
    unittest.main()
