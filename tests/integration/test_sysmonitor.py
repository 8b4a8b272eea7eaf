"""ltm-sysmonitor against a real broker.

The figures are compared with what free, df and /proc/net/dev say on this
machine; a small tmpfs (or, where mounting is not allowed, a threshold set
just above the current usage of a temporary directory's file system) is
filled to raise host.disk and emptied to resolve it; alerts with hold and
hysteresis are driven through a /proc the test writes (LTM_SYSMON_PROC_DIR);
the history survives a restart and a crash. Every interval is compressed
through the settings.
"""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

import ltmservice
import ltmtest

FAST = {
    "LTM_SYSMON_INTERVAL": "200ms",
    "LTM_SYSMON_HOLD_SAMPLES": "2",
    "LTM_SYSMON_CLEAR_SAMPLES": "2",
    "LTM_SYSMON_SAVE_INTERVAL": "300ms",
    "LTM_SYSMON_SUMMARY_INTERVAL": "500ms",
    "LTM_HEARTBEAT_INTERVAL": "500ms",
}


def iso(ts=None):
    t = time.time() if ts is None else ts
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


def result(job_id, attempt=1, status="published", account="demo", kind="post", generate=100):
    r = {"job_id": job_id, "kind": kind, "account": account, "attempt": attempt,
         "status": status, "retryable": False, "final": status == "published",
         "channel": "sandbox", "worker": "ltm-poster-t1",
         "durations_ms": {"generate": generate, "image": 0, "publish": 20},
         "finished_at": iso()}
    if status != "published":
        r.update({"error_class": "network", "error": "timed out"})
    return r


def load_json(path):
    with open(path) as f:
        return json.load(f)


def is_dict(m):
    return isinstance(m.payload, dict)


class FakeProc:
    """A /proc the test writes: stat advances in a background thread at the
    CPU share asked for; meminfo says the memory share asked for. Files are
    rewritten in place with fixed-width numbers (the sysmonitor keeps them
    open and re-reads them, like the kernel's)."""

    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, "net"))
        os.makedirs(os.path.join(root, "self"))
        for name in ("net/dev", "loadavg", "uptime"):
            shutil.copyfile("/proc/" + name, os.path.join(root, name))
        with open(os.path.join(root, "self", "cgroup"), "w") as f:
            f.write("0::/\n")
        self.cpu = 10.0
        self.busy = self.idle = 0
        self._stop = threading.Event()
        self.set_memory(10.0)
        self._write_stat()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _put(self, name, text):
        path = os.path.join(self.root, name)
        mode = "r+" if os.path.exists(path) else "w"
        with open(path, mode) as f:
            f.write(text)

    def _write_stat(self):
        line = "%12d 0 0 %12d 0 0 0 0 0 0" % (self.busy, self.idle)
        self._put("stat", "cpu  %s\ncpu0 %s\nctxt 1\n" % (line, line))

    def _run(self):
        while not self._stop.wait(0.02):
            busy = int(round(self.cpu * 10))
            self.busy += busy
            self.idle += 1000 - busy
            self._write_stat()

    def set_memory(self, percent):
        total = 8 * 1024 * 1024
        available = int(total * (100 - percent) / 100)
        self._put("meminfo", "MemTotal:       %12d kB\nMemFree:        %12d kB\n"
                             "MemAvailable:   %12d kB\n" % (total, available, available))

    def close(self):
        self._stop.set()
        self._thread.join()


