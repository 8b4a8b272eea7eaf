"""The broker ACL as a matrix: every broker user (and anonymous) publishes
and subscribes on every topic family, and each cell is checked against the
table "Who may read and write what" in docs/topics.md.

The doc is the source of truth: the table is parsed from docs/topics.md, so
the test fails when the doc and mosquitto/acl diverge, when a topic of the
main topic table has no column, or when an ACL rule is not exercised by any
cell.

Mosquitto 2.0.11 acknowledges a denied QoS 1 PUBLISH and grants a SUBSCRIBE
outside the ACL (mosquitto/acl), so no exit code proves anything. Instead:
  - write: the user publishes a unique marker; operator (reads ltm/# and
    $SYS/#) observes, and must receive it iff the cell has `w`;
  - read: a user that the matrix lets write the topic publishes a marker;
    the tested user's subscriber must receive it iff the cell has `r`.
One subscriber per user covers all families at once; after one batch of
publishes, a sync probe on a topic the subscriber may read bounds the wait
(same connection, in order: once the probe is there, anything that was
going to arrive has arrived).

Run: python3 -m unittest -v tests/integration/test_acl_matrix.py  (from the repo)
"""

import concurrent.futures
import os
import re
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltmtest  # noqa: E402
from ltmtest import Broker, Subscriber, publish, publish_lines, sync  # noqa: E402

TOPICS_DOC = os.path.join(ltmtest.SOURCE_DIR, "docs", "topics.md")
ACL_FILE = os.path.join(ltmtest.SOURCE_DIR, "mosquitto", "acl")
MATRIX_HEADING = "## Who may read and write what"
ANONYMOUS = "anonymous"
OBSERVER = "operator"
SYS_COLUMN = "$SYS/broker/publish/messages/dropped"
# Read check of $SYS: the broker itself publishes this one, retained (the
# only $SYS topic a service reads: sysmonitor, for the dropped count).
SYS_READ_TOPIC = SYS_COLUMN
CELL_VALUES = {"r", "w", "rw", "-"}
INSTANCE = "matrix"


def _split_row(line):
    cells = line.strip().strip("|").split("|")
    return [c.strip().strip("`").strip() for c in cells]


def markdown_tables(text):
    """[(heading, header cells, [row cells])] for every table of `text`."""
    tables, heading, current = [], None, None
    for line in text.splitlines():
        if line.startswith("#"):
            heading = line.strip()
        if line.lstrip().startswith("|"):
            cells = _split_row(line)
            if current is None:
                current = (heading, cells, [])
                tables.append(current)
            elif not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                current[2].append(cells)
        else:
            current = None
    return tables


def load_doc():
    """(main table topics, matrix columns, {user: {column: cell}})."""
    with open(TOPICS_DOC, encoding="utf-8") as f:
        tables = markdown_tables(f.read())
    main = [t for t in tables if t[1] and t[1][0] == "topic"]
    matrix = [t for t in tables if t[0] == MATRIX_HEADING]
    if len(main) != 1 or len(matrix) != 1:
        raise AssertionError("%s: expected one topic table and one table under %r, found "
                             "%d and %d" % (TOPICS_DOC, MATRIX_HEADING, len(main), len(matrix)))
    topics = [row[0] for row in main[0][2]]
    header, rows = matrix[0][1], matrix[0][2]
    if header[0] != "user":
        raise AssertionError("matrix header must start with 'user', got %r" % header)
    columns = header[1:]
    cells = {}
    for row in rows:
        if len(row) != len(header):
            raise AssertionError("matrix row %r has %d cells, header has %d"
                                 % (row, len(row), len(header)))
        cells[row[0]] = dict(zip(columns, row[1:]))
    return topics, columns, cells


def load_acl():
    """[(user, access, pattern)] from mosquitto/acl."""
    rules, user = [], None
    with open(ACL_FILE) as f:
        for line in f:
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            if words[0] == "user":
                user = words[1]
            elif words[0] == "topic":
                access, pattern = (words[1], words[2]) if len(words) == 3 else ("readwrite", words[1])
                rules.append((user, access, pattern))
    return rules


def other_service(user):
    return "poster" if user != "poster" else "scheduler"


