"""Fake webhook receiver for the generic webhook channel (docs/publishing.md):
POST of the documented JSON (job_id, kind, account, attempt, slot, text,
image_url, worker, sent_at) with Content-Type application/json, an
Idempotency-Key equal to the job id and, when the account names a token,
Authorization: Bearer. Answers 200 {"id": ...}.

    hook = FakeWebhook(path="/hooks/ltm", token="wh-secret")
    hook.received          # bodies accepted, in order
"""

import itertools

from apibase import FakeAPI, answer, json_problem


class FakeWebhook(FakeAPI):
    name = "webhook"

    def __init__(self, path="/hooks/ltm", token=None):
        self.path, self.token = path, token
        self.received = []
        self._ids = itertools.count(1)
        super().__init__()
        self.hook_url = self.url + path

    def route(self, req):
        return "hook" if (req.method, req.path) == ("POST", self.path) else None

    def check(self, route, req):
        p = json_problem(req, ("job_id", "kind", "account", "attempt", "slot"))
        body = req.json() or {}
        if req.header("idempotency-key") != body.get("job_id"):
            p.append("Idempotency-Key is not the job id")
        if self.token and req.header("authorization") != "Bearer " + self.token:
            p.append("Authorization is not the bearer token")
        return p

    def default(self, route, req):
        with self.lock:
            self.received.append(req.json())
            return answer(200, {"id": "wh-%d" % next(self._ids)})
