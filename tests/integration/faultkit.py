"""Shared pieces of the long-fault tests (test_long_faults_*.py): jobs put in
the scheduler's ledger ahead of time with `ltmctl post --at`, so the scheduler
dispatches them on its own schedule while a fault lasts; the wait until every
one of them has a final state; the tally that docs/reliability.md reports."""

import collections
import os
import subprocess
import tempfile

import ltmtest
from test_scheduler import ltmctl_json, parse_iso

ACTIVE = ("waiting", "in_flight", "held")


def schedule_posts(test, broker, account, offsets_ms, prefix):
    """One post per offset (ms from now), each with a unique text; returns
    [(job_id, text)] in order."""
    out = []
    for i, offset in enumerate(offsets_ms):
        text = "%s %d" % (prefix, i)
        reply = ltmctl_json(test, broker, "post", "--account", account, "--text", text,
                            "--at", "+%dms" % max(offset, 0))
        out.append((reply["job_id"], text))
    return out


def ledger_jobs(test, broker, job_ids):
    jobs = ltmctl_json(test, broker, "jobs", "--since", "1h", "--limit", "500")["jobs"]
    return {j["job_id"]: j for j in jobs if j["job_id"] in job_ids}


def wait_final(test, broker, job_ids, timeout):
    """Polls `ltmctl jobs` until every job has a final state; returns them by id."""
    job_ids = set(job_ids)
    seen = {}

    def all_final():
        seen.clear()
        seen.update(ledger_jobs(test, broker, job_ids))
        return len(seen) == len(job_ids) and all(j["state"] not in ACTIVE
                                                 for j in seen.values())
    try:
        ltmtest.wait_until(all_final, timeout, "every job final in the ledger")
    except AssertionError:
        states = collections.Counter(j["state"] for j in seen.values())
        raise AssertionError("not every job is final after %.0f s: %d of %d in the ledger, "
                             "states %s" % (timeout, len(seen), len(job_ids), dict(states)))
    return dict(seen)


def retry_gaps(job):
    """[(n, seconds)] between the end of attempt n and the dispatch of n + 1."""
    a = job["attempts"]
    return [(n, parse_iso(a[n]["dispatched_at"]) - parse_iso(a[n - 1]["finished_at"]))
            for n in range(1, len(a)) if a[n - 1].get("finished_at")]


def figures(name, **counts):
    """One line the reliability doc quotes: `FIGURES name k=v ...`."""
    line = "FIGURES %s %s" % (name, " ".join("%s=%s" % kv for kv in counts.items()))
    print(line, flush=True)
    return line


class Mount:
    """A tmpfs of `size` mounted on a new directory (root only)."""

    def __init__(self, size="4m"):
        self.path = tempfile.mkdtemp(prefix="ltm-fault-fs-")
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size,
                               "tmpfs", self.path], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0:
            os.rmdir(self.path)
            raise PermissionError(proc.stdout.strip())

    def remount(self, *options):
        subprocess.run(["mount", "-o", ",".join(("remount",) + options), self.path],
                       check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def close(self):
        subprocess.run(["umount", "-l", self.path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        os.rmdir(self.path)
