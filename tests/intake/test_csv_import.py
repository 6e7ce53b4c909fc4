"""`python app.py import FILE.csv`: both dialects, dry run, bad rows by line, re-import."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import select

from bot.intake import recruiters
from bot.settings import Settings
from bot.wiring import build_slack_installations, import_csv
from conversation_guides import GuideBook
from storage.tables import AtsApplication, Candidate
from tests.support.intake import ADMIN, HERE, RECRUITER, TEAM, Harness
from tests.support.slack_api import BOT_TOKEN

ROOT = HERE.parent.parent
GUIDES = GuideBook()


async def run(settings: Settings, name: str, *, dry_run: bool = False, workspace=TEAM):
    out = io.StringIO()
    code = await import_csv(settings, GUIDES, str(HERE / name), workspace, dry_run, out=out)
    return code, out.getvalue()


async def ready(harness: Harness) -> None:
    """The Slack workspace exists (its admin talked to the coach) and knows Line's e-mail."""
    harness.slack.emails["line.berg@example.com"] = RECRUITER
    await harness.say(harness.admin(), "help")


async def test_utf8_file_dry_run_then_import_then_reimport(harness: Harness) -> None:
    await ready(harness)
    settings = harness.coach.settings
    code, out = await run(settings, "import_utf8.csv", dry_run=True)
    assert code == 1, out
    assert "line 2: Kari Nordmann – Lønnskonsulent – rejected 2026-11-20 – for U0LINE" in out
    assert "line 3: Ola Hansen – Lønnskonsulent – rejected 2026-11-21 – for U0OLA" in out
    assert "line 4: Per Ukjent" in out and "per@nowhere.example" in out
    assert "Dry run, nothing was stored. An import would give: 2 new, 1 waiting" in out
    assert await harness.candidates() == [] and await harness.applications() == []

    code, out = await run(settings, "import_utf8.csv")
    assert code == 1
    for line, reason in (
        (5, "the name is missing"),
        (6, "“31.02.2026” is not a date"),
        (7, "the rejection date 2099-01-01 is in the future"),
        (8, "“kanskje” in the internal column should be yes or no"),
        (9, "“not an e-mail” is neither an e-mail address nor a user id"),
    ):
        assert f"line {line}: not imported: {reason}" in out, out
    assert (
        "Imported: 2 new, 1 waiting for a recruiter, 0 already there, 5 rows not imported." in out
    )
    assert [(n, p, r) for n, p, r, _ in await harness.candidates()] == [
        ("Kari Nordmann", "Lønnskonsulent", RECRUITER),
        ("Ola Hansen", "Lønnskonsulent", "U0OLA"),
    ]
    async with harness.sessions() as session:
        internal = dict((await session.execute(select(Candidate.name, Candidate.internal))).all())
        dates = {
            c.name: c.rejected_at.date().isoformat()
            for c in (await session.scalars(select(Candidate))).all()
        }
    assert internal == {"Kari Nordmann": False, "Ola Hansen": True}
    assert dates == {"Kari Nordmann": "2026-11-20", "Ola Hansen": "2026-11-21"}
    assert "Per Ukjent" in await harness.say(harness.admin(), "unassigned")

    code, out = await run(settings, "import_utf8.csv")
    assert "Imported: 0 new, 0 waiting for a recruiter, 3 already there" in out
    assert len(await harness.candidates()) == 2
    assert len(await harness.applications()) == 3


async def test_semicolon_latin1_file_as_norwegian_excel_writes_it(
    harness: Harness, intake_settings: Settings
) -> None:
    await ready(harness)
    raw = (HERE / "import_excel_nb.csv").read_bytes()
    assert b";" in raw and "Ø".encode("cp1252") in raw  # really not UTF-8
    settings = intake_settings.model_copy(update={"coach_language": "nb"})
    code, out = await run(settings, "import_excel_nb.csv")
    assert code == 0, out
    assert "linje 2: Åse Ødegård – Sykepleier – avslag 2026-11-20 – til U0LINE" in out
    assert "Importert: 3 nye, 0 venter på en rekrutterer, 0 fantes fra før" in out
    async with harness.sessions() as session:
        rows = {
            c.name: (c.internal, c.rejected_at.date().isoformat())
            for c in (await session.scalars(select(Candidate))).all()
        }
    assert rows == {
        "Åse Ødegård": (False, "2026-11-20"),
        "Bjørn Ærlig": (True, "2026-11-21"),
        "Kåre Lønn": (False, "2026-11-22"),
    }
    code, out = await run(settings, "import_excel_nb.csv")
    assert "0 nye" in out and "3 fantes fra før" in out
    async with harness.sessions() as session:
        assert len((await session.scalars(select(AtsApplication))).all()) == 3


async def test_a_file_that_cannot_be_used_is_explained(harness: Harness, tmp_path: Path) -> None:
    await ready(harness)
    settings = harness.coach.settings
    bad = tmp_path / "wrong.csv"
    bad.write_text("who,what\nKari,Nurse\n", encoding="utf-8")
    out = io.StringIO()
    assert await import_csv(settings, GUIDES, str(bad), TEAM, False, out=out) == 2
    assert "no column for: name, position, recruiter" in out.getvalue()
    out = io.StringIO()
    missing = str(tmp_path / "missing.csv")
    assert await import_csv(settings, GUIDES, missing, TEAM, False, out=out) == 2
    assert "I can't read" in out.getvalue()
    code, out_text = await run(settings, "import_utf8.csv", workspace="T-NOT-THERE")
    assert code == 2 and "Add --workspace with one of: T0NORDIC (slack)" in out_text
    assert await harness.candidates() == []


