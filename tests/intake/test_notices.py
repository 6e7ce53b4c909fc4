"""The recruiter hears about new ATS candidates: one DM per batch, at most one an hour,
through the real Slack notifier talking to a fake Slack on 127.0.0.1."""

from __future__ import annotations

import json

from bot import ats_notices
from bot.channels.slack.notify import SlackNotifier
from tests.support.intake import LINE, RECRUITER, Harness, rejected


async def test_one_message_per_batch_and_at_most_one_an_hour(harness: Harness) -> None:
    harness.slack.emails[LINE] = RECRUITER
    harness.slack.emails["ola@example.com"] = "U0OLA"
    notifier = SlackNotifier.from_settings(harness.coach.settings, harness.coach.guides)
    notifiers = {"slack": notifier}
    hook = await harness.connect("greenhouse")
    for number in (1, 2, 3):
        assert (await harness.greenhouse(hook, rejected(application=number))).result == "created"
    await harness.greenhouse(hook, rejected(recruiter="ola@example.com", application=4))
    # Still within the batch window: more of the same batch may be on its way.
    assert await ats_notices.send_notices(harness.coach, notifiers) == 0
    harness.clock.advance(minutes=2)
    assert await ats_notices.send_notices(harness.coach, notifiers) == 2
    posts = {post.user: post for post in harness.slack.posts}
    assert set(posts) == {RECRUITER, "U0OLA"}
    line = posts[RECRUITER]
    assert "3 candidates for Designer were rejected in Greenhouse." in line.text
    refs = [ref for *_, ref in await harness.candidates()]
    blocks = json.dumps(line.body.get("blocks"))
    for ref in refs[:3]:
        assert f"start {ref}" in blocks
    assert "1 candidate for Designer was rejected in Greenhouse." in posts["U0OLA"].text
    # Nothing new: nothing sent.
    assert await ats_notices.send_notices(harness.coach, notifiers) == 0

    # Two more within the hour are folded into the next message, an hour after the last.
    await harness.greenhouse(hook, rejected(application=5))
    harness.clock.advance(minutes=10)
    await harness.greenhouse(hook, rejected(application=6))
    harness.clock.advance(minutes=10)
    assert await ats_notices.send_notices(harness.coach, notifiers) == 0
    harness.clock.advance(minutes=45)
    assert await ats_notices.send_notices(harness.coach, notifiers) == 1
    assert "2 candidates for Designer were rejected in Greenhouse." in harness.slack.posts[-1].text
    assert len(harness.slack.posts) == 3


async def test_a_candidate_called_meanwhile_is_not_announced_and_failures_retry(
    harness: Harness,
) -> None:
    harness.slack.emails[LINE] = RECRUITER
    notifier = SlackNotifier.from_settings(harness.coach.settings, harness.coach.guides)
    hook = await harness.connect("greenhouse")
    await harness.greenhouse(hook, rejected(application=1))
    await harness.greenhouse(hook, rejected(application=2))
    [(_, _, _, first), _] = await harness.candidates()
    recruiter = harness.admin().model_copy(update={"user": RECRUITER})
    await harness.say(recruiter, f"log {first} called")
    harness.clock.advance(minutes=2)
    harness.slack.broken.add(RECRUITER)
    assert await ats_notices.send_notices(harness.coach, {"slack": notifier}) == 0
    # Slack failed: the message was not sent, so the hour did not start.
    harness.slack.broken.discard(RECRUITER)
    assert await ats_notices.send_notices(harness.coach, {"slack": notifier}) == 1
    assert "1 candidate for Designer was rejected in Greenhouse." in harness.slack.posts[-1].text
    assert first not in json.dumps(harness.slack.posts[-1].body.get("blocks"))


async def test_the_message_is_in_the_recruiters_language(harness: Harness) -> None:
    harness.slack.emails[LINE] = RECRUITER
    recruiter = harness.admin("nb").model_copy(update={"user": RECRUITER})
    await harness.say(recruiter, "help")
    hook = await harness.connect("greenhouse")
    await harness.greenhouse(hook, rejected(application=1))
    await harness.greenhouse(hook, rejected(application=2))
    harness.clock.advance(minutes=2)
    notifier = SlackNotifier.from_settings(harness.coach.settings, harness.coach.guides)
    assert await ats_notices.send_notices(harness.coach, {"slack": notifier}) == 1
    assert "2 kandidater til Designer har fått avslag i Greenhouse." in harness.slack.posts[-1].text


async def test_a_platform_refusing_the_bot_is_not_hammered(harness: Harness) -> None:
    harness.slack.emails[LINE] = RECRUITER
    harness.slack.emails["ola@example.com"] = "U0OLA"
    notifier = SlackNotifier.from_settings(harness.coach.settings, harness.coach.guides)
    hook = await harness.connect("greenhouse")
    await harness.greenhouse(hook, rejected(application=1))
    await harness.greenhouse(hook, rejected(recruiter="ola@example.com", application=2))
    harness.clock.advance(minutes=2)
    harness.slack.app_error = "token_revoked"
    assert await ats_notices.send_notices(harness.coach, {"slack": notifier}) == 0
    # One try, then the rest of Slack waits for the next run.
    assert len(harness.slack.attempts) == 1
    harness.slack.app_error = None
    assert await ats_notices.send_notices(harness.coach, {"slack": notifier}) == 2
