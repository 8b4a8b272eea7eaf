"""The compose deployment run for real (docs/deployment.md): the images built
from the Dockerfiles with the base image of scripts/base-image.sh, the stack
started with scripts/compose.sh on a copy of the repository (its own project
name, ports and volumes, so it never touches an operator's stack), then
scaled and broken on purpose while every job is counted.

Jobs go through the real ltmctl to the real scheduler and three poster
replicas in live mode, which publish to a webhook receiver running in a
container on the stack's network (compose/receiver.py): it records every
POST it accepted, so "published once" is counted where the post lands, not
where LTM says it went. Per fault the test prints one line:
jobs, published, failed or unconfirmed (each with its reason), duplicates
(a job accepted twice by the receiver) and lost (no final state, or a
'published' the receiver never accepted).

Skipped, with one line, only when `docker info` fails. Delays are settings
compressed here (retries 2 s apart, leases 30 s, health checks every 2 s);
the faults are Docker's own: kill, restart, network disconnect, down/up.
"""

import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid

import ltmtest

SOURCE = ltmtest.SOURCE_DIR
SERVICES = ("scheduler", "poster", "story-publisher", "sysmonitor", "notifier",
            "health-gateway")
FINAL = {"published", "duplicate", "unconfirmed", "failed", "missed", "skipped"}
TELEGRAM_MARKER = "123456:compose-test-telegram-token-marker"
# Live mode needs a model key; the jobs carry their text, so it is never used.
OPENAI_MARKER = "sk-compose-test-openai-key-marker"
# Every fault runs on its own account, so each one's jobs are counted alone.
ACCOUNTS = ("scale", "kill_poster", "broker_restart", "net_cut", "kill_scheduler", "recreated",
            "after_up", "demo")