def test_the_command_line_contract(database_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "COACH_LANGUAGE": "en",
    }
    env.pop("SLACK_BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "app.py", "import", str(HERE / "import_excel_nb.csv"), "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # No workspace yet: the terminal's own; user ids are taken as they are, e-mails wait.
    assert result.returncode == 0, result.stderr
    assert "line 3: Bjørn Ærlig – Sykepleier – rejected 2026-11-21 – for U0OLA" in result.stdout
    assert "Dry run, nothing was stored. An import would give: 2 new, 1 waiting" in result.stdout


# -- OAuth mode: each workspace's bot token comes from the installation store ---------------

OAUTH_KEY = Fernet.generate_key().decode()


def oauth_settings(settings: Settings) -> Settings:
    """The same server and database, installed in many workspaces: no SLACK_BOT_TOKEN."""
    return Settings(
        DATABASE_URL=settings.database_url,
        COACH_ADMINS=ADMIN,
        SLACK_CLIENT_ID="1111.2222",
        SLACK_CLIENT_SECRET="oauth-client-secret",
        SLACK_SIGNING_SECRET="oauth-signing-secret",
        SLACK_API_URL=settings.slack_api_url,
        COACH_ENCRYPTION_KEY=OAUTH_KEY,
        COACH_LANGUAGE="en",
    )


async def install(harness: Harness, settings: Settings) -> None:
    """The app installed in the workspace through OAuth: its bot token, encrypted, in the store."""
    installations = build_slack_installations(settings, harness.coach)
    await installations.async_save(
        Installation(
            app_id="A0COACH",
            team_id=TEAM,
            bot_token=BOT_TOKEN,
            bot_id="B0COACH",
            bot_user_id="U0COACH",
            bot_scopes=["chat:write", "users:read", "users:read.email"],
            user_id=ADMIN,
        )
    )


async def run_oauth(settings: Settings, name: str = "import_utf8.csv") -> tuple[int, str]:
    out = io.StringIO()
    code = await import_csv(settings, GUIDES, str(HERE / name), TEAM, False, out=out)
    return code, out.getvalue()


async def test_oauth_mode_matches_e_mails_with_the_installed_bot_token(harness: Harness) -> None:
    await ready(harness)
    settings = oauth_settings(harness.coach.settings)
    assert settings.slack_bot_token is None and settings.slack_oauth
    await install(harness, settings)
    code, out = await run_oauth(settings)
    assert code == 1, out
    # The fake Slack answers only the installed token: Line was found by her e-mail.
    assert harness.slack.lookups[0] == "line.berg@example.com"
    assert "line 2: Kari Nordmann – Lønnskonsulent – rejected 2026-11-20 – for U0LINE" in out
    assert "Imported: 2 new, 1 waiting for a recruiter" in out
    assert [(n, r) for n, _, r, _ in await harness.candidates()] == [
        ("Kari Nordmann", RECRUITER),
        ("Ola Hansen", "U0OLA"),
    ]


async def test_oauth_mode_without_an_installation_leaves_e_mails_waiting(
    harness: Harness,
) -> None:
    await ready(harness)
    settings = oauth_settings(harness.coach.settings)
    code, out = await run_oauth(settings)
    assert code == 1, out
    assert harness.slack.lookups == []
    assert "Imported: 1 new, 2 waiting for a recruiter" in out
    assert "Kari Nordmann" in await harness.say(harness.admin(), "unassigned")


async def test_oauth_mode_slack_failing_is_reported_by_line_and_stores_nothing_for_it(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ready(harness)
    settings = oauth_settings(harness.coach.settings)
    await install(harness, settings)
    # HTTP 500 from users.lookupByEmail.
    harness.slack.lookup_broken = True
    code, out = await run_oauth(settings)
    assert code == 1
    assert "line 2: not imported: Slack could not be asked who the recruiter is right now" in out
    assert "line 4: not imported: Slack could not be asked" in out
    assert "Imported: 1 new, 0 waiting for a recruiter" in out
    assert [n for n, *_ in await harness.candidates()] == ["Ola Hansen"]
    assert "Kari" not in await harness.say(harness.admin(), "unassigned")
    # Rate-limited once: the client waits the Retry-After Slack gave, then asks again.
    harness.slack.lookup_broken = False
    harness.slack.rate_limit_next = 1
    code, out = await run_oauth(settings)
    assert "line 2: Kari Nordmann – Lønnskonsulent – rejected 2026-11-20 – for U0LINE" in out
    assert harness.slack.rate_limited == 1 and harness.slack.violations == 0
    assert [n for n, *_ in await harness.candidates()] == ["Ola Hansen", "Kari Nordmann"]
    # Slack slow beyond the client's timeout: Per's e-mail (Line's is known by now) fails.
    monkeypatch.setattr(recruiters, "TIMEOUT", 0.2)
    harness.slack.delay = 1.0
    code, out = await run_oauth(settings)
    assert code == 1 and "line 4: not imported: Slack could not be asked" in out
    assert len(await harness.applications()) == 3
