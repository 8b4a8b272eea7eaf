"""Marker secrets through a whole run (issue 14, item 3).

Every secret setting of every binary (found in the sources: each entry of an
ltm_setting table flagged LTM_SETTING_SECRET, plus the account token
variables the accounts file names through its *_env fields) gets a unique
marker value: the broker passwords of the six services and ltmctl, the API
keys and tokens, the gateway's HTTP token, the ledger URL. The whole system
then runs in live mode against the fake APIs, with failures whose answers
echo the credentials they were sent (401s, 403s, 500s, an HTML error page, a
Telegram 502 that repeats the token-bearing path), retries, final failures,
dead letters, a sysmonitor alert, the notifier's failure alert, the startup
notice and the daily report.

Then every output is scanned for each marker, also base64-, URL-, JSON- and
hex-encoded, and for any 12 characters of a marker's random part (a cut
through a secret leaves a piece that no redaction recognises): every log
line, every message on ltm/# and $SYS/#, every answer of the gateway (with
and without the token), ltmctl's output, every request body the fakes
received (posts, Telegram messages), and every file of every data dir after
a clean stop (ledger, publication databases, state files, the broker's
persistence). The fakes check they received the markers where they belong,
so the run proves each secret was used.

One value is substring-risky on purpose: the webhook token starts with the
whole RapidAPI key, and the HTTP token holds "+/=", which base64 and URL
encodings change.
"""

import base64
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "fakes"))

import ltmtest  # noqa: E402
from ltmservice import Service, binary, run_once, wait_status  # noqa: E402
from apibase import answer, drop  # noqa: E402
from instagram import FakeInstagram  # noqa: E402
from linkedin import FakeLinkedIn  # noqa: E402
from openai import FakeOpenAI, error as openai_error  # noqa: E402
from publishing import wait_consuming  # noqa: E402
from rapidapi import FakeRapidAPI  # noqa: E402
from replicate import FakeReplicate  # noqa: E402
from telegram import FakeTelegram  # noqa: E402
from webhook import FakeWebhook  # noqa: E402

SERVICES = ("scheduler", "poster", "story-publisher", "sysmonitor", "notifier",
            "health-gateway")
CLIENTS = SERVICES + ("ltmctl",)
JSON_LOGS = ("poster", "notifier", "health-gateway")
FILLER_ACCOUNTS = 80
AUTHOR = "urn:li:organization:12345"
IG_USER = "17841400000000001"
IMAGE = "https://cdn.example.com/acme/feed-1.jpg"
STORY = "https://cdn.example.com/acme/story-1.jpg"
WINDOW = 12  # this many characters of a marker's random part count as a leak

# One entry of an ltm_setting table: {"NAME", LTM_SET_x, default, flags, ...
SETTING = re.compile(r'\{\s*"([A-Z][A-Z0-9_]*)"\s*,\s*LTM_SET_[A-Z]+\s*,\s*'
                     r'(?:NULL|"(?:[^"\\]|\\.)*"|\w+)\s*,\s*([^,]+),')


def source_settings():
    """{name: (is_secret, files)} of every setting table entry under common/ and services/."""
    found = {}
    for top in ("common", "services"):
        for root, _, files in os.walk(os.path.join(ltmtest.SOURCE_DIR, top)):
            for f in files:
                if not f.endswith(".c") or f.endswith("_test.c"):
                    continue
                path = os.path.join(root, f)
                with open(path) as fh:
                    text = fh.read()
                for m in SETTING.finditer(text):
                    secret, where = found.get(m.group(1), (False, set()))
                    where.add(os.path.relpath(path, ltmtest.SOURCE_DIR))
                    found[m.group(1)] = (secret or "LTM_SETTING_SECRET" in m.group(2), where)
    return found


def account_env_fields():
    """The fields of the accounts file that name a variable holding a token."""
    with open(os.path.join(ltmtest.SOURCE_DIR, "common", "accounts.c")) as f:
        return set(re.findall(r'"([a-z_]+_env)"', f.read()))


