"""Every route measures a body before anything parses it, and /healthz tells the truth."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from bot.bodies import MAX_BODY, MAX_DEPTH, body_depth, json_depth, openers
from bot.coach import Coach
from bot.messages import Inbound
from bot.wiring import build_web_app
from storage.errors import PROBLEMS, describe
from tests.support.database import engine_of
from tests.support.slack import POSTGRES_URL, serving, signed_headers, slack_settings
from tests.support.slack_api import FakeSlack

NESTED = "[" * 5000 + "]" * 5000  # 10 kB: a RecursionError in json.loads without the limit


def routes(app: web.Application) -> list[tuple[str, str]]:
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if path and route.method in ("GET", "POST"):
            found.append((route.method, path.replace("{", "x").replace("}", "")))
    return found


@pytest.fixture
async def served(coach: Coach, database_url: str, fake_slack: FakeSlack) -> Any:
    settings = slack_settings(database_url, fake_slack.url)
    coach.settings = settings
    app = build_web_app(settings, coach, engine_of(coach))
    async with serving(app) as base, aiohttp.ClientSession() as http:
        yield app, base, http


def test_depth_is_measured_without_parsing() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[[not structure]]]]"}]}') == 3
    assert json_depth(b'"\\"[[["') == 0
    assert json_depth(NESTED.encode()) == 5000


JSON_VALUES = st.recursive(
    st.none() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=40,
)


@given(fields=st.lists(st.tuples(st.text(max_size=4), JSON_VALUES), max_size=4))
def test_counting_openers_bounds_the_depth_of_any_form_or_json(
    fields: list[tuple[str, Any]],
) -> None:
    form = urlencode([(name, json.dumps(value)) for name, value in fields])
    # Percent-encoding in either case is still a bracket once decoded.
    for body in (form, form.replace("%5B", "%5b").replace("%7B", "%7b")):
        kind = "application/x-www-form-urlencoded"
        assert openers(body.encode(), kind) >= body_depth(body.encode(), kind)
    document = json.dumps([value for _, value in fields]).encode()
    kind = "application/json"
    assert openers(document, kind) >= body_depth(document, kind)


async def test_a_wide_but_shallow_body_is_measured_not_refused(
    served: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Past MAX_DEPTH openers the depth itself is measured: many siblings are not nesting."""
    _, base, http = served
    wide = json.dumps({"items": [[n] for n in range(MAX_DEPTH * 3)]})
    assert openers(wide.encode(), "application/json") > MAX_DEPTH
    headers = {"Content-Type": "application/json"}
    with caplog.at_level("WARNING", logger="bot.bodies"):
        async with http.post(base + "/api/messages", data=wide, headers=headers) as response:
            await response.read()
        assert "nested too deeply" not in caplog.text
        # The same route still refuses depth past the limit (MAX_DEPTH nested deeper).
        async with http.post(
            base + "/api/messages",
            data="[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
            headers=headers,
        ) as response:
            assert response.status == 400
        assert "nested too deeply" in caplog.text


async def test_nested_and_oversized_bodies_on_every_route(served: Any) -> None:
    app, base, http = served
    found = routes(app)
    assert ("POST", "/slack/events") in found and ("POST", "/api/messages") in found
    form = urlencode({"payload": NESTED})
    shallow = json.dumps({"a": [[[1]]]})
    for method, path in found:
        for body, kind in (
            (NESTED, "application/json"),
            (form, "application/x-www-form-urlencoded"),
        ):
            # Signed as Slack signs, so a signature check cannot be what refuses it.
            headers = {"Content-Type": kind, **signed_headers(body)}
            async with http.request(method, base + path, data=body, headers=headers) as response:
                assert response.status == 400, (method, path, kind)
                assert "couldn't read that request" in await response.text()
        big = "x" * (MAX_BODY + 1)
        async with http.request(
            method, base + path, data=big, headers={"Content-Type": "application/json"}
        ) as response:
            assert response.status == 413, (method, path)
            assert "larger than anything" in await response.text()
        # A body within both limits still reaches the route (whatever that route makes of it).
        async with http.request(
            method, base + path, data=shallow, headers={"Content-Type": "application/json"}
        ) as response:
            assert response.status not in (413, 500), (method, path)
            assert "larger than anything" not in await response.text()
    assert MAX_DEPTH < 1000


