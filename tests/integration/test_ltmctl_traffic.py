"""`ltmctl traffic` against the real broker and the real ltm-scheduler whose
ledger was filled before it started: the scheduler creates its schema on a
first run, is stopped, posts and readings are inserted with sqlite3, and after
the restart the tables and --json of the real ltmctl must show exactly the
medians computed here from the inserted figures. Posts are compared at one
reference age per kind: the scheduler runs with the default ages (posts
1h,24h,7d: 24 h; stories 1h,23h: 23 h)."""

import json
import os
import re
import sqlite3
import statistics
import time
import types
import unittest

import ltmtest
from test_scheduler import ltmctl, ltmctl_json, start_scheduler

ACCOUNTS = [{"name": "acme", "timezone": "Europe/Berlin", "schedule": {"posts": ["09:00"]}},
            {"name": "beta", "timezone": "America/Sao_Paulo", "schedule": {"posts": ["19:30"]}}]

HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS
REFERENCE = {"post": DAY_MS, "story": 23 * HOUR_MS}  # the configured ages closest to 24 h
FIGURES = ("impressions", "reach", "reactions", "comments", "shares", "saves")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def reading(age_ms, **figures):
    return (age_ms, {name: figures.get(name) for name in FIGURES})


# (job id, account, kind, days ago, weekday, local minute, theme, state, readings)
# Figures not given are NULL: not offered by the channel.
POSTS = [
    ("post:acme:a1", "acme", "post", 1, 0, 540, "AI at work", "live",
     [reading(HOUR_MS, impressions=100, reactions=2, comments=1),
      reading(DAY_MS, impressions=400, reactions=10, comments=2, shares=1, saves=0)]),
    ("post:acme:a2", "acme", "post", 3, 0, 540, "", "live",
     [reading(HOUR_MS, impressions=50, reactions=3)]),
    ("post:acme:a3", "acme", "post", 5, 2, 1110, "hiring", "live",
     [reading(DAY_MS, reactions=20, comments=5)]),
    ("post:acme:a4", "acme", "post", 1.8, 2, 1110, "AI at work", "live", []),  # not read yet
    ("post:acme:a5", "acme", "post", 6, 0, 540, "hiring", "gone",  # gone before 24 h: unread
     [reading(HOUR_MS, impressions=80, reactions=7)]),
    ("post:acme:old", "acme", "post", 40, 0, 540, "", "live",  # older than 30 days
     [reading(DAY_MS, impressions=9000, reactions=1000)]),
    ("post:beta:b1", "beta", "post", 1.5, 1, 1170, "AI at work", "live",
     [reading(DAY_MS, impressions=1000, reactions=30, comments=10, shares=5, saves=5)]),
    ("post:beta:b2", "beta", "post", 4, 1, 1170, "", "live",
     [reading(DAY_MS, impressions=600, reactions=8, saves=2)]),
    ("post:beta:b3", "beta", "post", 7, 1, 1170, "", "live",  # no engagement figure offered
     [reading(HOUR_MS, impressions=70)]),
    ("story:beta:s1", "beta", "story", 2.5, 0, 540, "", "live",
     [reading(HOUR_MS, impressions=300, comments=1),
      reading(23 * HOUR_MS, impressions=900, comments=4)]),
]


def engagement(figures):
    return sum(figures[k] or 0 for k in ("reactions", "comments", "shares", "saves"))


