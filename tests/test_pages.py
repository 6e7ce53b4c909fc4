"""GET / and GET /privacy, rendered by a real headless browser (Debian's chromium).

scripts/test.sh installs chromium when it is missing; without it these tests fail, they never skip.
The settings here are not the defaults, so a page that did not read them would show the
wrong figures.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import aiohttp
import pytest
from cryptography.fernet import Fernet

from bot import pages
from bot.coach import Coach
from bot.settings import Settings
from bot.wiring import build_web_app
from tests.support.database import engine_of
from tests.support.slack import serving

BROWSER_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("chromium is not installed: `apt-get install chromium` (scripts/test.sh does it)")


async def dump_dom(url: str, accept_language: str) -> str:
    """What the browser rendered: its DOM after loading the page."""
    with tempfile.TemporaryDirectory() as profile:
        process = await asyncio.create_subprocess_exec(
            chromium(),
            *BROWSER_FLAGS,
            f"--user-data-dir={profile}",
            f"--accept-lang={accept_language}",
            "--dump-dom",
            url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            out, _ = await asyncio.wait_for(process.communicate(), 90)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
    assert process.returncode == 0
    return out.decode()


class Elements(HTMLParser):
    """Elements by id (attributes and text), the html lang, and every link."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str]] = {}
        self.text_of: dict[str, str] = {}
        self.links: list[str] = []
        self.lang = ""
        self._open: list[str] = []
        self.text = ""
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.lang = values.get("lang", "")
        if tag == "a":
            self.links.append(values.get("href", ""))
        if "id" in values:
            self.by_id[values["id"]] = values
            self.text_of[values["id"]] = ""
            self._open.append(values["id"])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("a", "span") and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        self.text += data
        for name in self._open:
            self.text_of[name] += data


@pytest.fixture
async def site(coach: Coach, database_url: str) -> AsyncIterator[tuple[str, Settings]]:
    settings = Settings(
        DATABASE_URL=database_url,
        SLACK_CLIENT_ID="1234.5678",
        SLACK_CLIENT_SECRET="secret",
        SLACK_SIGNING_SECRET="signing",
        SLACK_API_URL="http://127.0.0.1:9/api/",
        COACH_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        COACH_RETENTION_DAYS="97",
        COACH_TALENT_POOL_MONTHS="7",
        COACH_UNINSTALL_GRACE_DAYS="11",
    )
    coach.settings = settings
    async with serving(build_web_app(settings, coach, engine_of(coach))) as base:
        yield base, settings


@pytest.mark.parametrize(("accept", "lang"), [("en-GB,en", "en"), ("nb-NO,nb", "nb")])
async def test_the_landing_page_renders_with_an_add_to_slack_link_and_the_privacy_link(
    site: tuple[str, Settings], coach: Coach, accept: str, lang: str
) -> None:
    base, _ = site
    page = Elements(await dump_dom(f"{base}/", accept))
    assert page.lang == lang
    assert page.by_id["add-to-slack"]["href"] == "/slack/install"
    assert page.text_of["add-to-slack"] == coach.t(lang, "site_add_to_slack")
    assert page.by_id["privacy"]["href"] == "/privacy"
    assert coach.t(lang, "site_tagline") in page.text


@pytest.mark.parametrize(("accept", "lang"), [("en-US,en", "en"), ("nb-NO,nb", "nb")])
async def test_the_privacy_page_shows_the_figures_the_server_runs_with(
    site: tuple[str, Settings], coach: Coach, accept: str, lang: str
) -> None:
    base, settings = site
    page = Elements(await dump_dom(f"{base}/privacy", accept))
    assert page.lang == lang
    assert page.text_of["retention-days"] == str(settings.coach_retention_days) == "97"
    assert page.text_of["talent-pool-months"] == str(settings.coach_talent_pool_months) == "7"
    assert page.text_of["uninstall-grace-days"] == "11"
    # The sentences around the figures are the guide's, in the browser's language.
    expected = coach.t(lang, "privacy_retention", days=97)
    assert expected in " ".join(page.text.split())
    assert coach.t(lang, "privacy_who_heading") in page.text


def test_the_browser_language_picks_nb_or_en_by_preference() -> None:
    assert pages.language("nb-NO,nb;q=0.9,en;q=0.8", "en") == "nb"
    assert pages.language("nn", "en") == "nb"
    assert pages.language("de-DE,de;q=0.9,no;q=0.5,en;q=0.7", "nb") == "en"
    assert pages.language("en;q=0.2, nb;q=0.8", "en") == "nb"
    assert pages.language("fr", "nb") == "nb"
    assert pages.language(None, "en") == "en"
    assert pages.language("nb;q=0, en", "nb") == "en"
    assert pages.language("nb;q=bogus", "en") == "en"
    # Norwegian named the way any channel's locale may name it (one policy, bot.messages).
    assert pages.language("de, nob;q=0.5, en;q=0.4", "en") == "nb"
    assert pages.language("*, en-GB;q=0.9", "nb") == "en"


async def test_without_oauth_the_landing_page_offers_no_install_link(
    coach: Coach, settings: Settings
) -> None:
    async with (
        serving(build_web_app(settings, coach, engine_of(coach))) as base,
        aiohttp.ClientSession() as http,
    ):
        async with http.get(f"{base}/", headers={"Accept-Language": "nb"}) as response:
            assert response.status == 200
            body = await response.text()
        async with http.get(f"{base}/slack/install", allow_redirects=False) as response:
            assert response.status == 404
    page = Elements(body)
    assert "add-to-slack" not in page.by_id and "/slack/install" not in page.links
    assert coach.t("nb", "site_install_unavailable") in page.text
