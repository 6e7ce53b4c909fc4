"""The command line: bad configuration is explained, not dumped as a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

import app


def test_invalid_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COACH_LANGUAGE", "de")
    assert app.main(["console"]) == 2
    err = capsys.readouterr().err
    assert "COACH_LANGUAGE" in err and "Traceback" not in err


def test_unknown_subcommand_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        app.main(["dance"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_oauth_mode_without_an_encryption_key_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "1234.5678")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret")
    monkeypatch.delenv("COACH_ENCRYPTION_KEY", raising=False)
    assert app.main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "COACH_ENCRYPTION_KEY" in err and "Traceback" not in err
    assert "client-secret" not in err


def test_a_key_that_is_not_a_fernet_key_is_named_without_being_shown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    good = Fernet.generate_key().decode()
    monkeypatch.setenv("SLACK_CLIENT_ID", "1234.5678")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret")
    monkeypatch.setenv("COACH_ENCRYPTION_KEY", f"{good}, not-a-key-at-all")
    assert app.main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "COACH_ENCRYPTION_KEY: key 2 is not a Fernet key" in err
    assert "not-a-key-at-all" not in err and good not in err and "Traceback" not in err


def test_reencrypt_outside_oauth_mode_says_there_is_nothing_to_do(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("SLACK_CLIENT_ID", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'coach.sqlite3'}")
    assert app.main(["reencrypt"]) == 0
    assert "SLACK_CLIENT_ID" in capsys.readouterr().out