def expected_rankings(now_ms, days=30, account=None, ages=REFERENCE):
    """The rankings as docs/ltmctl.md defines them, from POSTS: each post by
    its reading at the reference age of its kind (none: unread)."""
    groups = {"accounts": {}, "slots": {}, "themes": {}}
    for job_id, acc, kind, ago, wd, minute, theme, _state, readings in POSTS:
        published = now_ms - int(ago * DAY_MS)
        if published < now_ms - days * DAY_MS or (account and acc != account):
            continue
        slot = "%s %s %s %02d:%02d" % (acc, kind, WEEKDAYS[wd], minute // 60, minute % 60)
        at_age = dict(readings).get(ages[kind])
        for ranking, key in (("accounts", acc), ("slots", slot), ("themes", theme or "(none)")):
            groups[ranking].setdefault(key, []).append((job_id, published, at_age))
    out = {}
    for ranking, by_key in groups.items():
        rows = []
        for key, posts in by_key.items():
            read = [(job_id, published, f) for job_id, published, f in posts if f]
            eng = [engagement(f) for _, _, f in read]
            imp = [f["impressions"] for _, _, f in read if f["impressions"] is not None]
            best = max(read, key=lambda p: (engagement(p[2]), p[1]), default=None)
            rows.append({"key": key, "posts": len(read), "unread": len(posts) - len(read),
                         "median_engagement": statistics.median(eng) if eng else None,
                         "median_impressions": statistics.median(imp) if imp else None,
                         "total_engagement": sum(eng),
                         "best_post": best[0] if best else None})
        rows.sort(key=lambda r: (r["posts"] == 0, -(r["median_engagement"] or 0), -r["posts"],
                                 r["key"]))
        out[ranking] = rows
    return out


def fill_ledger(path, now_ms):
    db = sqlite3.connect(path)
    with db:
        for job_id, acc, kind, ago, wd, minute, theme, state, readings in POSTS:
            published = now_ms - int(ago * DAY_MS)
            db.execute("INSERT INTO posts (job_id, account, kind, channel, remote_id, slot_ms,"
                       " published_ms, weekday, local_minute, theme, state)"
                       " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       (job_id, acc, kind, "sandbox", "sandbox:" + job_id, published - 2000,
                        published, wd, minute, theme, state))
            for age, f in readings:
                db.execute("INSERT INTO readings (post_job_id, age_ms, read_ms, impressions,"
                           " reach, reactions, comments, shares, saves)"
                           " VALUES (?,?,?,?,?,?,?,?,?)",
                           (job_id, age, published + age) + tuple(f[k] for k in FIGURES))
    db.close()


def shown(value):
    """A number as ltmctl prints it: 12, 12.5, or - for none."""
    if value is None:
        return "-"
    return "%d" % value if value == int(value) else "%.1f" % value


