"""botbuilder Storage on the project's database: shared by instances, with etag checks."""

from __future__ import annotations

import pytest
from botbuilder.core import StoreItem
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams.state import DatabaseStorage
from storage.bot_state import BotStateStore


@pytest.fixture
def storages(sessions: async_sessionmaker[AsyncSession]) -> tuple[DatabaseStorage, ...]:
    # Two instances of the bot, one database.
    return DatabaseStorage(BotStateStore(sessions)), DatabaseStorage(BotStateStore(sessions))


async def test_what_one_instance_writes_the_other_reads(
    storages: tuple[DatabaseStorage, DatabaseStorage],
) -> None:
    one, two = storages
    await one.write({"msteams/users/u1": {"profile": {"greeted": True}}})
    found = await two.read(["msteams/users/u1", "missing"])
    assert list(found) == ["msteams/users/u1"]
    assert found["msteams/users/u1"]["profile"] == {"greeted": True}
    assert found["msteams/users/u1"]["e_tag"]
    await two.delete(["msteams/users/u1"])
    assert await one.read(["msteams/users/u1"]) == {}


async def test_a_stale_etag_is_refused_and_the_newer_state_kept(
    storages: tuple[DatabaseStorage, DatabaseStorage],
) -> None:
    one, two = storages
    await one.write({"k": {"n": 1}})
    seen_by_one = (await one.read(["k"]))["k"]
    seen_by_two = (await two.read(["k"]))["k"]
    seen_by_two["n"] = 2
    await two.write({"k": seen_by_two})
    seen_by_one["n"] = 3
    with pytest.raises(KeyError):
        await one.write({"k": seen_by_one})
    assert (await one.read(["k"]))["k"]["n"] == 2
    # "*" means: overwrite whatever is there.
    await one.write({"k": {"n": 4, "e_tag": "*"}})
    assert (await two.read(["k"]))["k"]["n"] == 4


async def test_a_write_refreshes_the_callers_etag_and_store_items_work(
    storages: tuple[DatabaseStorage, DatabaseStorage],
) -> None:
    one, _ = storages
    item = {"n": 1}
    await one.write({"k": item})
    item["n"] = 2
    await one.write({"k": item})  # a second save in the same turn is not stale
    assert (await one.read(["k"]))["k"]["n"] == 2

    store_item = StoreItem(counter=7)
    await one.write({"s": store_item})
    assert (await one.read(["s"]))["s"]["counter"] == 7
    assert store_item.e_tag == (await one.read(["s"]))["s"]["e_tag"]
