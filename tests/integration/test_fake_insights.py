"""The read-back endpoints of the Instagram and RapidAPI fakes answer as the
providers do (shapes quoted in fakes/instagram.py and fakes/rapidapi.py), so a
test of the engagement stage against them tests something. No LTM binary runs
here: the poster's own tests of the read stage use these fakes."""

import json
import os
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fakes"))

from instagram import VERSION, FakeInstagram  # noqa: E402
from rapidapi import FakeRapidAPI  # noqa: E402

MEDIA, STORY = "18000000000000007", "18000000000000009"
POST_METRICS = "views,reach,likes,comments,shares,saved"
STORY_METRICS = "views,reach,replies,shares"


def get(url, headers):
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


class FakeInstagramInsightsTest(unittest.TestCase):
    def setUp(self):
        self.ig = FakeInstagram(token="ig-token")
        self.addCleanup(self.ig.close)
        self.ig.media_kind[STORY] = "STORY"

    def insights(self, media, metrics, token="ig-token"):
        status, headers, body = get("%s%s/%s/insights?metric=%s" % (self.ig.url, VERSION, media,
                                                                    metrics),
                                    {"Authorization": "Bearer " + token})
        return status, headers, json.loads(body) if body.startswith("{") else body

    @staticmethod
    def values(body):
        return {d["name"]: d["values"][0]["value"] for d in body["data"]}

    def test_figures_per_call_in_the_documented_shape(self):
        self.ig.figures(MEDIA, {"views": 10, "reach": 8, "likes": 1},
                        {"views": 25, "reach": 20, "likes": 3, "saved": 1})
        status, _, body = self.insights(MEDIA, POST_METRICS)
        self.assertEqual(status, 200)
        self.assertEqual(self.values(body), {"views": 10, "reach": 8, "likes": 1})
        item = body["data"][0]
        self.assertEqual((item["period"], item["id"]), ("lifetime", MEDIA + "/insights/views/lifetime"))
        for _ in range(2):  # the last reading repeats
            self.assertEqual(self.values(self.insights(MEDIA, POST_METRICS)[2]),
                             {"views": 25, "reach": 20, "likes": 3, "saved": 1})
        self.ig.total_value_shape = True
        body = self.insights(MEDIA, "views")[2]
        self.assertEqual(body["data"][0]["total_value"], {"value": 25})
        self.assertNotIn("values", body["data"][0])
        self.assertEqual(self.ig.problems, [])

    def test_one_inapplicable_metric_fails_the_whole_call(self):
        self.ig.figures(STORY, {"views": 50, "reach": 40, "replies": 2, "shares": 1})
        self.assertEqual(self.values(self.insights(STORY, STORY_METRICS)[2]),
                         {"views": 50, "reach": 40, "replies": 2, "shares": 1})
        status, _, body = self.insights(STORY, POST_METRICS)
        self.assertEqual((status, body["error"]["code"]), (400, 100))
        self.assertIn("The metric likes is not supported for this media type",
                      body["error"]["message"])
        status, _, body = self.insights(MEDIA, "impressions,reach")
        self.assertIn("impressions metric is no longer supported", body["error"]["message"])
        self.ig.refused_metrics = {"shares"}
        self.assertIn("metric shares", self.insights(MEDIA, POST_METRICS)[2]["error"]["message"])
        self.assertEqual(self.insights(MEDIA, "views,reach")[0], 200)

    def test_deleted_media_and_expired_story(self):
        self.ig.delete_media(MEDIA)
        status, _, body = self.insights(MEDIA, POST_METRICS)
        self.assertEqual((status, body["error"]["code"], body["error"]["error_subcode"]),
                         (400, 100, 33))
        self.assertIn("does not exist", body["error"]["message"])
        status, _, body = get("%s%s/%s?fields=id" % (self.ig.url, VERSION, MEDIA),
                              {"Authorization": "Bearer ig-token"})
        self.assertEqual((status, json.loads(body)["error"]["error_subcode"]), (400, 33))
        status, _, body = get("%s%s/%s?fields=id" % (self.ig.url, VERSION, STORY),
                              {"Authorization": "Bearer ig-token"})
        self.assertEqual((status, json.loads(body)), (200, {"id": STORY}))
        self.ig.figures(STORY, {"views": 9})
        self.ig.expire_story(STORY)
        self.assertEqual(self.insights(STORY, STORY_METRICS)[2], {"data": []})
        self.assertEqual(self.ig.problems, [])

    def test_scripted_errors(self):
        ig = self.ig
        ig.script("insights", ig.buc_throttled(minutes=12), ig.app_usage_full(),
                  ig.burst_throttled(retry_after=30), ig.permission_missing(),
                  ig.not_enough_viewers(), ig.malformed())
        status, headers, body = self.insights(MEDIA, POST_METRICS)
        self.assertEqual((status, body["error"]["code"]), (400, 80002))
        usage = json.loads(headers["X-Business-Use-Case-Usage"])
        entry = list(usage.values())[0][0]
        self.assertEqual((entry["call_count"], entry["estimated_time_to_regain_access"]), (100, 12))
        status, headers, body = self.insights(MEDIA, POST_METRICS)
        self.assertEqual((body["error"]["code"], json.loads(headers["X-App-Usage"])["call_count"]),
                         (4, 100))
        status, headers, body = self.insights(MEDIA, POST_METRICS)
        self.assertEqual((body["error"]["code"], headers["Retry-After"]), (17, "30"))
        self.assertEqual(self.insights(MEDIA, POST_METRICS)[2]["error"]["code"], 10)
        self.assertIn("Not enough viewers", self.insights(MEDIA, POST_METRICS)[2]["error"]["message"])
        status, _, body = self.insights(MEDIA, POST_METRICS)
        self.assertEqual(status, 200)
        self.assertTrue(body.startswith("<html>"))

    def test_contract_problems_are_recorded(self):
        self.assertEqual(self.insights(MEDIA, POST_METRICS, token="other")[2]["error"]["code"], 190)
        get("%s%s/%s/insights?metric=views&access_token=ig-token" % (self.ig.url, VERSION, MEDIA),
            {"Authorization": "Bearer ig-token"})
        problems = " ".join(self.ig.problems)
        self.assertIn("Bearer <other>", problems)
        self.assertIn("token in the URL", problems)