def table(text, title):
    """The rows of the table under a title line, as lists of cells."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    rows = []
    for line in lines[start:]:
        if not line.strip():
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return rows


class LtmctlTrafficTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = ltmtest.Broker()
        cls.addClassCleanup(cls.broker.close)
        cls.sched = start_scheduler(types.SimpleNamespace(addCleanup=cls.addClassCleanup),
                                    cls.broker, ACCOUNTS)
        # The first run made the schema; the ledger is filled while it is stopped.
        code = cls.sched.stop()
        if code != 0:
            raise AssertionError("ltm-scheduler exited %s; its log:\n%s" % (code, cls.sched.log()))
        cls.now_ms = int(time.time() * 1000)
        fill_ledger(os.path.join(cls.sched.data_dir, "ledger.db"), cls.now_ms)
        cls.sched.start()
        cls.sched.wait_log("mqtt connected", count=2)

    def test_json_has_exactly_the_medians_of_the_inserted_figures(self):
        out = ltmctl_json(self, self.broker, "traffic")
        want = expected_rankings(self.now_ms)
        for ranking in ("accounts", "slots", "themes"):
            got = [{k: row[k] for k in want[ranking][0]} for row in out["rankings"][ranking]]
            self.assertEqual(got, want[ranking], ranking)
        self.assertEqual(out["days"], 30)
        self.assertEqual(out["ages"], {"post": DAY_MS, "story": 23 * HOUR_MS})
        self.assertEqual(out["posts_total"], 9)
        self.assertEqual(out["unread"], 4)  # a2, a5, b3 read at 1 h only; a4 not at all
        self.assertFalse(out["truncated"])
        self.assertNotIn("posts", out)
        # Spot checks against the figures by hand: acme's engagements at 24 h
        # 13 and 25; a2 and a5 (read at 1 h only) and a4 are unread, not zeros
        # nor their 1 h figures.
        acme = out["rankings"]["accounts"][[r["key"] for r in out["rankings"]["accounts"]]
                                           .index("acme")]
        self.assertEqual((acme["median_engagement"], acme["posts"], acme["unread"]), (19, 2, 3))
        self.assertEqual(acme["median_impressions"], 400)  # a3 offers none
        slots = out["rankings"]["slots"]
        self.assertEqual([(r["key"], r["median_engagement"], r["unread"]) for r in slots[:2]],
                         [("beta post Tue 19:30", 30, 1), ("acme post Wed 18:30", 25, 1)])
        themes = {r["key"]: r["median_engagement"] for r in out["rankings"]["themes"]}
        self.assertEqual(themes["(none)"], 7)  # b2 10, s1 at 23 h 4: the mean of the two

    def test_age_compares_every_post_at_that_age(self):
        out = ltmctl_json(self, self.broker, "traffic", "--age", "1h")
        self.assertEqual(out["ages"], {"post": HOUR_MS, "story": HOUR_MS})
        want = expected_rankings(self.now_ms, ages={"post": HOUR_MS, "story": HOUR_MS})
        for ranking in ("accounts", "slots", "themes"):
            got = [{k: row[k] for k in want[ranking][0]} for row in out["rankings"][ranking]]
            self.assertEqual(got, want[ranking], ranking)
        acme = [r for r in out["rankings"]["accounts"] if r["key"] == "acme"][0]
        self.assertEqual((acme["median_engagement"], acme["posts"], acme["unread"]), (3, 3, 2))
        code, text, err = ltmctl(self.broker, "traffic", "--age", "1h")
        self.assertEqual(code, 0, err)
        self.assertIn("\nAccounts, figures at 1h\n", text)

    def test_tables_show_the_same_medians(self):
        code, out, err = ltmctl(self.broker, "traffic")
        self.assertEqual(code, 0, err)
        self.assertIn("Traffic of the last 30 days", out)
        self.assertIn(": 9 posts, 4 not read yet", out)
        want = expected_rankings(self.now_ms)
        ages = ", figures at 1d (posts), 23h (stories)"
        for title, ranking in (("Accounts" + ages, "accounts"),
                               ("Slots (the account's local weekday and time)" + ages, "slots"),
                               ("Themes" + ages, "themes")):
            rows = table(out, title)
            numbers = ["POSTS", "UNREAD", "MEDIAN ENG", "MEDIAN IMPR", "TOTAL ENG", "BEST POST"]
            self.assertEqual(rows[0][-6:], numbers, title)
            got = [r[-6:] for r in rows[1:]]
            expected = [[shown(w["posts"]), shown(w["unread"]), shown(w["median_engagement"]),
                         shown(w["median_impressions"]), shown(w["total_engagement"]),
                         w["best_post"] or "-"] for w in want[ranking]]
            self.assertEqual(got, expected, title)
            keys = [" ".join(r[:3]) if ranking == "slots" else r[0] for r in rows[1:]]
            self.assertEqual(keys, [w["key"] for w in want[ranking]], title)
        # Aligned: in every ranking the numbers end, and BEST POST starts, at
        # the same column as the header's.
        lines = out.splitlines()
        for title in ("Accounts", "Themes"):
            at = lines.index(title + ages) + 1
            head = lines[at]
            for line in lines[at + 1:at + 1 + len(want[title.lower()])]:
                self.assertEqual(line.rindex("  ") + 2, head.index("BEST POST"), line)
                end = head.index("TOTAL ENG") + len("TOTAL ENG")
                self.assertRegex(line[end - 1:end + 1], r"^\d $", line)

    def test_days_account_and_kind_filter(self):
        out = ltmctl_json(self, self.broker, "traffic", "--days", "60", "--account", "acme")
        self.assertEqual(out["posts_total"], 6)  # the 40-day-old post too
        want = expected_rankings(self.now_ms, days=60, account="acme")
        got = [{k: row[k] for k in want["accounts"][0]} for row in out["rankings"]["accounts"]]
        self.assertEqual(got, want["accounts"])
        self.assertEqual(out["rankings"]["accounts"][0]["median_engagement"], 25)  # 13 25 1000
        out = ltmctl_json(self, self.broker, "traffic", "--kind", "story")
        self.assertEqual(out["posts_total"], 1)
        self.assertEqual([r["key"] for r in out["rankings"]["slots"]], ["beta story Mon 09:00"])
        out = ltmctl_json(self, self.broker, "traffic", "--days", "2")
        self.assertEqual(out["posts_total"], 3)  # a1, b1, a4 (s1 is 2.5 days old)

    def test_posts_with_their_time_series(self):
        out = ltmctl_json(self, self.broker, "traffic", "--posts", "--limit", "9")
        ids = [p["job_id"] for p in out["posts"]]
        by_age = sorted((p for p in POSTS if p[3] <= 30), key=lambda p: p[3])
        self.assertEqual(ids, [p[0] for p in by_age])  # newest first
        for post, (job_id, acc, kind, _ago, _wd, _m, theme, state, readings) in zip(out["posts"],
                                                                                   by_age):
            self.assertEqual((post["account"], post["kind"], post["theme"], post["state"]),
                             (acc, kind, theme, state))
            self.assertEqual([(r["age_ms"], r["figures"], r["engagement"])
                              for r in post["readings"]],
                             [(age, f, engagement(f)) for age, f in readings], job_id)
        out = ltmctl_json(self, self.broker, "traffic", "--posts", "--limit", "2")
        self.assertEqual([p["job_id"] for p in out["posts"]], ["post:acme:a1", "post:beta:b1"])

        code, text, err = ltmctl(self.broker, "traffic", "--posts")
        self.assertEqual(code, 0, err)
        rows = table(text, "Posts (newest first; figures at each age after publishing, "
                           "- = not offered or not read)")
        self.assertEqual(rows[0], ["PUBLISHED (UTC)", "ACCOUNT", "KIND", "SLOT", "THEME", "STATE",
                                   "1h IMPR", "1h ENG", "23h IMPR", "23h ENG", "1d IMPR", "1d ENG"])
        self.assertEqual(len(rows) - 1, 9)
        # Cells: published, account, kind, slot, theme, state, then per age.
        printed = {(r[1], r[2], r[3], r[4], r[5]): r[6:] for r in rows[1:]}
        self.assertEqual(printed[("acme", "post", "Wed 18:30", "hiring", "live")],
                         ["-", "-", "-", "-", "-", "25"])  # a3: read at 1d only, no impressions
        self.assertEqual(printed[("acme", "post", "Mon 09:00", "hiring", "gone")],
                         ["80", "7", "-", "-", "-", "-"])
        self.assertEqual(printed[("acme", "post", "Mon 09:00", "AI at work", "live")],
                         ["100", "3", "-", "-", "400", "13"])
        self.assertEqual(printed[("acme", "post", "Wed 18:30", "AI at work", "live")],
                         ["-", "-", "-", "-", "-", "-"])  # a4: not read yet
        self.assertEqual(printed[("beta", "story", "Mon 09:00", "(none)", "live")],
                         ["300", "1", "900", "4", "-", "-"])
        b3 = [r[6:] for r in rows[1:] if r[0] == rows[-1][0]][0]
        self.assertEqual(b3, ["70", "-", "-", "-", "-", "-"])  # the oldest: no engagement offered

    def test_refusals(self):
        code, _, err = ltmctl(self.broker, "traffic", "--days", "0")
        self.assertEqual(code, 2)
        self.assertIn("--days \"0\": expected 1 to 365", err)
        code, out, _ = ltmctl(self.broker, "traffic", "--help")
        self.assertEqual(code, 0)
        self.assertIn("Usage: ltmctl traffic", out)
        watch = ltmtest.Subscriber(self.broker, "operator", ["ltm/replies/#", "ltm/dlq"])
        self.addClassCleanup(watch.close)
        ltmtest.publish(self.broker, "ltmctl", "ltm/commands/scheduler",
                        {"request_id": "bad-days", "command": "traffic", "days": 366})
        reply = watch.wait_for(topic="ltm/replies/bad-days").payload
        self.assertEqual((reply["ok"], reply["code"], reply["error"]),
                         (False, "invalid", "field days: expected an integer from 1 to 365"))
        dlq = watch.wait_for(topic="ltm/dlq").payload
        self.assertIn("field days", dlq["reason"])
        ltmtest.publish(self.broker, "ltmctl", "ltm/commands/scheduler",
                        {"request_id": "bad-age", "command": "traffic", "age_ms": 500})
        reply = watch.wait_for(topic="ltm/replies/bad-age").payload
        self.assertEqual((reply["ok"], reply["error"]),
                         (False, "field age_ms: expected an integer from 1000 to 31622400000"))
        code, _, err = ltmctl(self.broker, "traffic", "--age", "400d")
        self.assertEqual(code, 2)
        self.assertIn("--age \"400d\": expected a duration from 1s to 366d", err)


if __name__ == "__main__":
    unittest.main()