def docker_answers():
    try:
        return subprocess.run(["docker", "info"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def copy_tree(dst):
    """The repository's files as a clone has them (tracked, plus new files
    not ignored), without build trees, local state or credentials."""
    proc = subprocess.run(["git", "-C", SOURCE, "ls-files", "-z", "-co", "--exclude-standard"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if proc.returncode == 0:
        for rel in filter(None, proc.stdout.decode().split("\0")):
            src = os.path.join(SOURCE, rel)
            if not os.path.isfile(src):
                continue  # deleted in the work tree
            os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
            shutil.copy2(src, os.path.join(dst, rel))
        return
    ignore = shutil.ignore_patterns(".git", "build", "build-*", "var", ".env", "__pycache__")
    shutil.copytree(SOURCE, dst, ignore=ignore, dirs_exist_ok=True)


def set_env_lines(path, values):
    """Sets NAME=value lines of a .env file (other lines kept)."""
    with open(path) as f:
        lines = [ln for ln in f.read().splitlines()
                 if ln.split("=", 1)[0] not in values]
    lines += ["%s=%s" % kv for kv in values.items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def read_env(path):
    out = {}
    with open(path) as f:
        for ln in f:
            m = re.match(r"^([A-Z_][A-Z0-9_]*)=(.*)$", ln.rstrip("\n"))
            if m:
                out[m.group(1)] = m.group(2)
    return out


def log(msg):
    print("compose-test: " + msg, file=sys.stderr, flush=True)


OVERRIDE = """\
# Written by tests/integration/test_compose.py: the receiver, and the
# settings the test compresses (compose.override.yaml is read by compose).
services:
  receiver:
    image: ltm-test-receiver:compose-test
    build:
      context: tests/integration/compose
      dockerfile: receiver.Dockerfile
      args:
        BASE_IMAGE: ${LTM_BASE_IMAGE:-debian:bookworm-slim}
    environment:
      FAIL_EVERY: "3"
      DELAY_MS: "100"
    volumes:
      - ./var/receiver:/data
    healthcheck:
      test: ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://localhost:8080/ready"]
      interval: 2s
      retries: 10
  scheduler:
    environment:
      LTM_RETRY_BASE_POST: 2s
      LTM_LEASE: 30s
      LTM_ENGAGEMENT_AGES: 2s,4s
  poster:
    environment:
      LTM_HTTP_TIMEOUT: 5s
      LTM_HTTP_CONNECT_TIMEOUT: 2s
      LTM_WORKER_DRAIN_TIMEOUT: 5s
  notifier:
    environment:
      TELEGRAM_API_URL: http://receiver:8080
      LTM_NOTIFY_GROUP_WAIT: 1s
      LTM_NOTIFY_BACKOFF_MAX: 5s
"""


@unittest.skipUnless(docker_answers(), "docker info fails: no Docker engine here, "
                     "the compose deployment test is skipped")
class ComposeStackTest(unittest.TestCase):
    """One stack for the whole class; the tests run in their numbered order,
    each leaving the stack healthy for the next."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ltm-compose-run-")
        cls.project = "ltmtest" + uuid.uuid4().hex[:8]
        cls.env = dict(os.environ, COMPOSE_PROJECT_NAME=cls.project)
        cls.started = False
        try:
            cls.prepare()
            cls.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def prepare(cls):
        copy_tree(cls.dir)
        cls.broker_port, cls.http_port = ltmtest.free_port(), ltmtest.free_port()
        os.makedirs(os.path.join(cls.dir, "var", "receiver"))
        cls.sh(["scripts/compose-env.sh"], timeout=600)
        env_file = os.path.join(cls.dir, ".env")
        set_env_lines(env_file, {
            "LTM_BROKER_PORT": str(cls.broker_port), "PORT": str(cls.http_port),
            # Images of its own: an operator's ltm:local is never replaced.
            "LTM_IMAGE_TAG": "compose-test",
            "LTM_MODE": "live", "LTM_ACCOUNTS_FILE": "/etc/ltm/accounts.json",
            "LTM_HEALTHCHECK_INTERVAL": "2s", "LTM_BROKER_HEALTHCHECK_INTERVAL": "2s",
            "LTM_HEARTBEAT_INTERVAL": "2s",
            "TELEGRAM_BOT_TOKEN": TELEGRAM_MARKER, "TELEGRAM_CHAT_ID": "-1001234567890",
            "OPENAI_API_KEY": OPENAI_MARKER, "OPENAI_BASE_URL": "http://receiver:8080/v1"})
        cls.passwords = read_env(env_file)
        accounts = []
        for name in ACCOUNTS:
            a = {"name": name, "timezone": "UTC",
                 "schedule": {"weekdays": ["mon"], "posts": ["03:17"]},
                 "content": {"language": "en", "prompt": "Unused: jobs carry their text."}}
            a["channel"] = ({"type": "sandbox"} if name == "demo" else
                            {"type": "webhook", "url": "http://receiver:8080/hook"})
            accounts.append(a)
        with open(os.path.join(cls.dir, "config", "accounts.json"), "w") as f:
            json.dump({"accounts": accounts}, f, indent=2)
        with open(os.path.join(cls.dir, "compose.override.yaml"), "w") as f:
            f.write(OVERRIDE)

    @classmethod
    def start(cls):
        t0 = time.monotonic()
        cls.compose("build", timeout=1500)
        log("images built in %.0f s" % (time.monotonic() - t0))
        t0 = time.monotonic()
        cls.started = True
        cls.compose("up", "-d", "--wait", "--wait-timeout", "240", timeout=400)
        log("stack up and healthy in %.0f s" % (time.monotonic() - t0))

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "started", False):
            if getattr(cls, "failed", False):
                proc = cls.compose("logs", "--no-color", "--tail", "40", check=False)
                log("logs of the stack:\n" + proc.stdout[-60000:])
            cls.compose("down", "-v", "--remove-orphans", "-t", "5", check=False, timeout=300)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def run(self, result=None):
        result = super().run(result)
        if result is not None and (result.failures or result.errors):
            type(self).failed = True
        return result

    # --- helpers -----------------------------------------------------------

    @classmethod
    def sh(cls, cmd, timeout=120, check=True, **kw):
        proc = subprocess.run(cmd, cwd=cls.dir, env=cls.env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout, **kw)
        if check and proc.returncode != 0:
            raise AssertionError("%s exited %d:\n%s" % (" ".join(cmd), proc.returncode,
                                                        proc.stdout[-20000:]))
        return proc

    @classmethod
    def compose(cls, *args, timeout=300, check=True):
        return cls.sh([os.path.join(cls.dir, "scripts", "compose.sh")] + list(args),
                      timeout=timeout, check=check)

    def containers(self, service):
        out = self.sh(["docker", "ps", "-q", "--filter", "label=com.docker.compose.project="
                       + self.project, "--filter", "label=com.docker.compose.service=" + service,
                       "--filter", "label=com.docker.compose.oneoff=False"]).stdout
        return sorted(out.split())

    def inspect(self, container, fmt):
        return self.sh(["docker", "inspect", "-f", fmt, container]).stdout.strip()

    def ltmctl(self, *args, timeout=60, check=True):
        env = dict(os.environ, LTM_MQTT_URL="mqtt://127.0.0.1:%d" % self.broker_port,
                   LTM_MQTT_USERNAME="ltmctl",
                   LTM_MQTT_PASSWORD=self.passwords["LTM_PASSWORD_LTMCTL"])
        proc = subprocess.run([os.path.join(ltmtest.BIN_DIR, "ltmctl"), "--json"] + list(args),
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError("ltmctl %s exited %d: %s" % (" ".join(args), proc.returncode,
                                                              proc.stderr))
        return proc

    def submit(self, account, n, spread_s=0):
        """n on-demand posts, due over the next spread_s seconds."""
        def one(i):
            at = "+%ds" % (1 + (i * spread_s) // n)
            out = self.ltmctl("--timeout", "30s", "post", "--account", account, "--text",
                              "compose test %s #%d" % (account, i), "--at", at).stdout
            return json.loads(out.splitlines()[0])["job_id"]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(one, range(n)))
        self.assertEqual(len(set(ids)), n)
        return ids

    def jobs(self, account):
        proc = self.ltmctl("--timeout", "5s", "jobs", "--account", account, "--limit", "500",
                           check=False, timeout=30)
        if proc.returncode != 0:
            return None  # broker or scheduler away for the moment
        return {j["job_id"]: j for j in json.loads(proc.stdout)["jobs"]}

    def wait_final(self, account, ids, timeout=240):
        deadline = time.monotonic() + timeout
        jobs = {}
        while time.monotonic() < deadline:
            jobs = self.jobs(account) or jobs
            if all(jobs.get(i, {}).get("state") in FINAL for i in ids):
                return jobs
            time.sleep(2)
        open_jobs = [(i, jobs.get(i, {}).get("state")) for i in ids
                     if jobs.get(i, {}).get("state") not in FINAL]
        self.fail("%d of %d jobs of %s not final after %d s: %s"
                  % (len(open_jobs), len(ids), account, timeout, open_jobs[:10]))

    def receiver_posts(self):
        with open(os.path.join(self.dir, "var", "receiver", "posts.jsonl")) as f:
            return [json.loads(ln) for ln in f if ln.strip()]

    def tally(self, what, account, ids, jobs):
        """Counts one fault's jobs and asserts none is lost or duplicated."""
        accepted = {}
        for p in self.receiver_posts():
            if p["status"] == 200:
                accepted.setdefault(p["key"], []).append(p)
        counts = {"jobs": len(ids), "published": 0, "failed": 0, "duplicates": 0, "lost": 0}
        reasons = []
        for i in ids:
            job, n = jobs[i], len(accepted.get(i, []))
            if n > 1:
                counts["duplicates"] += 1
            if job["state"] in ("published", "duplicate"):
                if n == 0:
                    counts["lost"] += 1  # reported published, never received
                else:
                    counts["published"] += 1
            else:
                counts["failed"] += 1
                last = job["attempts"][-1] if job["attempts"] else {}
                reason = job.get("reason") or last.get("error")
                reasons.append("%s: %s (%s)" % (i, job["state"], reason))
                self.assertTrue(reason, "final %s without a reason: %s" % (job["state"], job))
        retried = sum(1 for i in ids if jobs[i]["attempt"] > 1)
        counts["lease_expired"] = sum(1 for i in ids for a in jobs[i]["attempts"]
                                      if a.get("outcome") == "lease_expired")
        log("%s: jobs %d, published %d, failed or unconfirmed %d, duplicates %d, lost %d "
            "(%d needed a retry, %d leases expired)%s"
            % (what, counts["jobs"], counts["published"], counts["failed"], counts["duplicates"],
               counts["lost"], retried, counts["lease_expired"],
               "".join("\n  " + r for r in reasons)))
        self.assertEqual(counts["lost"], 0, reasons)
        self.assertEqual(counts["duplicates"], 0,
                         {i: v for i, v in accepted.items() if i in ids and len(v) > 1})
        return counts, accepted

    def health(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/health" % self.http_port,
                                        timeout=5) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")
        except (urllib.error.URLError, OSError):
            return None, None

    def wait_healthy(self, containers, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            states = {c: self.inspect(c, "{{.State.Status}} {{if .State.Health}}"
                                         "{{.State.Health.Status}}{{end}}") for c in containers}
            if all(s in ("running healthy", "running ") for s in states.values()):
                return
            if time.monotonic() > deadline:
                self.fail("not healthy after %d s: %s" % (timeout, states))
            time.sleep(1)

    def in_background(self, fn, *args):
        pool = concurrent.futures.ThreadPoolExecutor(1)
        self.addCleanup(pool.shutdown)
        return pool.submit(fn, *args)

    # --- the tests, in order -------------------------------------------------

    def test_01_up_gives_healthy_containers_and_health_200(self):
        for service in ("broker",) + SERVICES:
            (c,) = self.containers(service)
            self.assertEqual(self.inspect(c, "{{.State.Status}} {{.State.Health.Status}}"),
                             "running healthy", service)
        self.assertEqual(len(self.containers("dlq-archive")), 1)
        status, body = self.health()
        self.assertEqual(status, 200, body)
        self.assertEqual(body["broker"], "connected")

    def test_02_post_through_ltmctl_in_a_container(self):
        proc = self.compose("--profile", "tools", "run", "--rm", "ltmctl", "post",
                            "--account", "demo", "--text", "Hello from compose", "--wait")
        self.assertRegex(proc.stdout, r"post:demo:ondemand:\S+ published by attempt 1: sandbox:")
        job_id = re.search(r"(post:demo:ondemand:\S+) published", proc.stdout).group(1)
        # Its figures are read back at the compressed ages (2 s, 4 s) through
        # the deployed ACL and the poster's engagement role, and shown by
        # ltmctl traffic and on /status.
        def read_twice():
            out = self.ltmctl("traffic", "--days", "1", "--account", "demo", "--posts").stdout
            posts = [p for p in json.loads(out).get("posts", []) if p["job_id"] == job_id]
            return posts if posts and len(posts[0].get("readings", [])) == 2 else None
        (post,) = ltmtest.wait_until(read_twice, 60, "two readings of the compose post")
        self.assertEqual([r["age_ms"] for r in post["readings"]], [2000, 4000])
        latest = post["readings"][-1]["figures"]
        self.assertGreater(latest["impressions"], 0)

        def shown():
            with urllib.request.urlopen("http://127.0.0.1:%d/status" % self.http_port,
                                        timeout=5) as r:
                posts = json.loads(r.read()).get("engagement", {}).get("recent_posts", [])
            mine = [p for p in posts if p["job_id"] == job_id and p.get("latest")]
            return mine if mine and mine[0]["latest"]["age_ms"] == 4000 else None
        (on_status,) = ltmtest.wait_until(shown, 30, "the compose post's figures on /status")
        self.assertEqual(on_status["latest"]["figures"], latest)

    def test_03_three_posters_share_300_jobs_each_published_once(self):
        self.compose("up", "-d", "--scale", "poster=3", "--wait", "--wait-timeout", "120")
        self.assertEqual(len(self.containers("poster")), 3)
        ids = self.submit("scale", 300)
        jobs = self.wait_final("scale", ids)
        counts, accepted = self.tally("scale to 3 posters", "scale", ids, jobs)
        self.assertEqual(counts["published"], 300)
        shares = {}
        for i in ids:
            worker = accepted[i][0]["worker"]
            shares[worker] = shares.get(worker, 0) + 1
        log("shares of the 3 posters: %s" % sorted(shares.values()))
        self.assertEqual(len(shares), 3, shares)
        for worker, n in shares.items():
            self.assertGreaterEqual(n, 30, shares)

    def fault_run(self, what, account, fault, n=60, spread_s=20):
        ids = self.submit(account, n, spread_s)
        fault()
        jobs = self.wait_final(account, ids)
        return self.tally(what, account, ids, jobs)

    def test_04_poster_killed_mid_run(self):
        victim = self.containers("poster")[1]

        def fault():
            time.sleep(5)
            self.sh(["docker", "kill", victim])
            time.sleep(5)
            self.sh(["docker", "start", victim])
        self.fault_run("docker kill a poster", "kill_poster", fault)

    def test_05_broker_restarted_mid_run(self):
        def fault():
            time.sleep(5)
            self.compose("restart", "broker")
        self.fault_run("compose restart broker", "broker_restart", fault)
        self.wait_healthy(self.containers("broker") + [c for s in SERVICES
                                                       for c in self.containers(s)])

    def test_06_poster_cut_off_from_the_network_for_30s(self):
        victim = self.containers("poster")[2]
        network = self.project + "_default"

        def fault():
            time.sleep(5)
            self.sh(["docker", "network", "disconnect", network, victim])
            time.sleep(30)
            self.sh(["docker", "network", "connect", network, victim])
        self.fault_run("network disconnect a poster for 30 s", "net_cut", fault)

    def test_07_scheduler_killed_with_retries_pending(self):
        (scheduler,) = self.containers("scheduler")
        ids = self.submit("kill_scheduler", 60, 10)

        def retries_pending():
            jobs = self.jobs("kill_scheduler") or {}
            return sum(1 for i in ids if jobs.get(i, {}).get("state") == "waiting"
                       and jobs[i]["failures"] > 0)
        ltmtest.wait_until(lambda: retries_pending() >= 3, 30, "retries pending")
        pending = retries_pending()
        self.sh(["docker", "kill", scheduler])
        time.sleep(3)
        self.sh(["docker", "start", scheduler])
        jobs = self.wait_final("kill_scheduler", ids)
        counts, _ = self.tally("docker kill the scheduler with %d retries pending" % pending,
                               "kill_scheduler", ids, jobs)
        retried = [i for i in ids if jobs[i]["failures"] > 0 and jobs[i]["state"] == "published"]
        self.assertGreaterEqual(len(retried), pending)

    def test_08_recreated_posters_take_over_their_predecessors_sessions(self):
        # What an upgrade or a changed setting does: new poster containers
        # (new host names) beside a broker that keeps running. Were they
        # named after their host names, the broker would go on giving the
        # old, offline sessions their round-robin turns, and those jobs would
        # wait for their leases.
        workers_before = {p["worker"] for p in self.receiver_posts()}
        old = self.containers("poster")
        self.compose("up", "-d", "--no-deps", "--force-recreate", "--scale", "poster=3",
                     "--wait", "poster", timeout=300)
        self.assertFalse(set(old) & set(self.containers("poster")), "not re-created")
        ids = self.submit("recreated", 30)
        counts, accepted = self.tally("posters re-created", "recreated", ids,
                                      self.wait_final("recreated", ids))
        self.assertEqual(counts["lease_expired"], 0)
        self.assertLessEqual({accepted[i][0]["worker"] for i in ids}, workers_before)

    def read_volume(self, path):
        (scheduler,) = self.containers("scheduler")
        return self.sh(["docker", "exec", scheduler, "cat", "/var/lib/ltm/" + path]).stdout

    def test_09_down_then_up_keeps_ledger_history_and_queue(self):
        before_jobs = {a: self.jobs(a) for a in ACCOUNTS}
        ltmtest.wait_until(lambda: json.loads(self.read_volume("notifier/queue.json"))
                           .get("entries"), 30, "messages queued for Telegram")
        queue_before = json.loads(self.read_volume("notifier/queue.json"))["entries"]
        workers_before = {p["worker"] for p in self.receiver_posts()}
        self.compose("down", "-t", "20", timeout=300)
        self.assertEqual(self.containers("scheduler"), [])
        # The replica count from .env this time: an `up` without --scale keeps it.
        set_env_lines(os.path.join(self.dir, ".env"), {"LTM_POSTER_REPLICAS": "3"})
        self.compose("up", "-d", "--wait", "--wait-timeout", "180", timeout=400)
        self.assertEqual(len(self.containers("poster")), 3)
        # New containers, same replica ids: the broker sessions of the old
        # ones are taken over, so no job waits for a replica that is gone.
        ids = self.submit("after_up", 30)
        counts, accepted = self.tally("jobs after down/up", "after_up", ids,
                                      self.wait_final("after_up", ids))
        self.assertEqual(counts["lease_expired"], 0)
        self.assertLessEqual({accepted[i][0]["worker"] for i in ids}, workers_before)
        history = json.loads(self.read_volume("sysmonitor/state.json"))
        after_jobs = {a: self.jobs(a) for a in ACCOUNTS}
        for a in ACCOUNTS:
            if a == "after_up":
                continue
            self.assertEqual({i: j["state"] for i, j in after_jobs[a].items()},
                             {i: j["state"] for i, j in before_jobs[a].items()}, a)
        queue_after = json.loads(self.read_volume("notifier/queue.json"))["entries"]
        self.assertGreaterEqual(len(queue_after), len(queue_before))
        self.assertEqual(queue_after[0]["id"], queue_before[0]["id"])
        executions = history.get("history") or history.get("executions") or []
        self.assertGreaterEqual(len(executions), sum(len(j) for j in before_jobs.values()),
                                "execution history did not survive down/up: %s"
                                % sorted(history))
        log("down/up: %d jobs in the ledger, %d queued Telegram messages, %d history "
            "entries kept" % (sum(len(j) for j in after_jobs.values()), len(queue_after),
                              len(executions)))

    def test_10_services_run_unprivileged_on_a_read_only_root(self):
        for service in SERVICES:
            for c in self.containers(service):
                self.assertEqual(self.inspect(c, "{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}"
                                                 " {{.HostConfig.CapDrop}}"),
                                 "ltm:ltm true [ALL]", service)
                status = self.sh(["docker", "exec", c, "cat", "/proc/1/status"]).stdout
                self.assertRegex(status, r"CapEff:\s+0{16}", service)
                self.assertRegex(status, r"Uid:\s+10001\s", service)
                proc = self.sh(["docker", "exec", c, "touch", "/usr/local/bin/x"], check=False)
                self.assertNotEqual(proc.returncode, 0, service)
                self.assertIn("Read-only file system", proc.stdout, service)
                self.sh(["docker", "exec", c, "touch", "/var/lib/ltm/.write-test-" + service])
        (broker,) = self.containers("broker")
        self.assertEqual(self.inspect(broker, "{{.HostConfig.ReadonlyRootfs}} "
                                              "{{.HostConfig.CapDrop}}"), "true [ALL]")
        self.assertEqual(sorted(json.loads(self.inspect(broker, "{{json .HostConfig.CapAdd}}"))),
                         ["CHOWN", "SETGID", "SETUID"])
        broker_status = self.sh(["docker", "exec", broker, "sh", "-c",
                                 "cat /proc/1/status"]).stdout
        self.assertRegex(broker_status, r"CapEff:\s+0{16}")  # dropped to its user
        mode = self.sh(["docker", "exec", broker, "stat", "-c", "%a %U",
                        "/mosquitto/config/acl", "/mosquitto/config/passwd"]).stdout.split("\n")
        self.assertEqual(mode[:2], ["600 mosquitto", "600 mosquitto"])
        (archive,) = self.containers("dlq-archive")
        self.assertEqual(self.inspect(archive, "{{.Config.User}} {{.HostConfig.ReadonlyRootfs}} "
                                               "{{.HostConfig.CapDrop}}"),
                         "mosquitto true [ALL]")

    def test_11_stopped_broker_turns_health_checks_unhealthy_then_healthy(self):
        watched = [c for s in ("scheduler", "notifier", "health-gateway")
                   for c in self.containers(s)]
        started = {c: self.inspect(c, "{{.State.StartedAt}}") for c in watched}
        self.compose("stop", "broker")
        deadline = time.monotonic() + 60
        while any(self.inspect(c, "{{.State.Health.Status}}") != "unhealthy" for c in watched):
            self.assertLess(time.monotonic(), deadline, "services stayed healthy without broker")
            time.sleep(1)
        status, _ = self.health()
        self.assertEqual(status, 503)
        self.compose("start", "broker")
        self.wait_healthy(self.containers("broker") + watched, timeout=90)
        for c in watched:  # healthy again by itself: not restarted
            self.assertEqual(self.inspect(c, "{{.State.StartedAt}}"), started[c])
        ltmtest.wait_until(lambda: self.health()[0] == 200, 30, "/health 200 again")

    def test_12_no_secret_in_logs(self):
        logs = self.compose("logs", "--no-color", timeout=120).stdout
        self.assertIn("mqtt connected", logs)
        secrets = [v for k, v in self.passwords.items() if k.startswith("LTM_PASSWORD_")]
        for secret in secrets + [TELEGRAM_MARKER, OPENAI_MARKER]:
            self.assertNotIn(secret, logs)


if __name__ == "__main__":
    unittest.main()
