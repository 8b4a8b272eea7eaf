"""The seed system's stack for the gateway benchmark: a Flask app answering
/health and /metrics with fixed bytes (the same bytes the gateway answered,
read from files), run under gunicorn (one sync worker) or under Flask's own
threaded server as the seed system ran it.

    BENCH_DIR=<dir with health.json and metrics.txt> gunicorn -w 1 -k sync flask_health:app
    BENCH_DIR=<dir> python3 flask_health.py PORT
"""

import os
import sys

from flask import Flask, Response

_dir = os.environ["BENCH_DIR"]
with open(os.path.join(_dir, "health.json"), "rb") as f:
    HEALTH = f.read()
with open(os.path.join(_dir, "metrics.txt"), "rb") as f:
    METRICS = f.read()

app = Flask(__name__)


@app.route("/health")
def health():
    return Response(HEALTH, status=200, mimetype="application/json")


@app.route("/metrics")
def metrics():
    return Response(METRICS, status=200, content_type="text/plain; version=0.0.4; charset=utf-8")


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
