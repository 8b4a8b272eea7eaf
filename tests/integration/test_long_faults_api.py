"""Issue 14, long faults (1): the publishing API down for "an hour", then back.

The real scheduler, poster (live mode) and notifier, against a fake channel
and a fake Telegram. Time is compressed by the settings, never by sleeping:
the outage lasts OUTAGE_S = 12 s, four times the whole retry span of a job
(LTM_RETRY_BASE_POST=1s: attempt 2 waits 1 s, attempt 3 waits 2 s), as an
hour is 40 times the default span (30 s + 60 s). Posts are put in the ledger
beforehand, one every second of the outage and a few after it (`ltmctl post
--at`), so the scheduler dispatches them on schedule while the API is down.

- 503: the webhook receiver answers 503 to everything. Jobs whose three
  attempts all fall in the outage fail for good ("server", three attempts,
  each retry after n x the base); the later ones are published on a retry or
  at once; none is lost or sent twice.
- no answer: LinkedIn accepts the connection and never answers, publish and
  check alike. Each attempt ends after LTM_HTTP_TIMEOUT (a setting) as
  `unconfirmed`, never sent again (the channel may have it); after the
  outage the posts are published.

Both: the notifier's consecutive-failure alert reaches Telegram once and its
resolution once. OUTAGE_S and the spacing are the whole cost of the test.
"""

import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fakes"))

import ltmtest  # noqa: E402
from apibase import answer, hang  # noqa: E402
from faultkit import figures, retry_gaps, schedule_posts, wait_final  # noqa: E402
from fakes.telegram import FakeTelegram  # noqa: E402
from publishing import AUTHOR, PublishingCase, accounts  # noqa: E402
from test_notifier import Notifier, plain  # noqa: E402
from test_scheduler import parse_iso, start_scheduler  # noqa: E402

OUTAGE_S = 12.0
SPACING_MS = 1000
AFTER = 3                      # posts due after the outage
RETRY_BASE_S = 1.0
HTTP_TIMEOUT_S = 1.5
SLACK_S = 1.5                  # scheduler tick, broker and worker hops on a busy machine

# An hour of outage against the notifier's defaults at the same scale (x300):
# repeats every 4 h -> 48 s and inactivity 6 h -> 72 s are beyond the test;
# the 30 s group window -> 1 s.
NOTIFIER_ENV = {"LTM_NOTIFY_GROUP_WAIT": "1s", "LTM_NOTIFY_REPEAT_INTERVAL": "48s",
                "LTM_NOTIFY_INACTIVITY": "72s", "LTM_NOTIFY_FAILURE_THRESHOLD": "3"}


class ApiOutageCase(PublishingCase):
    def setUp(self):
        super().setUp()
        self.tg = FakeTelegram()
        self.addCleanup(self.tg.close)
        ndir = tempfile.mkdtemp(prefix="ltm-notifier-")
        self.addCleanup(shutil.rmtree, ndir, True)
        self.notifier = Notifier(self.broker, ndir, self.tg, NOTIFIER_ENV)
        self.addCleanup(self.stop_notifier)
        self.watch.wait_for(lambda m: isinstance(m.payload, dict)
                            and m.payload.get("state") == "online",
                            topic="ltm/status/notifier/+", timeout=10)

    def stop_notifier(self):
        rc = self.notifier.stop()
        log = self.notifier.log()
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            self.assertNotIn(bad, log, log[-4000:])
        self.assertEqual(rc, 0, log[-4000:])

    def start_stack(self, data, api):
        self.worker("poster", data=data, LTM_HTTP_TIMEOUT="%dms" % (HTTP_TIMEOUT_S * 1000),
                    LTM_HTTP_CONNECT_TIMEOUT="1s")
        start_scheduler(self, self.broker, data["accounts"], env={
            "LTM_RETRY_BASE_POST": "%dms" % (RETRY_BASE_S * 1000), "LTM_MAX_ATTEMPTS": "3",
            "LTM_LEASE": "20s"})
        self.api = api

    def run_outage(self, account, down_answer):
        """Schedules the posts, holds the outage for OUTAGE_S from the first
        one's slot, ends it; returns (jobs by id, texts by id, outage end)."""
        count = int(OUTAGE_S * 1000 / SPACING_MS) + AFTER
        lead_ms = 1500  # the ltmctl calls themselves take time
        posts = schedule_posts(self, self.broker, account,
                               [lead_ms + i * SPACING_MS for i in range(count)], "long fault")
        texts = dict(posts)
        self.api.outage(down_answer)
        first = self.watch.wait_for(lambda m: m.payload.get("job_id") == posts[0][0],
                                    topic="ltm/jobs/post", timeout=10).payload
        started = parse_iso(first["dispatched_at"])
        ltmtest.wait_until(lambda: time.time() >= started + OUTAGE_S,
                           OUTAGE_S + 5, "the end of the compressed hour")
        self.api.outage(None)
        ended = time.time()
        jobs = wait_final(self, self.broker, texts, timeout=OUTAGE_S + 30)
        return jobs, texts, started, ended

    def alert_messages(self):
        return [plain(t) for t in self.tg.delivered() if "LTM alerts" in t]

    def check_alerts(self, account, figures_out):
        """One firing and one resolved message for the consecutive failures."""
        key = "results.failures." + account

        def resolved():
            return [t for t in self.alert_messages() if "Resolved" in t and key in t]
        ltmtest.wait_until(resolved, 15, "the resolution of %s on Telegram: %r"
                           % (key, self.alert_messages()))
        ltmtest.sync(self.broker, self.watch, "scheduler", "ltm/results")
        alerts = self.alert_messages()
        firing = [t for t in alerts if "Firing" in t and key in t]
        self.assertEqual(len(firing), 1, "the failure alert must be sent once: %r" % alerts)
        self.assertEqual(len(resolved()), 1, alerts)
        self.assertEqual(len(alerts), 2, "only the alert and its resolution: %r" % alerts)
        self.assertIn("consecutive final failures for account %s" % account, firing[0])
        figures_out["alerts_sent"] = len(alerts)
        return alerts

    def dispatches(self, job_id):
        return [m for m in self.watch.messages("ltm/jobs/post") if m.payload.get("job_id") == job_id]