class SysmonCase(unittest.TestCase):
    def setUp(self):
        self.broker = ltmtest.Broker()
        self.addCleanup(self.broker.close)
        self.watch = ltmtest.Subscriber(self.broker, "operator", ["ltm/#"])
        self.addCleanup(self.watch.close)
        self.data_dir = tempfile.mkdtemp(prefix="ltm-sysmon-test-")
        self.addCleanup(shutil.rmtree, self.data_dir, True)

    def start(self, env=None, wait_online=True):
        since = self.watch.mark()
        svc = ltmservice.Service(self.broker, "sysmonitor", env=dict(FAST, **(env or {})),
                                 data_dir=self.data_dir)
        self.addCleanup(svc.close)
        self.addCleanup(self.show_log_on_failure, svc)
        if wait_online:
            ltmservice.wait_status(self.watch, "sysmonitor", "t1", "online", since=since)
        return svc

    def show_log_on_failure(self, svc):
        result = getattr(getattr(self, "_outcome", None), "result", None)
        failed = result and any(t is self for t, _ in result.failures + result.errors)
        if failed:
            print("\n--- sysmonitor log ---\n" + svc.log()[-5000:])

    def next_sample(self, predicate=None, timeout=10.0, since=None):
        return self.watch.wait_for(
            lambda m: is_dict(m) and (predicate is None or predicate(m.payload)),
            topic="ltm/metrics/system", timeout=timeout,
            since=self.watch.mark() if since is None else since).payload

    def alert(self, key, state, since, timeout=10.0):
        return self.watch.wait_for(
            lambda m: is_dict(m) and m.payload.get("key") == key
            and m.payload.get("state") == state,
            topic="ltm/alerts", timeout=timeout, since=since).payload

    def alerts(self, key, since=0):
        return [m.payload for m in self.watch.messages("ltm/alerts", since)
                if is_dict(m) and m.payload.get("key") == key]


def read_net_dev():
    out = {}
    with open("/proc/net/dev") as f:
        for line in f.readlines()[2:]:
            name, _, rest = line.partition(":")
            v = rest.split()
            out[name.strip()] = (int(v[0]), int(v[8]))
    return out


class FiguresTest(SysmonCase):
    def test_figures_match_free_df_and_proc_net_dev(self):
        self.start({"LTM_SYSMON_DISKS": "/, " + self.data_dir})
        before = read_net_dev()
        after_before_ms = int(time.time() * 1000) + 1
        # A sample taken after `before` was read (its "at" is taken before
        # its own reads), then read again: each counter lies in between.
        s = self.next_sample(
            lambda p: p["at"] >= iso(after_before_ms / 1000.0))
        after = read_net_dev()
        free = subprocess.run(["free", "-b"], check=True, capture_output=True, text=True).stdout
        mem = free.splitlines()[1].split()
        total, available = int(mem[1]), int(mem[6])
        self.assertEqual(s["memory"]["total_bytes"], total)
        self.assertLess(abs(s["memory"]["available_bytes"] - available), total * 0.02)
        self.assertAlmostEqual(s["memory"]["host_percent"], 100.0 * (total - available) / total,
                               delta=2.0)

        df = subprocess.run(["df", "-B1", "--output=target,size,used,avail,pcent", "/"],
                            check=True, capture_output=True, text=True).stdout
        _, size, used, avail, pcent = df.splitlines()[1].split()
        disk = next(d for d in s["disks"] if d["path"] == "/")
        self.assertEqual(disk["total_bytes"], int(size))
        # Others write to this disk meanwhile: within 0.5 % of its size.
        self.assertLess(abs(disk["used_bytes"] - int(used)), int(size) * 0.005)
        self.assertLess(abs(disk["available_bytes"] - int(avail)), int(size) * 0.005)
        self.assertLessEqual(abs(disk["percent"] - int(pcent.rstrip("%"))), 1.0)
        self.assertTrue(any(d["path"] == self.data_dir for d in s["disks"]))

        nets = {n["interface"]: n for n in s["network"]}
        self.assertLessEqual(set(nets), set(after))
        self.assertIn("lo", nets)
        for name, n in nets.items():
            self.assertLessEqual(before[name][0], n["rx_bytes"], name)
            self.assertLessEqual(n["rx_bytes"], after[name][0], name)
            self.assertLessEqual(before[name][1], n["tx_bytes"], name)
            self.assertLessEqual(n["tx_bytes"], after[name][1], name)
            self.assertGreaterEqual(n["rx_bytes_per_s"], 0)
        self.assertGreater(nets["lo"]["rx_bytes_per_s"], 0)  # our own MQTT traffic

        self.assertEqual(s["cpu"]["cores"], os.cpu_count())
        self.assertEqual(len(s["cpu"]["per_core"]), os.cpu_count())
        self.assertTrue(0 <= s["cpu"]["percent"] <= 100)
        self.assertAlmostEqual(s["load"][0], os.getloadavg()[0], delta=1.5)
        with open("/proc/uptime") as f:
            self.assertAlmostEqual(s["uptime_s"], float(f.read().split()[0]), delta=5)
        self.assertEqual(s["source"], "sysmonitor")

    def test_bad_settings_stop_it_at_start(self):
        for env, name in (({"LTM_SYSMON_DISKS": "relative/path"}, "LTM_SYSMON_DISKS"),
                          ({"LTM_SYSMON_DISKS": "/no/such/mount"}, "LTM_SYSMON_DISKS"),
                          ({"LTM_SYSMON_DISKS": "/tmp, /tmp"}, "LTM_SYSMON_DISKS"),
                          ({"LTM_SYSMON_CPU_THRESHOLD": "120"}, "LTM_SYSMON_CPU_THRESHOLD"),
                          ({"LTM_SYSMON_HOLD_SAMPLES": "0"}, "LTM_SYSMON_HOLD_SAMPLES"),
                          ({"LTM_SYSMON_PROC_DIR": "/nonexistent"}, "LTM_SYSMON_PROC_DIR")):
            svc = self.start(env, wait_online=False)
            self.assertEqual(svc.wait_exit(), 78, env)
            self.assertIn(name, svc.log())


