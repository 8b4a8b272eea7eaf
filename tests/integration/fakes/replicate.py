"""Fake Replicate predictions API (../shared/reference/api-contracts.md):
POST /v1/models/{owner}/{name}/predictions (or /v1/predictions with "version"),
Bearer token, "Prefer: wait=N" (N <= 60) holding the answer; statuses starting,
processing, succeeded, failed, canceled; GET urls.get to poll; output a URL or a
list of URLs (served here as JPEG bytes under /files/); 429 with retry_after in the
body, 402 billing, 401 bad token.

    rep = FakeReplicate(token="r8_test")
    rep.polls_before_done = 2       # answer "processing" twice before succeeding
"""

import itertools

from apibase import FakeAPI, answer, bearer_problem, json_problem

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + \
    b"\x00" * 200 + b"\xff\xd9"


class FakeReplicate(FakeAPI):
    name = "replicate"

    def __init__(self, token="r8_test_token"):
        self.token = token
        self.polls_before_done = 0
        self.fail_with = None           # "failed" or "canceled" at the end
        self._ids = itertools.count(1)
        self._polls = {}
        super().__init__()

    def route(self, req):
        if req.method == "POST" and (req.path == "/v1/predictions" or (
                req.path.startswith("/v1/models/") and req.path.endswith("/predictions")
                and req.path.count("/") == 5)):
            return "create"
        if req.method == "GET" and req.path.startswith("/v1/predictions/"):
            return "poll"
        if req.method == "GET" and req.path.startswith("/files/"):
            return "file"
        return None

    def check(self, route, req):
        if route == "file":
            return []
        p = bearer_problem(req, self.token)
        if route == "create":
            p += json_problem(req, ("input",))
            body = req.json() or {}
            if req.path == "/v1/predictions" and "version" not in body:
                p.append("POST /v1/predictions needs a version")
            if not isinstance(body.get("input"), dict) or not body["input"].get("prompt"):
                p.append("input.prompt missing")
            prefer = req.header("prefer")
            if prefer is not None:
                try:
                    n = int(prefer.split("=", 1)[1])
                    if not (prefer.startswith("wait=") and 1 <= n <= 60):
                        raise ValueError
                except (ValueError, IndexError):
                    p.append("Prefer must be wait=N with N in 1..60, got %r" % prefer)
        return p

    def prediction(self, pid, status, output=None, error=None):
        return {"id": pid, "status": status, "output": output, "error": error,
                "urls": {"get": "%s/v1/predictions/%s" % (self.url, pid),
                         "cancel": "%s/v1/predictions/%s/cancel" % (self.url, pid)}}

    def _state(self, pid):
        left = self._polls.get(pid, 0)
        if left > 0:
            self._polls[pid] = left - 1
            return self.prediction(pid, "processing")
        if self.fail_with:
            return self.prediction(pid, self.fail_with, error="NSFW content detected")
        return self.prediction(pid, "succeeded", ["%s/files/%s.jpg" % (self.url, pid)])

    def default(self, route, req):
        if route == "file":
            return answer(200, JPEG, {"Content-Type": "image/jpeg"})
        if route == "create":
            pid = "p%d" % next(self._ids)
            with self.lock:
                self._polls[pid] = self.polls_before_done
            with self.lock:
                state = self._state(pid)
            if state["status"] == "processing":
                state["status"] = "starting"
            return answer(201, state)
        pid = req.path.rsplit("/", 1)[1]
        with self.lock:
            if pid not in self._polls:
                return answer(404, {"title": "Not found", "detail": "Not found.", "status": 404})
            return answer(200, self._state(pid))

    @staticmethod
    def throttled(seconds=3):
        return answer(429, {"title": "Request was throttled", "status": 429,
                            "detail": "Request was throttled. Your rate limit resets in ~%ds."
                            % seconds, "retry_after": seconds})

    @staticmethod
    def billing():
        return answer(402, {"title": "Insufficient credit", "status": 402,
                            "detail": "You have insufficient credit to run this model. Go to "
                            "https://replicate.com/account/billing to purchase credit."})
