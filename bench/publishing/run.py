"""Publishing benchmark (issue 4, item 8): jobs per second through ONE poster in
live mode, publishing each job (with its final text, so one HTTP call per job)
on a webhook channel whose fake API answers in 0 ms and in 300 ms, with the
in-flight limit at 1 and at 64. All four runs side by side, same broker, same
machine. Goal: at 300 ms and 64 in flight, >= 80% of 64/0.3 = 213 jobs/s.

    cmake --build build -j2
    LTM_BIN_DIR=build/bin python3 bench/publishing/run.py [--quick]

A run: start a fresh broker, the fake API and the poster; publish N jobs on
ltm/jobs/post over one connection; time from the first publish until the N-th
result arrived on ltm/results (every result must say published)."""

import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
os.environ.setdefault("LTM_SOURCE_DIR", SOURCE)

import ltmtest  # noqa: E402
from ltmservice import Service  # noqa: E402

sys.path.insert(0, os.path.join(SOURCE, "tests", "integration", "fakes"))
from publishing import wait_consuming  # noqa: E402


def start_fake(delay_ms):
    """The C fake (bench-publishing-fake, built with the project) when built,
    else the asyncio one, which costs ~20 ms per request on a loaded host."""
    port = ltmtest.free_port()
    fast = os.path.join(ltmtest.BIN_DIR, "bench-publishing-fake")
    cmd = [fast] if os.access(fast, os.X_OK) else [sys.executable,
                                                    os.path.join(HERE, "fake_api.py")]
    proc = ltmtest._track(subprocess.Popen(
        cmd + [str(port), str(delay_ms)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    if proc.stdout.readline().strip() != b"ready":
        raise SystemExit("fake API did not start")
    return proc, "http://127.0.0.1:%d/hook" % port


def one_run(delay_ms, inflight, jobs, data_root=None, extra_env=None):
    tmp = tempfile.mkdtemp(prefix="ltm-bench-publishing-")
    fake, url = start_fake(delay_ms)
    accounts = os.path.join(tmp, "accounts.json")
    with open(accounts, "w") as f:
        json.dump({"accounts": [{"name": "bench",
                                 "channel": {"type": "webhook", "url": url}}]}, f)
    with ltmtest.Broker() as broker, \
            ltmtest.Subscriber(broker, "operator", ["ltm/results", "ltm/dlq"]) as results:
        poster = Service(broker, "poster", env={
            "LTM_MODE": "live", "LTM_ACCOUNTS_FILE": accounts, "OPENAI_API_KEY": "unused",
            "LTM_WORKER_INFLIGHT": str(inflight), "LTM_HTTP_TIMEOUT": "30s",
            "LTM_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "warn"), **(extra_env or {})},
            data_dir=tempfile.mkdtemp(prefix="ltm-bench-poster-", dir=data_root))
        try:
            wait_consuming(broker, results, "poster", "t1")
            batch = [{"job_id": "bench-%d-%d-%d" % (delay_ms, inflight, i), "kind": "post",
                      "account": "bench", "attempt": 1, "max_attempts": 3,
                      "slot": "2026-11-27T12:00:00Z", "dispatched_at": "2026-11-27T12:00:00Z",
                      "text": "Benchmark post %d" % i} for i in range(jobs)]
            start = time.monotonic()
            if ltmtest.publish_lines(broker, "scheduler", "ltm/jobs/post", batch, timeout=120):
                raise SystemExit("publishing the jobs failed")
            done = results.wait_count(
                jobs, topic="ltm/results", timeout=600,
                predicate=lambda m: isinstance(m.payload, dict) and
                str(m.payload.get("job_id", "")).startswith("bench-"))
            elapsed = time.monotonic() - start
            bad = [m.payload for m in done if m.payload.get("status") != "published"]
            if bad:
                raise SystemExit("not published: %s" % bad[:3])
            return jobs / elapsed, elapsed
        finally:
            if os.environ.get("BENCH_KEEP_LOG"):
                with open(os.environ["BENCH_KEEP_LOG"], "w") as f:
                    f.write(poster.log())
            poster.close()
            ltmtest._end_process(fake)


def main():
    """Each configuration twice: the poster's data dir (Paho's message
    persistence and the de-duplication database) on the default temporary
    directory's file system, and on tmpfs, which shows what the disk costs."""
    quick = "--quick" in sys.argv
    plan = [(0, 1, 300 if quick else 1500), (0, 64, 1000 if quick else 3000),
            (300, 1, 10 if quick else 30), (300, 64, 500 if quick else 2000)]
    roots = [(None, tempfile.gettempdir())]
    if os.path.isdir("/dev/shm"):
        roots.append(("/dev/shm", "/dev/shm (tmpfs)"))
    print("| API answer | in flight | data dir | jobs | seconds | jobs/s | ideal jobs/s |")
    print("|---|---|---|---|---|---|---|")
    for delay, inflight, jobs in plan:
        for root, label in roots:
            rate, elapsed = one_run(delay, inflight, jobs, root)
            ideal = "%.0f" % (inflight / (delay / 1000.0)) if delay else "-"
            print("| %d ms | %d | %s | %d | %.2f | %.1f | %s |"
                  % (delay, inflight, label, jobs, elapsed, rate, ideal), flush=True)
    # What an fsync per database write (LTM_DB_SYNC=full) costs at the goal's point.
    jobs = 500 if quick else 1000
    rate, elapsed = one_run(300, 64, jobs, None, {"LTM_DB_SYNC": "full"})
    print("| 300 ms | 64 | %s, LTM_DB_SYNC=full | %d | %.2f | %.1f | 213 |"
          % (tempfile.gettempdir(), jobs, elapsed, rate), flush=True)
    # Paho's one-file-per-message persistence off: the in-flight messages of
    # a crashed process are then left to the scheduler's leases.
    jobs = 500 if quick else 2000
    rate, elapsed = one_run(300, 64, jobs, None, {"LTM_MQTT_PERSISTENCE": "memory"})
    print("| 300 ms | 64 | %s, LTM_MQTT_PERSISTENCE=memory | %d | %.2f | %.1f | 213 |"
          % (tempfile.gettempdir(), jobs, elapsed, rate), flush=True)


if __name__ == "__main__":
    main()
