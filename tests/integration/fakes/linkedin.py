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
        return p

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
