"""Shared machinery of the publishing fakes (openai.py, replicate.py, linkedin.py,
instagram.py, rapidapi.py, webhook.py): a threaded HTTP server on 127.0.0.1 that
records every request, checks it against the provider's contract (method, path,
headers, body; each fake's `check`), and answers from a script, then from the
fake's default answer.

Scripted answers, per route (the fake's own names, e.g. "create", "publish"):
    fake.script("publish", answer(500, {...}), answer(201, headers={...}))
    answer(status, body=None, headers=None, delay=0)   JSON (dict/list) or raw bytes/str
    hang()        reads the request, never answers (the client times out)
    drop()        reads the request, closes the connection without a byte
    truncated()   200 with a Content-Length longer than the body, then closes
Every contract violation is kept in fake.problems; tests assert it stays empty.

An outage answers every request of every route alike, before any script:
    fake.outage(answer(503))      until fake.outage(None); requests stay recorded
    fake.outage(hang())           each request held unanswered until the outage ends
"""

import collections
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Answer:
    def __init__(self, kind, status=200, body=None, headers=None, delay=0.0):
        self.kind, self.status, self.body, self.headers, self.delay = \
            kind, status, body, headers or {}, delay


def answer(status=200, body=None, headers=None, delay=0.0):
    return Answer("answer", status, body, headers, delay)


def hang():
    return Answer("hang")


def drop():
    return Answer("drop")


def truncated():
    return Answer("truncated")


class Request:
    def __init__(self, method, path, query, headers, body):
        self.method, self.path, self.query, self.headers, self.body = \
            method, path, query, headers, body
        self.at = time.monotonic()

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None

    def header(self, name):
        return self.headers.get(name.lower())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


class FakeAPI:
    """Subclasses define route(req) -> name or None, check(req) -> list of
    problems, and default(name, req) -> Answer."""

    name = "api"

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.problems = []
        self.scripts = collections.defaultdict(collections.deque)
        self.concurrent = 0
        self.max_concurrent = 0          # most requests being answered at once
        self._closing = threading.Event()
        self._outage = None
        self._outage_over = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                fake._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    # ---- test API -------------------------------------------------------
    def script(self, route, *answers):
        with self.lock:
            self.scripts[route].extend(answers)

    def outage(self, a):
        """Answers every request with `a` until outage(None); a hang() then
        ends by closing its connection without a byte."""
        with self.lock:
            if a is not None and self._outage is None:
                self._outage_over = threading.Event()
            self._outage = a
            if a is None:
                self._outage_over.set()

    def calls(self, route=None):
        with self.lock:
            return [r for r in self.requests if route is None or r.route == route]

    def close(self):
        self._closing.set()
        self._outage_over.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- to override ------------------------------------------------------
    def route(self, req):
        return None

    def check(self, route, req):
        return []

    def default(self, route, req):
        return answer(404, {"message": "not found"})

    # ---- serving ----------------------------------------------------------
    def _serve(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        path, _, query = h.path.partition("?")
        req = Request(h.command, path, query,
                      {k.lower(): v for k, v in h.headers.items()}, body)
        route = self.route(req)
        req.route = route
        problems = ["%s %s: %s" % (req.method, req.path, p) for p in self.check(route, req)]
        if route is None:
            problems.append("%s %s: no such endpoint" % (req.method, h.path))
        with self.lock:
            self.requests.append(req)
            self.problems.extend(problems)
            req.outage = self._outage is not None
            if req.outage:
                scripted, over = self._outage, self._outage_over
            else:
                scripted = self.scripts[route].popleft() if self.scripts.get(route) else None
            self.concurrent += 1
            self.max_concurrent = max(self.max_concurrent, self.concurrent)
        try:
            a = scripted or self.default(route, req)
            if req.outage and a.kind == "hang":
                over.wait(60)
                h.close_connection = True
                return
            self._send(h, a)
        finally:
            with self.lock:
                self.concurrent -= 1

    def _send(self, h, a):
        if a.kind == "hang":
            self._closing.wait(30)
            h.close_connection = True
            return
        if a.kind == "drop":
            h.close_connection = True
            try:
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if a.delay:
            time.sleep(a.delay)
        if a.kind == "truncated":
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", "100")
            h.end_headers()
            h.wfile.write(b'{"id": "12')
            h.wfile.flush()
            h.close_connection = True
            return
        body = a.body
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        body = body or b""
        h.send_response(a.status)
        headers = {"Content-Type": "application/json"} if body else {}
        headers.update(a.headers)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if body:
            h.wfile.write(body)


def bearer_problem(req, token):
    auth = req.header("authorization")
    if auth != "Bearer " + token:
        return ["Authorization is %r, expected the bearer token" %
                ("(missing)" if auth is None else "Bearer <other>")]
    return []


def json_problem(req, required=()):
    if (req.header("content-type") or "").split(";")[0].strip() != "application/json":
        return ["Content-Type is not application/json"]
    body = req.json()
    if not isinstance(body, dict):
        return ["body is not a JSON object"]
    return ["body lacks %r" % k for k in required if k not in body]
