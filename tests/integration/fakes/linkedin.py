"""Fake LinkedIn Posts and Images API (../shared/reference/api-contracts.md).

POST /rest/posts needs Authorization: Bearer, LinkedIn-Version: YYYYMM (a version
older than `oldest_version` gets 426 NONEXISTENT_VERSION), X-Restli-Protocol-Version:
2.0.0 and a JSON body with author, commentary, visibility, distribution and
lifecycleState PUBLISHED; it answers 201 with an EMPTY body and the post's URN in
x-restli-id. The commentary is "little text": an unescaped reserved character
silently cuts it there (kept cut, as LinkedIn does; see `posts`). The same
commentary twice gets 422 DUPLICATE_POST. Over 3,000 characters: 422.
POST /rest/images?action=initializeUpload -> uploadUrl + urn:li:image; PUT the bytes
to uploadUrl. GET /rest/posts?author=URN&q=author lists the author's posts.

Post statistics (engagement reads; shapes from learn.microsoft.com/linkedin, "Member
Post Statistics" and "Organization Share Statistics", as in docs/research/traffic-apis.md):

  GET /rest/memberCreatorPostAnalytics?q=entity&entity=(share:urn%3Ali%3Ashare%3A...)
      &queryType=IMPRESSION&aggregation=TOTAL        (ugcPost: entity=(ugc:...))
  permission r_member_postAnalytics; queryType one of IMPRESSION, MEMBERS_REACHED,
  REACTION, COMMENT, RESHARE: one metric per call. Answer:
    {"paging": {"start": 0, "count": 10, "links": [], "total": 1},
     "elements": [{"count": 2, "dateRange": {}, "targetEntity": {"share": "urn:li:share:..."},
                   "metricType": {"com.linkedin.adsexternalapi.memberanalytics.v1.
                                   CreatorPostAnalyticsMetricTypeV1": "COMMENT"}}]}
  (from LinkedIn-Version 202605 on, third-party clients see "metricType": "COMMENT";
  this fake answers that way for such versions). Nothing counted: "elements": [].

  GET /rest/organizationalEntityShareStatistics?q=organizationalEntity
      &organizationalEntity=urn%3Ali%3Aorganization%3A...&shares=List(urn%3Ali%3Ashare%3A...)
  (or ugcPosts=List(...)); permission rw_organization_admin ("Manage organizations pages
  and retrieve reporting data"). Answer:
    {"paging": {"count": 10, "start": 0, "links": []},
     "elements": [{"organizationalEntity": "urn:li:organization:...", "share": "urn:li:share:...",
                   "totalShareStatistics": {"uniqueImpressionsCount": 410, "shareCount": 2,
                     "engagement": 0.1, "clickCount": 12, "likeCount": 30,
                     "impressionCount": 500, "commentCount": 4}}]}
  A post without activity is left out of elements.

  Errors, LinkedIn's shape {"status", "serviceErrorCode", "code", "message"}:
  403 ACCESS_DENIED "Not enough permissions to access: ..." (scope missing),
  404 for a post LinkedIn no longer has, 429 with Retry-After (per-second throttle) or
  "Resource level throttle APPLICATION DAY limit ..." (the day's calls used up).

    li.set_figures(urn, impressions=120, reach=90, reactions=7, comments=2, shares=1)
    li.scopes.discard("r_member_postAnalytics")     # 403 from then on
    li.delete(urn)                                  # 404 from then on
    li.script("member_stats", li.rate_limited(2))   # or li.daily_limit(), li.malformed()

    li = FakeLinkedIn(token="li-token")
    li.script("post", li.expired())       # 401 for the next post
    li.lose_answers = 1                   # create the next post, then drop (or hang)
    li.posts                              # [(urn, author, commentary_as_stored, image)]
"""

import itertools
import re
import urllib.parse

from apibase import FakeAPI, answer, bearer_problem, drop, hang, json_problem

RESERVED = set("\\|{}@[]()<>#*_~")
HASHTAG = re.compile(r"\{hashtag\|\\#\|[^{}]*\}")


def little_text_cut(text):
    """Where LinkedIn would cut an unescaped commentary, or None."""
    i = 0
    while i < len(text):
        m = HASHTAG.match(text, i)
        if m:
            i = m.end()
            continue
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c in RESERVED:
            return i
        i += 1
    return None


