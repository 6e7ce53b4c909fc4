"""botbuilder's Storage on the project's database, so any instance can continue a conversation."""

from __future__ import annotations

from typing import Any

from botbuilder.core import Storage, StoreItem

from storage.bot_state import BotStateStore, StaleStateError

ETAG = "e_tag"


def _plain(item: Any) -> tuple[dict[str, Any], str | None]:
    """A state item as JSON-able data plus the etag it was read with."""
    if isinstance(item, StoreItem):
        data = {key: value for key, value in vars(item).items() if not key.startswith("_")}
    elif isinstance(item, dict):
        data = dict(item)
    else:
        raise TypeError(f"cannot store a {type(item).__name__}")
    etag = data.pop(ETAG, None)
    return data, etag


class DatabaseStorage(Storage):
    """Items are dicts; a write with a stale `e_tag` fails instead of overwriting newer state."""

    def __init__(self, store: BotStateStore) -> None:
        super().__init__()
        self.store = store

    async def read(self, keys: list[str]) -> dict[str, Any]:
        if not keys:
            return {}
        found = await self.store.read(keys)
        return {key: {**item.data, ETAG: item.etag} for key, item in found.items()}

    async def write(self, changes: dict[str, Any]) -> None:
        if changes is None:
            raise TypeError("changes are required when writing")
        if not changes:
            return
        items = {key: _plain(item) for key, item in changes.items()}
        try:
            etags = await self.store.write(items)
        except StaleStateError as error:
            # botbuilder's storages signal an etag conflict with KeyError.
            raise KeyError(f"etag conflict on {error}") from error
        for key, item in changes.items():
            # Keep the caller's copy current, so a second save in one turn is not stale.
            if isinstance(item, dict):
                item[ETAG] = etags[key]
            elif isinstance(item, StoreItem):
                item.e_tag = etags[key]

    async def delete(self, keys: list[str]) -> None:
        if keys:
            await self.store.delete(list(keys))
