"""The practice call in Teams: Adaptive Card turns in the personal chat, over real HTTP. The
state rides in the card's data; nothing typed is stored or logged."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams.practice_cards import LINE_INPUT, PRACTICE_ACTION
from bot.messages import Identity
from conversation_guides import GuideBook
from conversation_guides.practice import SCENARIO_ORDER
from storage.tables import Base, Candidate, PracticeRun
from tests.support.practice_scripts import CHANGES, COMMON, MARKER, POINTS, matches, script
from tests.support.teams_api import TENANT, FakeConnector, Running

POSITION = {"nb": "Lønnsmedarbeider", "en": "Payroll officer"}


async def prepared(
    running: Running, sessions: async_sessionmaker[AsyncSession], language: str
) -> str:
    teams = running.teams
    teams.locale = "nb-NO" if language == "nb" else "en-GB"
    assert await teams.say(f"add Kari Nordmann | {POSITION[language]}") == 201
    async with sessions() as session:
        candidate = await session.scalar(select(Candidate))
        assert candidate is not None
        ref = candidate.public_id
    who = Identity(platform="teams", workspace=TENANT, user=teams.user, language=language)
    reply = await running.coach.submit_checklist(who, ref, POINTS[language])
    assert reply.form is None, reply.text
    return ref


def practice_cards(calls: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for call in calls:
        for attachment in call.body.get("attachments") or []:
            content = attachment.get("content") or {}
            # A practice card: one with a box for the recruiter's line.
            if content.get("type") == "AdaptiveCard" and "Input.Text" in json.dumps(content):
                found.append((call.returned_id, content))
    return found


def state_of(card: dict[str, Any]) -> str:
    say, stop = card["actions"]
    assert say["data"]["action"] == stop["data"]["action"] == PRACTICE_ACTION
    assert stop["data"]["stop"] is True
    return say["data"]["state"]


def last_candidate_line(card: dict[str, Any]) -> str:
    lines = [
        b["text"] for b in card["body"] if b.get("weight") == "Bolder" and "Kari: " in b["text"]
    ]
    return lines[-1].removeprefix("Kari: ")


def all_text(card: dict[str, Any]) -> str:
    return "\n".join(b.get("text", "") for b in card["body"])


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("scenario", SCENARIO_ORDER)
async def test_a_practice_call_in_teams_cards(
    running: Running,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
    caplog: pytest.LogCaptureFixture,
    language: str,
    scenario: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    teams = running.teams
    ref = await prepared(running, sessions, language)
    practice = guides.practice(language)
    verb = "øv" if language == "nb" else "practice"
    bot_connector.clear()
    word = practice.scenarios[scenario].words[0]
    assert await teams.say(f"{verb} {ref} | {word}") == 201
    ((card_id, card),) = practice_cards(bot_connector.messages())
    assert matches(guides, language, scenario, "pick_up", last_candidate_line(card))
    steps = script(language, scenario)
    for number, step in enumerate(steps):
        bot_connector.clear()
        value = {**card["actions"][0]["data"], LINE_INPUT: step.says}
        assert await teams.post(teams.submit(value, card_id)) == 201
        (update,) = bot_connector.calls
        # The same card is updated in place, turn by turn.
        assert update.method == "PUT" and update.path.endswith(f"/activities/{card_id}")
        card = update.body["attachments"][0]["content"]
        if number < len(steps) - 1:
            assert len(state_of(card)) <= 3000
            said = last_candidate_line(card)
            assert matches(guides, language, scenario, step.answer, said), (step, said)
    assert "actions" not in card
    debrief = all_text(card)
    assert practice.scenarios[scenario].name in debrief
    for check in CHANGES[scenario]:
        assert practice.checks[check].title in debrief  # type: ignore[index]
    assert practice.debrief.you_said.format(quote=COMMON[language]["hired"]) in debrief

    async with sessions() as session:
        runs = (await session.scalars(select(PracticeRun))).all()
        assert [(r.scenario, r.language) for r in runs] == [(scenario, language)]
        for table in Base.metadata.sorted_tables:  # bot_state included
            for row in (await session.execute(select(table))).all():
                assert MARKER not in " ".join(map(str, row)), table.name
    assert MARKER not in caplog.text


async def test_the_stop_button_ends_with_the_debrief(
    running: Running,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
) -> None:
    teams = running.teams
    ref = await prepared(running, sessions, "nb")
    bot_connector.clear()
    assert await teams.say(f"øv {ref}") == 201
    ((card_id, card),) = practice_cards(bot_connector.messages())
    bot_connector.clear()
    value = {**card["actions"][0]["data"], LINE_INPUT: COMMON["nb"]["opening"]}
    await teams.post(teams.submit(value, card_id))
    card = bot_connector.calls[-1].body["attachments"][0]["content"]
    bot_connector.clear()
    await teams.post(teams.submit({**card["actions"][1]["data"], LINE_INPUT: ""}, card_id))
    card = bot_connector.calls[-1].body["attachments"][0]["content"]
    assert guides.practice("nb").debrief.stopped in all_text(card)
    async with sessions() as session:
        (run,) = (await session.scalars(select(PracticeRun))).all()
        assert run.exchanges == 1


async def test_a_practice_asked_for_in_a_group_chat_goes_to_the_personal_chat(
    running: Running,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
) -> None:
    teams = running.teams
    ref = await prepared(running, sessions, "en")
    bot_connector.clear()
    group = teams.message(f"practice {ref}")
    group["conversation"] = {
        **group["conversation"],
        "id": "19:group",
        "conversationType": "groupChat",
    }
    assert await teams.post(group) == 201
    # The group hears only where to look; the practice card is in the personal chat.
    into_group = [c for c in bot_connector.messages() if "19:group" in c.path]
    assert practice_cards(into_group) == []
    assert [c.body.get("text") for c in into_group] == [guides.text("en", "teams_sent_privately")]
    personal = [c for c in bot_connector.messages() if f"a:personal-{teams.user}" in c.path]
    assert len(practice_cards(personal)) == 1


@pytest.mark.parametrize(
    "value",
    [
        {"action": PRACTICE_ACTION},
        {"action": PRACTICE_ACTION, "state": {"v": 1}, LINE_INPUT: ["x"]},
        {"action": PRACTICE_ACTION, "state": "{" * 4000, LINE_INPUT: "Hei", "stop": "yes"},
    ],
)
async def test_a_practice_submit_not_shaped_as_ours_is_answered_politely(
    running: Running, bot_connector: FakeConnector, guides: GuideBook, value: dict[str, Any]
) -> None:
    teams = running.teams
    bot_connector.clear()
    assert await teams.post(teams.submit(value, None)) == 201
    assert guides.text("en", "practice_expired") in bot_connector.texts()