class FakeRapidAPIStatsTest(unittest.TestCase):
    def setUp(self):
        self.ra = FakeRapidAPI(key="ra-key", host="li-data.p.rapidapi.com")
        self.addCleanup(self.ra.close)

    def stats(self, post_id, key="ra-key"):
        status, _, body = get("%s/get-post?urn=%s" % (self.ra.url, urllib.request.quote(post_id, "")),
                              {"X-RapidAPI-Key": key, "X-RapidAPI-Host": "li-data.p.rapidapi.com"})
        return status, json.loads(body) if body.startswith("{") else body

    def test_counts_per_call_then_removed(self):
        self.ra.stats("urn:li:share:7", {"totalReactionCount": 5, "commentsCount": 1},
                      {"totalReactionCount": 9, "commentsCount": 2})
        status, body = self.stats("urn:li:share:7")
        self.assertEqual((status, body["data"]["totalReactionCount"], body["data"]["urn"]),
                         (200, 5, "urn:li:share:7"))
        self.assertEqual(self.stats("urn:li:share:7")[1]["data"]["commentsCount"], 2)
        self.assertEqual(self.stats("urn:li:share:7")[1]["data"]["commentsCount"], 2)
        self.ra.remove_post("urn:li:share:7")
        self.assertEqual(self.stats("urn:li:share:7")[0], 404)
        self.assertEqual(self.ra.problems, [])

    def test_scripted_limits_and_key(self):
        self.ra.stats("rp-1", {"totalReactionCount": 1})
        self.ra.script("stats", self.ra.rate_limit(), self.ra.monthly_quota(), self.ra.malformed())
        self.assertIn("rate limit per second", self.stats("rp-1")[1]["message"])
        self.assertIn("MONTHLY quota", self.stats("rp-1")[1]["message"])
        self.assertTrue(self.stats("rp-1")[1].startswith("<html>"))
        self.assertEqual(self.stats("rp-1", key="wrong")[0], 401)
        self.assertIn("X-RapidAPI-Key missing or wrong", " ".join(self.ra.problems))


if __name__ == "__main__":
    unittest.main()
