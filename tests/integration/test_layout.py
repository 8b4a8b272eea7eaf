"""The layout keeps its promises (docs/architecture.md, "Code layout"): each
binary loads only the libraries it uses (ldd on the built binaries), and no
service includes another one's files; the two workers share theirs through
services/publishing/, every service through common/."""

import os
import re
import subprocess
import unittest

from ltmservice import binary

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("LTM_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))

FOUNDATION = {"paho-mqtt3as", "cjson"}
# What each binary needs beyond the foundation, and why.
EXTRA = {
    "ltm-scheduler": {"glib-2.0", "sqlite3"},             # zones, ledger.db
    "ltm-poster": {"curl", "sqlite3", "glib-2.0"},        # APIs, publications.db, zones
    "ltm-story-publisher": {"curl", "sqlite3", "glib-2.0"},
    "ltm-notifier": {"curl"},                             # Telegram
    "ltm-health-gateway": {"microhttpd"},                 # HTTP server
    "ltm-sysmonitor": set(),
    "ltmctl": set(),
}
WATCHED = FOUNDATION | {"curl", "sqlite3", "glib-2.0", "microhttpd"}


def loaded(path):
    """The watched libraries ldd lists for a binary (direct or not)."""
    out = subprocess.run(["ldd", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         check=True).stdout.decode()
    names = set(re.findall(r"^\s*lib([\w.+-]+?)\.so", out, re.M))
    return names & WATCHED


class LayoutTest(unittest.TestCase):
    def test_each_binary_loads_only_what_it_uses(self):
        for name, extra in EXTRA.items():
            with self.subTest(binary=name):
                self.assertEqual(loaded(binary(name)), FOUNDATION | extra)

    def test_services_never_include_one_another(self):
        services = os.path.join(SOURCE_DIR, "services")
        folders = {d for d in os.listdir(services) if os.path.isdir(os.path.join(services, d))}
        include = re.compile(r'^\s*#\s*include\s+"([\w.-]+)/', re.M)
        for folder in sorted(folders):
            for root, _, files in os.walk(os.path.join(services, folder)):
                for f in files:
                    if not f.endswith((".c", ".h")):
                        continue
                    with open(os.path.join(root, f)) as fh:
                        prefixes = set(include.findall(fh.read()))
                    with self.subTest(file=os.path.join(folder, f)):
                        # "ltm/..." is common/; "publishing/..." the workers' library,
                        # for the workers only.
                        allowed = {"ltm"} | ({"publishing"} if folder in
                                             ("publishing", "poster", "story-publisher") else set())
                        self.assertLessEqual(prefixes, allowed)
        for f in os.listdir(os.path.join(SOURCE_DIR, "common")):
            if f.endswith(".c"):
                with open(os.path.join(SOURCE_DIR, "common", f)) as fh:
                    self.assertEqual(set(include.findall(fh.read())) - {"ltm"}, set(), f)


if __name__ == "__main__":
    unittest.main()
