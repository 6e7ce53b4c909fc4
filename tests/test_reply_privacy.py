"""The engine marks every reply that carries anything about a candidate as private."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bot.coach import Coach
from bot.messages import Attachment, Card, Identity, Inbound, Reply
from storage.tables import Candidate
from tests.support.grammar_walk import WALK, grammar_kinds, leaks, walked_kinds


def test_the_walk_covers_every_command_of_the_grammar() -> None:
    assert walked_kinds() == grammar_kinds()


async def test_every_command_says_whether_its_reply_is_private(
    coach: Coach, person: Callable[..., Identity], sessions: async_sessionmaker[AsyncSession]
) -> None:
    admin = person("admin-user")
    answered: list[tuple[str, Reply]] = []
    for step in WALK:
        replies = await coach.handle(admin, Inbound(text=step.said))
        assert replies, step.said
        assert any(step.expected in reply.text for reply in replies), (step.said, replies)
        assert [reply.private for reply in replies] == [step.private] * len(replies), step.said
        answered += [(step.said, reply) for reply in replies]
    async with sessions() as session:
        ids = tuple((await session.scalars(select(Candidate.public_id))).all())
    for said, reply in answered:
        if not reply.private:
            # Shareable means it: no name, position, note or id, in any part of the reply.
            assert leaks(reply.model_dump(), ids) == [], (said, reply.text)
        if reply.cards or reply.form or reply.attachment:
            assert reply.private, said


async def test_a_database_outage_answer_is_shareable(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    # Nothing listens on port 1: every connection is refused, as with a database that is down.
    unreachable = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    broken = Coach(
        async_sessionmaker(bind=unreachable), coach.guides, coach.settings, clock=coach.clock
    )
    (reply,) = await broken.handle(person(), Inbound(text="list"))
    await unreachable.dispose()
    assert "database" in reply.text and not reply.private


def test_cards_forms_and_files_cannot_be_shareable() -> None:
    with pytest.raises(ValidationError):
        Reply(text="x", cards=[Card(title="Kari")], private=False)
    with pytest.raises(ValidationError):
        Reply(text="x", attachment=Attachment(filename="a.json", content="{}"), private=False)
    assert Reply(text="anything").private  # private unless the engine says otherwise
    assert not Reply.shareable("help").private
