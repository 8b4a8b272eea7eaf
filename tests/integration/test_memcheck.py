"""The six services under valgrind memcheck for a short whole run (issue 14,
item 5): started against one real broker, a post and a story through ltmctl
end to end (scheduler, poster, story-publisher; results seen by sysmonitor,
notifier and gateway), a malformed message on each service's job or command
topic (the dead-letter path), the gateway's pages fetched, then SIGTERM.
Each service must exit 0 with no invalid access, no use of uninitialised
memory and no definitely lost block (valgrind --error-exitcode).

Not run on the sanitizer build (valgrind and ASan do not mix): scripts/test.sh
leaves the `valgrind` label out of that pass.
"""

import os
import re
import shutil
import subprocess
import unittest
import urllib.error
import urllib.request

import ltmtest
from ltmservice import Service, binary, give_accounts

SERVICES = ("scheduler", "poster", "story-publisher", "sysmonitor", "notifier",
            "health-gateway")


class MemcheckService(Service):
    def start(self):
        self.vg_log = os.path.join(self.data_dir, "valgrind-%s.log" % self.name)
        self._log = open(self.log_path, "ab")
        self.proc = ltmtest._track(subprocess.Popen(
            ["valgrind", "--tool=memcheck", "--leak-check=full",
             "--errors-for-leak-kinds=definite", "--error-exitcode=99",
             "--track-origins=yes", "--log-file=" + self.vg_log, binary(self.name)],
            env=self.env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT))
        self.returncode = None
        return self

    def report(self):
        with open(self.vg_log, errors="replace") as f:
            return f.read()


@unittest.skipUnless(shutil.which("valgrind"), "valgrind is not installed "
                     "(scripts/install-deps.sh installs it)")
class MemcheckTest(unittest.TestCase):
    def test_a_short_run_of_every_service_is_clean(self):
        broker = ltmtest.Broker()
        self.addCleanup(broker.close)
        watch = ltmtest.Subscriber(broker, "operator", ["ltm/#"])
        self.addCleanup(watch.close)
        http_port = ltmtest.free_port()
        services = {}
        for name in SERVICES:
            env = {"LTM_HEARTBEAT_INTERVAL": "500ms"}
            if name == "scheduler":
                env.update({"LTM_DAILY_REPORT_AT": "off", "LTM_SCHEDULER_TICK": "200ms"})
            if name == "health-gateway":
                env.update({"PORT": str(http_port), "LTM_HTTP_BIND": "127.0.0.1"})
            if name == "sysmonitor":
                env.update({"LTM_SYSMON_INTERVAL": "500ms"})
            svc = MemcheckService(broker, name, env=env, start=False)
            self.addCleanup(svc.close)
            if name in ("scheduler", "poster", "story-publisher"):
                give_accounts(svc)
            services[name] = svc.start()
        for svc in services.values():
            svc.wait_log("mqtt connected", timeout=90)

        ctl_env = dict(os.environ, **broker.env_for("ltmctl"))
        for kind in ("post", "story"):
            proc = subprocess.run([binary("ltmctl"), "--timeout", "90s", kind, "--account",
                                   "demo", "--text", "under valgrind", "--wait"],
                                  env=ctl_env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=120)
            self.assertEqual(proc.returncode, 0, proc.stdout)
            self.assertIn("published", proc.stdout)
        for topic, user in (("ltm/jobs/post", "scheduler"), ("ltm/jobs/story", "scheduler"),
                            ("ltm/commands/scheduler", "ltmctl"), ("ltm/results", "poster"),
                            ("ltm/alerts", "sysmonitor")):
            ltmtest.publish(broker, user, topic, "{not json")
        ltmtest.wait_until(lambda: len(watch.messages("ltm/dlq")) >= 5, 60,
                           "dead letters of the malformed messages")
        for page in ("/health", "/status", "/metrics", "/"):
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d%s" % (http_port, page),
                                            timeout=30) as r:
                    r.read()
            except urllib.error.HTTPError as e:  # /health may be 503 while one is starting
                e.read()

        for name, svc in services.items():
            code = svc.stop(timeout=60)
            report = svc.report()
            summary = re.findall(r"ERROR SUMMARY: .*", report)
            self.assertEqual(code, 0, "ltm-%s under valgrind exited %s:\n%s"
                             % (name, code, report[-6000:]))
            self.assertTrue(summary and summary[-1].startswith("ERROR SUMMARY: 0 errors"),
                            "ltm-%s: %s" % (name, report[-6000:]))
            self.assertRegex(report, r"definitely lost: 0 bytes|All heap blocks were freed")
            leak = re.search(r"definitely lost: ([\d,]+) bytes", report)
            print("memcheck ltm-%s: %s, definitely lost %s bytes" % (
                name, summary[-1], leak.group(1) if leak else "0"), flush=True)


if __name__ == "__main__":
    unittest.main()
