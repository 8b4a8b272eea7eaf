"""Idle CPU of ltm-sysmonitor at its default settings (10 s interval),
connected to a real broker: CPU time (utime + stime from /proc/<pid>/stat)
over a window that starts after its first sample."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tests", "integration"))
import ltmservice  # noqa: E402
import ltmtest  # noqa: E402


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    window = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    with ltmtest.Broker() as broker:
        svc = ltmservice.Service(broker, "sysmonitor", env={"LTM_HEARTBEAT_INTERVAL": "10s"})
        try:
            with ltmtest.Subscriber(broker, "operator", ["ltm/metrics/system"]) as sub:
                sub.wait_for(timeout=30)
                pid = svc.proc.pid
                c0, t0 = cpu_seconds(pid), time.monotonic()
                time.sleep(window)  # the measurement window itself, not a wait for an event
                c1, t1 = cpu_seconds(pid), time.monotonic()
                samples = len(sub.messages())
            print("sysmonitor idle, default 10 s interval  %.4f %% of one CPU "
                  "(%.0f ms CPU in %.0f s, %d samples published)"
                  % (100 * (c1 - c0) / (t1 - t0), 1000 * (c1 - c0), t1 - t0, samples))
        finally:
            svc.close()


if __name__ == "__main__":
    main()
