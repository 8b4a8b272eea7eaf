"""Webhook receiver of the compose test (test_compose.py), run in a container
on the stack's compose network: the containers reach it by name, and no
traffic leaves the Docker networks the test made.

POST /hook: the webhook channel's request (docs/publishing.md). Each one is
appended to /data/posts.jsonl (flushed and fsync'd before the answer, so the
test's count survives a kill of anything else) with the Idempotency-Key, the
attempt, the worker and the answer given. The first request of every
FAIL_EVERY-th job (by the job id's hash, so a re-run answers alike) gets a
503, which leaves that job with a retry pending; the others get 200
{"id": ...} after DELAY_MS.

POST /bot<token>/sendMessage: Telegram's Bot API answering 502 Bad Gateway
(its shape: {"ok": false, "error_code", "description"}), so the notifier keeps
its messages queued on disk, and the test can see the queue survive a
`down`/`up`.
"""

import hashlib
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DATA = os.environ.get("DATA_DIR", "/data")
FAIL_EVERY = int(os.environ.get("FAIL_EVERY", "0"))
DELAY = int(os.environ.get("DELAY_MS", "0")) / 1000.0

lock = threading.Lock()
seen = set()
log = open(os.path.join(DATA, "posts.jsonl"), "a", encoding="utf-8")


def record(entry):
    with lock:
        log.write(json.dumps(entry) + "\n")
        log.flush()
        os.fsync(log.fileno())


def fails_first(job_id):
    if FAIL_EVERY <= 0:
        return False
    digest = hashlib.sha256(job_id.encode()).digest()
    return int.from_bytes(digest[:4], "big") % FAIL_EVERY == 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.answer(200 if self.path == "/ready" else 404, {"ok": self.path == "/ready"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.startswith("/bot") and self.path.endswith("/sendMessage"):
            self.answer(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
            return
        if self.path != "/hook":
            self.answer(404, {"error": "no such path"})
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self.answer(400, {"error": "body is not JSON"})
            return
        key = self.headers.get("Idempotency-Key") or ""
        with lock:
            first = key not in seen
            seen.add(key)
        status = 503 if first and fails_first(key) else 200
        if status == 200 and DELAY:
            time.sleep(DELAY)
        record({"key": key, "job_id": body.get("job_id"), "attempt": body.get("attempt"),
                "worker": body.get("worker"), "status": status, "at": time.time()})
        if status == 503:
            self.answer(503, {"error": "receiver busy, try again"})
        else:
            self.answer(200, {"id": "wh-" + hashlib.sha256(key.encode()).hexdigest()[:12]})


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
