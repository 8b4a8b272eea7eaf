#!/usr/bin/env python3
"""Measures job -> result round trips through a real broker and ltm-poster,
with TCP_NODELAY set (LTM's default) and without it, side by side.

usage: LTM_BIN_DIR=build/bin python3 bench/mqtt/run.py [JOBS]
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
os.environ.setdefault("LTM_SOURCE_DIR", SOURCE)
os.environ.setdefault("LTM_BIN_DIR", os.path.join(SOURCE, "build", "bin"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
import ltmtest  # noqa: E402
from ltmservice import Service, wait_status  # noqa: E402

jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 400
bench = os.path.join(os.environ["LTM_BIN_DIR"], "bench-mqtt-roundtrip")
rows = []
for nodelay in (1, 0):
    broker = ltmtest.Broker()
    watch = ltmtest.Subscriber(broker, "operator", ["ltm/status/#"])
    poster = Service(broker, "poster", env={
        "LTM_MQTT_TCP_NODELAY": "true" if nodelay else "false", "LTM_LOG_LEVEL": "warn",
        "LTM_HEARTBEAT_INTERVAL": "60s"})
    try:
        wait_status(watch, "poster", "t1", "online")
        for window in (1, 64):
            n = jobs if window > 1 else max(50, jobs // 8)
            out = subprocess.run([bench, broker.url, broker.password("scheduler"), str(n),
                                  str(window), str(nodelay)], stdout=subprocess.PIPE,
                                 check=True, timeout=300).stdout
            rows.append(json.loads(out))
    finally:
        poster.close()
        watch.close()
        broker.close()

print("| TCP_NODELAY | jobs in flight | jobs | jobs/s | p50 ms | p99 ms |")
print("|---|---|---|---|---|---|")
for r in rows:
    print("| %s | %d | %d | %.0f | %d | %d |" % ("on" if r["nodelay"] else "off", r["window"],
                                                r["done"], r["jobs_per_s"], r["p50_ms"],
                                                r["p99_ms"]))
