"""The command line: bad configuration is explained, not dumped as a traceback."""

from __future__ import annotations

import pytest

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