def concrete(column, user, for_read=False):
    """The topic `user` uses to exercise `column`."""
    if column == SYS_COLUMN:
        return SYS_READ_TOPIC if for_read else "$SYS/ltm-matrix/" + user
    topic = column.replace("<own service>", user).replace("<another service>", other_service(user))
    topic = topic.replace("<instance>", INSTANCE)
    topic = re.sub(r"<[^>]*>", "matrix-id", topic)
    if "+" in topic or "#" in topic or "<" in topic or not topic.startswith("ltm/"):
        raise AssertionError("no concrete topic known for matrix column %r" % column)
    return topic


def same_family(doc_topic, column):
    """Level by level: equal literals, or a placeholder against a placeholder."""
    a, b = doc_topic.split("/"), column.split("/")
    if len(a) != len(b):
        return False
    return all(x == y or (x.startswith("<") and y.startswith("<")) for x, y in zip(a, b))


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


class AclMatrixDocTest(unittest.TestCase):
    """Checks of the table itself; no broker."""

    def setUp(self):
        self.topics, self.columns, self.cells = load_doc()

    def test_rows_are_the_broker_users_and_anonymous(self):
        self.assertEqual(sorted(self.cells), sorted(ltmtest.USERS + (ANONYMOUS,)))

    def test_cells_are_r_w_rw_or_dash(self):
        bad = [(u, c, v) for u, row in self.cells.items() for c, v in row.items()
               if v not in CELL_VALUES]
        self.assertEqual(bad, [], "cells must be one of %s" % sorted(CELL_VALUES))

    def test_every_topic_of_the_topic_table_has_a_column(self):
        missing = [t for t in self.topics if not any(same_family(t, c) for c in self.columns)]
        self.assertEqual(missing, [], "topics of docs/topics.md's table with no column in the "
                         "matrix %r (add one, with a cell for every user)" % MATRIX_HEADING)

    def test_every_acl_rule_is_exercised_by_some_cell(self):
        unexercised = []
        for user, access, pattern in load_acl():
            used = [concrete(c, user, for_read=(access != "write")) for c in self.columns]
            if not any(ltmtest.topic_matches(pattern, t) for t in used):
                unexercised.append("user %s: topic %s %s" % (user, access, pattern))
        self.assertEqual(unexercised, [], "ACL rules that no matrix column tests (add a "
                         "column to %r)" % MATRIX_HEADING)

    def test_anonymous_has_no_rights(self):
        granted = {c: v for c, v in self.cells[ANONYMOUS].items() if v != "-"}
        self.assertEqual(granted, {}, "mosquitto.conf has allow_anonymous false")