class TestWebhook503ForAnHour(ApiOutageCase):
    def test_503_for_an_hour_then_recovery(self):
        data = accounts(hook={"channel": {"type": "webhook", "url": self.hook.hook_url,
                                          "token_env": "HOOK_TOKEN"}})
        self.start_stack(data, self.hook)
        jobs, texts, started, ended = self.run_outage(
            "hook", answer(503, {"error": "maintenance"}))
        received = [b["job_id"] for b in self.hook.received]
        counts = {"jobs": len(texts), "published": 0, "finally_failed": 0, "lost": 0,
                  "duplicates": len(received) - len(set(received))}
        for job_id, job in sorted(jobs.items(), key=lambda kv: kv[1]["attempts"][0]["dispatched_at"]):
            attempts = job["attempts"]
            self.assertEqual(len(self.dispatches(job_id)), len(attempts), job)
            for n, waited in retry_gaps(job):
                self.assertGreaterEqual(waited, n * RETRY_BASE_S - 0.05, job)
                self.assertLess(waited, n * RETRY_BASE_S + SLACK_S, job)
            failed = attempts[:-1] if job["state"] == "published" else attempts
            for a in failed:
                self.assertEqual((a["outcome"], a.get("error_class")), ("failed", "server"), job)
                self.assertLessEqual(parse_iso(a["dispatched_at"]), ended + 0.5, job)
            if job["state"] == "published":
                counts["published"] += 1
                self.assertEqual(received.count(job_id), 1, job)
            else:
                counts["finally_failed"] += 1
                self.assertEqual(job["state"], "failed", job)
                self.assertEqual(len(attempts), 3, job)
                self.assertTrue(job.get("reason"), job)
                self.assertNotIn(job_id, received)
        counts["lost"] = len(texts) - counts["published"] - counts["finally_failed"]
        # Those whose three attempts fit in the outage failed; the rest made it.
        self.assertGreaterEqual(counts["finally_failed"], 4, counts)
        self.assertGreaterEqual(counts["published"], AFTER + 1, counts)
        self.assertEqual(counts["lost"], 0)
        self.assertEqual(counts["duplicates"], 0)
        self.assertTrue(any(len(j["attempts"]) > 1 and j["state"] == "published"
                            for j in jobs.values()), "no job was published on a retry")
        self.check_alerts("hook", counts)
        figures("api_503", **counts)


class TestLinkedInSilentForAnHour(ApiOutageCase):
    def test_no_answer_for_an_hour_then_recovery(self):
        data = accounts(acme={"channel": {"type": "linkedin", "author": AUTHOR,
                                          "token_env": "ACME_LINKEDIN_TOKEN"}})
        self.start_stack(data, self.li)
        jobs, texts, started, ended = self.run_outage("acme", hang())
        posts = [c for _, _, c, _ in self.li.posts]
        timed = 0
        counts = {"jobs": len(texts), "published": 0, "finally_failed": 0, "lost": 0,
                  "duplicates": len(posts) - len(set(posts))}
        for job_id, job in jobs.items():
            attempts = job["attempts"]
            self.assertEqual(len(self.dispatches(job_id)), len(attempts), job)
            if job["state"] == "published":
                counts["published"] += 1
                self.assertEqual(posts.count(texts[job_id]), 1, job)
                continue
            counts["finally_failed"] += 1
            # Sent into silence: the post may exist, so it is never sent again.
            self.assertEqual(job["state"], "unconfirmed", job)
            self.assertEqual(len(attempts), 1, job)
            self.assertTrue(job.get("reason"), job)
            self.assertNotIn(texts[job_id], posts)
            sent = parse_iso(attempts[0]["dispatched_at"])
            took = parse_iso(attempts[0]["finished_at"]) - sent
            # The publish and then the check each wait LTM_HTTP_TIMEOUT (an
            # attempt the end of the outage cut short got its answer sooner).
            if sent + 2 * HTTP_TIMEOUT_S + 0.5 < ended:
                timed += 1
                self.assertGreaterEqual(took, 2 * HTTP_TIMEOUT_S - 0.1, job)
            self.assertLess(took, 2 * HTTP_TIMEOUT_S + 2 * SLACK_S, job)
        counts["lost"] = len(texts) - counts["published"] - counts["finally_failed"]
        self.assertGreaterEqual(counts["finally_failed"], 4, counts)
        self.assertGreaterEqual(counts["published"], AFTER, counts)
        self.assertGreaterEqual(timed, 4, "attempts wholly within the outage")
        self.assertEqual(counts["lost"], 0)
        self.assertEqual(counts["duplicates"], 0)
        self.check_alerts("acme", counts)
        figures("api_silent", **counts)


if __name__ == "__main__":
    unittest.main()
