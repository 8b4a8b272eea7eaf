"""Shared set-up of the publishing integration tests (test_publishing*.py): a
broker, an operator subscriber on ltm/#, the fake APIs, an accounts file written
for the test, and workers in live mode pointed at the fakes."""

import json
import os
import shutil
import sys
import tempfile
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import ltmtest  # noqa: E402
from ltmservice import Service, run_once  # noqa: E402
from instagram import FakeInstagram  # noqa: E402
from linkedin import FakeLinkedIn  # noqa: E402
from openai import FakeOpenAI  # noqa: E402
from rapidapi import FakeRapidAPI  # noqa: E402
from replicate import FakeReplicate  # noqa: E402
from webhook import FakeWebhook  # noqa: E402

SECRETS = {"OPENAI_API_KEY": "sk-test-secret-openai-0001",
           "REPLICATE_TOKEN": "r8_test_secret_replicate_0001",
           "ACME_LINKEDIN_TOKEN": "li-test-secret-token-0001",
           "ACME_IG_TOKEN": "ig-test-secret-token-0001",
           "RAPIDAPI_KEY": "ra-test-secret-key-0001",
           "HOOK_TOKEN": "wh-test-secret-token-0001"}

AUTHOR = "urn:li:organization:12345"
IG_USER = "17841400000000001"


def job(job_id, kind="post", account="acme", attempt=1, max_attempts=3, **extra):
    j = {"job_id": job_id, "kind": kind, "account": account, "attempt": attempt,
         "max_attempts": max_attempts, "slot": "2026-11-27T12:00:00Z",
         "dispatched_at": "2026-11-27T12:00:00.010Z"}
    j.update(extra)
    return j


def wait_consuming(broker, watch, service, instance, timeout=10.0):
    """Returns once the worker's shared subscription delivers to it: "mqtt
    connected" comes before the SUBACK, and a job published before it is
    routed nowhere. Sends undecodable probes until one comes back from this
    replica on ltm/dlq."""
    kind = "story" if service == "story-publisher" else "post"
    deadline = time.monotonic() + timeout
    probe = "warmup-" + uuid.uuid4().hex
    since = watch.mark()

    def mine(m):
        p = m.payload
        return isinstance(p, dict) and p.get("instance") == instance and \
            probe in str(p.get("payload", ""))
    while True:
        ltmtest.publish(broker, "scheduler", "ltm/jobs/" + kind, {"warmup": probe})
        try:
            return watch.wait_for(mine, topic="ltm/dlq", since=since, timeout=0.3)
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def accounts(**by_name):
    """accounts(acme={"channel": {...}, ...}) -> the accounts file's JSON."""
    out = []
    for name, spec in by_name.items():
        a = {"name": name, "timezone": "America/Sao_Paulo",
             "content": {"language": "en", "prompt": "Write about small teams.",
                         "themes": {"fri": "team culture"}}}
        a.update(spec)
        out.append(a)
    return {"accounts": out}