class DiskAlertTest(SysmonCase):
    def mount_tmpfs(self):
        mnt = tempfile.mkdtemp(prefix="ltm-sysmon-tmpfs-")
        self.addCleanup(os.rmdir, mnt)
        if os.geteuid() != 0 or subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt],
                capture_output=True).returncode != 0:
            return mnt, False
        self.addCleanup(subprocess.run, ["umount", "-l", mnt], capture_output=True)
        return mnt, True

    def test_filled_file_system_fires_and_clearing_resolves(self):
        mnt, is_tmpfs = self.mount_tmpfs()
        if is_tmpfs:
            threshold, fill = 50, 3 * 1024 * 1024  # 3 of 4 MB: 75 %
        else:
            # No mount allowed: a threshold just above the directory's
            # file system's current usage, crossed by a 64 MB file.
            st = os.statvfs(mnt)
            used = (st.f_blocks - st.f_bfree) * st.f_frsize
            usable = used + st.f_bavail * st.f_frsize
            fill = 64 * 1024 * 1024
            threshold = 100.0 * (used + fill / 2) / usable
        self.start({"LTM_SYSMON_DISKS": mnt, "LTM_SYSMON_DISK_THRESHOLD": "%.6f" % threshold,
                    "LTM_SYSMON_HYSTERESIS": "0" if not is_tmpfs else "5"})
        key = "host.disk:" + mnt
        mark = self.watch.mark()
        self.next_sample()
        self.assertEqual(self.alerts(key, mark), [])
        path = os.path.join(mnt, "fill")
        with open(path, "wb") as f:
            f.write(b"\0" * fill)
            f.flush()
            os.fsync(f.fileno())
        fired = self.alert(key, "firing", mark)
        self.assertGreater(fired["value"], threshold)
        self.assertAlmostEqual(fired["threshold"], threshold, places=3)
        self.assertEqual(fired["source"], "sysmonitor")
        self.assertEqual(fired["severity"], "critical")
        os.unlink(path)
        resolved = self.alert(key, "resolved", mark)
        self.assertLess(resolved["value"], threshold)
        self.assertEqual(resolved["since"], fired["since"])
        self.assertLessEqual(fired["since"], fired["at"])
        # One incident, one firing, one resolved.
        self.next_sample()
        self.assertEqual([a["state"] for a in self.alerts(key, mark)], ["firing", "resolved"])


class VanishedDiskTest(SysmonCase):
    def test_vanished_disk_is_reported_in_metrics_and_logged_once(self):
        disk = tempfile.mkdtemp(prefix="ltm-sysmon-disk-")
        self.addCleanup(shutil.rmtree, disk, True)
        svc = self.start({"LTM_SYSMON_DISKS": disk})
        self.next_sample(lambda p: "percent" in p["disks"][0])
        os.rmdir(disk)
        s = self.next_sample(lambda p: "error" in p["disks"][0])
        self.assertEqual(s["disks"][0]["path"], disk)
        mark = self.watch.mark()
        ltmtest.wait_until(lambda: len(self.watch.messages("ltm/metrics/system", mark)) >= 5,
                           10, "5 more samples")
        svc.wait_log("disk usage unavailable", count=1)
        self.assertEqual(svc.log().count("disk usage unavailable"), 1)
        os.mkdir(disk)
        svc.wait_log("disk usage available again")
        self.next_sample(lambda p: "percent" in p["disks"][0])