def unescape(text):
    text = HASHTAG.sub(lambda m: "#" + m.group(0)[12:-1], text)
    return re.sub(r"\\(.)", r"\1", text)


class FakeLinkedIn(FakeAPI):
    name = "linkedin"

    def __init__(self, token="li-test-token", oldest_version="202501"):
        self.token, self.oldest_version = token, oldest_version
        self.posts = []
        self.images = {}
        self.lose_answers = 0       # create the post, then lose the answer:
        self.lose_with = drop       # drop the connection, or hang
        self._ids = itertools.count(7000000000000000001)
        self.figures = {}           # urn -> {"impressions": ..., ...}, served as they are now
        self.deleted = set()
        self.scopes = {"r_member_postAnalytics", "rw_organization_admin"}
        super().__init__()

    def route(self, req):
        if req.path == "/rest/posts" and req.method == "POST":
            return "post"
        if req.path == "/rest/posts" and req.method == "GET":
            return "recent"
        if req.path == "/rest/images" and req.method == "POST" and \
                req.query == "action=initializeUpload":
            return "initialize"
        if req.path.startswith("/upload/") and req.method == "PUT":
            return "upload"
        if req.path.startswith("/files/") and req.method == "GET":
            return "file"
        if req.path == "/rest/memberCreatorPostAnalytics" and req.method == "GET":
            return "member_stats"
        if req.path == "/rest/organizationalEntityShareStatistics" and req.method == "GET":
            return "share_stats"
        return None

    def check(self, route, req):
        if route == "file":
            return []
        p = bearer_problem(req, self.token)
        if route == "upload":
            if not req.body:
                p.append("image upload without bytes")
            return p
        v = req.header("linkedin-version")
        if not v or not re.fullmatch(r"20\d\d(0[1-9]|1[0-2])", v):
            p.append("LinkedIn-Version must be YYYYMM, got %r" % v)
        if req.header("x-restli-protocol-version") != "2.0.0":
            p.append("X-Restli-Protocol-Version must be 2.0.0")
        if route == "post":
            p += json_problem(req, ("author", "commentary", "visibility", "distribution",
                                    "lifecycleState"))
            body = req.json() or {}
            if body.get("lifecycleState") != "PUBLISHED":
                p.append("lifecycleState must be PUBLISHED")
            if not str(body.get("author", "")).startswith(("urn:li:person:",
                                                           "urn:li:organization:")):
                p.append("author must be a person or organization URN")
            media = (body.get("content") or {}).get("media") or {}
            if "content" in body and not str(media.get("id", "")).startswith("urn:li:image:"):
                p.append("content.media.id must be an image URN")
        if route == "initialize":
            p += json_problem(req, ("initializeUploadRequest",))
        if route == "recent":
            q = urllib.parse.parse_qs(req.query)
            if q.get("q") != ["author"] or not q.get("author"):
                p.append("listing posts needs q=author&author=URN")
        if route == "member_stats":
            p += self._member_problems(req)
        if route == "share_stats":
            p += self._share_problems(req)
        return p

    # ---- post statistics ---------------------------------------------------
    MEMBER_METRICS = ("IMPRESSION", "MEMBERS_REACHED", "REACTION", "COMMENT", "RESHARE")
    METRIC_FIGURE = dict(zip(MEMBER_METRICS, ("impressions", "reach", "reactions", "comments",
                                              "shares")))

    @staticmethod
    def _raw_params(req):
        """The query as sent: Rest.li values keep their parentheses and commas."""
        out = {}
        for part in req.query.split("&"):
            k, _, v = part.partition("=")
            out.setdefault(k, v)
        return out

    @staticmethod
    def _encoded_urn(value, kinds):
        """urn%3Ali%3Ashare%3A7 -> (kind, urn) when percent-encoded as LinkedIn wants."""
        urn = urllib.parse.unquote(value)
        kind = next((k for k in kinds if urn.startswith("urn:li:%s:" % k)), None)
        if not kind or value != urllib.parse.quote(urn, safe=""):
            return None, urn
        return kind, urn

    def _member_problems(self, req):
        q, p = self._raw_params(req), []
        if q.get("q") != "entity":
            p.append("memberCreatorPostAnalytics needs q=entity")
        if q.get("queryType") not in self.MEMBER_METRICS:
            p.append("queryType %r is not one of %s" % (q.get("queryType"), self.MEMBER_METRICS))
        if q.get("aggregation") != "TOTAL":
            p.append("aggregation must be TOTAL, got %r" % q.get("aggregation"))
        m = re.fullmatch(r"\((share|ugc):([^()]*)\)", q.get("entity", ""))
        kind, _ = self._encoded_urn(m.group(2), ("share", "ugcPost")) if m else (None, None)
        if not m or {"share": "share", "ugcPost": "ugc"}.get(kind) != m.group(1):
            p.append("entity must be (share:<encoded share URN>) or (ugc:<encoded ugcPost URN>), "
                     "got %r" % q.get("entity"))
        return p

    def _share_problems(self, req):
        q, p = self._raw_params(req), []
        if q.get("q") != "organizationalEntity":
            p.append("organizationalEntityShareStatistics needs q=organizationalEntity")
        org = q.get("organizationalEntity", "")
        if org != urllib.parse.quote(urllib.parse.unquote(org), safe="") or \
                not urllib.parse.unquote(org).startswith("urn:li:organization:"):
            p.append("organizationalEntity must be an encoded organization URN, got %r" % org)
        lists = [(k, v) for k, v in q.items() if k in ("shares", "ugcPosts")]
        if len(lists) != 1:
            p.append("exactly one of shares=List(...) or ugcPosts=List(...) expected")
        for k, v in lists:
            m = re.fullmatch(r"List\(([^()]*)\)", v)
            want = "share" if k == "shares" else "ugcPost"
            if not m or any(self._encoded_urn(u, (want,))[0] != want for u in m.group(1).split(",")):
                p.append("%s must be List(<encoded %s URNs>), got %r" % (k, want, v))
        return p

    def set_figures(self, urn, **figures):
        with self.lock:
            self.figures[urn] = dict(figures)

    def delete(self, urn):
        with self.lock:
            self.deleted.add(urn)

    def _known(self, urn):
        return urn not in self.deleted and (urn in self.figures or
                                            any(u == urn for u, _, _, _ in self.posts))

    def _stats(self, route, req):
        q = self._raw_params(req)
        if route == "member_stats":
            scope, resource = "r_member_postAnalytics", "memberCreatorPostAnalytics"
            m = re.fullmatch(r"\((share|ugc):([^()]*)\)", q.get("entity", ""))
            urns = [urllib.parse.unquote(m.group(2))] if m else []
        else:
            scope, resource = "rw_organization_admin", "organizationalEntityShareStatistics"
            lst = q.get("shares") or q.get("ugcPosts") or ""
            urns = [urllib.parse.unquote(u) for u in lst[5:-1].split(",")] if lst else []
        with self.lock:
            if scope not in self.scopes:
                return self.missing_scope(resource)
            if any(not self._known(u) for u in urns):
                return answer(404, {"status": 404, "serviceErrorCode": 0, "code": "NOT_FOUND",
                                    "message": "Not Found: entity %s" % urns[0]})
            figures = {u: dict(self.figures.get(u, {})) for u in urns}
        v = req.header("linkedin-version") or ""
        if route == "member_stats":
            metric = q.get("queryType")
            count = figures[urns[0]].get(self.METRIC_FIGURE.get(metric))
            if count is None:
                return answer(200, {"paging": {"start": 0, "count": 10, "links": [], "total": 0},
                                    "elements": []})
            kind = "ugc" if urns[0].startswith("urn:li:ugcPost:") else "share"
            metric_type = metric if v >= "202605" else {
                "com.linkedin.adsexternalapi.memberanalytics.v1."
                "CreatorPostAnalyticsMetricTypeV1": metric}
            return answer(200, {"paging": {"start": 0, "count": 10, "links": [], "total": 1},
                                "elements": [{"count": count, "dateRange": {},
                                              "targetEntity": {kind: urns[0]},
                                              "metricType": metric_type}]})
        org = urllib.parse.unquote(q.get("organizationalEntity", ""))
        elements = []
        for u, f in figures.items():
            if not f:
                continue  # no activity: left out, as LinkedIn does
            key = "ugcPost" if u.startswith("urn:li:ugcPost:") else "share"
            elements.append({"organizationalEntity": org, key: u, "totalShareStatistics": {
                "uniqueImpressionsCount": f.get("reach", 0), "shareCount": f.get("shares", 0),
                "engagement": 0.05, "clickCount": 3, "likeCount": f.get("reactions", 0),
                "impressionCount": f.get("impressions", 0),
                "commentCount": f.get("comments", 0)}})
        return answer(200, {"paging": {"count": 10, "start": 0, "links": []},
                            "elements": elements})

    @staticmethod
    def missing_scope(resource="memberCreatorPostAnalytics"):
        return answer(403, {"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED",
                            "message": "Not enough permissions to access: %s.GET.20261001" %
                            resource})

    @staticmethod
    def rate_limited(seconds=1):
        return answer(429, {"status": 429, "message": "Too Many Requests"},
                      {"Retry-After": str(seconds)})

    @staticmethod
    def daily_limit():
        return answer(429, {"status": 429, "serviceErrorCode": 101, "code": "TOO_MANY_REQUESTS",
                            "message": "Resource level throttle APPLICATION DAY limit for calls "
                            "to this resource is reached."})

    @staticmethod
    def malformed():
        return answer(200, "<html><body>Service temporarily busy</body></html>",
                      {"Content-Type": "text/html"})

    def default(self, route, req):
        if route == "file":
            from replicate import JPEG
            return answer(200, JPEG, {"Content-Type": "image/jpeg"})
        if req.header("authorization") != "Bearer " + self.token:
            return self.expired()
        v = req.header("linkedin-version") or ""
        if route != "upload" and v < self.oldest_version:
            return answer(426, {"status": 426, "code": "NONEXISTENT_VERSION",
                                "message": "Requested version %s is not active" % v})
        if route == "initialize":
            n = next(self._ids)
            return answer(200, {"value": {
                "uploadUrlExpiresAt": 1767225600000,
                "uploadUrl": "%s/upload/%d" % (self.url, n),
                "image": "urn:li:image:C4E%d" % n}})
        if route == "upload":
            n = req.path.rsplit("/", 1)[1]
            with self.lock:
                self.images["urn:li:image:C4E" + n] = req.body
            return answer(201)
        if route in ("member_stats", "share_stats"):
            return self._stats(route, req)
        if route == "recent":
            author = urllib.parse.parse_qs(req.query).get("author", [""])[0]
            with self.lock:
                mine = [{"id": urn, "author": a, "commentary": c, "lifecycleState": "PUBLISHED"}
                        for urn, a, c, _ in reversed(self.posts) if a == author]
            return answer(200, {"paging": {"start": 0, "count": 10, "links": []},
                                "elements": mine[:10]})
        return self._create(req)

    def _create(self, req):
        body = req.json() or {}
        commentary = body.get("commentary", "")
        if len(unescape(commentary)) > 3000:
            return answer(422, {"status": 422, "code": "UNPROCESSABLE_ENTITY",
                                "message": "/commentary :: length exceeds 3000"})
        cut = little_text_cut(commentary)
        stored = commentary if cut is None else commentary[:cut]
        image = ((body.get("content") or {}).get("media") or {}).get("id")
        with self.lock:
            if image and image not in self.images:
                return answer(400, {"status": 400, "message": "Image %s not uploaded" % image})
            if any(a == body["author"] and c == stored for _, a, c, _ in self.posts):
                return self.duplicate()
            urn = "urn:li:share:%d" % next(self._ids)
            self.posts.append((urn, body["author"], stored, image))
            if self.lose_answers > 0:
                self.lose_answers -= 1
                return self.lose_with()
        return answer(201, b"", {"x-restli-id": urn})

    @staticmethod
    def expired():
        return answer(401, {"status": 401, "serviceErrorCode": 65601, "code": "REVOKED_ACCESS_TOKEN",
                            "message": "The token used in the request has been revoked by the user"})

    @staticmethod
    def duplicate():
        return answer(422, {"status": 422, "code": "DUPLICATE_POST", "message":
                            "Content is a duplicate of urn:li:share:7000000000000000001"})

    @staticmethod
    def throttled():
        return answer(429, {"status": 429, "message": "Resource level throttle APPLICATION DAY "
                            "limit for calls to this resource is reached."})

    @staticmethod
    def validation(message="/visibility :: invalid enum value"):
        return answer(422, {"status": 422, "code": "UNPROCESSABLE_ENTITY", "message": message})
