"""Invoke activities: the coach's cards never send one, so any invoke is answered 400 (a bad
request from the client), never botbuilder's 501, which Teams shows as a failing bot."""

from __future__ import annotations

import pytest

from tests.support.teams_api import FakeConnector, Teams

INVOKES = [
    ("adaptiveCard/action", {"action": {"type": "Action.Execute", "verb": "called"}}),
    ("composeExtension/query", {"commandId": "search", "parameters": []}),
    ("task/fetch", {"data": {"action": "checklist"}}),
    ("signin/verifyState", {"state": "123456"}),
    ("made/up", {}),
]


@pytest.mark.parametrize(("name", "value"), INVOKES, ids=[name for name, _ in INVOKES])
async def test_an_invoke_is_a_bad_request_and_changes_nothing(
    teams: Teams, bot_connector: FakeConnector, name: str, value: dict[str, object]
) -> None:
    assert await teams.post(teams.activity("invoke", name=name, value=value)) == 400
    assert bot_connector.messages() == []
    # The bot still answers the next ordinary message.
    assert await teams.say("help") == 201
    assert bot_connector.texts()
