"""Live-mode configuration errors stop the workers at start (exit 78) with a
message naming the setting, or the account and the field."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fakes"))

from publishing import AUTHOR, IG_USER, PublishingCase, accounts, job  # noqa: E402


class ConfigTest(PublishingCase):
    def test_missing_token_names_account_and_field(self):
        path_data = accounts(acme={"channel": {"type": "linkedin", "author": AUTHOR,
                                               "token_env": "NOT_SET_ANYWHERE"}})
        code, out = self.run_config("poster", path_data)
        self.assertEqual(code, 78, out)
        self.assertIn('account "acme": field channel.token_env', out)
        self.assertIn("NOT_SET_ANYWHERE", out)

    def test_story_on_a_channel_without_stories_is_refused(self):
        data = accounts(acme={"stories": {"channel": {"type": "linkedin", "author": AUTHOR,
                                                      "token_env": "ACME_LINKEDIN_TOKEN"}}})
        code, out = self.run_config("story-publisher", data)
        self.assertEqual(code, 78, out)
        self.assertIn('account "acme": field stories.channel.type: linkedin has no stories', out)

    def test_missing_story_token_fails_only_the_story_checks(self):
        # docs/deployment.md puts story tokens in story-publisher.env only:
        # the poster starts without them, publishes posts, and a story's
        # engagement check ends config naming the variable.
        data = accounts(acme={
            "channel": {"type": "linkedin", "author": AUTHOR, "token_env": "ACME_LINKEDIN_TOKEN"},
            "stories": {"channel": {"type": "instagram", "user_id": IG_USER,
                                    "token_env": "ACME_STORY_TOKEN_UNSET"}}})
        code, out = self.run_config("story-publisher", data)
        self.assertEqual(code, 78, out)
        self.assertIn('account "acme": field stories.channel.token_env', out)
        self.assertIn("ACME_STORY_TOKEN_UNSET", out)

        poster = self.worker(data=data)
        poster.wait_log("story tokens not set")
        r = self.run_job(job("post:acme:story-token", text="A post without the story token."))
        self.assertEqual(r["status"], "published", r)
        now = int(time.time() * 1000)
        check = job("engagement:story:acme:1@3600000", kind="engagement")
        check.update({"post_job_id": "story:acme:1", "post_kind": "story",
                      "channel": "instagram", "remote_id": "18000000000000099",
                      "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now // 1000 - 3600)), "age_ms": 3600000})
        r = self.run_job(check)
        self.assertFailed(r, "config", False, final=True)
        self.assertIn("ACME_STORY_TOKEN_UNSET", r["error"])
        self.assertEqual(self.ig.calls(), [])

    def test_missing_openai_key_in_live_mode(self):
        code, out = self.run_config("poster", self.default_accounts(), OPENAI_API_KEY="")
        self.assertEqual(code, 78, out)
        self.assertIn("OPENAI_API_KEY", out)

    def test_retired_version_setting_format(self):
        code, out = self.run_config("poster", self.default_accounts(), LTM_LINKEDIN_VERSION="v2")
        self.assertEqual(code, 78, out)
        self.assertIn("LTM_LINKEDIN_VERSION", out)


if __name__ == "__main__":
    unittest.main()