class AclMatrixBrokerTest(unittest.TestCase):
    """Every cell against one real broker."""

    @classmethod
    def setUpClass(cls):
        cls.topics, cls.columns, cls.cells = load_doc()
        cls.broker = Broker()

    @classmethod
    def tearDownClass(cls):
        cls.broker.close()

    def writer_of(self, topic):
        """A user the matrix lets write `topic` (the broker itself for $SYS reads)."""
        if topic == SYS_READ_TOPIC:
            return "broker"
        for user in ltmtest.USERS:
            for column in self.columns:
                if "w" in self.cells[user][column] and concrete(column, user) == topic:
                    return user
        return None

    def test_anonymous_cannot_connect(self):
        rc = publish(self.broker, None, "ltm/results", {"x": 1})
        self.assertNotEqual(rc, 0, "anonymous publish was accepted")
        self.assertIn("not authorised", ltmtest.publish.last_stderr)
        sub = Subscriber(self.broker, None, ["ltm/#", "$SYS/#"], wait=False)
        try:
            rc = sub.proc.wait(timeout=10)
            sub._reader.join(timeout=5)
            self.assertNotEqual(rc, 0, "anonymous mosquitto_sub kept running")
            self.assertEqual(sub._subacks, 0, "anonymous subscription was acknowledged")
            self.assertEqual(sub.messages(), [])
        finally:
            sub.close()

    def test_every_cell(self):
        started = time.monotonic()
        run = unique("matrix")
        users = ltmtest.USERS
        observer_row = self.cells[OBSERVER]
        self.assertTrue(all("r" in observer_row[c] for c in self.columns),
                        "the observer %s must read every column: %s" % (OBSERVER, observer_row))

        observer = Subscriber(self.broker, OBSERVER, ["ltm/#", "$SYS/#"])
        self.addCleanup(observer.close)
        readers = {}
        for user in users:
            topics = sorted({concrete(c, user, for_read=True) for c in self.columns})
            readers[user] = Subscriber(self.broker, user, topics)
            self.addCleanup(readers[user].close)

        def marker(check, user, column):
            return {"matrix": run, "check": check, "user": user, "column": column}

        # Writes: one publish per (user, column). Reads: one connection per
        # (writer, topic), a line per reader that is tested on it.
        writes = [(u, concrete(c, u), marker("write", u, c)) for u in users for c in self.columns]
        read_batches, unreadable = {}, []
        for user in users:
            for column in self.columns:
                topic = concrete(column, user, for_read=True)
                writer = self.writer_of(topic)
                if writer is None:
                    unreadable.append((user, column, topic))
                elif writer != "broker":
                    read_batches.setdefault((writer, topic), []).append(
                        marker("read", user, column))

        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            jobs = [pool.submit(publish, self.broker, u, t, p) for u, t, p in writes]
            jobs += [pool.submit(publish_lines, self.broker, w, t, lines)
                     for (w, t), lines in read_batches.items()]
            for job in jobs:
                job.result()  # exit codes prove nothing (denied publishes are acked)

        # Barriers: a probe on a topic each subscriber may read. If the
        # broker refuses the first such topic, the next one still bounds the
        # wait (and the refused cell is reported below).
        sync(self.broker, observer, "poster", "ltm/results")
        failures, unsynced = [], set()
        for user, sub in readers.items():
            candidates = [t for t in (concrete(c, user, for_read=True) for c in self.columns
                                      if "r" in self.cells[user][c] and c != SYS_COLUMN)
                          if self.writer_of(t)]
            self.assertTrue(candidates, "%s may read nothing that anyone writes: cannot sync" % user)
            for topic in candidates:
                try:
                    sync(self.broker, sub, self.writer_of(topic), topic, timeout=0.5)
                    break
                except AssertionError:
                    continue
            else:
                unsynced.add(user)
                failures.append("%s received none of its sync probes on %s: its read "
                                "cells are not checked" % (user, ", ".join(candidates)))

        def got(sub, check, user, column):
            for m in sub.messages():
                p = m.payload
                if (isinstance(p, dict) and p.get("matrix") == run and p.get("check") == check
                        and p.get("user") == user and p.get("column") == column):
                    return True
            return False

        checked = {"allowed": 0, "denied": 0}
        for user in users:
            for column in self.columns:
                cell = self.cells[user][column]
                # write
                expected = "w" in cell
                actual = got(observer, "write", user, column)
                checked["allowed" if expected else "denied"] += 1
                if actual != expected:
                    failures.append("%s writing %s (%s), cell %r: %s" % (
                        user, concrete(column, user), column, cell,
                        "the observer received it" if actual else "the observer never received it"))
                # read
                topic = concrete(column, user, for_read=True)
                if (user, column, topic) in unreadable or user in unsynced:
                    continue
                expected = "r" in cell
                if topic == SYS_READ_TOPIC:
                    actual = bool(readers[user].messages("$SYS/#"))
                else:
                    actual = got(readers[user], "read", user, column)
                checked["allowed" if expected else "denied"] += 1
                if actual != expected:
                    failures.append("%s reading %s (%s), cell %r: %s" % (
                        user, topic, column, cell,
                        "it received the marker" if actual else "it never received the marker"))

        print("\nACL matrix: %d allowed and %d denied cells checked (+ anonymous refused); "
              "%d reads not checkable (no user may write the topic): %s; %.1f s"
              % (checked["allowed"], checked["denied"], len(unreadable),
                 ", ".join("%s %s" % (u, t) for u, _, t in unreadable),
                 time.monotonic() - started), file=sys.stderr)
        if failures:
            self.fail("the broker's ACL differs from the matrix in %s in %d cells:\n  %s"
                      % (TOPICS_DOC, len(failures), "\n  ".join(failures)))


if __name__ == "__main__":
    unittest.main()
