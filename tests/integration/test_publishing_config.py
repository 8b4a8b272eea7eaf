"""Live-mode configuration errors stop the workers at start (exit 78) with a
message naming the setting, or the account and the field."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fakes"))

from publishing import AUTHOR, PublishingCase, accounts  # noqa: E402


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
