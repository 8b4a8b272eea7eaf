"""Fake RapidAPI-hosted publishing provider (../shared/reference/api-contracts.md):
every call carries X-RapidAPI-Key and X-RapidAPI-Host; 429 is both the per-second
rate limit and the exhausted monthly quota, told apart only by the message; 403
"You are not subscribed to this API."; the provider itself answers 200 with an id.

    ra = FakeRapidAPI(key="ra-key", host="social-poster.p.rapidapi.com", path="/v1/post")
    ra.script("post", ra.rate_limit(), ra.monthly_quota())
"""

import itertools

from apibase import FakeAPI, answer, json_problem


class FakeRapidAPI(FakeAPI):
    name = "rapidapi"

    def __init__(self, key="ra-test-key", host="social-poster.p.rapidapi.com", path="/v1/post",
                 text_field="text"):
        self.key, self.host, self.path, self.text_field = key, host, path, text_field
        self.posts = []
        self._ids = itertools.count(1)
        super().__init__()

    def route(self, req):
        return "post" if (req.method, req.path) == ("POST", self.path) else None

    def check(self, route, req):
        p = []
        if req.header("x-rapidapi-key") != self.key:
            p.append("X-RapidAPI-Key missing or wrong")
        if req.header("x-rapidapi-host") != self.host:
            p.append("X-RapidAPI-Host is %r" % req.header("x-rapidapi-host"))
        return p + json_problem(req, (self.text_field,))

    def default(self, route, req):
        if req.header("x-rapidapi-key") != self.key:
            return answer(401, {"message": "Invalid API key. Go to https://docs.rapidapi.com/"
                                "docs/keys for more info."})
        with self.lock:
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
