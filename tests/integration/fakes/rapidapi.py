"""Fake RapidAPI-hosted publishing provider (../shared/reference/api-contracts.md):
every call carries X-RapidAPI-Key and X-RapidAPI-Host; 429 is both the per-second
rate limit and the exhausted monthly quota, told apart only by the message; 403
"You are not subscribed to this API."; the provider itself answers 200 with an id.

    ra = FakeRapidAPI(key="ra-key", host="social-poster.p.rapidapi.com", path="/v1/post")
    ra.script("post", ra.rate_limit(), ra.monthly_quota())

Engagement reads (docs/accounts.md channel.stats_path / stats_fields): GET
{stats_path} with the post id in the `urn` query parameter answers the post's
public counts the way the LinkedIn data providers on RapidAPI do (LinkedIn Data
API, host linkedin-api8.p.rapidapi.com, GET /get-post: totalReactionCount,
likeCount, commentsCount, repostsCount; docs/research/traffic-apis.md section 6;
shape from third-party callers, the listing itself was not read). None of them
gives impressions, reach or saves.

    ra.stats("rp-1", {"totalReactionCount": 5, "commentsCount": 1},
             {"totalReactionCount": 9, "commentsCount": 2})   # per call, last repeated
    ra.remove_post("rp-1")           # 404 {"success": false, "message": "Post not found"}
    ra.script("stats", ra.rate_limit(), ra.malformed())
"""

import itertools
import urllib.parse

from apibase import FakeAPI, answer, json_problem


class FakeRapidAPI(FakeAPI):
    name = "rapidapi"

    def __init__(self, key="ra-test-key", host="social-poster.p.rapidapi.com", path="/v1/post",
                 text_field="text", stats_path="/get-post"):
        self.key, self.host, self.path, self.text_field = key, host, path, text_field
        self.stats_path = stats_path
        self.stats_series = {}           # post id -> list of count dicts
        self.stats_calls = {}
        self.removed = set()
        self.posts = []
        self._ids = itertools.count(1)
        super().__init__()

    def route(self, req):
        if (req.method, req.path) == ("POST", self.path):
            return "post"
        if (req.method, req.path) == ("GET", self.stats_path):
            return "stats"
        return None

    def check(self, route, req):
        p = []
        if req.header("x-rapidapi-key") != self.key:
            p.append("X-RapidAPI-Key missing or wrong")
        if req.header("x-rapidapi-host") != self.host:
            p.append("X-RapidAPI-Host is %r" % req.header("x-rapidapi-host"))
        if route == "stats":
            if not self.stats_id(req):
                p.append("stats request without urn=")
            return p
        return p + json_problem(req, (self.text_field,))

    @staticmethod
    def stats_id(req):
        return urllib.parse.parse_qs(req.query).get("urn", [""])[0]

    def stats(self, post_id, *readings):
        with self.lock:
            self.stats_series[post_id] = [dict(r) for r in readings]

    def remove_post(self, post_id):
        with self.lock:
            self.removed.add(post_id)

    @staticmethod
    def malformed():
        return answer(200, "<html><body>502 Bad Gateway</body></html>")

    def stats_answer(self, post_id):
        if post_id in self.removed or post_id not in self.stats_series:
            return answer(404, {"success": False, "message": "Post not found"})
        series = self.stats_series[post_id]
        n = self.stats_calls.get(post_id, 0)
        self.stats_calls[post_id] = n + 1
        counts = series[min(n, len(series) - 1)]
        return answer(200, {"success": True, "message": "", "data": dict(
            urn=post_id, postedAt="2026-12-01 12:00:01", **counts)})

    def default(self, route, req):
        if req.header("x-rapidapi-key") != self.key:
            return answer(401, {"message": "Invalid API key. Go to https://docs.rapidapi.com/"
                                "docs/keys for more info."})
        with self.lock:
            if route == "stats":
                return self.stats_answer(self.stats_id(req))
            pid = "rp-%d" % next(self._ids)
            self.posts.append((pid, req.json()))
        return answer(200, {"success": True, "id": pid})

    @staticmethod
    def rate_limit():
        return answer(429, {"message": "You have exceeded the rate limit per second for your "
                            "plan, BASIC, by the API provider"})

    @staticmethod
    def monthly_quota():
        return answer(429, {"message": "You have exceeded the MONTHLY quota for Requests on "
                            "your current plan, BASIC. Upgrade your plan at "
                            "https://rapidapi.com/provider/api/social-poster"})

    @staticmethod
    def not_subscribed():
        return answer(403, {"message": "You are not subscribed to this API."})