class Marker:
    """A secret value; `core` is its random part (None: only whole forms count)."""

    def __init__(self, name, prefix, suffix="", core=None, whole_only=False):
        self.name = name
        self.core = core or secrets.token_hex(16)
        self.value = prefix + self.core + suffix
        self.windows = set() if whole_only else {
            self.core[i:i + WINDOW] for i in range(len(self.core) - WINDOW + 1)}

    def forms(self):
        """(label, bytes) of the value as it could appear once encoded."""
        v = self.value
        raw = v.encode()
        out = [("raw", raw), ("json", json.dumps(v)[1:-1].encode()),
               ("json-slash", json.dumps(v)[1:-1].replace("/", "\\/").encode()),
               ("url", urllib.parse.quote(v, safe="").encode()),
               ("url-plus", urllib.parse.quote_plus(v).encode()),
               ("hex", raw.hex().encode()), ("HEX", raw.hex().upper().encode())]
        # Inside a longer base64 text ("Basic " + user:token) the value can
        # start at any of three byte offsets: only whole groups are fixed.
        for k in range(3):
            data = b"\0" * k + raw
            enc = base64.b64encode(data)
            part = enc[4 if k else 0:len(data) // 3 * 4]
            out.append(("base64+%d" % k, part))
            out.append(("base64url+%d" % k, part.replace(b"+", b"-").replace(b"/", b"_")))
        seen, unique = set(), []
        for label, b in out:
            if b not in seen:
                seen.add(b)
                unique.append((label, b))
        return unique


HEX_RUN = re.compile(rb"[0-9a-f]{%d,}" % WINDOW)


class Scan:
    """Everything the run produced, searched for every marker."""

    def __init__(self, markers):
        self.markers = markers
        self.needles = [(m.name, label, b) for m in markers for label, b in m.forms()]
        self.windows = {w.encode(): m.name for m in markers for w in m.windows}
        self.leaks = []
        self.leak_kinds = {}
        self.counts = {}

    def add(self, kind, label, data, units=1):
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        n, b = self.counts.get(kind, (0, 0))
        self.counts[kind] = (n + units, b + len(data))
        before = len(self.leaks)
        for name, form, needle in self.needles:
            i = data.find(needle)
            if i >= 0:
                self.leaks.append("%s (%s form) in %s: ...%r..." % (
                    name, form, label, data[max(0, i - 60):i + len(needle) + 20]))
        for run in HEX_RUN.finditer(data):
            r = run.group(0)
            for i in range(len(r) - WINDOW + 1):
                name = self.windows.get(r[i:i + WINDOW])
                if name:
                    self.leaks.append("%d+ characters of %s in %s: ...%r..." % (
                        WINDOW, name, label, data[max(0, run.start() - 60):run.end() + 20]))
                    break
        if len(self.leaks) > before:
            self.leak_kinds[kind] = self.leak_kinds.get(kind, 0) + len(self.leaks) - before

    def report(self):
        return "%d findings (%s):\n%s" % (
            len(self.leaks), ", ".join("%s %d" % kv for kv in sorted(self.leak_kinds.items())),
            "\n".join(self.leaks[:40]))


def http_get(port, path, headers=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), str(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), str(e.headers)


class SecretsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ltm-secrets-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def marker_set(self):
        m = {}
        for user in CLIENTS:
            m["LTM_MQTT_PASSWORD/" + user] = Marker("LTM_MQTT_PASSWORD of " + user,
                                                    "mk-mqtt-%s-" % user)
        m["OPENAI_API_KEY"] = Marker("OPENAI_API_KEY", "sk-mk-openai-")
        m["REPLICATE_TOKEN"] = Marker("REPLICATE_TOKEN", "r8_mk-replicate-")
        m["TELEGRAM_BOT_TOKEN"] = Marker("TELEGRAM_BOT_TOKEN", "123456789:mk-telegram-")
        m["LTM_HTTP_TOKEN"] = Marker("LTM_HTTP_TOKEN", "mk-http-", "+/=")
        m["DATABASE_URL"] = Marker(
            "DATABASE_URL", "sqlite://%s/ledger-mk-" % os.path.join(self.tmp, "ledger"), ".db",
            whole_only=True)  # the scheduler may show the path: only the URL is secret
        m["LI_TOKEN"] = Marker("LI_TOKEN (channel.token_env)", "mk-linkedin-")
        m["IG_TOKEN"] = Marker("IG_TOKEN (channel.token_env)", "mk-instagram-")
        m["RA_KEY"] = Marker("RA_KEY (channel.key_env)", "mk-rapidapi-")
        # Substring-risky: holds the whole RapidAPI key.
        hook = Marker("HOOK_TOKEN (channel.token_env)", m["RA_KEY"].value + "-")
        m["HOOK_TOKEN"] = hook
        m["LATE_TOKEN"] = Marker("LATE_TOKEN (token of the last of %d accounts)"
                                 % (FILLER_ACCOUNTS + 5), "mk-late-")
        return m

    def test_no_secret_leaves_through_any_output(self):
        t0 = time.monotonic()
        markers = self.marker_set()

        # -- every secret setting of the code has a marker -------------------
        settings = source_settings()
        self.assertGreater(len(settings), 80, "the setting tables were not found: %s"
                           % sorted(settings))
        secret_names = {n for n, (s, _) in settings.items() if s}
        covered = {k.split("/")[0] for k in markers}
        self.assertIn("LTM_MQTT_PASSWORD", secret_names)
        self.assertEqual(secret_names - covered, set(),
                         "secret settings this test does not set to a marker: %s"
                         % {n: sorted(settings[n][1]) for n in secret_names - covered})
        self.assertEqual(account_env_fields(), {"token_env", "key_env"},
                         "the accounts file names token variables in fields this test does "
                         "not use (common/accounts.c)")

        # -- broker with marker passwords --------------------------------------
        state = os.path.join(self.tmp, "broker")
        os.makedirs(state)
        with open(os.path.join(state, "credentials.env"), "w") as f:
            for user in CLIENTS:
                f.write("LTM_PASSWORD_%s=%s\n" % (user.upper().replace("-", "_"),
                                                  markers["LTM_MQTT_PASSWORD/" + user].value))
        broker = ltmtest.Broker(state_dir=state)
        self.addCleanup(broker.close)
        for user in CLIENTS:
            self.assertEqual(broker.password(user), markers["LTM_MQTT_PASSWORD/" + user].value)
        watch = ltmtest.Subscriber(broker, "operator", ["ltm/#", "$SYS/#"])
        self.addCleanup(watch.close)

        # -- fakes, answering failures that echo what they were sent ----------
        v = {k: mk.value for k, mk in markers.items()}
        ai = FakeOpenAI(key=v["OPENAI_API_KEY"])
        rep = FakeReplicate(token=v["REPLICATE_TOKEN"])
        li = FakeLinkedIn(token=v["LI_TOKEN"])
        ig = FakeInstagram(token=v["IG_TOKEN"], user_id=IG_USER)
        ra = FakeRapidAPI(key=v["RA_KEY"])
        hook = FakeWebhook(token=v["HOOK_TOKEN"])
        late = FakeWebhook(path="/hooks/late", token=v["LATE_TOKEN"])
        tg = FakeTelegram(token=v["TELEGRAM_BOT_TOKEN"], chat_id="4242")
        fakes = (ai, rep, li, ig, ra, hook, late)
        for f in fakes + (tg,):
            self.addCleanup(f.close)

        def bearer(k):
            return "Authorization: Bearer " + v[k]
        # 502s (retried), one with the token cut at 170 characters of the
        # description, one whole; a 403 (waits for a person), then ok.
        tg.script(["echo:97", "403", "echo:0", "500"])

        # -- accounts and services ----------------------------------------------
        accounts = {"accounts": [
            {"name": "li", "timezone": "UTC",
             "content": {"prompt": "Write about small teams.", "image_prompt": "a desk"},
             "channel": {"type": "linkedin", "author": AUTHOR, "token_env": "LI_TOKEN"}},
            {"name": "ig", "timezone": "UTC",
             "content": {"prompt": "Write a caption.", "image_urls": [IMAGE]},
             "channel": {"type": "instagram", "user_id": IG_USER, "token_env": "IG_TOKEN"},
             "stories": {"channel": {"type": "instagram", "user_id": IG_USER,
                                     "token_env": "IG_TOKEN"}, "image_urls": [STORY]}},
            {"name": "ra", "timezone": "UTC",
             "content": {"prompt": "Write a post.", "image_urls": [IMAGE]},
             "channel": {"type": "rapidapi", "host": "social-poster.p.rapidapi.com",
                         "path": "/v1/post", "key_env": "RA_KEY"}},
            {"name": "hook", "timezone": "UTC", "content": {"prompt": "Write a post."},
             "channel": {"type": "webhook", "url": hook.hook_url, "token_env": "HOOK_TOKEN"},
             "stories": {"channel": {"type": "webhook", "url": hook.hook_url,
                                     "token_env": "HOOK_TOKEN"}, "image_urls": [STORY]}},
        ] + [
            # Many accounts, each with its own token: the last one's must be
            # redacted as well as the first ones'.
            {"name": "fill-%02d" % i, "timezone": "UTC",
             "channel": {"type": "webhook", "url": hook.hook_url, "token_env": "FILL_%02d" % i}}
            for i in range(FILLER_ACCOUNTS)
        ] + [
            {"name": "late", "timezone": "UTC",
             "channel": {"type": "webhook", "url": late.hook_url, "token_env": "LATE_TOKEN"}},
        ]}
        accounts_path = os.path.join(self.tmp, "accounts.json")
        with open(accounts_path, "w") as f:
            json.dump(accounts, f)
        os.makedirs(os.path.join(self.tmp, "ledger"))
        http_port = ltmtest.free_port()
        secret_env = {k: mv for k, mv in v.items() if not k.startswith("LTM_MQTT_PASSWORD/")}
        secret_env.update({"FILL_%02d" % i: "fill-" + secrets.token_hex(8)
                           for i in range(FILLER_ACCOUNTS)})
        per_service = {
            "scheduler": {"LTM_RETRY_BASE_POST": "200ms", "LTM_RETRY_BASE_STORY": "200ms",
                          "LTM_DAILY_REPORT_AT": "off", "LTM_SCHEDULER_TICK": "100ms"},
            "poster": {}, "story-publisher": {},
            "sysmonitor": {"LTM_SYSMON_INTERVAL": "200ms", "LTM_SYSMON_DISK_THRESHOLD": "0",
                           "LTM_SYSMON_HOLD_SAMPLES": "1", "LTM_SYSMON_DISKS": self.tmp,
                           "LTM_SYSMON_SUMMARY_INTERVAL": "1s", "LTM_SYSMON_SAVE_INTERVAL": "1s"},
            "notifier": {"TELEGRAM_CHAT_ID": "4242", "TELEGRAM_API_URL": tg.url,
                         "TELEGRAM_TIMEOUT": "2s", "LTM_NOTIFY_GROUP_WAIT": "300ms",
                         "LTM_NOTIFY_SEND_INTERVAL": "20ms", "LTM_NOTIFY_BACKOFF_MIN": "50ms",
                         "LTM_NOTIFY_BACKOFF_MAX": "200ms", "LTM_NOTIFY_PERSON_RETRY": "200ms",
                         "LTM_NOTIFY_STARTUP_SETTLE": "1s", "LTM_NOTIFY_FAILURE_THRESHOLD": "1"},
            "health-gateway": {"PORT": str(http_port), "LTM_HTTP_BIND": "127.0.0.1"},
        }
        worker_env = {"LTM_MODE": "live", "OPENAI_BASE_URL": ai.base,
                      "LTM_REPLICATE_BASE_URL": rep.url, "LTM_LINKEDIN_BASE_URL": li.url,
                      "LTM_INSTAGRAM_BASE_URL": ig.base, "LTM_RAPIDAPI_BASE_URL": ra.url,
                      "LTM_HTTP_TIMEOUT": "3s", "LTM_REPLICATE_POLL_INTERVAL": "50ms",
                      "LTM_INSTAGRAM_POLL_INTERVAL": "50ms", "LTM_WORKER_DRAIN_TIMEOUT": "3s"}
        services = {}
        for name in SERVICES:
            # Debug lines too; half of the services write JSON lines (other escapes).
            env = dict(secret_env, LTM_HEARTBEAT_INTERVAL="500ms", LTM_LOG_LEVEL="debug",
                       LTM_LOG_FORMAT="json" if name in JSON_LOGS else "text",
                       LTM_ACCOUNTS_FILE=accounts_path, **per_service[name])
            if name in ("poster", "story-publisher"):
                env.update(worker_env)
            svc = Service(broker, name, env=env, start=False)
            self.addCleanup(svc.close)
            self.assertEqual(svc.env["LTM_MQTT_PASSWORD"],
                             markers["LTM_MQTT_PASSWORD/" + name].value)
            services[name] = svc.start()
        for name in SERVICES:
            wait_status(watch, name, "t1", "online", timeout=20)
        ctl_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        ctl_env.update(broker.env_for("ltmctl"))
        ctl_env.update(secret_env)
        outputs = []

        def ltmctl(*args, expect=None):
            proc = subprocess.run([binary("ltmctl"), "--timeout", "30s"] + list(args),
                                  env=ctl_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=60)
            out = proc.stdout.decode("utf-8", "replace") + proc.stderr.decode("utf-8", "replace")
            outputs.append(("ltmctl %s" % " ".join(args), out))
            if expect is not None:
                self.assertEqual(proc.returncode, expect, "ltmctl %s: %s" % (args, out))
            return out

        # The workers' shared subscriptions must be in place before jobs come.
        for name in ("poster", "story-publisher"):
            wait_consuming(broker, watch, name, "t1")

        # -- the run: failures, retries, successes -------------------------------
        published = 0
        # Each run: ltmctl's arguments, its exit status (5: failed for good)
        # and the answers the fakes give first, echoing what they were sent.
        html = "<html><body><h1>502 Bad Gateway</h1><pre>%s</pre></body></html>"
        runs = [
            (("post", "--account", "li"), 5, [(ai, "chat", openai_error(
                401, "Incorrect API key provided: %s." % v["OPENAI_API_KEY"],
                "invalid_request_error", "invalid_api_key"))]),
            (("post", "--account", "li"), 5, [  # retried, then refused
                (ai, "chat", openai_error(500, "Upstream failed for %s" % bearer("OPENAI_API_KEY"),
                                          "server_error", None)),
                (rep, "create", answer(401, {
                    "title": "Unauthenticated", "status": 401,
                    "detail": "Invalid token %s" % v["REPLICATE_TOKEN"]}))]),
            (("post", "--account", "li"), 5, [  # retried, then refused
                (li, "post", answer(500, html % bearer("LI_TOKEN"), {"Content-Type": "text/html"})),
                (li, "post", answer(401, {
                    "status": 401, "code": "REVOKED_ACCESS_TOKEN",
                    "message": "The token %s was revoked" % v["LI_TOKEN"]}))]),
            (("post", "--account", "li"), published, [(ai, "chat", drop())]),  # then retried
            (("post", "--account", "ig", "--text", "Caption"), 5, [(ig, "create", ig.error(
                190, "Error validating access token %s: Session has expired." % v["IG_TOKEN"],
                400, 463))]),
            (("post", "--account", "ig", "--text", "Caption"), published, []),
            (("post", "--account", "ra"), 5, [(ra, "post", answer(
                403, {"message": "Key %s is not subscribed to this API." % v["RA_KEY"]}))]),
            (("post", "--account", "ra"), published, []),
            (("post", "--account", "hook"), 5, [(hook, "hook", answer(
                400, {"error": "refused %s" % bearer("HOOK_TOKEN")}))]),
            (("post", "--account", "hook"), published, []),
            (("story", "--account", "hook"), 5, [(hook, "hook", answer(
                422, {"message": "story refused, %s" % bearer("HOOK_TOKEN")}))]),
            (("story", "--account", "hook", "--text", "A story"), published, []),
            (("story", "--account", "ig"), published, []),
            (("post", "--account", "late", "--text", "Late"), 5, [(late, "hook", answer(
                401, {"error": "token %s unknown" % v["LATE_TOKEN"]}))]),
        ]
        for args, code, first_answers in runs:
            for fake, route, a in first_answers:
                fake.script(route, a)
            ltmctl(*(args + ("--wait",)), expect=code)
            for fake, route, _ in first_answers:
                self.assertFalse(fake.scripts.get(route), "%s: an answer of %s was not used"
                                 % (args, fake.name))
        # Undecodable messages on every consumed topic: dead letters.
        for topic, user in (("ltm/jobs/post", "scheduler"), ("ltm/jobs/story", "scheduler"),
                            ("ltm/jobs/report", "scheduler"), ("ltm/commands/scheduler", "ltmctl"),
                            ("ltm/results", "poster"), ("ltm/alerts", "sysmonitor")):
            self.assertEqual(ltmtest.publish(broker, user, topic, "{not json"), 0)
        # The daily report, covering the run.
        soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 60))
        self.assertEqual(ltmtest.publish(broker, "scheduler", "ltm/jobs/report", {
            "job_id": "report:" + soon[:10], "kind": "report", "attempt": 1, "slot": soon,
            "dispatched_at": soon}), 0)
        watch.wait_for(topic="ltm/reports/daily", timeout=20)
        watch.wait_for(topic="ltm/reports/startup", timeout=20)
        watch.wait_for(lambda m: isinstance(m.payload, dict) and m.payload.get("state") ==
                       "firing" and m.payload.get("source") == "sysmonitor",
                       topic="ltm/alerts", timeout=20)
        ltmtest.wait_until(lambda: len([m for m in watch.messages("ltm/dlq")
                                        if "not json" in str(m.payload)]) >= 6, 20,
                           "the dead letters of the six undecodable messages")

        def delivered(words):
            return any(all(w in (t or "") for w in words) for t in tg.delivered())
        for words in (("LTM daily report",), ("LTM started",), ("results.failures",),
                      ("host.disk",)):
            ltmtest.wait_until(lambda: delivered(words), 30,
                               "Telegram to receive a message with %s; it got %s"
                               % (words, tg.delivered()))
        ltmctl("jobs", "--since", "1h", expect=0)
        ltmctl("--json", "jobs", "--since", "1h", "--limit", "500", expect=0)

        # -- the gateway's answers, with and without the token -------------------
        token = v["LTM_HTTP_TOKEN"]
        basic = base64.b64encode(("operator:" + token).encode()).decode()
        answers = []
        for path in ("/", "/health", "/status", "/metrics"):
            for label, headers in (("no token", {}),
                                   ("bearer", {"Authorization": "Bearer " + token}),
                                   ("basic", {"Authorization": "Basic " + basic}),
                                   ("wrong token", {"Authorization": "Bearer " + token[:-1]})):
                code, body, head = http_get(http_port, path, headers)
                answers.append((path, label, code, body, head))
                if path == "/health":
                    continue
                self.assertEqual(code, 200 if label in ("bearer", "basic") else 401,
                                 "%s with %s: %s" % (path, label, body[:300]))

        # -- the fakes received the markers where they belong --------------------
        for f in fakes:
            self.assertEqual(f.problems, [], "requests to the fake %s broke its contract" % f.name)
            self.assertTrue(f.calls(), "the fake %s was never called" % f.name)
        for f, key, route in ((ai, "OPENAI_API_KEY", "chat"), (rep, "REPLICATE_TOKEN", "create"),
                              (li, "LI_TOKEN", "post"), (ig, "IG_TOKEN", "create")):
            self.assertTrue(all(r.header("authorization") == "Bearer " + v[key]
                                for r in f.calls(route)), f.name)
        self.assertTrue(ra.posts and all(r.header("x-rapidapi-key") == v["RA_KEY"]
                                         for r in ra.calls("post")))
        for f, key in ((hook, "HOOK_TOKEN"), (late, "LATE_TOKEN")):
            self.assertTrue(f.calls() and all(r.header("authorization") == "Bearer " + v[key]
                                              for r in f.calls()), f.name)
        self.assertEqual(len(li.posts), 1)
        self.assertEqual(len(ig.media), 2)
        tg_requests = tg.requests()
        self.assertTrue(all(r["path"] == "/bot%s/sendMessage" % v["TELEGRAM_BOT_TOKEN"]
                            for r in tg_requests))
        self.assertEqual([r["answer"] for r in tg_requests[:4]], ["echo", "403", "echo", "500"])
        ledger_file = v["DATABASE_URL"][len("sqlite://"):]
        self.assertTrue(os.path.getsize(ledger_file) > 0, "the ledger is not at DATABASE_URL")

        # Every file as it is while running: SQLite -wal files, MQTT persistence.
        running_files = {}
        for svc in services.values():
            for root, _, names in os.walk(svc.data_dir):
                for n in names:
                    p = os.path.join(root, n)
                    if not p.endswith(".log"):
                        try:
                            with open(p, "rb") as fh:
                                running_files[p] = fh.read()
                        except FileNotFoundError:  # gone in between (renamed, removed)
                            pass
        for p in os.listdir(os.path.join(self.tmp, "ledger")):
            with open(os.path.join(self.tmp, "ledger", p), "rb") as fh:
                running_files[os.path.join(self.tmp, "ledger", p)] = fh.read()

        # -- a clean stop of everything ------------------------------------------
        for name, svc in services.items():
            self.assertEqual(svc.stop(timeout=20), 0, "ltm-%s: %s" % (name, svc.log()[-3000:]))
        # Everything the services published before they stopped has arrived.
        ltmtest.sync(broker, watch, "scheduler", "ltm/results")
        watch.close()
        broker.stop()

        # -- bad settings: the refusal names the setting, never a secret -------------
        bad_url = Marker("DATABASE_URL (malformed)", "postgres://ltm:mk-dburl-", "@db:5432/ltm")
        markers["DATABASE_URL (malformed)"] = bad_url
        refusals = []
        for name in SERVICES:
            env = dict(secret_env, LTM_DATA_DIR=os.path.join(self.tmp, "refused-" + name),
                       LTM_HEARTBEAT_INTERVAL="soon", **broker.env_for(name))
            code, out = run_once(name, env)
            self.assertEqual(code, 78, "ltm-%s: %s" % (name, out))
            self.assertIn("LTM_HEARTBEAT_INTERVAL", out)
            refusals.append(("ltm-%s refusing a setting" % name, out))
        env = dict(secret_env, DATABASE_URL=bad_url.value, LTM_ACCOUNTS_FILE=accounts_path,
                   LTM_DATA_DIR=os.path.join(self.tmp, "refused-url"),
                   **broker.env_for("scheduler"))
        code, out = run_once("scheduler", env)
        self.assertEqual(code, 78, out)
        self.assertIn("DATABASE_URL", out)
        refusals.append(("ltm-scheduler refusing DATABASE_URL", out))

        # -- the scan ------------------------------------------------------------
        scan = Scan(list(markers.values()))
        data_dirs = [svc.data_dir for svc in services.values()]
        for name, svc in services.items():
            log = svc.log()
            scan.add("log lines", "the log of ltm-%s" % name, log, log.count("\n"))
        for label, out in outputs + refusals:
            scan.add("log lines", label, out, out.count("\n"))
        dead = 0
        for m in watch.messages():
            payload = m.payload
            if not isinstance(payload, (bytes, str)):  # decoded JSON: escapes are undone
                payload = json.dumps(payload, ensure_ascii=False)
            if isinstance(payload, str):
                payload = payload.encode()
            kind = "dead letters" if m.topic == "ltm/dlq" else "MQTT messages"
            dead += kind == "dead letters"
            scan.add(kind, "MQTT %s" % m.topic, m.topic.encode() + b" " + payload)
        for path, label, code, body, head in answers:
            scan.add("HTTP answers", "GET %s (%s, %d)" % (path, label, code), head.encode() + body)
        for f in fakes:
            for r in f.calls():
                scan.add("request bodies sent to APIs", "body sent to %s %s" % (f.name, r.path),
                         r.body)
        for r in tg_requests:
            scan.add("Telegram messages", "Telegram message", json.dumps(r["body"],
                                                                        ensure_ascii=False))
        reports = [m for m in watch.messages("ltm/reports/#")]
        files = []
        for top in data_dirs + [state, os.path.join(self.tmp, "ledger")]:
            for root, _, names in os.walk(top):
                files += [os.path.join(root, n) for n in names]
        files.append(accounts_path)
        for p in files:
            if os.path.dirname(p) == state and os.path.basename(p) in ("credentials.env",
                                                                         "passwd"):
                continue  # the broker's own copies of its passwords
            if os.path.dirname(p) in data_dirs and p.endswith(".log"):
                continue  # the service logs, scanned above
            with open(p, "rb") as fh:
                scan.add("files", p, fh.read())
        for p, data in running_files.items():
            scan.add("files while running", p + " (while running)", data)
        self.assertTrue(any(p.endswith("-wal") for p in running_files), sorted(running_files))
        self.assertTrue(any(p.endswith("-publications.db") for p in files), files)
        self.assertTrue(any(p == ledger_file for p in files), files)

        counts = ", ".join("%s %d (%d bytes)" % (k, n, b) for k, (n, b) in sorted(
            scan.counts.items()))
        print("secrets: %d markers, %d forms each at most; scanned %s; %d dead letters, "
              "%d reports; %.1f s" % (len(markers), max(len(m.forms()) for m in markers.values()),
                                      counts, dead, len(reports), time.monotonic() - t0),
              flush=True)
        if scan.leaks:
            self.fail("secrets leaked: " + scan.report())


if __name__ == "__main__":
    unittest.main()
