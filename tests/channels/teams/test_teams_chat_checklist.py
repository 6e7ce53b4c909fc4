"""The checklist in the Teams chat, one point at a time, over real HTTP: the same navigation
words as the terminal (en and nb), commands typed mid-checklist, editing saved answers, a
corrected outcome and a second namesake asked about with a button."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.tables import Candidate, PreparationAnswer
from tests.support.teams_api import FakeConnector, Teams

COMPETENCE = (
    "Your six years of payroll in Visma were relevant, but the role needs someone who has "
    "run the year-end closing alone."
)
GAPS = "The job ad required written Norwegian at contract level; your case draft needed edits."
GAPS_LIKE_A_COMMAND = (
    "Start by saying the job ad required written Norwegian at contract level; your case "
    "draft needed edits."
)
COMPETENCE_NB = (
    "Fem år med lønnskjøring i Visma var relevant, men stillingen krever at du har tatt "
    "årsoppgjøret alene."
)
GAPS_NB = "Utlysningen krevde skriftlig norsk på avtalenivå; caseutkastet ditt trengte retting."


async def _ref(sessions: async_sessionmaker[AsyncSession], name: str) -> str:
    async with sessions() as session:
        candidate = await session.scalar(select(Candidate).where(Candidate.name == name))
        assert candidate is not None
        return candidate.public_id


async def _answers(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    async with sessions() as session:
        return {a.step_key: a.text for a in await session.scalars(select(PreparationAnswer))}


async def _in_chat(teams: Teams, connector: FakeConnector, ref: str) -> str:
    """`start`, then the card's "Answer in the chat instead": what the coach says first."""
    connector.clear()
    await teams.say(f"start {ref}")
    (card,) = connector.cards()
    in_chat = next(a for a in card["actions"] if a["data"]["action"] == "chat_checklist")
    connector.clear()
    assert await teams.post(teams.submit(in_chat["data"], None)) == 201
    return "\n".join(connector.texts())


async def _line(teams: Teams, connector: FakeConnector, text: str) -> str:
    connector.clear()
    assert await teams.say(text) == 201
    return "\n".join(connector.texts())


