"""The Slack stand-in, the bot over HTTP and the breakable store, shared with the Slack tests."""

from tests.channels.slack.conftest import bot, breakable, fake_slack

__all__ = ["bot", "breakable", "fake_slack"]