class ThresholdTest(SysmonCase):
    def setUp(self):
        super().setUp()
        self.proc = FakeProc(tempfile.mkdtemp(prefix="ltm-sysmon-proc-"))
        self.addCleanup(shutil.rmtree, self.proc.root, True)
        self.addCleanup(self.proc.close)

    def test_cpu_and_memory_hold_and_hysteresis(self):
        self.start({"LTM_SYSMON_PROC_DIR": self.proc.root, "LTM_SYSMON_CPU_THRESHOLD": "80",
                    "LTM_SYSMON_MEMORY_THRESHOLD": "50", "LTM_SYSMON_HYSTERESIS": "10",
                    "LTM_SYSMON_HOLD_SAMPLES": "3", "LTM_SYSMON_CLEAR_SAMPLES": "3"})
        mark = self.watch.mark()
        self.proc.cpu = 95.0
        self.proc.set_memory(90.0)
        cpu = self.alert("host.cpu", "firing", mark)
        self.assertGreater(cpu["value"], 80)
        self.assertEqual(cpu["threshold"], 80)
        mem = self.alert("host.memory", "firing", mark)
        self.assertAlmostEqual(mem["value"], 90.0, delta=0.1)
        # Held: at least 3 samples above before firing (the metrics of the
        # firing sample are published just after the alert: wait for them).
        self.next_sample(lambda p: "host.memory" in p["alerts_firing"], since=mark)
        above = [m for m in self.watch.messages("ltm/metrics/system", mark)
                 if is_dict(m) and m.payload["at"] <= mem["at"]
                 and m.payload["memory"]["percent"] > 50]
        self.assertGreaterEqual(len(above), 3)

        # Inside the hysteresis band (below 50, above 40): keeps firing.
        self.proc.set_memory(45.0)
        band = self.watch.mark()

        def in_band():
            return [m.payload for m in self.watch.messages("ltm/metrics/system", band)
                    if is_dict(m) and m.payload["memory"]["percent"] == 45.0]
        ltmtest.wait_until(lambda: len(in_band()) >= 6, 10, "6 samples inside the band")
        samples = in_band()
        self.assertGreaterEqual(len(samples), 4)
        self.assertEqual([a["state"] for a in self.alerts("host.memory", mark)], ["firing"])
        self.assertIn("host.memory", samples[-1]["alerts_firing"])

        self.proc.set_memory(20.0)
        resolved = self.alert("host.memory", "resolved", mark)
        self.assertEqual(resolved["since"], mem["since"])
        self.proc.cpu = 5.0
        self.alert("host.cpu", "resolved", mark)
        self.assertEqual([a["state"] for a in self.alerts("host.cpu", mark)],
                         ["firing", "resolved"])

    def test_firing_alert_survives_a_restart_without_firing_twice(self):
        env = {"LTM_SYSMON_PROC_DIR": self.proc.root, "LTM_SYSMON_MEMORY_THRESHOLD": "50"}
        svc = self.start(env)
        mark = self.watch.mark()
        self.proc.set_memory(90.0)
        fired = self.alert("host.memory", "firing", mark)
        self.assertEqual(svc.stop(), 0)
        svc = self.start(env)
        self.next_sample()
        self.next_sample()
        self.next_sample()
        self.assertEqual([a["state"] for a in self.alerts("host.memory", mark)], ["firing"])
        self.proc.set_memory(10.0)
        resolved = self.alert("host.memory", "resolved", mark)
        self.assertEqual(resolved["since"], fired["since"])


