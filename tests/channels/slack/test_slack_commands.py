"""/feedback-call with every command of the grammar, over signed HTTP against a local Slack."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.coach import Coach
from bot.messages import language_from_locale
from storage.tables import Candidate, InboxItem, ProcessedEvent, Recruiter
from tests.support.conversations import CONVERSATION, EMPTY
from tests.support.database import Clock
from tests.support.slack import USER, Bot, running_bot, settle, slack_settings
from tests.support.slack_api import TEAM, FakeSlack
from tests.support.statements import counting

CONVERSATION_NB = [
    ("help", "Jeg hjelper deg"),
    ("add Kari Nordmann | Lønnskonsulent", "Kari Nordmann"),
    ("list", "Kari Nordmann"),
    ("log Kari ringt", "Kari Nordmann"),
]


async def test_the_conversation_answers_ephemerally_in_english(bot: Bot) -> None:
    for said, expected in [EMPTY, *CONVERSATION]:
        answer = await bot.say(said)
        assert expected in answer["text"], (said, answer["text"])
        # The same words are in the blocks Slack shows.
        assert expected.split("“")[0] in str(answer["blocks"]), said


async def test_norwegian_locale_answers_in_norwegian_and_is_cached(bot: Bot) -> None:
    bot.fake.user(USER, locale="nb-NO", tz="Europe/Oslo")
    answers = [await bot.say(said) for said, _ in CONVERSATION_NB]
    for (said, expected), answer in zip(CONVERSATION_NB, answers, strict=True):
        assert expected in answer["text"], (said, answer["text"])
    assert "Jeg hjelper deg" in answers[0]["text"]
    assert "Ført opp: Kari Nordmann" in answers[-1]["text"]
    # users.info once: the language is remembered in the store, not asked again.
    assert len(bot.fake.called("users.info")) == 1
    assert bot.fake.called("users.info")[0].params["include_locale"] in ("1", "true", "True")
    async with bot.sessions() as session:
        recruiter = await session.scalar(select(Recruiter).where(Recruiter.external_id == USER))
    assert recruiter is not None
    assert (recruiter.language, recruiter.timezone) == ("nb", "Europe/Oslo")
    assert recruiter.language_checked_at is not None


async def test_cached_language_is_checked_again_after_a_week(bot: Bot, clock: Clock) -> None:
    bot.fake.user(USER, locale="en-GB", tz="Europe/London")
    assert "I help you" in (await bot.say("help"))["text"]
    bot.fake.user(USER, locale="no-NO", tz="Europe/Oslo")
    clock.advance(days=3)
    assert "I help you" in (await bot.say("help"))["text"]
    clock.advance(days=5)
    assert "Jeg hjelper deg" in (await bot.say("help"))["text"]
    assert len(bot.fake.called("users.info")) == 2


def test_locales() -> None:
    assert language_from_locale("nb-NO") == "nb"
    assert language_from_locale("no-NO") == "nb"
    assert language_from_locale("nn_NO") == "nb"
    assert language_from_locale("en-US") == "en"
    assert language_from_locale("de-DE") == "en"
    assert language_from_locale(None) is None


async def test_users_info_failure_falls_back_to_the_default_language(bot: Bot) -> None:
    bot.fake.plan("users.info", status=500, body={"ok": False, "error": "internal_error"})
    answer = await bot.say("help")
    assert "I help you" in answer["text"]
    # Not remembered as checked: the next command asks Slack again.
    await bot.say("help")
    assert len(bot.fake.called("users.info")) == 2


async def test_recruiters_are_told_apart_by_team_and_user(bot: Bot) -> None:
    await bot.add("Ola Nordmann", user="U0ONE")
    answer = await bot.say("list", user="U0TWO")
    assert "Ola Nordmann" not in answer["text"]
    assert "no candidates yet" in answer["text"]
    async with bot.sessions() as session:
        owners = (await session.scalars(select(Recruiter.external_id))).all()
    assert sorted(owners) == ["U0ONE", "U0TWO"]


async def test_a_repeated_add_delivery_adds_once(bot: Bot) -> None:
    body = bot.slack.command_body("add Ola Nordmann | Nurse", trigger_id="trigger-same")
    first = await bot.slack.post(body, "application/x-www-form-urlencoded")
    await bot.fake.wait_responses(1)
    # Slack retries after its timeout, when the first delivery's inbox row is gone: a retry
    # while it is still being worked on is acknowledged and left to that first one.
    await settle()
    again = await bot.slack.post(
        body, "application/x-www-form-urlencoded", headers={"X-Slack-Retry-Num": "1"}
    )
    assert first == again == (200, "")
    answers = await bot.fake.wait_responses(2)
    assert "already recorded" in answers[1]["text"]
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Candidate)) == 1


async def test_read_only_commands_leave_no_delivery_keys(bot: Bot) -> None:
    for said in ("list", "help", "report"):
        await bot.say(said)
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedEvent)) == 0
    await bot.say("add Ola Nordmann | Nurse")
    async with bot.sessions() as session:
        keys = (await session.scalars(select(ProcessedEvent.key))).all()
    assert len(keys) == 1 and keys[0].startswith(f"slack:command:{TEAM}:")


async def test_long_lists_stay_within_slack_limits(bot: Bot) -> None:
    for number in range(60):
        await bot.say(f"add Person {number:02d} | Nurse")
    answer = await bot.say("list")
    assert len(answer["blocks"]) <= 50
    shown = str(answer["blocks"])
    assert "Person 00" in shown and "Person 59" in shown
    assert all(len(b["text"]["text"]) <= 3000 for b in answer["blocks"] if b["type"] == "section")
    # Not every candidate fits with buttons; the rest are listed as rows without them.
    rows = [b for b in answer["blocks"] if b["type"] == "actions"]
    assert 0 < len(rows) < 60
    assert "Person 59" in answer["blocks"][-1]["text"]["text"]


async def test_a_command_with_a_cached_profile_is_one_read_of_the_recruiter(bot: Bot) -> None:
    bot.fake.user(USER, locale="nb-NO", tz="Europe/Oslo")
    await bot.add("Kari Nordmann")
    await settle()  # the add's job deletes its inbox row after answering
    with counting(bot.sessions) as statements:
        answer = await bot.say("list")
        await settle()
    assert "Kari Nordmann" in answer["text"] and "eldste først" in answer["text"]
    # The cached language comes with the recruiter row the command reads anyway: the
    # recruiter, then the list; users.info was asked once, at first contact. A list changes
    # nothing and is answered in the acknowledgement, so the inbox stores nothing for it.
    assert not [s for s in statements if " inbox" in s], statements
    assert len(statements) == 2, statements
    assert not bot.fake.responses[-1:] or "eldste" not in str(bot.fake.responses[-1])
    assert len(bot.fake.called("users.info")) == 1


async def test_a_read_only_answer_too_slow_for_the_acknowledgement_comes_at_response_url(
    coach: Coach, database_url: str, fake_slack: FakeSlack
) -> None:
    # A first contact asks users.info, and this Slack takes longer than the time left for
    # the acknowledgement: the list is stored in the inbox and answered at response_url.
    settings = slack_settings(database_url, fake_slack.url, SLACK_ANSWER_IN_ACK_SECONDS="0.2")
    coach.settings = settings
    fake_slack.user(USER, locale="nb-NO", tz="Europe/Oslo")
    fake_slack.delay = 0.6
    async with running_bot(coach, settings, fake_slack) as bot:
        status, body = await bot.slack.command("list")
        assert (status, body) == (200, "")
        answer = (await fake_slack.wait_responses(1))[0]
        await settle()
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == coach.t("nb", "list_empty")
    # Answered once: the try in the acknowledgement was given up, not answered as well.
    assert len(fake_slack.responses) == 1
    async with coach.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InboxItem)) == 0


async def test_a_read_only_answer_in_time_is_the_acknowledgement_and_stores_nothing(
    bot: Bot,
) -> None:
    await bot.add("Kari Nordmann")
    await settle()
    calls = len(bot.fake.calls)
    status, body = await bot.slack.command("list")
    await settle()
    answer = json.loads(body)
    assert status == 200 and answer["response_type"] == "ephemeral"
    assert "Kari Nordmann" in json.dumps(answer["blocks"], ensure_ascii=False)
    assert bot.fake.responses[-1]["text"].startswith("Added")  # nothing after the add's answer
    assert bot.fake.calls[calls:] == []
