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

Media insights (engagement read-back, docs/publishing.md "Reading figures back"):
GET /{ver}/{media-id}/insights?metric=<list>, token in the Authorization header.
Metrics by media product type, from Meta's "Instagram Media Insights" reference
(developers.facebook.com/documentation/instagram-platform/reference/instagram-media/insights,
updated Jun 18, 2026): views, reach, shares (also reposts, total_interactions) on
FEED and STORY; likes, comments, saved on FEED only; replies on STORY only;
impressions, plays and video_views are gone for media of July 2024 and later
(v22.0+). One metric that does not apply fails the whole call (code 100). The
answer, per the page's "Response syntax":
    {"data": [{"name": "reach", "period": "lifetime", "values": [{"value": 123}],
               "title": "Reach", "description": "...",
               "id": "<media-id>/insights/reach/lifetime"}, ...]}
and, for breakdowns (and Meta's newer metrics), "total_value": {"value": N, ...}
beside or instead of "values"; ig.total_value_shape = True answers that way.
A metric without data is left out ("an empty data set instead of 0").

    ig.figures("1800...7", {"views": 10, "reach": 8}, {"views": 25, "reach": 20})
                                     # one answer per call, the last repeated
    ig.media_kind["1800...9"] = "STORY"   # for media not published here
    ig.refused_metrics = {"shares"}  # refused on any media (seen on some images)
    ig.delete_media("1800...7")      # insights and GET /{id}?fields=id: 100/33
    ig.expire_story("1800...9")      # past 24 h: empty data (Meta's answer UNVERIFIED)
    ig.script("insights", ig.buc_throttled(minutes=15), ig.app_usage_full(),
              ig.permission_missing(), ig.not_enough_viewers(), ig.malformed())
"""

import itertools
import json
import re
import urllib.parse

from apibase import FakeAPI, answer, bearer_problem, drop, json_problem

VERSION = "/v22.0"

# Which media product type each insights metric applies to (Meta's table).
FEED, STORY = "FEED", "STORY"
INSIGHT_METRICS = {
    "views": {FEED, STORY}, "reach": {FEED, STORY}, "shares": {FEED, STORY},
    "reposts": {FEED, STORY}, "total_interactions": {FEED, STORY},
    "likes": {FEED}, "comments": {FEED}, "saved": {FEED},
    "replies": {STORY}, "navigation": {STORY}, "link_clicks": {STORY},
    "follows": {FEED, STORY}, "profile_visits": {FEED, STORY},
}
REMOVED_METRICS = ("impressions", "plays", "video_views", "clips_replays_count")


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
        self.insight_series = {}         # media id -> list of {metric: value}
        self.insight_calls = {}          # media id -> insights calls answered with figures
        self.media_kind = {}             # media id -> FEED or STORY (media not published here)
        self.refused_metrics = set()
        self.deleted = set()
        self.expired_stories = set()
        self.total_value_shape = False
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
        if path and re.fullmatch(r"/\d+/insights", path) and req.method == "GET":
            return "insights"
        if path and re.fullmatch(r"/\d+", path) and req.method == "GET":
            return "media" if self.query(req).get("fields") == "id" else "status"
        return None

    @staticmethod
    def query(req):
        return {k: urllib.parse.unquote(v) for k, _, v in
                (kv.partition("=") for kv in req.query.split("&") if kv)}

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
        if route == "insights":
            q = self.query(req)
            if not q.get("metric"):
                p.append("insights without metric=")
            if set(q) - {"metric", "period"}:
                p.append("insights with parameters %r" % sorted(set(q) - {"metric", "period"}))
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

    # ---- insights -----------------------------------------------------------
    def figures(self, media_id, *readings):
        with self.lock:
            self.insight_series[str(media_id)] = [dict(r) for r in readings]

    def delete_media(self, media_id):
        with self.lock:
            self.deleted.add(str(media_id))

    def expire_story(self, media_id):
        with self.lock:
            self.expired_stories.add(str(media_id))

    def kind_of(self, media_id):
        if media_id in self.media_kind:
            return self.media_kind[media_id]
        for mid, cid in self.media:
            if mid == media_id:
                return STORY if self.containers[cid]["story"] else FEED
        return FEED

    @classmethod
    def unknown_object(cls, media_id):
        return cls.error(100, "Unsupported get request. Object with ID '%s' does not exist, "
                         "cannot be loaded due to missing permissions, or does not support this "
                         "operation. Please read the Graph API documentation at "
                         "https://developers.facebook.com/docs/graph-api" % media_id,
                         400, 33, "GraphMethodException")

    @classmethod
    def buc_throttled(cls, minutes=15, business_id="17841400000000001"):
        """Instagram's business use case limit (code 80002), usage at 100 %."""
        usage = {business_id: [{"type": "instagram", "call_count": 100, "total_cputime": 34,
                                "total_time": 41, "estimated_time_to_regain_access": minutes}]}
        a = cls.error(80002, "(#80002) There have been too many calls to this Instagram account. "
                      "Wait a bit and try again. For more info, please refer to "
                      "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.")
        a.headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
        return a

    @classmethod
    def app_usage_full(cls):
        """The app's hourly limit (code 4) with X-App-Usage at 100 %."""
        a = cls.error(4, "(#4) Application request limit reached")
        a.headers["X-App-Usage"] = json.dumps({"call_count": 100, "total_cputime": 12,
                                               "total_time": 18})
        return a

    @classmethod
    def burst_throttled(cls, retry_after=None):
        """Throttled below every usage limit (code 17), Retry-After optional."""
        a = cls.error(17, "(#17) User request limit reached")
        a.headers["X-App-Usage"] = json.dumps({"call_count": 41, "total_cputime": 5,
                                               "total_time": 7})
        if retry_after is not None:
            a.headers["Retry-After"] = str(retry_after)
        return a

    @classmethod
    def permission_missing(cls):
        return cls.error(10, "(#10) Application does not have permission for this action")

    @classmethod
    def not_enough_viewers(cls):
        return cls.error(10, "(#10) Not enough viewers for the media to show insights")

    @staticmethod
    def malformed():
        return answer(200, "<html><body>Sorry, something went wrong.</body></html>")

    def insights_answer(self, media_id, asked):
        if media_id in self.deleted:
            return self.unknown_object(media_id)
        kind = self.kind_of(media_id)
        for m in asked:
            if m in REMOVED_METRICS:
                return self.error(100, "(#100) Starting from version v22.0 and above, the %s "
                                  "metric is no longer supported for the queried media" % m)
            if m not in INSIGHT_METRICS:
                return self.error(100, "(#100) metric[0] must be one of the following values: "
                                  + ", ".join(sorted(INSIGHT_METRICS)))
            if kind not in INSIGHT_METRICS[m] or m in self.refused_metrics:
                return self.error(100, "(#100) The metric %s is not supported for this media "
                                  "type" % m)
        if kind == STORY and media_id in self.expired_stories:
            return answer(200, {"data": []})
        series = self.insight_series.get(media_id) or [{}]
        n = self.insight_calls.get(media_id, 0)
        self.insight_calls[media_id] = n + 1
        reading = series[min(n, len(series) - 1)]
        data = []
        for m in asked:
            if m not in reading:
                continue
            item = {"name": m, "period": "lifetime", "title": m.replace("_", " ").title(),
                    "description": "Fake %s." % m,
                    "id": "%s/insights/%s/lifetime" % (media_id, m)}
            if self.total_value_shape:
                item["total_value"] = {"value": reading[m]}
            else:
                item["values"] = [{"value": reading[m]}]
            data.append(item)
        return answer(200, {"data": data})

    def default(self, route, req):
        if req.header("authorization") != "Bearer " + self.token:
            return self.expired()
        body = req.json() or {}
        with self.lock:
            if route in ("insights", "media"):
                mid = req.path[len(VERSION):].split("/")[1]
                if route == "media":
                    return (self.unknown_object(mid) if mid in self.deleted
                            else answer(200, {"id": mid}))
                asked = [m for m in self.query(req).get("metric", "").split(",") if m]
                return self.insights_answer(mid, asked)
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
