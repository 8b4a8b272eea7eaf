"""Fake Instagram Graph API content publishing (../shared/reference/api-contracts.md):
POST /{ver}/{ig-user-id}/media (image_url, caption; media_type=STORIES for a story)
-> container id; GET /{ver}/{container-id}?fields=status_code -> IN_PROGRESS,
FINISHED, ERROR, EXPIRED or PUBLISHED; POST /{ver}/{ig-user-id}/media_publish with
creation_id -> media id. JPEG only, caption <= 2,200 characters and <= 30 hashtags.
GET /{ver}/{ig-user-id}/content_publishing_limit?fields=quota_usage,config ->
{"data":[{"quota_usage":N,"config":{"quota_total":50,"quota_duration":86400}}]},
N = published_before + what was published here; a publish beyond the total
answers code 9 / subcode 2207042, as Instagram does.
Errors {"error":{message,type,code,error_subcode,fbtrace_id}}: 190 token expired,
4/17/32/613 throttling, 1/2 temporary, 100 bad parameter.

    ig = FakeInstagram(token="ig-token", user_id="17841400000000001")
    ig.polls_before_ready = 1        # IN_PROGRESS once, then FINISHED
    ig.script("publish", ig.error(2, "An unexpected error has occurred."))
    ig.lose_answers = 1              # publish, then drop the connection
    ig.lose_with = hang              # ... or never answer
    ig.published_before = 50         # the account's 24 h quota is used up
    ig.created                       # containers created so far
"""

import itertools
import re

from apibase import FakeAPI, answer, bearer_problem, drop, json_problem

VERSION = "/v22.0"


class FakeInstagram(FakeAPI):
    name = "instagram"

    def __init__(self, token="ig-test-token", user_id="17841400000000001"):
        self.token, self.user_id = token, user_id
        self.polls_before_ready = 0
        self.container_error = None      # "ERROR" or "EXPIRED" for new containers
        self.lose_answers = 0
        self.lose_with = drop            # drop the connection, or hang
        self.containers = {}             # id -> dict(status, polls, story, caption, image)
        self.media = []                  # (media_id, container_id)
        self.created = 0                 # containers created
        self.published_before = 0        # posts of the last 24 h not published here
        self.quota_total = 50
        self._ids = itertools.count(18000000000000001)
        super().__init__()
        self.base = self.url + VERSION

    def route(self, req):
        path = req.path[len(VERSION):] if req.path.startswith(VERSION + "/") else None
        if path == "/%s/media" % self.user_id and req.method == "POST":
            return "create"
        if path == "/%s/media_publish" % self.user_id and req.method == "POST":
            return "publish"
        if path == "/%s/content_publishing_limit" % self.user_id and req.method == "GET":
            return "limit"
        if path and re.fullmatch(r"/\d+", path) and req.method == "GET":
            return "status"
        return None

    def check(self, route, req):
        p = bearer_problem(req, self.token)
        if "access_token" in req.query:
            p.append("token in the URL")
        if route == "create":
            p += json_problem(req, ("image_url",))
            body = req.json() or {}
            if not re.search(r"\.jpe?g$", str(body.get("image_url", "")).split("?")[0], re.I):
                p.append("image_url is not a JPEG")
            if body.get("media_type") not in (None, "STORIES", "IMAGE"):
                p.append("media_type %r" % body.get("media_type"))
        if route == "publish":
            p += json_problem(req, ("creation_id",))
        if route == "status" and "fields=status_code" not in req.query:
            p.append("status check without fields=status_code")
        if route == "limit":
            fields = dict(kv.partition("=")[::2] for kv in req.query.split("&")).get("fields", "")
            if set(fields.split(",")) != {"quota_usage", "config"}:
                p.append("limit check with fields=%r" % fields)
        return p

    def quota_usage(self):
        return self.published_before + len(self.media)

    def limit_answer(self, usage=None, total=None):
        return answer(200, {"data": [{
            "quota_usage": self.quota_usage() if usage is None else usage,
            "config": {"quota_total": total or self.quota_total, "quota_duration": 86400}}]})

    @staticmethod
    def error(code, message, status=400, subcode=None, type_="OAuthException"):
        e = {"message": message, "type": type_, "code": code, "fbtrace_id": "AbCdEf"}
        if subcode:
            e["error_subcode"] = subcode
        return answer(status, {"error": e})

    def expired(self):
        return self.error(190, "Error validating access token: Session has expired.", 400, 463)

    def throttled(self):
        return self.error(4, "Application request limit reached", 400, type_="OAuthException")

    def default(self, route, req):
        if req.header("authorization") != "Bearer " + self.token:
            return self.expired()
        body = req.json() or {}
        with self.lock:
            if route == "limit":
                return self.limit_answer()
            if route == "create":
                caption = body.get("caption") or ""
                if len(caption) > 2200:
                    return self.error(100, "The caption is too long.", 400, 2207006,
                                      "OAuthException")
                cid = str(next(self._ids))
                self.created += 1
                self.containers[cid] = {"status": self.container_error or "IN_PROGRESS",
                                        "polls": self.polls_before_ready,
                                        "story": body.get("media_type") == "STORIES",
                                        "caption": caption, "image": body.get("image_url")}
                return answer(200, {"id": cid})
            if route == "status":
                cid = req.path.rsplit("/", 1)[1]
                c = self.containers.get(cid)
                if not c:
                    return self.error(100, "Unsupported get request.", 400, 33)
                if c["status"] == "IN_PROGRESS":
                    if c["polls"] > 0:
                        c["polls"] -= 1
                    else:
                        c["status"] = "FINISHED"
                return answer(200, {"status_code": c["status"], "id": cid})
            cid = str(body.get("creation_id"))
            c = self.containers.get(cid)
            if not c:
                return self.error(100, "Invalid parameter", 400, 2207008)
            if c["status"] != "FINISHED":
                return self.error(9007, "Media ID is not available", 400, 2207027)
            if self.quota_usage() >= self.quota_total:
                return self.error(9, "Application request limit reached", 400, 2207042)
            c["status"] = "PUBLISHED"
            mid = str(next(self._ids))
            self.media.append((mid, cid))
            if self.lose_answers > 0:
                self.lose_answers -= 1
                return self.lose_with()
            return answer(200, {"id": mid})
