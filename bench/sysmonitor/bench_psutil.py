"""The same sample taken with psutil (Debian's python3-psutil), for
bench/sysmonitor/run.sh: CPU percent per core, virtual_memory, disk_usage of
each path, net_io_counters per interface. Prints µs of process CPU time per
sample, measured like bench-sysmonitor (process CPU clock)."""

import sys
import time

import psutil


def sample(disks):
    psutil.cpu_percent(percpu=True)
    psutil.virtual_memory()
    for d in disks:
        psutil.disk_usage(d)
    psutil.net_io_counters(pernic=True)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    disks = sys.argv[2:] or ["/"]
    for _ in range(200):
        sample(disks)
    total = 0.0
    for _ in range(5):
        t0 = time.process_time()
        for _ in range(n // 5):
            sample(disks)
        total += (time.process_time() - t0) / (n // 5)
    print("psutil %s sample                   %7.1f us/sample" % (psutil.__version__, total / 5 * 1e6))


if __name__ == "__main__":
    main()
