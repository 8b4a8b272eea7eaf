"""The accounts file has one reader (common/accounts.c): the scheduler and
both workers check the whole file the same way at start, so a file that one
of them would refuse stops all three (exit 78) with the same sentence naming
the account and the field. Each case below was accepted by one side before
the readers were one: the scheduler ignored channels and content, the poster
ignored schedule and stories, the story publisher schedule and content."""

import json
import os
import shutil
import tempfile
import unittest

import ltmtest
from ltmservice import run_once

SERVICES = ("scheduler", "poster", "story-publisher")

CASES = {
    "schedule": ({"name": "acme", "schedule": {"posts": ["9h"]}},
                 'account "acme": field schedule.posts[0]: expected HH:MM'),
    "timezone": ({"name": "acme", "timezone": "Europe/Atlantis"},
                 'account "acme": field timezone: unknown time zone'),
    "channel": ({"name": "acme", "channel": {"type": "myspace"}},
                'account "acme": field channel.type: expected sandbox, linkedin'),
    "content": ({"name": "acme", "content": {"themes": {"funday": "x"}}},
                'account "acme": field content.themes.funday: expected a weekday'),
    "stories": ({"name": "acme", "stories": {"channel": {"type": "linkedin"}}},
                'account "acme": field stories.channel.'),
    "duplicate": ([{"name": "acme"}, {"name": "acme"}],
                  'account "acme": field name: the same name is used by accounts[0]'),
}


class OneReaderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = ltmtest.Broker()

    @classmethod
    def tearDownClass(cls):
        cls.broker.close()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ltm-accounts-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def start(self, name, accounts):
        path = os.path.join(self.tmp, "accounts.json")
        with open(path, "w") as f:
            json.dump({"accounts": accounts if isinstance(accounts, list) else [accounts]}, f)
        env = dict(self.broker.env_for(name), LTM_DATA_DIR=self.tmp, LTM_ACCOUNTS_FILE=path)
        return run_once(name, env)

    def test_a_file_one_side_refuses_is_refused_by_all(self):
        for case, (accounts, message) in CASES.items():
            lines = set()
            for name in SERVICES:
                with self.subTest(case=case, service=name):
                    code, out = self.start(name, accounts)
                    self.assertEqual(code, 78, out)
                    self.assertIn(message, out)
                    lines.update(line.split(": ", 1)[1] for line in out.splitlines()
                                 if line.startswith("ltm-") and message in line)
            with self.subTest(case=case):
                self.assertEqual(len(lines), 1, lines)  # the same sentence from each


if __name__ == "__main__":
    unittest.main()
