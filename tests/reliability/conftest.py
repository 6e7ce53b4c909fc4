"""The Slack stand-in and the breakable store, shared with the Slack channel's tests."""

from tests.channels.slack.conftest import breakable, fake_slack

__all__ = ["breakable", "fake_slack"]