async def _health(http: aiohttp.ClientSession, base: str) -> tuple[int, dict[str, Any]]:
    async with http.get(base + "/healthz") as response:
        return response.status, await response.json()


async def test_healthz_reports_a_read_only_store(
    served: Any, coach: Coach, person: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _, base, http = served
    assert await _health(http, base) == (200, {"status": "ok", "database": "ok"})
    engine = coach.sessions.kw["bind"]
    if POSTGRES_URL:
        async with engine.connect() as connection:
            name = (await connection.execute(text("SELECT current_database()"))).scalar()
        statement = f'ALTER DATABASE "{name}" SET default_transaction_read_only = '
        async with engine.connect() as connection:
            await connection.execute(text(statement + "on"))
            await connection.commit()
        code = "25006"
    else:

        def read_only(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.execute("PRAGMA query_only = ON")

        event.listen(engine.sync_engine, "connect", read_only)
        code = "SQLITE_READONLY"
    await engine.dispose()
    try:
        status, body = await _health(http, base)
        assert (status, body["database"]) == (503, "read_only")
        replies = await coach.handle(person(), Inbound(text="add Kari Nordmann | Chef"))
        assert replies[0].text == coach.t("en", "database_down")
        assert f"database read_only: {code}" in caplog.text
        assert "Kari" not in caplog.text
    finally:
        if POSTGRES_URL:
            async with engine.connect() as connection:
                await connection.execute(text("SET SESSION transaction_read_only = off"))
                await connection.execute(text(statement + "off"))
                await connection.commit()
        else:
            event.remove(engine.sync_engine, "connect", read_only)
        await engine.dispose()
        PROBLEMS.clear()
    assert (await _health(http, base))[0] == 200


async def test_healthz_reports_a_full_store(
    served: Any, coach: Coach, person: Any, caplog: pytest.LogCaptureFixture
) -> None:
    if POSTGRES_URL:
        # A full PostgreSQL disk is reported from the 53100 its writes fail with, the same
        # path as SQLite's SQLITE_FULL below; filling a real disk is beyond a test.
        assert describe_code("53100") == "full"
        return
    _, base, http = served
    engine = coach.sessions.kw["bind"]
    await coach.handle(person(), Inbound(text="list"))

    def full(dbapi_connection: Any, _: Any) -> None:
        # The file may not grow by a single page: the next insert that needs one fails.
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(engine.sync_engine, "connect", full)
    await engine.dispose()
    try:
        for n in range(2000):
            words = f"add Kari Nordmann {n} {'x' * 150} | Chef {n} {'y' * 150}"
            replies = await coach.handle(person(), Inbound(text=words))
            if replies[0].text == coach.t("en", "database_down"):
                break
        else:
            raise AssertionError("the store never filled up")
        assert "database full: SQLITE_FULL" in caplog.text
        status, body = await _health(http, base)
        assert (status, body["database"], body["code"]) == (503, "full", "SQLITE_FULL")
    finally:
        event.remove(engine.sync_engine, "connect", full)
        await engine.dispose()
        PROBLEMS.clear()


def describe_code(state: str) -> str:
    class Orig(Exception):
        sqlstate = state

    return describe(DBAPIError("INSERT", {}, Orig())).kind


async def test_healthz_when_the_database_is_gone(breakable: Any, guides: Any, clock: Any) -> None:
    holder, sessions = breakable
    from bot.settings import Settings

    settings = Settings(DATABASE_URL=holder.url)
    coach = Coach(sessions, guides, settings, clock=clock)
    async with (
        serving(build_web_app(settings, coach, engine_of(coach))) as base,
        aiohttp.ClientSession() as http,
    ):
        await holder.down()
        async with http.get(base + "/healthz") as response:
            body = await response.json()
        assert response.status == 503
        assert body["status"] == "unavailable" and body["database"] == "unavailable"
        await holder.up()
        async with http.get(base + "/healthz") as response:
            assert response.status == 200