async def test_navigation_words_in_english(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await teams.say("add Kari Nordmann | Nurse")
    ref = await _ref(sessions, "Kari Nordmann")
    first = await _in_chat(teams, bot_connector, ref)
    assert "[1/4] Relevant competence" in first
    assert "skip (optional points), back, stop, help" in first

    said = await _line(teams, bot_connector, "help")
    assert "[1/4]" in said and "Tip:" in said and "For example:" in said
    assert "can't be skipped" in await _line(teams, bot_connector, "skip")
    assert "This is the first point." in await _line(teams, bot_connector, "back")

    asked = await _line(teams, bot_connector, "list")
    assert "“list” looks like a command" in asked
    ran = await _line(teams, bot_connector, "yes")
    assert "Your candidates (1)" in ran and "Back to the checklist:" in ran
    assert bot_connector.cards()  # the list's own card came too

    assert "[2/4] Gaps" in await _line(teams, bot_connector, COMPETENCE)
    back = await _line(teams, bot_connector, "back")
    assert "[1/4]" in back and f"Saved earlier: {COMPETENCE}" in back
    # In a chat an empty line cannot be sent: skip keeps the saved answer.
    assert "[2/4]" in await _line(teams, bot_connector, "skip")
    assert "looks like a command" in await _line(teams, bot_connector, GAPS_LIKE_A_COMMAND)
    assert "[3/4]" in await _line(teams, bot_connector, "no")
    assert "[4/4]" in await _line(teams, bot_connector, "skip")
    # After the last point: among the strongest? (it decides the talent-pool question)
    assert "Answer yes or no" in await _line(teams, bot_connector, "skip")
    bot_connector.clear()
    await teams.say("no")
    (script,) = bot_connector.cards()
    assert script["body"][0]["text"] == "Your call script for Kari Nordmann"
    assert [a["title"] for a in script["actions"]] == ["Called", "More"]
    assert await _answers(sessions) == {"competence": COMPETENCE, "gaps": GAPS_LIKE_A_COMMAND}
    # The checklist is over: words are commands again.
    assert "Your candidates (1)" in await _line(teams, bot_connector, "list")


async def test_stop_leaves_the_checklist_and_keeps_the_answers(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await teams.say("add Kari Nordmann | Nurse")
    ref = await _ref(sessions, "Kari Nordmann")
    await _in_chat(teams, bot_connector, ref)
    await _line(teams, bot_connector, COMPETENCE)
    stopped = await _line(teams, bot_connector, "stop")
    assert f"Stopped. Your answers are saved; type start {ref} to carry on." in stopped
    assert "Your candidates (1)" in await _line(teams, bot_connector, "list")
    assert await _answers(sessions) == {"competence": COMPETENCE}


async def test_navigation_words_in_norwegian(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    teams.locale = "nb-NO"
    await teams.say("legg til Kari Nordmann | Lønnsmedarbeider")
    ref = await _ref(sessions, "Kari Nordmann")
    first = await _in_chat(teams, bot_connector, ref)
    assert "hopp over (valgfrie punkter), tilbake, stopp, hjelp" in first
    assert "Tips:" in await _line(teams, bot_connector, "hjelp")
    assert "du kan ikke hoppe over det" in await _line(teams, bot_connector, "hopp over")
    await _line(teams, bot_connector, COMPETENCE_NB)
    back = await _line(teams, bot_connector, "tilbake")
    assert f"Lagret tidligere: {COMPETENCE_NB}" in back
    await _line(teams, bot_connector, "hopp over")
    assert "«logg Kari avslo» ser ut som en kommando" in await _line(
        teams, bot_connector, "logg Kari avslo"
    )
    ran = await _line(teams, bot_connector, "ja")
    assert "Ført opp: Kari Nordmann – ønsket ikke tilbakemelding" in ran
    assert "Tilbake til sjekklista:" in ran
    await _line(teams, bot_connector, GAPS_NB)
    stopped = await _line(teams, bot_connector, "stopp")
    assert "Stoppet. Svarene dine er lagret" in stopped
    assert await _answers(sessions) == {"competence": COMPETENCE_NB, "gaps": GAPS_NB}


async def test_start_again_edits_the_saved_answers(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await teams.say("add Kari Nordmann | Nurse")
    ref = await _ref(sessions, "Kari Nordmann")
    await _in_chat(teams, bot_connector, ref)
    for line in (COMPETENCE, GAPS, "skip", "skip", "no"):
        await _line(teams, bot_connector, line)
    # Again: the card holds the saved answers as its values, and says they can be changed.
    bot_connector.clear()
    await teams.say(f"start {ref}")
    (card,) = bot_connector.cards()
    values = {e["id"]: e["value"] for e in card["body"] if e["type"] == "Input.Text"}
    assert values["competence"] == COMPETENCE and values["gaps"] == GAPS
    assert "are filled in. Change what you want" in str(card["body"])
    await _in_chat(teams, bot_connector, ref)
    await _line(teams, bot_connector, "skip")
    await _line(teams, bot_connector, GAPS_LIKE_A_COMMAND)
    await _line(teams, bot_connector, "no")
    await _line(teams, bot_connector, "skip")
    await _line(teams, bot_connector, "skip")
    bot_connector.clear()
    await teams.say("no")
    (script,) = bot_connector.cards()
    shown = str(script["body"])
    assert GAPS_LIKE_A_COMMAND in shown and GAPS not in shown


async def test_correcting_an_outcome_and_a_namesake_ask_with_a_button(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await teams.say("add Kari Nordmann | Nurse")
    asked = await _line(teams, bot_connector, "add kari nordmann | nurse")
    assert "Is this another person with the same name?" in asked
    (card,) = bot_connector.cards()
    (yes,) = card["actions"]
    assert yes["title"] == "Yes, add another"
    bot_connector.clear()
    await teams.post(teams.submit(yes["data"], None))
    assert "Added kari nordmann" in "\n".join(bot_connector.texts())

    ref = await _ref(sessions, "Kari Nordmann")
    await teams.say(f"log {ref} called")
    asked = await _line(teams, bot_connector, f"log {ref} no-answer")
    assert "logged as called. Change it to no answer yet?" in asked
    (card,) = bot_connector.cards()
    (yes,) = card["actions"]
    bot_connector.clear()
    await teams.post(teams.submit(yes["data"], None))
    assert "is now no answer yet (was called)" in "\n".join(bot_connector.texts())
    async with sessions() as session:
        rows: Any = await session.scalars(select(Candidate).where(Candidate.public_id == ref))
        assert rows.one().outcome is None