class PublishingCase(unittest.TestCase):
    """One broker and one operator subscriber per test; fakes on demand."""

    def setUp(self):
        self.broker = ltmtest.Broker()
        self.addCleanup(self.broker.close)
        self.watch = ltmtest.Subscriber(self.broker, "operator", ["ltm/#"])
        self.addCleanup(self.watch.close)
        self.tmp = tempfile.mkdtemp(prefix="ltm-publishing-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.ai = self.fake(FakeOpenAI(key=SECRETS["OPENAI_API_KEY"]))
        self.li = self.fake(FakeLinkedIn(token=SECRETS["ACME_LINKEDIN_TOKEN"]))
        self.rep = self.fake(FakeReplicate(token=SECRETS["REPLICATE_TOKEN"]))
        self.ig = self.fake(FakeInstagram(token=SECRETS["ACME_IG_TOKEN"], user_id=IG_USER))
        self.ra = self.fake(FakeRapidAPI(key=SECRETS["RAPIDAPI_KEY"]))
        self.hook = self.fake(FakeWebhook(token=SECRETS["HOOK_TOKEN"]))
        self.workers = []

    def fake(self, f):
        self.addCleanup(self.assert_no_contract_problems, f)
        self.addCleanup(f.close)
        return f

    def assert_no_contract_problems(self, f):
        self.assertEqual(f.problems, [], "requests to the fake %s broke its contract" % f.name)

    def write_accounts(self, data):
        path = os.path.join(self.tmp, "accounts-%d.json" % len(os.listdir(self.tmp)))
        with open(path, "w") as f:
            json.dump(data, f)
        return path

    def env(self, accounts_path, **extra):
        e = {"LTM_MODE": "live", "LTM_ACCOUNTS_FILE": accounts_path,
             "OPENAI_BASE_URL": self.ai.base, "LTM_LINKEDIN_BASE_URL": self.li.url,
             "LTM_LINKEDIN_VERSION": "202610", "LTM_INSTAGRAM_BASE_URL": self.ig.base,
             "LTM_REPLICATE_BASE_URL": self.rep.url, "LTM_RAPIDAPI_BASE_URL": self.ra.url,
             "LTM_HTTP_TIMEOUT": "1500ms", "LTM_HTTP_CONNECT_TIMEOUT": "1s",
             "LTM_REPLICATE_POLL_INTERVAL": "50ms", "LTM_INSTAGRAM_POLL_INTERVAL": "50ms",
             "LTM_INSTAGRAM_CONTAINER_TIMEOUT": "3s", "LTM_REPLICATE_TIMEOUT": "5s",
             "LTM_WORKER_DRAIN_TIMEOUT": "3s"}
        e.update(SECRETS)
        e.update(extra)
        return e

    def worker(self, name="poster", data=None, instance="t1", **extra):
        path = self.write_accounts(data or self.default_accounts())
        svc = Service(self.broker, name, env=self.env(path, **extra), instance=instance)
        self.addCleanup(self.check_worker, svc)
        svc.wait_log("mqtt connected")
        wait_consuming(self.broker, self.watch, name, instance)
        self.workers.append(svc)
        return svc

    def check_worker(self, svc):
        # A clean stop, so a sanitizer build reports leaks into the log.
        if svc.running():
            self.assertEqual(svc.stop(), 0, svc.log())
        log = svc.log()
        svc.close()
        for name, value in SECRETS.items():
            self.assertNotIn(value, log, "%s leaked into the log of %s" % (name, svc.name))

    def default_accounts(self):
        return accounts(acme={"channel": {"type": "linkedin", "author": AUTHOR,
                                          "token_env": "ACME_LINKEDIN_TOKEN"}})

    def send(self, j):
        topic = "ltm/jobs/%s" % j["kind"]
        self.assertEqual(ltmtest.publish(self.broker, "scheduler", topic, j), 0)

    def result(self, job_id, attempt=None, timeout=10.0, since=0):
        def match(m):
            p = m.payload
            return isinstance(p, dict) and p.get("job_id") == job_id and (
                attempt is None or p.get("attempt") == attempt)
        r = self.watch.wait_for(match, topic="ltm/results", timeout=timeout, since=since).payload
        for name, value in SECRETS.items():
            self.assertNotIn(value, json.dumps(r), "%s leaked into a result" % name)
        return r

    def run_job(self, j, **kw):
        self.send(j)
        return self.result(j["job_id"], j.get("attempt"), **kw)

    def assertFailed(self, r, error_class, retryable, final=None):
        self.assertEqual(r["status"], "failed", r)
        self.assertEqual(r["error_class"], error_class, r)
        self.assertIs(r["retryable"], retryable, r)
        if final is not None:
            self.assertIs(r["final"], final, r)
        self.assertTrue(r.get("error"), r)

    def run_config(self, name, data, **extra):
        """Starts a worker that must refuse its config; returns (exit code, output)."""
        path = self.write_accounts(data)
        env = self.env(path, **extra)
        env.update(self.broker.env_for(name))
        env["LTM_DATA_DIR"] = self.tmp
        return run_once(name, env)
