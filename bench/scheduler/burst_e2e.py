#!/usr/bin/env python3
"""End-to-end lateness of a burst (issue 14 item 6): the real ltm-scheduler
and the real broker (mosquitto from the project's config, on a free loopback
port), N slots due at the same minute across A accounts, and mosquitto_sub
on ltm/jobs/post and ltm/jobs/story stamping each arrival (%U). Lateness =
arrival - slot instant. Prints one line per configuration:

  burst_e2e jobs=N accounts=A ahead=10s persistence=memory received=N p50_ms=... p99_ms=... max_ms=... first_ms=...

usage: burst_e2e.py [--build DIR] [--burst N] [--accounts A]
                    [--config AHEAD/PERSISTENCE ...]
  --config 0/file    the design before issue 14 (record at the slot, Paho
                     file persistence)
  --config 10s/memory  the defaults after it (the default config list runs
                     both, the old one first)
  --config mosquitto_pub  the transport's floor: N job-sized messages from
                     mosquitto_pub -l -q 1 through the same broker to the same
                     subscriber, lateness counted from its start

The slot is the next minute at least 15 s away, so one configuration takes
15-75 s of waiting for the wall clock: slots are whole minutes."""

import argparse
import datetime
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(SOURCE, "build"))
    ap.add_argument("--burst", type=int, default=10000)
    ap.add_argument("--accounts", type=int, default=5000)
    ap.add_argument("--config", action="append")
    ap.add_argument("--sub-qos", default="1", help="QoS of the timestamping subscription "
                    "(workers subscribe with 1)")
    args = ap.parse_args()
    if args.burst > 2 * args.accounts:
        sys.exit("burst_e2e: --burst N needs N <= 2 x --accounts (one post and one story slot "
                 "per account and minute)")
    os.environ["LTM_BIN_DIR"] = os.path.join(os.path.abspath(args.build), "bin")
    os.environ["LTM_SOURCE_DIR"] = SOURCE
    sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
    import ltmtest
    from ltmservice import Service

    configs = args.config or ["0/file", "10s/memory"]
    with ltmtest.Broker() as broker:
        for config in configs:
            if config == "mosquitto_pub":
                print(reference_run(ltmtest, broker, args.burst), flush=True)
                continue
            ahead, persistence = config.split("/")
            print(one_run(ltmtest, Service, broker, args.burst, args.accounts, ahead,
                          persistence, args.sub_qos), flush=True)


def start_subscriber(ltmtest, broker, arrivals, sub_qos):
    out = open(arrivals, "wb")
    sub = subprocess.Popen(
        ["stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port),
         "-u", "operator", "-P", broker.password("operator"), "-q", sub_qos, "-d",
         "-t", "ltm/jobs/post", "-t", "ltm/jobs/story", "-F", "%U"],
        stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)

    def subscribed():
        with open(arrivals) as f:
            return f.read().count("Subscribed (mid:") >= 1
    ltmtest.wait_until(subscribed, 10, "mosquitto_sub subscribed")
    return sub, out


def stamps(arrivals):
    with open(arrivals) as f:
        return [float(line) for line in f if line[:1].isdigit()]


def summary(late):
    def pct(p):
        return late[int(p * (len(late) - 1))]
    return "received=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f first_ms=%.1f" % (
        len(late), pct(0.5), pct(0.99), late[-1], late[0])


def reference_run(ltmtest, broker, jobs, sub_qos="1"):
    """The transport's floor: the same number of job-sized messages sent by
    Mosquitto's own client (mosquitto_pub -l -q 1, one connection) through the
    same broker to the same subscriber; lateness counts from its start."""
    tmp = tempfile.mkdtemp(prefix="ltm-burst-ref-")
    arrivals = os.path.join(tmp, "arrivals.txt")
    sub, out = start_subscriber(ltmtest, broker, arrivals, sub_qos)
    payload = json.dumps({"job_id": "post:acct-1234:2026-11-23T09:00:00Z", "kind": "post",
                          "account": "acct-1234", "attempt": 1, "max_attempts": 3,
                          "slot": "2026-11-23T09:00:00.000Z",
                          "dispatched_at": "2026-11-23T09:00:00.000Z", "lease_ms": 600000})
    try:
        start = time.time()
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-u",
                        "scheduler", "-P", broker.password("scheduler"), "-q", "1",
                        "-t", "ltm/jobs/post", "-l"],
                       input=("\n".join([payload] * jobs) + "\n").encode(), check=True)
        ltmtest.wait_until(lambda: len(stamps(arrivals)) >= jobs, 60, "all arrived")
        got = sorted(stamps(arrivals))
    finally:
        sub.terminate()
        sub.wait()
        out.close()
        shutil.rmtree(tmp, True)
    return "burst_e2e jobs=%d config=mosquitto_pub %s" % (
        jobs, summary([(t - start) * 1000.0 for t in got]))


def one_run(ltmtest, Service, broker, jobs, accounts, ahead, persistence, sub_qos):
    now = time.time()
    slot = math.ceil((now + 15) / 60) * 60
    hhmm = time.strftime("%H:%M", time.gmtime(slot))
    data_dir = tempfile.mkdtemp(prefix="ltm-burst-e2e-")
    items = []
    for i in range(accounts):
        schedule = {"posts": [hhmm]}
        if i < jobs - accounts:
            schedule["stories"] = [hhmm]
        items.append({"name": "acct-%d" % i, "timezone": "UTC", "schedule": schedule})
    accounts_file = os.path.join(data_dir, "accounts.json")
    with open(accounts_file, "w") as f:
        json.dump({"accounts": items}, f)
    arrivals = os.path.join(data_dir, "arrivals.txt")
    sub, out = start_subscriber(ltmtest, broker, arrivals, sub_qos)
    sched = Service(broker, "scheduler", data_dir=data_dir, start=False, env={
        "LTM_ACCOUNTS_FILE": accounts_file, "LTM_DISPATCH_AHEAD": ahead,
        "LTM_MQTT_PERSISTENCE": persistence, "LTM_DAILY_REPORT_AT": "off",
        "LTM_HEARTBEAT_INTERVAL": "10s"})
    try:
        sched.start()
        sched.wait_log("mqtt connected", timeout=30)
        deadline = slot + 120
        while len(stamps(arrivals)) < jobs and time.time() < deadline:
            time.sleep(0.5)
        got = sorted(stamps(arrivals))
        log = sched.log()
    finally:
        sched.close()
        sub.terminate()
        sub.wait()
        out.close()
        shutil.rmtree(data_dir, True)
    late = [(t - slot) * 1000.0 for t in got]
    # The service logs "job dispatched" once every job of the instant was
    # handed to MQTT (armed) or per batch (not armed): the last such line
    # bounds the time the scheduler itself took.
    logged = [line[:23] for line in log.splitlines() if "job dispatched" in line]
    handed = ""
    if logged:
        last = datetime.datetime.strptime(logged[-1], "%Y-%m-%dT%H:%M:%S.%f").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        handed = " logged_ms=%.0f" % ((last - slot) * 1000.0)
    head = "burst_e2e jobs=%d accounts=%d ahead=%s persistence=%s sub_qos=%s" % (
        jobs, accounts, ahead, persistence, sub_qos)
    if not late:
        return head + " received=0"
    return "%s %s%s" % (head, summary(late), handed)


if __name__ == "__main__":
    main()
