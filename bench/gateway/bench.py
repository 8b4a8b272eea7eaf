"""Driver of bench/gateway/run.sh (see there). Arguments: BIN_DIR DURATION_S.

Each server is measured alone while the others are idle: wrk with one
thread and 50 connections, after a 2 s warm-up. With BENCH_PIN=1, wrk is
pinned to core 1 and every server to core 0 (taskset); that is the fairer
split on an idle machine, and the worse one on a machine where other work
runs, so it is off by default. The servers take turns, ROUNDS times, and the
table shows the median of the rounds, so a burst of other work on the
machine does not decide the comparison. The server's CPU use during a run
comes from /proc/<pid>/stat (all its processes): 100 % is one full core.
"""

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
os.environ.setdefault("LTM_BIN_DIR", sys.argv[1] if len(sys.argv) > 1 else "build/bin")
import ltmtest  # noqa: E402  (the integration tests' broker harness)

CONNECTIONS = 50
PIN = os.environ.get("BENCH_PIN") == "1"
SERVER_CPU = ["taskset", "-c", "0"] if PIN else []
CLIENT_CPU = ["taskset", "-c", "1"] if PIN else []
ROUNDS = 3
CLK_TCK = os.sysconf("SC_CLK_TCK")

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    # As a tuned static server would run: no open/fstat/close per request.
    sendfile on;
    tcp_nopush on;
    open_file_cache max=16 inactive=60s;
    open_file_cache_valid 60s;
    client_body_temp_path {dir}/tmp; proxy_temp_path {dir}/tmp;
    fastcgi_temp_path {dir}/tmp; uwsgi_temp_path {dir}/tmp; scgi_temp_path {dir}/tmp;
    server {{
        listen 127.0.0.1:{port};
        location = /health {{ default_type application/json; alias {dir}/health.json; }}
        location = /metrics {{ default_type text/plain; alias {dir}/metrics.txt; }}
    }}
}}
"""


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except FileNotFoundError:
            pass
    return total


def family(pid):
    """pid and its children (gunicorn's worker, nginx's worker)."""
    out = subprocess.run(["pgrep", "-P", str(pid)], stdout=subprocess.PIPE, text=True).stdout
    return [pid] + [int(p) for p in out.split()]


def parse_latency(text):
    value, unit = re.match(r"([0-9.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, seconds, pids, warm_up):
    if warm_up:
        subprocess.run(CLIENT_CPU + ["wrk", "-t1", "-c%d" % CONNECTIONS, "-d2s", url],
                       stdout=subprocess.DEVNULL, check=True)
    before, start = cpu_ticks(pids), time.monotonic()
    out = subprocess.run(CLIENT_CPU + ["wrk", "-t1", "-c%d" % CONNECTIONS, "-d%ds" % seconds, "--latency", url],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    cpu = (cpu_ticks(pids) - before) / CLK_TCK / (time.monotonic() - start) * 100
    try:
        rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
        p99 = parse_latency(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    except AttributeError:
        raise RuntimeError("cannot read wrk's answer for %s (did the server die?):\n%s"
                           % (url, out)) from None
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    return rps, p99, cpu, errors.group(0) if errors else ""


def wait_http(url, proc, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %s" % (url, proc.returncode))
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except urllib.error.HTTPError:
            return  # answering (a 503 before the services reported)
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("%s did not answer" % url)


def feed(broker):
    """Statuses of the five required services, system metrics and results,
    so /health is a 200 naming five services and /metrics has real content."""
    now = int(time.time() * 1000)
    iso = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now / 1000))
    for svc in ("scheduler", "poster", "story-publisher", "sysmonitor", "notifier"):
        st = {"service": svc, "instance": "b1", "state": "online", "version": "0.1.0",
              "host": "bench", "pid": 1, "started_at": iso, "heartbeat_at": iso,
              "heartbeat_interval_ms": 3600000}
        ltmtest.publish(broker, svc, "ltm/status/%s/b1" % svc, st, retain=True)
        ltmtest.publish(broker, svc, "ltm/metrics/%s" % svc,
                        {"service": svc, "instance": "b1", "rss_bytes": 6000000, "cpu_ms": 100,
                         "messages_in": 10, "messages_out": 10, "errors": 0,
                         "dead_letters": 0, "dropped": 0})
    ltmtest.publish(broker, "sysmonitor", "ltm/metrics/system",
                    {"cpu": {"percent": 12.5}, "memory": {"percent": 40.0},
                     "disks": [{"path": "/", "percent": 55.0}], "load": [0.3, 0.2, 0.1]})
    results = [{"job_id": "post:demo:%d" % i, "kind": "post", "account": "demo",
                "attempt": 1, "status": "published", "retryable": False, "final": True,
                "channel": "sandbox", "durations_ms": {"publish": 40 + i},
                "finished_at": iso} for i in range(20)]
    ltmtest.publish_lines(broker, "poster", "ltm/results", results)


def main():
    bin_dir, seconds = sys.argv[1], int(sys.argv[2])
    work = tempfile.mkdtemp(prefix="ltm-bench-gateway-")
    os.chmod(work, 0o755)  # nginx's worker runs as www-data and reads the files
    os.makedirs(os.path.join(work, "tmp"))
    procs, rows = [], []
    broker = ltmtest.Broker()
    try:
        port = ltmtest.free_port()
        env = dict(os.environ, **broker.env_for("health-gateway"), PORT=str(port),
                   LTM_HTTP_BIND="127.0.0.1", LTM_DATA_DIR=work, LTM_INSTANCE="bench",
                   LTM_LOG_LEVEL="warn")
        gw = subprocess.Popen(SERVER_CPU + [os.path.join(bin_dir, "ltm-health-gateway")], env=env)
        procs.append(gw)
        wait_http("http://127.0.0.1:%d/health" % port, gw)
        feed(broker)
        base = "http://127.0.0.1:%d" % port
        deadline = time.monotonic() + 10
        while b'"status":"ok"' not in urllib.request.urlopen(base + "/health").read():
            if time.monotonic() > deadline:
                raise RuntimeError("gateway /health never turned 200")
            time.sleep(0.1)
        time.sleep(1.5)  # let the answers settle (rendered every second)
        for name, path in (("health.json", "/health"), ("metrics.txt", "/metrics")):
            with open(os.path.join(work, name), "wb") as f:
                f.write(urllib.request.urlopen(base + path).read())
        servers = [("ltm-health-gateway (libmicrohttpd, 1 thread)", base, gw.pid)]
        # Idle cost: the answers are re-rendered every second even when nothing happens.
        before, start = cpu_ticks([gw.pid]), time.monotonic()
        time.sleep(seconds)
        idle = (cpu_ticks([gw.pid]) - before) / CLK_TCK / (time.monotonic() - start) * 100

        fport = ltmtest.free_port()
        fenv = dict(os.environ, BENCH_DIR=work, PYTHONPATH=HERE)
        g = subprocess.Popen(SERVER_CPU + ["gunicorn", "-w", "1", "-k", "sync", "-b", "127.0.0.1:%d" % fport,
                              "--log-level", "warning", "flask_health:app"], env=fenv, cwd=HERE)
        procs.append(g)
        wait_http("http://127.0.0.1:%d/health" % fport, g)
        servers.append(("Flask under gunicorn (1 sync worker)", "http://127.0.0.1:%d" % fport, g.pid))

        tport = ltmtest.free_port()
        t = subprocess.Popen(SERVER_CPU + [sys.executable, os.path.join(HERE, "flask_health.py"), str(tport)],
                             env=fenv, stderr=subprocess.DEVNULL)
        procs.append(t)
        wait_http("http://127.0.0.1:%d/health" % tport, t)
        servers.append(("Flask's own threaded server", "http://127.0.0.1:%d" % tport, t.pid))

        nport = ltmtest.free_port()
        conf = os.path.join(work, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(dir=work, port=nport))
        n = subprocess.Popen(SERVER_CPU + ["nginx", "-c", conf, "-p", work], stderr=subprocess.DEVNULL)
        procs.append(n)
        wait_http("http://127.0.0.1:%d/health" % nport, n)
        servers.append(("nginx (1 worker, static file)", "http://127.0.0.1:%d" % nport, n.pid))

        sizes = {p: os.path.getsize(os.path.join(work, f))
                 for f, p in (("health.json", "/health"), ("metrics.txt", "/metrics"))}
        runs = {}
        for r in range(ROUNDS):
            for path in ("/health", "/metrics"):
                for label, url, pid in servers:
                    dead = [p.args for p in procs if p.poll() is not None]
                    if dead:
                        raise RuntimeError("a server exited during the benchmark: %s" % dead)
                    rps, p99, cpu, errors = wrk(url + path, seconds, family(pid), r == 0)
                    runs.setdefault((path, label), []).append((rps, p99, cpu, errors))
                    print("round %d %-8s %-46s %9.0f req/s  p99 %7.2f ms  CPU %4.0f %% %s"
                          % (r + 1, path, label, rps, p99, cpu, errors), file=sys.stderr,
                          flush=True)
        print("\nGateway idle (no requests, default 1 s refresh): %.2f %% of one core over %d s"
              % (idle, seconds))
        with open("/proc/loadavg") as f:
            load = f.read().split()[:3]
        print("\nwrk -t1 -c%d -d%ds --latency, median of %d rounds; /health body %d bytes, "
              "/metrics body %d bytes; %s; load average at the end %s\n"
              % (CONNECTIONS, seconds, ROUNDS, sizes["/health"], sizes["/metrics"],
                 "wrk on core 1, servers on core 0" if PIN else "not pinned", " ".join(load)))
        print("| path | server | req/s | p99 latency | server CPU (100 % = 1 core) "
              "| CPU per request |")
        print("|---|---|---:|---:|---:|---:|")
        for (path, label), results in runs.items():
            med = [statistics.median(x[i] for x in results) for i in range(3)]
            errors = " ".join(x[3] for x in results if x[3])
            # CPU per request is the figure least moved by other work on the machine.
            per_request = statistics.median(x[2] / 100 / x[0] * 1e6 for x in results)
            print("| %s | %s | %.0f | %.2f ms | %.0f %% | %.1f µs |%s"
                  % (path, label, med[0], med[1], med[2], per_request,
                     " " + errors if errors else ""))
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        broker.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