class HistoryTest(SysmonCase):
    def summary(self, predicate, since=None, timeout=10.0):
        return self.watch.wait_for(
            lambda m: is_dict(m) and predicate(m.payload), topic="ltm/metrics/summary",
            since=self.watch.mark() if since is None else since, timeout=timeout).payload

    def publish_results(self, results):
        self.assertEqual(ltmtest.publish_lines(self.broker, "scheduler", "ltm/results", results),
                         0)

    def test_history_counts_attempts_once_and_survives_restart_and_crash(self):
        svc = self.start()
        job = "post:demo:" + uuid.uuid4().hex
        self.publish_results([
            result(job, 1, "failed", generate=100),
            result(job, 1, "failed", generate=100),  # redelivered: counted once
            result(job, 2, "published", generate=300),
            result("story:shop:1", 1, "published", account="shop", kind="story", generate=50),
        ])
        s = self.summary(lambda p: p["periods"]["hour"]["all"]["count"] == 3)
        hour = s["periods"]["hour"]
        self.assertEqual(hour["all"]["succeeded"], 2)
        self.assertEqual(hour["all"]["retries"], 1)
        self.assertAlmostEqual(hour["all"]["success_rate"], 2 / 3, places=6)
        self.assertEqual(hour["all"]["max_ms"], 320)
        self.assertEqual(hour["kinds"]["post"]["count"], 2)
        self.assertEqual(hour["accounts"]["shop"]["count"], 1)
        self.assertEqual(s["periods"]["week"]["all"]["count"], 3)
        svc.wait_log("performance summary period=hour count=3")

        # A clean restart: the state saved at shutdown is loaded.
        self.assertEqual(svc.stop(), 0)
        state_path = os.path.join(self.data_dir, "sysmonitor", "state.json")
        self.assertEqual(len(load_json(state_path)["history"]), 3)
        svc = self.start()
        svc.wait_log("state loaded .*entries=3")
        self.publish_results([result(job, 2, "published", generate=300)])  # old duplicate
        self.summary(lambda p: p["periods"]["day"]["all"]["count"] == 3)

        # A crash (SIGKILL) after a periodic save loses nothing saved.
        self.publish_results([result("post:demo:x", 1, "published")])
        self.summary(lambda p: p["periods"]["day"]["all"]["count"] == 4)
        ltmtest.wait_until(lambda: len(load_json(state_path)["history"]) == 4, 5,
                           "a periodic save with 4 entries")
        svc.kill()
        svc = self.start()
        svc.wait_log("state loaded .*entries=4")
        self.summary(lambda p: p["periods"]["day"]["all"]["count"] == 4)
        backups = [n for n in os.listdir(os.path.dirname(state_path)) if n.startswith("state.json.")]
        self.assertIn("state.json.1", backups)

    def test_corrupt_state_is_moved_aside_and_a_backup_used(self):
        svc = self.start({"LTM_SYSMON_BACKUP_INTERVAL": "0"})
        self.publish_results([result("post:demo:a", 1, "published")])
        self.summary(lambda p: p["periods"]["hour"]["all"]["count"] == 1)
        state_dir = os.path.join(self.data_dir, "sysmonitor")
        state_path = os.path.join(state_dir, "state.json")
        # Once a save holds the entry, the save at shutdown makes it the backup.
        ltmtest.wait_until(lambda: len(load_json(state_path)["history"]) == 1, 5,
                           "a periodic save with the entry")
        self.assertEqual(svc.stop(), 0)
        self.assertEqual(len(load_json(state_path + ".1")["history"]), 1)
        with open(os.path.join(state_dir, "state.json"), "w") as f:
            f.write('{"format":"ltm-sysmonitor-state","version":1,"history":[{"jo')
        svc = self.start()
        svc.wait_log("state file unusable, moved aside")
        svc.wait_log("state loaded path=%s/state.json.1" % state_dir)
        self.assertTrue(any(n.startswith("state.json.corrupt-") for n in os.listdir(state_dir)))
        self.summary(lambda p: p["periods"]["hour"]["all"]["count"] == 1)

    def test_bad_result_goes_to_dlq_and_service_keeps_serving(self):
        self.start()
        mark = self.watch.mark()
        self.assertEqual(ltmtest.publish(self.broker, "scheduler", "ltm/results",
                                         '{"job_id":"x","attempt":"one"}'), 0)
        dlq = self.watch.wait_for(lambda m: is_dict(m) and m.payload.get("service") == "sysmonitor",
                                  topic="ltm/dlq", since=mark).payload
        self.assertIn("ltm/results", dlq["topic"])
        self.publish_results([result("post:demo:after", 1, "published")])
        self.summary(lambda p: p["periods"]["hour"]["all"]["count"] == 1)


if __name__ == "__main__":
    unittest.main()
